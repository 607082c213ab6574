"""Validation of a CreateComment request (contract §4): every problem, in request order.

:func:`validate` never raises on a JSON value. It checks the structure (the same rules as
``pyrus_mock/schema/create_comment.schema.json``), then the meaning against the task, its form
and the directory, and returns :class:`~pyrus_mock.domain.violations.Violation` s whose paths
are JSON pointers into the request. :func:`check` also returns the resolved :class:`Plan` that
:func:`~pyrus_mock.engine.application.apply` carries out.

Choices where Pyrus documents nothing (each is the fake's, see also :mod:`.workflow`,
:mod:`.fieldupdates`, :mod:`.fieldvalues`, :mod:`.refs`, :mod:`.channel`):

* A top-level ``null`` is the same as leaving the key out (clients omit empties).
* Unknown keys are warnings (``unknown_parameter``; Pyrus ignores them) naming close matches
  (the first 20; one more warning counts the rest);
  ``reply_note_id`` (a response field) is a warning ``ignored_parameter``.
* A request that changes nothing (no text and no change) is ``text_missing``; a ``channel``
  without text is ``external_comment_empty_text``.
* Wrong JSON types are ``invalid_value_format`` at the key's path; integers exclude booleans
  and floats.
* ``due_date`` with ``due``: ``either_due_date_or_due_can_be_set``; ``duration`` without
  ``due``: ``due_missing``; a negative one ``negative_duration``; over a year (setting
  ``max_duration_minutes``) ``duration_is_too_long``. ``scheduled_date`` before today /
  ``scheduled_datetime_utc`` before now (the fake's clock) is ``scheduled_date_in_past``; both
  together ``invalid_value_format``.
  ``cancel_due`` / ``cancel_schedule`` next to a new value are ignored with a warning.
* ``approval_choice``, ``approval_steps``, ``approvals_*`` and ``field_updates`` on a task
  without a form are ``task_has_no_form``; step numbers beyond the form's steps are
  ``invalid_step_number``. ``approvals_*`` take the nested shape (outer index = step - 1) or a
  flat list of persons (the current step).
* Lists (``added_list_ids`` / ``removed_list_ids``) that do not exist are
  ``access_denied_project`` (Pyrus calls lists projects in its error codes).
* ``spent_minutes`` is an integer of at least 0. ``channel.type`` is one of the types Pyrus
  sends through; ``integration_id`` only with ``custom``.
* ``edit_comment_id`` must name a comment of this task (``invalid_value_format``) written by
  the author (``access_denied``), and needs ``text`` or ``formatted_text``.
* ``comment_as_roles`` items must be roles (``invalid_person_id``) the author belongs to
  (``access_denied``).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from ..domain.model import ApprovalChoice, Form, Person, Task
from ..domain.violations import Violation
from .channel import check_channel
from .common import (
    DATE_SHAPES,
    Report,
    describe,
    duration_problem,
    is_int,
    parse_moment,
    schedule_problem,
    text_problem,
)
from .context import Directory, SeenBy
from .fieldupdates import FieldContext, missing_required, update_list
from .plan import Plan
from .refs import new_files, person_list, person_ref
from .workflow import APPROVALS_SHAPE, approval_lists, last_step, project

__all__ = ["KNOWN_KEYS", "check", "validate"]

#: Comments a task may have (contract §5.4); one more is refused with ``too_many_comments``.
MAX_COMMENTS = 10_000

_APPROVAL_CHOICES: dict[str, ApprovalChoice] = {
    "approved": "approved",
    "rejected": "rejected",
    "acknowledged": "acknowledged",
    "revoked": "revoked",
}
_ACTIONS = ("finished", "reopened")
_APPROVAL_KEYS = ("approvals_added", "approvals_removed", "approvals_rerequested")
_CONTENT_KEYS = frozenset({
    "text", "formatted_text", "subject", "approval_choice", "action", "reassign_to",
    "attachments", "field_updates", *_APPROVAL_KEYS, "subscribers_added", "subscribers_removed",
    "subscribers_rerequested", "participants_added", "participants_removed", "due_date", "due",
    "duration", "cancel_due", "scheduled_date", "scheduled_datetime_utc", "cancel_schedule",
    "added_list_ids", "removed_list_ids", "spent_minutes", "edit_comment_id",
})  # fmt: skip
_MAX_UNKNOWN_NAMED = 20
"""Unknown keys named one warning each; one more warning counts the rest."""

#: Names people (and bots) write by mistake, with what they probably meant.
_ALIASES = {
    "responsible": "reassign_to", "reassigned_to": "reassign_to", "fields": "field_updates",
    "list_ids": "added_list_ids", "approvals": "approvals_added", "approval_step": "approval_steps",
    "comment": "text", "message": "text", "status": "action", "due_date_time": "due",
    "files": "attachments", "participants": "participants_added",
    "subscribers": "subscribers_added",
}  # fmt: skip


def _pointer(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1")


class _Validator:
    """One validation run; handlers fill ``plan`` and ``report``."""

    def __init__(self, request: dict[Any, Any], task: Task, author: Person,
                 directory: Directory) -> None:  # fmt: skip
        self.request = request
        self.task = task
        self.author = author
        self.directory = directory
        self.form: Form | None = (
            directory.find_form(task.form_id) if task.form_id is not None else None
        )
        self.report = Report()
        self.plan = Plan()
        #: Present (non-null) keys: position and pointer; approval items too (see workflow).
        self.paths: dict[str, tuple[int, str]] = {}
        self.fields: FieldContext | None = None

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> None:
        report = self.report
        for index, (key, value) in enumerate(self.request.items()):
            if isinstance(key, str) and value is not None:
                self.paths[key] = (index, _pointer(key))
        unknown: list[int] = []  # positions of the unknown keys
        for index, (key, value) in enumerate(self.request.items()):
            report.key_index = index
            if not isinstance(key, str) or key not in _HANDLERS:
                unknown.append(index)
                if len(unknown) > _MAX_UNKNOWN_NAMED:
                    continue  # counted below, not named: a close-match search each is costly
            if not isinstance(key, str):
                report.warn(
                    f"/{key!r}",
                    "unknown_parameter",
                    f"the key {key!r} is not a string and is ignored",
                )
                continue
            path = _pointer(key)
            handler = _HANDLERS.get(key)
            if handler is None:
                report.warn(path, "unknown_parameter", self._unknown(key))
            elif key == "reply_note_id":
                report.warn(path, "ignored_parameter",
                            "reply_note_id is a field of response comments; Pyrus ignores it "
                            "in requests (quote with formatted_text instead)")  # fmt: skip
            elif value is not None:
                handler(self, key, value, path)
        if len(unknown) > _MAX_UNKNOWN_NAMED:
            report.key_index = unknown[_MAX_UNKNOWN_NAMED]
            report.warn(
                "",
                "unknown_parameter",
                f"{len(unknown) - _MAX_UNKNOWN_NAMED} more keys are not CreateComment "
                f"parameters and are ignored (only the first {_MAX_UNKNOWN_NAMED} are named)",
            )
        self._cross()

    def _unknown(self, key: str) -> str:
        tokens = set(key.lower().split("_"))
        close = [k for k in _HANDLERS if set(k.split("_")) == tokens and k != key]
        if key.lower() in _ALIASES:
            close.append(_ALIASES[key.lower()])
        close += difflib.get_close_matches(key, list(_HANDLERS), 3, 0.6)
        close = list(dict.fromkeys(close))
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return f"{key!r} is not a CreateComment parameter and is ignored{hint}"

    def _at(self, key: str) -> str:
        index, path = self.paths[key]
        self.report.key_index = index
        return path

    def _later(self, key: str, other: str) -> bool:
        """Whether ``other`` is present and comes before ``key`` (so ``key`` reports a clash)."""
        return other in self.paths and self.paths[other][0] < self.paths[key][0]

    def _cross(self) -> None:
        plan, report, paths = self.plan, self.report, self.paths
        end = len(self.request)
        has_text = bool(plan.text.strip() or plan.formatted_text.strip())
        if plan.edit_comment_id is not None and not has_text:
            report.error(
                self._at("edit_comment_id"),
                "text_missing",
                "editing a comment needs its new text or formatted_text",
            )
        if "channel" in paths and not has_text:
            report.error(
                self._at("channel"),
                "external_comment_empty_text",
                "a comment sent to an external channel needs text or formatted_text",
            )
        if not any(k in paths and self._content(k) for k in _CONTENT_KEYS):
            report.key_index = end
            report.error("", "text_missing",
                         "the comment has no text and changes nothing; give text, "
                         "formatted_text, or at least one change (field_updates, "
                         "approval_choice, action, reassign_to, ...)")  # fmt: skip
        if len(self.task.comments) >= MAX_COMMENTS:
            report.key_index = end
            report.error(
                "",
                "too_many_comments",
                f"the task already has {len(self.task.comments)} comments; Pyrus keeps at most "
                f"{MAX_COMMENTS:,} per task (contract §5.4): create a new task",
            )
        before = report.errors
        plan.outcome = project(report, self.task, self.form, self.author, self.directory,
                               plan, paths)  # fmt: skip
        outcome = plan.outcome
        if outcome.passed and self.form is not None and report.errors == before:
            trigger = min((paths[k] for k in ("approval_choice", *_APPROVAL_KEYS) if k in paths),
                          default=(end, ""))  # fmt: skip
            report.key_index = trigger[0]
            fields = self.fields
            missing_required(report, trigger[1], self.form, self.task, max(outcome.passed),
                             plan.writes, fields.tried if fields else set())  # fmt: skip

    def _content(self, key: str) -> bool:
        """Whether the key asks for something: blank text and empty lists (``[[]]`` for the
        approvals keys) change nothing, as for the text checks of edits and channels."""
        value = self.request[key]
        if isinstance(value, str):
            return bool(value.strip())
        if isinstance(value, list) and key in _APPROVAL_KEYS:
            return any(group != [] for group in value)
        if isinstance(value, (list, dict)):
            return bool(value)
        return value is not False and not (key == "spent_minutes" and value == 0)

    # -- helpers ---------------------------------------------------------------------------

    def _type_error(self, path: str, key: str, expected: str, value: object) -> None:
        self.report.error(
            path, "invalid_value_format", f"{key} takes {expected}, got {describe(value)}"
        )

    def _string(self, key: str, value: object, path: str) -> str | None:
        if not isinstance(value, str):
            self._type_error(path, key, "a string", value)
            return None
        return value

    def _bool(self, key: str, value: object, path: str) -> bool:
        if not isinstance(value, bool):
            self._type_error(path, key, "true or false", value)
            return False
        return value

    def _int_list(self, key: str, value: object, path: str) -> list[tuple[int, int]] | None:
        """(index, value) pairs of a list of integers; bad items reported."""
        if not isinstance(value, list):
            self._type_error(path, key, "a list of integers", value)
            return None
        out = []
        for index, item in enumerate(value):
            if not is_int(item):
                self._type_error(f"{path}/{index}", key, "integers", item)
            else:
                out.append((index, item))
        return out

    def _needs_form(self, key: str, path: str) -> bool:
        if self.form is None:
            self.report.error(
                path,
                "task_has_no_form",
                f"{key} applies to form tasks only; task {self.task.id} has no form",
            )
            return False
        return True

    # -- handlers --------------------------------------------------------------------------

    def _text(self, key: str, value: object, path: str) -> None:
        text = self._string(key, value, path)
        if text is None:
            return
        other = "formatted_text" if key == "text" else "text"
        if self._later(key, other):
            self.report.error(
                path,
                "both_text_and_formatted_text_specified",
                "give either text (plain) or formatted_text (HTML), not both",
            )
            return
        problem = text_problem(key, text, self.directory.settings.max_comment_text_length)
        if problem is not None:
            self.report.error(path, *problem)
            return
        if key == "text":
            self.plan.text = text
        else:
            self.plan.formatted_text = text

    def _subject(self, key: str, value: object, path: str) -> None:
        self.plan.subject = self._string(key, value, path)

    def _approval_choice(self, key: str, value: object, path: str) -> None:
        if not isinstance(value, str) or value not in _APPROVAL_CHOICES:
            self._type_error(path, key, " or ".join(repr(c) for c in _APPROVAL_CHOICES)
                             + " ('waiting' only appears in responses)", value)  # fmt: skip
            return
        if self._needs_form(key, path):
            self.plan.approval_choice = _APPROVAL_CHOICES[value]

    def _approval_steps(self, key: str, value: object, path: str) -> None:
        items = self._int_list(key, value, path)
        if items is None or not self._needs_form(key, path):
            return
        if "approval_choice" not in self.paths:
            self.report.warn(
                path, "ignored_parameter", "approval_steps is ignored without approval_choice"
            )
            return
        last = last_step(self.task, self.form)
        for index, number in items:
            if not 1 <= number <= last:
                self.report.error(
                    f"{path}/{index}",
                    "invalid_step_number",
                    f"the form has steps 1 to {last}, got {number}",
                )
            elif number not in self.plan.approval_steps:
                self.plan.approval_steps.append(number)

    def _action(self, key: str, value: object, path: str) -> None:
        if not isinstance(value, str) or value not in _ACTIONS:
            self._type_error(path, key, "'finished' or 'reopened'", value)
            return
        self.plan.action = value

    def _reassign_to(self, key: str, value: object, path: str) -> None:
        person = person_ref(self.report, path, value, self.directory)
        if person is not None:
            self.plan.reassign_to = person.id

    def _attachments(self, key: str, value: object, path: str) -> None:
        self.plan.attachments = new_files(self.report, path, value, self.directory)

    def _field_updates(self, key: str, value: object, path: str) -> None:
        if not isinstance(value, list):
            self._type_error(path, key, 'a list of {"id" | "code" | "name": ..., "value": ...}',
                             value)  # fmt: skip
            return
        if not value or not self._needs_form(key, path) or self.form is None:
            return
        self.fields = FieldContext(self.report, self.directory, self.form, self.task)
        update_list(self.fields, path, value)
        self.plan.writes = self.fields.writes

    def _approvals(self, key: str, value: object, path: str) -> None:
        if not isinstance(value, list):
            self._type_error(path, key, APPROVALS_SHAPE, value)
            return
        if value and self._needs_form(key, path) and self.form is not None:
            parsed = approval_lists(self.report, key, path, value, self.task, self.form,
                                    self.directory, self.paths)  # fmt: skip
            setattr(self.plan, key, parsed)

    def _persons(self, key: str, value: object, path: str) -> None:
        removing = key.endswith("_removed")  # a fired person can still be taken off (D8)
        people = person_list(self.report, path, value, self.directory, allow_fired=removing)
        setattr(self.plan, key, people)

    def _due_date(self, key: str, value: object, path: str) -> None:  # due_date and due
        if parse_moment(key, value) is None:
            self._type_error(path, key, DATE_SHAPES[key], value)
            return
        if self._later(key, "due" if key == "due_date" else "due_date"):
            self.report.error(
                path,
                "either_due_date_or_due_can_be_set",
                "give either due_date (a day) or due (a moment), not both",
            )
            return
        setattr(self.plan, key, str(value))

    def _duration(self, key: str, value: object, path: str) -> None:
        if not is_int(value):
            self._type_error(path, key, "an integer number of minutes", value)
            return
        problem = duration_problem(value, self.directory.settings.max_duration_minutes)
        if "due" not in self.paths:
            self.report.error(
                path,
                "due_missing",
                "duration goes with due (a timestamp); due_date has no duration",
            )
        elif problem is not None:
            self.report.error(path, *problem)
        else:
            self.plan.duration = value

    def _cancel_due(self, key: str, value: object, path: str) -> None:
        if not self._bool(key, value, path) or not value:
            return
        if any(k in self.paths for k in ("due", "due_date", "duration")):
            self.report.warn(
                path,
                "ignored_parameter",
                "cancel_due is ignored because the request sets a new due date",
            )
            return
        self.plan.cancel_due = True

    def _scheduled(self, key: str, value: object, path: str) -> None:
        other = "scheduled_datetime_utc" if key == "scheduled_date" else "scheduled_date"
        problem = schedule_problem(key, value, self.directory.now())
        if problem is not None and problem[0] == "invalid_value_format":
            self.report.error(path, *problem)
            return
        if self._later(key, other):
            self.report.error(
                path,
                "invalid_value_format",
                "give either scheduled_date or scheduled_datetime_utc, not both",
            )
            return
        if problem is not None:
            self.report.error(path, *problem)
            return
        setattr(self.plan, key, value)

    def _cancel_schedule(self, key: str, value: object, path: str) -> None:
        if not self._bool(key, value, path) or not value:
            return
        if "scheduled_date" in self.paths or "scheduled_datetime_utc" in self.paths:
            self.report.warn(
                path,
                "ignored_parameter",
                "cancel_schedule is ignored because the request sets a schedule",
            )
            return
        self.plan.cancel_schedule = True

    def _list_ids(self, key: str, value: object, path: str) -> None:
        items = self._int_list(key, value, path)
        if items is None:
            return
        target: list[int] = getattr(self.plan, key)
        for index, list_id in items:
            if not self.directory.list_exists(list_id):
                self.report.error(
                    f"{path}/{index}",
                    "access_denied_project",
                    f"no list (project) has the id {list_id}; see GET /lists",
                )
            elif list_id not in target:
                target.append(list_id)

    def _spent_minutes(self, key: str, value: object, path: str) -> None:
        if not is_int(value) or value < 0:
            self._type_error(path, key, "an integer number of minutes, 0 or more", value)
            return
        self.plan.spent_minutes = value

    def _channel(self, key: str, value: object, path: str) -> None:
        channel = check_channel(self.report, key, value, path)
        if channel is not None:
            self.plan.channel = channel

    def _skip(self, key: str, value: object, path: str) -> None:
        setattr(self.plan, key, self._bool(key, value, path))

    def _edit_comment_id(self, key: str, value: object, path: str) -> None:
        if not is_int(value):
            self._type_error(path, key, "the id (an integer) of a comment of this task", value)
            return
        target = next((c for c in self.task.comments if c.id == value), None)
        if target is None:
            self.report.error(
                path, "invalid_value_format", f"task {self.task.id} has no comment {value} to edit"
            )
        elif target.author_id != self.author.id:
            self.report.error(path, "access_denied",
                              f"comment {value} was written by person {target.author_id}; "
                              "only its author can edit it")  # fmt: skip
        else:
            self.plan.edit_comment_id = value

    def _comment_as_roles(self, key: str, value: object, path: str) -> None:
        if not isinstance(value, list):
            self._type_error(path, key, 'a list of roles [{"id": ...}]', value)
            return
        for index, item in enumerate(value):
            ipath = f"{path}/{index}"
            role = person_ref(self.report, ipath, item, self.directory)
            if role is None:
                continue
            if role.type != "role":
                self.report.error(
                    ipath, "invalid_person_id", f"person {role.id} is a {role.type}, not a role"
                )
            elif self.author.id not in role.member_ids:
                self.report.error(
                    ipath, "access_denied", f"the author is not a member of role {role.name!r}"
                )
            elif role.id not in self.plan.comment_as_roles:
                self.plan.comment_as_roles.append(role.id)

    def _ignored(self, key: str, value: object, path: str) -> None:  # reply_note_id
        pass


_Handler = Callable[[_Validator, str, Any, str], None]

_HANDLERS: dict[str, _Handler] = {
    "text": _Validator._text,
    "formatted_text": _Validator._text,
    "subject": _Validator._subject,
    "approval_choice": _Validator._approval_choice,
    "approval_steps": _Validator._approval_steps,
    "action": _Validator._action,
    "reassign_to": _Validator._reassign_to,
    "attachments": _Validator._attachments,
    "field_updates": _Validator._field_updates,
    "approvals_added": _Validator._approvals,
    "approvals_removed": _Validator._approvals,
    "approvals_rerequested": _Validator._approvals,
    "subscribers_added": _Validator._persons,
    "subscribers_removed": _Validator._persons,
    "subscribers_rerequested": _Validator._persons,
    "participants_added": _Validator._persons,
    "participants_removed": _Validator._persons,
    "due_date": _Validator._due_date,
    "due": _Validator._due_date,
    "duration": _Validator._duration,
    "cancel_due": _Validator._cancel_due,
    "scheduled_date": _Validator._scheduled,
    "scheduled_datetime_utc": _Validator._scheduled,
    "cancel_schedule": _Validator._cancel_schedule,
    "added_list_ids": _Validator._list_ids,
    "removed_list_ids": _Validator._list_ids,
    "spent_minutes": _Validator._spent_minutes,
    "channel": _Validator._channel,
    "skip_satisfaction": _Validator._skip,
    "skip_notification": _Validator._skip,
    "skip_auto_reopen": _Validator._skip,
    "edit_comment_id": _Validator._edit_comment_id,
    "comment_as_roles": _Validator._comment_as_roles,
    "reply_note_id": _Validator._ignored,
}

#: Every top-level key the engine knows (the schema's ``properties`` list the same keys).
KNOWN_KEYS = frozenset(_HANDLERS)


def check(request: object, task: Task, author: Person,
          directory: Directory) -> tuple[list[Violation], Plan | None]:  # fmt: skip
    """Validate ``request`` and resolve it.

    Returns:
        every violation in request order, and the plan (None when ``request`` is not an
        object). The plan is only meant to be applied when no violation is an error.
    """
    if isinstance(request, Mapping) and not isinstance(request, dict):
        request = dict(request)
    if not isinstance(request, dict):
        return [
            Violation(
                "",
                "invalid_json",
                f"the request body must be a JSON object, got {describe(request)}",
            )
        ], None
    validator = _Validator(request, task, author, SeenBy(directory, author, task))
    validator.run()
    return validator.report.violations(), validator.plan


def validate(request: object, task: Task, author: Person, directory: Directory) -> list[Violation]:
    """Every problem Pyrus would find in ``request``, a CreateComment body for ``task``.

    Args:
        request: the decoded JSON body (any JSON value).
        task: the task the comment is for; not modified.
        author: who comments (a user or a bot).
        directory: lookups (persons, forms, catalogs, files, lists, the clock).

    Returns:
        The violations in request order: errors (Pyrus would refuse the request) and warnings
        (Pyrus would ignore the offending part). Empty when the request is fine.
    """
    return check(request, task, author, directory)[0]
