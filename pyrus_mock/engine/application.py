"""Applying a validated CreateComment request: one new comment and the changes it records.

:func:`apply` validates first (:func:`~pyrus_mock.engine.validation.check`) and touches nothing
unless the request has no error: no task attribute changes and no id is consumed. Then it
appends exactly one :class:`~pyrus_mock.domain.model.Comment` whose attributes use the output names
of contract §4.4, and changes the task:

* ``field_updates``: values in ``Task.values`` / ``Task.durations`` (table cells in their
  rows). The comment keeps ``(field_id, value, duration)`` snapshots of every written field;
  a table's snapshot is the whole table after the change.
* ``attachments``: each file becomes an attachment of the task (``Task.attachment_ids``); a
  ``{url, name}`` link is recorded through :meth:`Directory.add_link_file`; ``{guid, root_id}``
  makes the upload the next version of ``root_id``. Files written to a file field are the
  field's, not task attachments.
* Workflow (approvals, steps, closing, reopening): see :mod:`.workflow`.
* ``reassign_to`` -> ``responsible`` and ``reassigned_to``; the new responsible joins the
  participants and the previous one stays among them (``participants_added`` records who
  joined, :func:`.creation.keep_participants`); ``subject``; subscribers and
  participants (removing someone absent changes nothing); ``due_date`` / ``due`` +
  ``duration`` replace each other, ``cancel_due`` clears all three; ``scheduled_date`` /
  ``scheduled_datetime_utc`` replace each other, ``cancel_schedule`` clears both; lists;
  ``spent_minutes`` is added to the task's total.
* ``edit_comment_id``: the edited comment gets the new text; the new comment records the edit.
* ``comment_as_roles``: the roles the author speaks for are recorded on the comment.

``last_modified_date`` becomes the fake's time without microseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import copy
from datetime import datetime
from typing import Any

from ..domain.errors import CommentRejected
from ..domain.ids import parse_decimal
from ..domain.model import Comment, FileRecord, Form, Person, Subscriber, TableRow, Task
from ..domain.violations import Violation, errors_of
from .common import Report, is_int
from .context import Directory
from .creation import keep_participants
from .fieldupdates import FieldContext, update_one
from .plan import FileRef, Plan, TableWrite, ValueWrite
from .validation import check

__all__ = ["apply", "write_initial_fields"]


def apply(
    request: Mapping[str, Any],
    task: Task,
    author: Person,
    directory: Directory,
    *,
    report: list[Violation] | None = None,
) -> Comment:
    """Validate ``request`` and apply it to ``task`` as one new comment by ``author``.

    Args:
        request: a CreateComment body (a decoded JSON object).
        task: the task; changed only when the request is valid.
        author: who comments.
        directory: lookups, ids and the clock.
        report: when given, receives every violation found, warnings included, in request
            order (whether or not the request is applied), so callers need no second pass.

    Returns:
        The new comment (already appended to ``task.comments``).

    Raises:
        CommentRejected: the request has errors; ``violations`` lists them. The task is
            unchanged.
    """
    violations, plan = check(request, task, author, directory)
    if report is not None:
        report.extend(violations)
    errors = errors_of(violations)
    if errors or plan is None:
        raise CommentRejected(errors or violations)
    now = directory.now().replace(microsecond=0)
    comment = Comment(
        id=directory.next_id("comment"),
        create_date=now,
        author_id=author.id,
        text=plan.text,
        formatted_text=plan.formatted_text,
    )
    _carry_out(plan, task, author, directory, comment, now)
    task.comments.append(comment)
    task.last_modified_date = now
    return comment


def write_initial_fields(
    task: Task,
    form: Form,
    values: Mapping[str | int, Any],
    directory: Directory,
    *,
    snapshots: list[tuple[int, Any, int | None]] | None = None,
) -> list[Violation]:
    """Write field values of a new task (no comment is added).

    Args:
        task: the new task (its ``form_id`` is ``form``'s).
        form: the form.
        values: write-shape values keyed by field code, name or id (an int or a numeric
            string). Codes are tried before names.
        directory: lookups.
        snapshots: when given, receives a comment's ``field_updates`` snapshot of every field
            written (for the task's creation comment).

    Returns:
        The violations, with paths ``/fields/<key>``. Nothing is written when one of them is an
        error.
    """
    report = Report()
    ctx = FieldContext(report, directory, form, task, check_immutable=False)
    prefixes: list[str] = []
    for key, value in values.items():
        path = "/fields/" + str(key).replace("~", "~0").replace("/", "~1")
        prefixes.append(path)
        item: dict[str, Any] = {"value": value}
        if is_int(key):
            item["id"] = key
        elif isinstance(key, str) and parse_decimal(key) is not None:
            item["id"] = parse_decimal(key)
        elif isinstance(key, str) and any(f.code == key for f in form.by_id.values()):
            item["code"] = key
        else:
            item["name"] = key
        update_one(ctx, path, item, None, ctx.writes, ctx.seen)
    violations = [_shorten(v, prefixes) for v in report.violations()]
    if report.errors:
        return violations
    for write in ctx.writes:
        snapshot = _write(task, write, directory, task.author_id)
        if snapshots is not None:
            snapshots.append(snapshot)
    return violations


def _shorten(violation: Violation, prefixes: list[str]) -> Violation:
    """``/fields/<key>/value/...`` -> ``/fields/<key>/...``: the caller gave values directly."""
    for prefix in prefixes:
        if violation.path.startswith(prefix + "/value"):
            rest = violation.path[len(prefix) + len("/value") :]
            return Violation(prefix + rest, violation.error_code, violation.message,
                             violation.severity)  # fmt: skip
    return violation


# -- carrying out a plan ---------------------------------------------------------------------


def _carry_out(plan: Plan, task: Task, author: Person, directory: Directory, comment: Comment,
               now: datetime) -> None:  # fmt: skip
    if plan.subject is not None:
        task.subject = comment.subject = plan.subject
    previous_responsible = task.responsible_id
    if plan.reassign_to is not None:
        task.responsible_id = comment.reassigned_to = plan.reassign_to
    for write in plan.writes:
        comment.field_updates.append(_write(task, write, directory, author.id))
    for ref in plan.attachments:
        file_id = _file_id(ref, directory, author.id, task)
        if file_id not in task.attachment_ids:
            task.attachment_ids.append(file_id)
        comment.attachments.append(file_id)
    _workflow(plan, task, comment, now)
    _people(plan, task, comment)
    if plan.reassign_to is not None:
        keep_participants(task, previous_responsible, plan.reassign_to, comment)
    _dates(plan, task, comment)
    for list_id in plan.added_list_ids:
        if list_id not in task.list_ids:
            task.list_ids.append(list_id)
    for list_id in plan.removed_list_ids:
        if list_id in task.list_ids:
            task.list_ids.remove(list_id)
    comment.added_list_ids = list(plan.added_list_ids)
    comment.removed_list_ids = list(plan.removed_list_ids)
    if plan.spent_minutes:
        task.spent_minutes += plan.spent_minutes
        comment.spent_minutes = plan.spent_minutes
    comment.channel = plan.channel
    if plan.comment_as_roles:
        comment.comment_as_roles = tuple(plan.comment_as_roles)
    comment.skip_satisfaction = plan.skip_satisfaction
    comment.skip_notification = plan.skip_notification
    comment.skip_auto_reopen = plan.skip_auto_reopen
    if plan.edit_comment_id is not None:
        comment.edit_comment_id = plan.edit_comment_id
        for old in task.comments:
            if old.id == plan.edit_comment_id:
                old.text, old.formatted_text = plan.text, plan.formatted_text


def _workflow(plan: Plan, task: Task, comment: Comment, now: datetime) -> None:
    outcome = plan.outcome
    if outcome is None:
        return
    if outcome.approvals is not None:
        task.approvals = outcome.approvals
    if outcome.subscriber_choice is not None:
        for sub in task.subscribers:
            if sub.person_id == comment.author_id:
                sub.choice = "acknowledged"
    if plan.approval_choice is not None:
        comment.approval_choice = plan.approval_choice
        comment.approval_step = outcome.approval_step
    comment.approvals_added = _by_step(plan.approvals_added)
    comment.approvals_removed = _by_step(plan.approvals_removed)
    comment.approvals_rerequested = _by_step(plan.approvals_rerequested)
    if outcome.step is not None:
        task.current_step = outcome.step
    for number in outcome.entered:
        task.step_entered_at[number] = now.timestamp()
    comment.changed_step = outcome.changed_step
    comment.reset_to_step = outcome.reset_to_step
    if outcome.action == "finished":
        task.is_closed = True
        task.close_date = now
    elif outcome.action == "reopened":
        task.is_closed = False
        task.close_date = None
    comment.action = outcome.action


def _by_step(groups: dict[int, list[int]]) -> list[list[int]]:
    if not groups:
        return []
    out: list[list[int]] = [[] for _ in range(max(groups))]
    for number, ids in groups.items():
        out[number - 1] = list(ids)
    return out


def _people(plan: Plan, task: Task, comment: Comment) -> None:
    subscribed = {s.person_id: s for s in task.subscribers}
    for pid in plan.subscribers_added:
        if pid not in subscribed:
            subscribed[pid] = Subscriber(pid)
            task.subscribers.append(subscribed[pid])
    for pid in plan.subscribers_rerequested:
        if pid in subscribed:
            subscribed[pid].choice = "waiting"
    if plan.subscribers_removed:
        gone = set(plan.subscribers_removed)
        task.subscribers = [s for s in task.subscribers if s.person_id not in gone]
    for pid in plan.participants_added:
        if pid not in task.participant_ids:
            task.participant_ids.append(pid)
    if plan.participants_removed:
        gone = set(plan.participants_removed)
        task.participant_ids = [p for p in task.participant_ids if p not in gone]
    comment.subscribers_added = list(plan.subscribers_added)
    comment.subscribers_removed = list(plan.subscribers_removed)
    comment.subscribers_rerequested = list(plan.subscribers_rerequested)
    comment.participants_added = list(plan.participants_added)
    comment.participants_removed = list(plan.participants_removed)


def _dates(plan: Plan, task: Task, comment: Comment) -> None:
    if plan.cancel_due:
        task.due_date = task.due = task.duration = None
        comment.cancel_due = True
    if plan.due_date is not None:
        task.due_date = comment.due_date = plan.due_date
        task.due = task.duration = None
    if plan.due is not None:
        task.due = comment.due = plan.due
        task.duration = comment.duration = plan.duration
        task.due_date = None
    if plan.cancel_schedule:
        task.scheduled_date = task.scheduled_datetime_utc = None
        comment.cancel_schedule = True
    if plan.scheduled_date is not None:
        task.scheduled_date = comment.scheduled_date = plan.scheduled_date
        task.scheduled_datetime_utc = None
    if plan.scheduled_datetime_utc is not None:
        task.scheduled_datetime_utc = comment.scheduled_datetime_utc = plan.scheduled_datetime_utc
        task.scheduled_date = None


# -- field writes ------------------------------------------------------------------------------


def _write(task: Task, write: ValueWrite | TableWrite, directory: Directory,
           author_id: int) -> tuple[int, Any, int | None]:  # fmt: skip
    """Carry out one field write; returns the comment's snapshot of the field."""
    if isinstance(write, TableWrite):
        rows = _write_table(task, write, directory, author_id)
        snapshot = [TableRow(r.row_id, dict(r.cells), dict(r.durations), r.position) for r in rows]
        return (write.field_id, snapshot or None, None)
    value = _set(task.values, task.durations, write, directory, author_id, task)
    duration = task.durations.get(write.field_id) if write.set_duration else None
    return (write.field_id, copy(value), duration)


def _set(values: dict[int, Any], durations: dict[int, int], write: ValueWrite,
         directory: Directory, author_id: int, task: Task) -> Any:  # fmt: skip
    value = write.value
    if write.is_file and value is not None:
        value = [_file_id(ref, directory, author_id, task) for ref in value] or None
    if value is None:
        values.pop(write.field_id, None)
    else:
        values[write.field_id] = value
    if write.set_duration:
        if write.duration is None or value is None:
            durations.pop(write.field_id, None)
        else:
            durations[write.field_id] = write.duration
    return value


def _write_table(task: Task, write: TableWrite, directory: Directory,
                 author_id: int) -> list[TableRow]:  # fmt: skip
    current = task.values.get(write.field_id)
    rows: list[TableRow] = [] if write.clear or not isinstance(current, list) else current
    by_id = {row.row_id: row for row in rows}
    placed: list[tuple[int, TableRow]] = []
    for rw in write.rows:
        if rw.delete:
            row = by_id.pop(rw.row_id, None)
            if row is not None:
                rows.remove(row)
            continue
        row = by_id.get(rw.row_id)
        if row is None:
            row = by_id[rw.row_id] = TableRow(rw.row_id)
            rows.append(row)
        for cell in rw.cells:
            _set(row.cells, row.durations, cell, directory, author_id, task)
        if rw.position is not None:
            placed.append((rw.position, row))
    for position, row in sorted(placed, key=lambda p: p[0]):
        rows.remove(row)
        rows.insert(min(position - 1, len(rows)), row)
    for row in rows:
        row.position = None  # positions follow the order of the list
    if rows:
        task.values[write.field_id] = rows
    else:
        task.values.pop(write.field_id, None)
    return rows


def _file_id(ref: FileRef, directory: Directory, author_id: int, task: Task) -> int:
    """The file id a NewFile resolves to; links and new versions are recorded here."""
    if ref.file_id is None:
        return directory.add_link_file(ref.url, ref.name, author_id).id
    record = directory.find_file(ref.file_id)
    if ref.root_id is not None and record is not None:
        root: FileRecord | None = directory.find_file(ref.root_id)
        if root is not None and root is not record:
            record.root_id = root.root_id or root.id
            record.version = root.version + 1
    return ref.file_id
