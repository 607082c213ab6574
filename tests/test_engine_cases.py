"""The CreateComment engine, case by case: every request key (§4.1) and every field type (§6.9).

Each case is a request, the task it goes to, who sends it, and either the exact
``error_code`` and JSON path of the first error, or (valid) the ``effect`` of the comment: what
the task and the new comment must show afterwards, with nothing else changed (see
:func:`case`). Structural cases (wrong JSON shapes) must also fail the shipped JSON Schema;
valid cases must pass it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
import pytest

from pyrus_mock.domain.model import FIELD_TYPES, Comment, Task
from pyrus_mock.engine import apply, errors_of, validate
from pyrus_mock.engine.validation import KNOWN_KEYS
from pyrus_mock.schema import load

from ._engine_world import World, build_world

Request = Callable[[World], Any]
Effect = Callable[[World], Mapping[str, Any]]


@dataclass(frozen=True)
class Case:
    request: Request
    code: str | None = None
    path: str = ""
    who: str = "ann"
    on: str = "form"
    structural: bool = False
    warning: str | None = None
    effect: Effect | None = None


def case(case_id: str, request: Any, code: str | None = None, path: str = "", *,
         effect: Any = None, **kw: Any) -> Any:  # fmt: skip
    """One table row; ``request`` and ``effect`` are values or ``lambda w: value`` (w: the World).

    ``effect`` (valid cases) maps what to look at after the comment to what it must be:

    * ``"task.<attr>"`` / ``"comment.<attr>"``, then ``.<attr>`` or ``.<index>`` steps:
      attributes of the task and of the new comment; persons and rows as plain tuples
      (``Approval`` -> ``(person_id, choice)``, ``TableRow`` -> ``(row_id, cells, durations,
      position)``, see :func:`_row` and :func:`_steps`);
    * ``"attachments.<index>.<attr>"``: the task's attachments as ``FileRecord`` objects;
    * ``"<field code>"``: the field's internal value in ``Task.values`` (``None``: no value), in
      the form documented in :mod:`pyrus_mock.model`; ``"<field code>.duration"``: its duration.

    Everything the effect does not name must be as it was: other task attributes and field
    values, and the comment's attributes (at their defaults); the comment's ``field_updates``
    must record exactly the named fields, with the values the task now holds.
    """
    req = request if callable(request) else (lambda w, r=request: r)
    eff = effect if effect is None or callable(effect) else (lambda w, e=effect: e)
    return pytest.param(Case(req, code, path, effect=eff, **kw), id=case_id)


def fu(code: str, value: Any, **extra: Any) -> dict[str, Any]:
    """``{"field_updates": [{"code": code, "value": value, ...}]}``."""
    return {"field_updates": [{"code": code, "value": value, **extra}]}


def _pid(w: World, name: str) -> dict[str, int]:
    return {"id": getattr(w, name).id}


# -- expected effects ----------------------------------------------------------------------------


def _ids(w: World, *names: str) -> list[int]:
    return [getattr(w, name).id for name in names]


def _steps(w: World, *steps: str) -> list[list[tuple[int, str]]]:
    """Expected ``task.approvals``, a string per step: ``"bob=approved cid"`` (default: waiting)."""
    out = []
    for step in steps:
        row = []
        for who in step.split():
            name, _, choice = who.partition("=")
            row.append((getattr(w, name).id, choice or "waiting"))
        out.append(row)
    return out


def _row(w: World, row_id: int, durations: dict[str, int] | None = None,
         **cells: Any) -> tuple[Any, ...]:  # fmt: skip
    """An expected table row: cell values (and durations) by column code."""
    return (row_id, {w.f(code).id: value for code, value in cells.items()},
            {w.f(code).id: d for code, d in (durations or {}).items()}, None)  # fmt: skip


def _chose(choice: str, step: int) -> dict[str, Any]:
    return {"comment.approval_choice": choice, "comment.approval_step": step}


def _responsible(w: World, name: str) -> dict[str, Any]:
    """Reassigning the form task, which has no responsible and no participants yet: the new
    responsible also joins the participants."""
    person_id = getattr(w, name).id
    return {
        "task.responsible_id": person_id,
        "comment.reassigned_to": person_id,
        "task.participant_ids": [person_id],
        "comment.participants_added": [person_id],
    }


def _attached(*file_ids: int) -> dict[str, Any]:
    return {"task.attachment_ids": list(file_ids), "comment.attachments": list(file_ids)}


def _submitted(w: World) -> list[list[tuple[int, str]]]:
    """The approvals once Ann has approved step 1."""
    return _steps(w, "ann=approved", "bob cid", "role")


# fmt: off
VALID = [
    # -- top-level keys ----------------------------------------------------------------------
    case("text", {"text": "Looks good"}, effect={"comment.text": "Looks good"}),
    case("formatted_text", {"formatted_text": "<b>Looks</b> good"},
         effect={"comment.formatted_text": "<b>Looks</b> good"}),
    case("subject", {"subject": "New subject"},
         effect={"task.subject": "New subject", "comment.subject": "New subject"}),
    case("approval-approved", {"approval_choice": "approved"}, effect=lambda w: {
        "task.approvals": _submitted(w), "task.current_step": 2, **_chose("approved", 1),
        "comment.changed_step": 2}),
    case("approval-rejected", {"approval_choice": "rejected", "text": "No budget"},
         effect=lambda w: {
        "task.approvals": _steps(w, "ann=rejected", "bob cid", "role"), "task.is_closed": True,
        **_chose("rejected", 1), "comment.action": "finished", "comment.text": "No budget"}),
    case("approval-acknowledged", {"approval_choice": "acknowledged"}, effect=lambda w: {
        "task.approvals": _steps(w, "ann=acknowledged", "bob cid", "role"),
        "task.current_step": 2, **_chose("acknowledged", 1), "comment.changed_step": 2}),
    case("approval-revoked-nothing-to-revoke", {"approval_choice": "revoked"},
         warning="nothing_to_revoke", effect=_chose("revoked", 1)),
    case("approval-steps", {"approval_choice": "approved", "approval_steps": [1]},
         effect=lambda w: {
        "task.approvals": _submitted(w), "task.current_step": 2, **_chose("approved", 1),
        "comment.changed_step": 2}),
    case("approval-step2-by-bob", {"approval_choice": "approved"}, who="bob", on="step2",
         effect=lambda w: {
        "task.approvals": _steps(w, "ann=approved", "bob=approved cid", "role"),
        **_chose("approved", 2)}),
    case("approval-by-role-member", {"approval_choice": "approved"}, who="eve", on="step3",
         effect=lambda w: {
        "task.approvals": _steps(w, "ann=approved", "bob=approved cid=approved", "role=approved"),
        "task.is_closed": True, **_chose("approved", 3), "comment.action": "finished"}),
    case("acknowledged-by-subscriber", {"approval_choice": "acknowledged"}, who="cid",
         effect=lambda w: {
        "task.subscribers": [(w.cid.id, "acknowledged")], **_chose("acknowledged", 1)}),
    case("complete-step2-with-required", lambda w: {
        "approval_choice": "approved", **fu("u_reason", "Within budget")},
         who="bob", on="step2_cid", effect=lambda w: {
        "task.approvals": _steps(w, "ann=approved", "bob=approved cid=approved", "role"),
        "task.current_step": 3, "u_reason": "Within budget", **_chose("approved", 2),
        "comment.changed_step": 3}),
    case("action-finished", {"action": "finished"},
         effect={"task.is_closed": True, "comment.action": "finished"}),
    case("action-reopened", {"action": "reopened"}, on="closed",
         effect={"task.is_closed": False, "comment.action": "reopened"}),
    case("action-finished-twice", {"action": "finished"}, on="closed",
         warning="task_already_closed", effect={"task.is_closed": True, "comment.action": None}),
    case("action-reopen-open-task", {"action": "reopened"}, warning="task_already_open",
         effect={"task.is_closed": False, "comment.action": None}),
    case("auto-reopen-skipped", {"text": "fyi", "skip_auto_reopen": True}, on="closed",
         effect={"task.is_closed": True, "comment.text": "fyi",
                 "comment.skip_auto_reopen": True}),
    case("reassign-by-id", lambda w: {"reassign_to": _pid(w, "bob")},
         effect=lambda w: _responsible(w, "bob")),
    case("reassign-by-email", {"reassign_to": {"email": "BOB@example.com"}},
         effect=lambda w: _responsible(w, "bob")),
    case("reassign-to-bot-login", lambda w: {"reassign_to": {"email": w.bot.email}},
         effect=lambda w: _responsible(w, "bot")),
    case("reassign-full-person", lambda w: {"reassign_to": {
        "id": w.bob.id, "email": w.bob.email, "first_name": "Bob", "type": "user"}},
         effect=lambda w: _responsible(w, "bob")),
    case("attachments-guid-string", lambda w: {"attachments": [w.upload.guid.upper()]},
         effect=lambda w: _attached(w.upload.id)),
    case("attachments-guid-object", lambda w: {"attachments": [{"guid": w.upload.guid}]},
         effect=lambda w: _attached(w.upload.id)),
    case("attachments-new-version", lambda w: {
        "attachments": [{"guid": w.upload2.guid, "root_id": w.upload.id}]}, effect=lambda w: {
        **_attached(w.upload2.id), "attachments.0.root_id": w.upload.id,
        "attachments.0.version": 2}),
    case("attachments-attachment-id", lambda w: {"attachments": [{"attachment_id": w.upload.id}]},
         effect=lambda w: _attached(w.upload.id)),
    case("attachments-link", {"attachments": [{"url": "https://example.com/a", "name": "A"}]},
         effect=lambda w: {  # the link is recorded as the next file
        **_attached(w.upload2.id + 1), "attachments.0.url": "https://example.com/a",
        "attachments.0.name": "A"}),
    case("approvals-added-nested", lambda w: {"approvals_added": [[], [_pid(w, "eve")]]},
         effect=lambda w: {"task.approvals": _steps(w, "ann", "bob cid eve", "role"),
                           "comment.approvals_added": [[], _ids(w, "eve")]}),
    case("approvals-added-flat", lambda w: {"approvals_added": [_pid(w, "eve")]},
         effect=lambda w: {"task.approvals": _steps(w, "ann eve", "bob cid", "role"),
                           "comment.approvals_added": [_ids(w, "eve")]}),
    case("approvals-removed-nested", lambda w: {"approvals_removed": [[], [_pid(w, "cid")]]},
         effect=lambda w: {"task.approvals": _steps(w, "ann", "bob", "role"),
                           "comment.approvals_removed": [[], _ids(w, "cid")]}),
    case("approvals-removed-absent", lambda w: {"approvals_removed": [_pid(w, "eve")]},
         warning="not_an_approver",
         effect=lambda w: {"comment.approvals_removed": [_ids(w, "eve")]}),
    case("approvals-rerequested-flat", lambda w: {"approvals_rerequested": [_pid(w, "bob")]},
         on="step2_bob", effect=lambda w: {"task.approvals": _submitted(w),
                                           "comment.approvals_rerequested": [[], _ids(w, "bob")]}),
    case("subscribers", lambda w: {"subscribers_added": [_pid(w, "eve")],
                                   "subscribers_removed": [_pid(w, "cid")],
                                   "subscribers_rerequested": [_pid(w, "cid")]},
         effect=lambda w: {
        "task.subscribers": [(w.eve.id, None)], "comment.subscribers_added": _ids(w, "eve"),
        "comment.subscribers_removed": _ids(w, "cid"),
        "comment.subscribers_rerequested": _ids(w, "cid")}),
    # The simple task's participants: bob (responsible) and its author, from its creation.
    case("participants", lambda w: {"participants_added": [_pid(w, "eve")],
                                    "participants_removed": [_pid(w, "bob")]}, on="simple",
         effect=lambda w: {
        "task.participant_ids": [w.task.author_id, w.eve.id],
        "comment.participants_added": _ids(w, "eve"),
        "comment.participants_removed": _ids(w, "bob")}),
    case("reassign-keeps-the-previous-responsible", lambda w: {"reassign_to": _pid(w, "eve")},
         on="simple", effect=lambda w: {
        "task.responsible_id": w.eve.id, "comment.reassigned_to": w.eve.id,
        "task.participant_ids": [w.bob.id, w.task.author_id, w.eve.id],
        "comment.participants_added": _ids(w, "eve")}),
    case("due-date", {"due_date": "2026-02-01"}, on="dated", effect={
        "task.due_date": "2026-02-01", "task.due": None, "task.duration": None,
        "comment.due_date": "2026-02-01"}),
    case("due-with-duration", {"due": "2026-02-01T10:00:00Z", "duration": 90}, effect={
        "task.due": "2026-02-01T10:00:00Z", "task.duration": 90,
        "comment.due": "2026-02-01T10:00:00Z", "comment.duration": 90}),
    case("cancel-due", {"cancel_due": True}, on="dated",
         effect={"task.due": None, "task.duration": None, "comment.cancel_due": True}),
    case("cancel-due-ignored", {"cancel_due": True, "due_date": "2026-02-01"},
         warning="ignored_parameter", effect={
        "task.due_date": "2026-02-01", "comment.due_date": "2026-02-01",
        "comment.cancel_due": False}),
    case("scheduled-date-today", {"scheduled_date": "2026-01-05"}, effect={
        "task.scheduled_date": "2026-01-05", "comment.scheduled_date": "2026-01-05"}),
    case("scheduled-datetime", {"scheduled_datetime_utc": "2026-01-05T09:00:01Z"}, on="dated",
         effect={"task.scheduled_datetime_utc": "2026-01-05T09:00:01Z",
                 "task.scheduled_date": None,
                 "comment.scheduled_datetime_utc": "2026-01-05T09:00:01Z"}),
    case("cancel-schedule", {"cancel_schedule": True}, on="dated",
         effect={"task.scheduled_date": None, "comment.cancel_schedule": True}),
    case("list-added", lambda w: {"added_list_ids": [w.project.id]}, effect=lambda w: {
        "task.list_ids": _ids(w, "project"), "comment.added_list_ids": _ids(w, "project")}),
    case("list-ids", lambda w: {"added_list_ids": [w.project.id],
                                "removed_list_ids": [w.project.id]}, on="dated",
         effect=lambda w: {"task.list_ids": [], "comment.added_list_ids": _ids(w, "project"),
                           "comment.removed_list_ids": _ids(w, "project")}),
    case("spent-minutes", {"spent_minutes": 45}, on="dated",  # added to the 15 already spent
         effect={"task.spent_minutes": 60, "comment.spent_minutes": 45}),
    case("channel", {"text": "Hi", "channel": {"type": "email",
                                               "to": {"email": "x@example.com", "name": "X"}}},
         effect={"comment.text": "Hi", "comment.channel": {
             "type": "email", "to": {"email": "x@example.com", "name": "X"}}}),
    case("skip-flags", {"text": "quiet", "skip_satisfaction": True, "skip_notification": True,
                        "skip_auto_reopen": False},
         effect={"comment.text": "quiet", "comment.skip_satisfaction": True,
                 "comment.skip_notification": True, "comment.skip_auto_reopen": False}),
    # comments[0] records the task's creation (by its author); comments[1] is Ann's "first".
    case("edit-own-comment", lambda w: {"edit_comment_id": w.task.comments[1].id,
                                        "text": "edited"}, effect=lambda w: {
        "task.comments.1.text": "edited", "comment.text": "edited",
        "comment.edit_comment_id": w.task.comments[1].id}),
    case("comment-as-roles", lambda w: {"text": "for accounting", "comment_as_roles":
                                        [_pid(w, "role")]}, who="eve",
         effect=lambda w: {"comment.text": "for accounting",
                           "comment.comment_as_roles": (w.role.id,)}),
    case("reply-note-id-ignored", {"text": "x", "reply_note_id": 5}, warning="ignored_parameter",
         effect={"comment.text": "x"}),
    case("unknown-key-warning", {"text": "x", "list_ids_added": [1]},
         warning="unknown_parameter", effect={"comment.text": "x"}),
    case("nulls-are-absent", {"text": "x", "due": None, "reassign_to": None},
         effect={"comment.text": "x", "task.due": None, "task.responsible_id": None}),
    # -- field types (values in the internal form of pyrus_mock.domain.model) ----------------------
    case("text-field", fu("u_title", "Desk"), effect={"u_title": "Desk"}),
    case("number-field", fu("u_qty", 3), effect={"u_qty": 3}),
    case("money-field", fu("u_amount", 1365.27), effect={"u_amount": 1365.27}),
    case("date-field", fu("u_start", "2026-02-28"), effect={"u_start": "2026-02-28"}),
    case("time-field", fu("u_time", "23:59"), effect={"u_time": "23:59"}),
    case("checkmark-field", fu("u_urgent", "checked"), effect={"u_urgent": "checked"}),
    case("flag-field", fu("u_flag", "none"), effect={"u_flag": "none"}),
    case("due-date-field-duration-string", fu("u_deadline", "2026-02-01", duration="140"),
         effect={"u_deadline": "2026-02-01", "u_deadline.duration": 140}),
    case("due-date-time-field", fu("u_meeting", "2026-02-01T10:00:00Z", duration=60),
         effect={"u_meeting": "2026-02-01T10:00:00Z", "u_meeting.duration": 60}),
    case("email-field", fu("u_email", "ann@example.com"), effect={"u_email": "ann@example.com"}),
    case("phone-field", fu("u_phone", "+7 800 555 3565"), effect={"u_phone": "+7 800 555 3565"}),
    case("catalog-item-id", lambda w: fu("u_city", {"item_id": w.item("Paris")}),
         effect=lambda w: {"u_city": [w.item("Paris")]}),
    case("catalog-item-ids-multiple", lambda w: fu("u_cities", {
        "item_ids": [w.item("Paris"), w.item("Rome")]}),
         effect=lambda w: {"u_cities": [w.item("Paris"), w.item("Rome")]}),
    case("catalog-item-name", fu("u_city", {"item_name": "Rome"}),
         effect=lambda w: {"u_city": [w.item("Rome")]}),
    case("catalog-item-names", fu("u_cities", {"item_names": ["Paris", "Rome"]}),
         effect=lambda w: {"u_cities": [w.item("Paris"), w.item("Rome")]}),
    case("person-field-email", fu("u_owner", {"email": "eve@example.com"}),
         effect=lambda w: {"u_owner": w.eve.id}),
    case("file-field", lambda w: fu("u_scans", [w.upload.guid, {"guid": w.upload2.guid}]),
         effect=lambda w: {"u_scans": [w.upload.id, w.upload2.id]}),  # not task attachments
    case("multiple-choice-ids-nested", fu("u_kind", {
        "choice_ids": [1], "fields": [{"code": "u_goods_note", "value": "fragile"}]}),
         effect={"u_kind": [1], "u_goods_note": "fragile"}),
    case("multiple-choice-names", fu("u_kind", {"choice_names": ["Other"]}),
         effect={"u_kind": [3]}),
    case("multiple-choice-choice-id", fu("u_kind", {"choice_id": 3}), effect={"u_kind": [3]}),
    case("title-checkmark-and-children", fu("u_details", {
        "checkmark": "checked", "fields": [{"code": "u_comment", "value": "see scan"},
                                           {"name": "Discount", "value": 5}]}),
         effect={"u_details": "checked", "u_comment": "see scan", "u_discount": 5}),
    case("table-add-rows", fu("u_items", [
        {"row_id": 7, "cells": [{"code": "u_item", "value": "Ink"},
                                {"code": "u_row_due", "value": "2026-03-01", "duration": 30}]},
        {"cells": [{"name": "Item", "value": "Paper"}], "position": 1}]),
         effect=lambda w: {"u_items": [  # the row without row_id gets the next free id, 8
             _row(w, 8, u_item="Paper"), _row(w, 0, u_item="Pen", u_price=1.5),
             _row(w, 7, {"u_row_due": 30}, u_item="Ink", u_row_due="2026-03-01")]}),
    case("table-update-and-add", fu("u_items", [
        {"row_id": 0, "cells": [{"code": "u_price", "value": 2}]},
        {"row_id": 1, "cells": [{"code": "u_item", "value": "New"}]}]),
         effect=lambda w: {"u_items": [_row(w, 0, u_item="Pen", u_price=2),
                                       _row(w, 1, u_item="New")]}),
    case("table-delete", fu("u_items", [{"row_id": 0, "delete": True}]),
         effect={"u_items": None}),
    case("form-link", lambda w: fu("u_related", {"task_ids": [w.other_task.id]}),
         effect=lambda w: {"u_related": [w.other_task.id]}),
    case("value-null-clears", fu("u_title", None), effect={"u_title": None}),
    case("table-null-clears", fu("u_items", None), effect={"u_items": None}),
    case("by-id-and-name", lambda w: {"field_updates": [
        {"id": w.f("u_qty").id, "name": "Qty", "value": 1}]}, effect={"u_qty": 1}),
    case("title-child-top-level", fu("u_discount", 10), effect={"u_discount": 10}),
    case("type-given-matches", fu("u_qty", 2, type="number"), effect={"u_qty": 2}),
    case("write-shape-copy-of-catalog", lambda w: fu("u_city", {
        "item_id": w.item("Paris"), "item_ids": [w.item("Paris")], "headers": ["Name"],
        "values": ["Paris", "FR"]}), effect=lambda w: {"u_city": [w.item("Paris")]}),
    case("field-update-by-bot", fu("u_qty", 1), who="bot", effect={"u_qty": 1}),
]

INVALID = [
    # -- structure -----------------------------------------------------------------------------
    case("not-an-object", ["text"], "invalid_json", "", structural=True),
    case("string-body", "hello", "invalid_json", "", structural=True),
    case("text-not-string", {"text": 5}, "invalid_value_format", "/text", structural=True),
    case("both-texts", {"text": "a", "formatted_text": "<p>b</p>"},
         "both_text_and_formatted_text_specified", "/formatted_text"),
    case("empty-request", {}, "text_missing", ""),
    case("only-unknown-keys", {"comment": "hi"}, "text_missing", ""),
    case("blank-text", {"text": " \n\t "}, "text_missing", ""),
    case("empty-approval-groups", {"approvals_added": [[], []]}, "text_missing", ""),
    case("subject-not-string", {"subject": ["a"]}, "invalid_value_format", "/subject",
         structural=True),
    # -- approvals -----------------------------------------------------------------------------
    case("approval-waiting", {"approval_choice": "waiting"}, "invalid_value_format",
         "/approval_choice", structural=True),
    case("approval-on-simple-task", {"approval_choice": "approved"}, "task_has_no_form",
         "/approval_choice", on="simple"),
    case("approval-by-non-approver", {"approval_choice": "approved"}, "access_denied",
         "/approval_choice", who="eve"),
    case("approval-steps-bad-number", {"approval_choice": "approved", "approval_steps": [7]},
         "invalid_step_number", "/approval_steps/0"),
    case("approval-steps-not-ints", {"approval_choice": "approved", "approval_steps": ["1"]},
         "invalid_value_format", "/approval_steps/0", structural=True),
    case("required-field-missing", {"approval_choice": "approved"}, "required_field_missing",
         "/approval_choice", on="bare"),
    case("required-option-field", fu("u_kind", {"choice_ids": [2]}) | {
        "approval_choice": "approved"}, "required_field_missing", "/approval_choice"),
    case("required-table-column", lambda w: {"approval_choice": "approved", **fu(
        "u_items", [{"row_id": 5, "cells": [{"code": "u_price", "value": 3}]}])},
         "required_table_field_missing", "/approval_choice", who="bob", on="step2_cid"),
    case("action-bad", {"action": "close"}, "invalid_value_format", "/action", structural=True),
    # -- persons -------------------------------------------------------------------------------
    case("reassign-empty", {"reassign_to": {}}, "person_identity_missing", "/reassign_to",
         structural=True),
    case("reassign-int", {"reassign_to": 5}, "invalid_value_format", "/reassign_to",
         structural=True),
    case("reassign-unknown-id", {"reassign_to": {"id": 999999}}, "invalid_person_id",
         "/reassign_to/id"),
    case("reassign-unknown-email", {"reassign_to": {"email": "nobody@example.com"}},
         "invalid_person_id_email", "/reassign_to/email"),
    case("reassign-fired", lambda w: {"reassign_to": _pid(w, "fred")}, "invalid_person_id",
         "/reassign_to/id"),
    case("reassign-id-email-mismatch", lambda w: {"reassign_to": {
        "id": w.bob.id, "email": "ann@example.com"}}, "invalid_person_id_email", "/reassign_to"),
    case("approvals-added-beyond-steps", lambda w: {"approvals_added": [
        [], [], [], [_pid(w, "bob")]]}, "invalid_step_number", "/approvals_added/3"),
    case("approvals-added-unknown-person", {"approvals_added": [[], [{"id": 424242}]]},
         "invalid_person_id", "/approvals_added/1/0/id"),
    case("approvals-added-mixed-shapes", lambda w: {"approvals_added": [[], _pid(w, "eve")]},
         "invalid_value_format", "/approvals_added/1"),
    case("approvals-removed-simple-task", lambda w: {"approvals_removed": [_pid(w, "bob")]},
         "task_has_no_form", "/approvals_removed", on="simple"),
    case("approvals-rerequested-not-list", {"approvals_rerequested": {"id": 1}},
         "invalid_value_format", "/approvals_rerequested", structural=True),
    case("subscribers-not-list", {"subscribers_added": {"id": 1}}, "invalid_value_format",
         "/subscribers_added", structural=True),
    case("participants-unknown", {"participants_added": [{"email": "x@nowhere"}]},
         "invalid_person_id_email", "/participants_added/0/email", on="simple"),
    case("comment-as-non-role", lambda w: {"text": "x", "comment_as_roles": [_pid(w, "bob")]},
         "invalid_person_id", "/comment_as_roles/0"),
    case("comment-as-foreign-role", lambda w: {"text": "x", "comment_as_roles": [
        _pid(w, "role")]}, "access_denied", "/comment_as_roles/0"),
    # -- files ---------------------------------------------------------------------------------
    case("attachment-unknown-guid", {"attachments": ["00000000-0000-4000-8000-000000000000"]},
         "unrecognized_attachment_id", "/attachments/0"),
    case("attachment-id-object", {"attachments": [{"id": 5}]}, "invalid_value_format",
         "/attachments/0", structural=True),
    case("attachment-unknown-attachment-id", {"attachments": [{"attachment_id": 1}]},
         "unrecognized_attachment_id", "/attachments/0/attachment_id"),
    case("attachment-bad-root", lambda w: {"attachments": [
        {"guid": w.upload.guid, "root_id": 77}]}, "unrecognized_attachment_id",
         "/attachments/0/root_id"),
    # -- dates ---------------------------------------------------------------------------------
    case("due-date-and-due", {"due_date": "2026-02-01", "due": "2026-02-01T10:00:00Z"},
         "either_due_date_or_due_can_be_set", "/due"),
    case("due-date-format", {"due_date": "2026-2-1"}, "invalid_value_format", "/due_date",
         structural=True),
    case("due-date-impossible", {"due_date": "2026-02-30"}, "invalid_value_format", "/due_date"),
    case("due-fractional-seconds", {"due": "2026-02-01T10:00:00.000Z"}, "invalid_value_format",
         "/due", structural=True),
    case("duration-without-due", {"due_date": "2026-02-01", "duration": 30}, "due_missing",
         "/duration"),
    case("duration-negative", {"due": "2026-02-01T10:00:00Z", "duration": -1},
         "negative_duration", "/duration"),
    case("duration-too-long", {"due": "2026-02-01T10:00:00Z", "duration": 600_000},
         "duration_is_too_long", "/duration"),
    case("duration-float", {"due": "2026-02-01T10:00:00Z", "duration": 1.5},
         "invalid_value_format", "/duration", structural=True),
    case("scheduled-date-past", {"scheduled_date": "2026-01-04"}, "scheduled_date_in_past",
         "/scheduled_date"),
    case("scheduled-datetime-past", {"scheduled_datetime_utc": "2026-01-05T08:59:59Z"},
         "scheduled_date_in_past", "/scheduled_datetime_utc"),
    case("scheduled-both", {"scheduled_date": "2026-02-01",
                            "scheduled_datetime_utc": "2026-02-01T10:00:00Z"},
         "invalid_value_format", "/scheduled_datetime_utc"),
    case("cancel-due-not-bool", {"cancel_due": "yes"}, "invalid_value_format", "/cancel_due",
         structural=True),
    # -- lists, time, channel, flags, edits ------------------------------------------------------
    case("list-unknown", {"added_list_ids": [4040]}, "access_denied_project",
         "/added_list_ids/0"),
    case("list-id-string", {"removed_list_ids": ["801"]}, "invalid_value_format",
         "/removed_list_ids/0", structural=True),
    case("spent-minutes-negative", {"spent_minutes": -5}, "invalid_value_format",
         "/spent_minutes", structural=True),
    case("channel-bad-type", {"text": "x", "channel": {"type": "pigeon"}},
         "invalid_value_format", "/channel/type", structural=True),
    case("channel-as-string", {"text": "x", "channel": "email"}, "invalid_value_format",
         "/channel", structural=True),
    case("channel-without-text", {"channel": {"type": "telegram"}},
         "external_comment_empty_text", "/channel"),
    case("skip-notification-string", {"text": "x", "skip_notification": "yes"},
         "invalid_value_format", "/skip_notification", structural=True),
    case("edit-unknown-comment", {"edit_comment_id": 1, "text": "x"}, "invalid_value_format",
         "/edit_comment_id"),
    case("edit-foreign-comment", lambda w: {"edit_comment_id": w.task.comments[0].id,
                                            "text": "x"}, "access_denied", "/edit_comment_id",
         who="bob"),
    case("edit-without-text", lambda w: {"edit_comment_id": w.task.comments[1].id},
         "text_missing", "/edit_comment_id"),
    # -- field identity ------------------------------------------------------------------------
    case("field-updates-not-list", {"field_updates": {"code": "u_qty"}}, "invalid_value_format",
         "/field_updates", structural=True),
    case("field-updates-simple-task", fu("u_qty", 1), "task_has_no_form", "/field_updates",
         on="simple"),
    case("field-identity-missing", {"field_updates": [{"value": 1}]}, "field_identity_missing",
         "/field_updates/0", structural=True),
    case("field-unknown-id", {"field_updates": [{"id": 999, "value": 1}]}, "invalid_field_id",
         "/field_updates/0/id"),
    case("field-id-string", {"field_updates": [{"id": "3", "value": 1}]}, "invalid_field_id",
         "/field_updates/0/id", structural=True),
    case("field-unknown-name", {"field_updates": [{"name": "Nope", "value": 1}]},
         "invalid_field_name", "/field_updates/0/name"),
    case("field-unknown-code", fu("u_nope", 1), "invalid_field_code", "/field_updates/0/code"),
    case("field-id-name-disagree", lambda w: {"field_updates": [
        {"id": w.f("u_qty").id, "name": "Amount", "value": 1}]}, "invalid_field_id_name",
         "/field_updates/0"),
    case("field-name-not-unique", {"field_updates": [{"name": "Dup", "value": "x"}]},
         "non_unique_name", "/field_updates/0/name"),
    case("field-duplicate", {"field_updates": [{"code": "u_qty", "value": 1},
                                               {"name": "Qty", "value": 2}]},
         "duplicate_field", "/field_updates/1"),
    case("field-in-table", fu("u_item", "Pen"), "field_is_in_table", "/field_updates/0"),
    case("field-type-mismatch", fu("u_qty", 1, type="text"), "invalid_value_format",
         "/field_updates/0/type"),
    case("field-value-missing", {"field_updates": [{"code": "u_qty"}]}, "invalid_value_format",
         "/field_updates/0", structural=True),
    case("field-update-not-object", {"field_updates": ["u_qty"]}, "invalid_value_format",
         "/field_updates/0", structural=True),
    case("read-only-step", fu("u_step", 2), "unable_to_edit_field", "/field_updates/0"),
    case("read-only-status", fu("u_status", "closed"), "unable_to_edit_field", "/field_updates/0"),
    case("read-only-note", fu("u_note", "x"), "unable_to_edit_field", "/field_updates/0"),
    case("read-only-author", lambda w: fu("u_author", _pid(w, "bob")), "unable_to_edit_field",
         "/field_updates/0"),
    case("read-only-project", fu("u_project", {"projects": []}), "unable_to_edit_field",
         "/field_updates/0"),
    case("read-only-creation-date", fu("u_created", "2026-01-01"), "unable_to_edit_field",
         "/field_updates/0"),
    case("immutable-from-step-2", fu("u_locked", "x"), "field_editing_is_not_allowed",
         "/field_updates/0", on="step2"),
    # -- field values --------------------------------------------------------------------------
    case("text-field-not-string", fu("u_title", 5), "invalid_value_format",
         "/field_updates/0/value"),
    case("text-too-long", fu("u_title", "x" * 100_001), "text_field_value_limit_exceeded",
         "/field_updates/0/value"),
    case("email-invalid", fu("u_email", "not-an-email"), "invalid_email",
         "/field_updates/0/value"),
    case("phone-number-not-string", fu("u_phone", 88005553565), "invalid_value_format",
         "/field_updates/0/value"),
    case("number-as-string", fu("u_qty", "3"), "invalid_value_format", "/field_updates/0/value"),
    case("number-bool", fu("u_qty", True), "invalid_value_format", "/field_updates/0/value"),
    case("money-decimals", fu("u_amount", 10.125), "too_many_decimal_places",
         "/field_updates/0/value"),
    case("date-field-format", fu("u_start", "01.02.2026"), "invalid_value_format",
         "/field_updates/0/value"),
    case("time-field-24h", fu("u_time", "24:00"), "invalid_value_format",
         "/field_updates/0/value"),
    case("checkmark-bool", fu("u_urgent", True), "invalid_value_format",
         "/field_updates/0/value"),
    case("flag-unknown", fu("u_flag", "raised"), "invalid_value_format",
         "/field_updates/0/value"),
    case("due-date-field-negative-duration", fu("u_deadline", "2026-02-01", duration=-5),
         "negative_duration", "/field_updates/0/duration"),
    case("due-date-field-duration-double-minus", fu("u_deadline", "2026-02-01", duration="--5"),
         "invalid_value_format", "/field_updates/0/duration"),
    case("due-date-field-duration-5000-digits",
         fu("u_deadline", "2026-02-01", duration="9" * 5000), "invalid_value_format",
         "/field_updates/0/duration"),
    case("due-date-field-duration-superscript", fu("u_deadline", "2026-02-01", duration="²"),
         "invalid_value_format", "/field_updates/0/duration"),
    case("due-date-time-field-date-only", fu("u_meeting", "2026-02-01"), "invalid_value_format",
         "/field_updates/0/value"),
    case("catalog-unknown-id", fu("u_city", {"item_ids": [1]}), "invalid_catalog_item_id",
         "/field_updates/0/value/item_ids/0"),
    case("catalog-unknown-name", fu("u_city", {"item_name": "Atlantis"}),
         "invalid_catalog_item_name", "/field_updates/0/value/item_name"),
    case("catalog-ambiguous-name", fu("u_city", {"item_names": ["Springfield"]}),
         "non_unique_catalog_item_name", "/field_updates/0/value/item_names/0"),
    case("catalog-several-on-single", lambda w: fu("u_city", {
        "item_ids": [w.item("Paris"), w.item("Rome")]}), "invalid_value_format",
         "/field_updates/0/value"),
    case("catalog-id-name-mismatch", lambda w: fu("u_city", {
        "item_id": w.item("Paris"), "item_name": "Rome"}), "catalog_item_id_name_mismatch",
         "/field_updates/0/value"),
    case("catalog-bare-int", fu("u_city", 5), "invalid_value_format", "/field_updates/0/value"),
    case("person-field-unknown", fu("u_owner", {"id": 31337}), "invalid_person_id",
         "/field_updates/0/value/id"),
    case("file-field-unknown-guid", fu("u_scans", ["nope"]), "unrecognized_attachment_id",
         "/field_updates/0/value/0"),
    case("file-field-not-list", lambda w: fu("u_scans", w.upload.guid), "invalid_value_format",
         "/field_updates/0/value"),
    case("choice-unknown-id", fu("u_kind", {"choice_ids": [9]}), "invalid_value_format",
         "/field_updates/0/value/choice_ids/0"),
    case("choice-unknown-name", fu("u_kind", {"choice_names": ["Gold"]}), "invalid_value_format",
         "/field_updates/0/value/choice_names/0"),
    case("choice-nested-foreign-field", fu("u_kind", {
        "choice_ids": [1], "fields": [{"code": "u_title", "value": "x"}]}), "invalid_field_code",
         "/field_updates/0/value/fields/0/code"),
    case("title-bad-checkmark", fu("u_details", {"checkmark": "yes"}), "invalid_value_format",
         "/field_updates/0/value/checkmark"),
    case("title-bare-string", fu("u_details", "x"), "invalid_value_format",
         "/field_updates/0/value"),
    case("title-nested-bad-value", fu("u_details", {"fields": [
        {"code": "u_comment", "value": "ok"}, {"code": "u_discount", "value": "5%"}]}),
         "invalid_value_format", "/field_updates/0/value/fields/1/value"),
    case("table-not-list", fu("u_items", {"row_id": 0}), "invalid_value_format",
         "/field_updates/0/value"),
    case("table-row-not-object", fu("u_items", [5]), "invalid_table_row",
         "/field_updates/0/value/0"),
    case("table-row-id-string", fu("u_items", [{"row_id": "1", "cells": []}]),
         "invalid_table_row", "/field_updates/0/value/0/row_id"),
    case("table-delete-unknown-row", fu("u_items", [{"row_id": 9, "delete": True}]),
         "invalid_table_row", "/field_updates/0/value/0/row_id"),
    case("table-row-twice", fu("u_items", [{"row_id": 3}, {"row_id": 3}]), "invalid_table_row",
         "/field_updates/0/value/1/row_id"),
    case("table-bad-position", fu("u_items", [{"row_id": 3, "position": 0}]),
         "invalid_position", "/field_updates/0/value/0/position"),
    case("table-cell-bad-value", fu("u_items", [
        {"row_id": 0, "cells": [{"code": "u_item", "value": "ok"},
                                {"code": "u_price", "value": "cheap"}]}]),
         "invalid_value_format", "/field_updates/0/value/0/cells/1/value"),
    case("table-cell-unknown-column", fu("u_items", [
        {"row_id": 0, "cells": [{"code": "u_title", "value": "x"}]}]), "invalid_field_code",
         "/field_updates/0/value/0/cells/0/code"),
    case("form-link-unknown-task", fu("u_related", {"task_ids": [123]}), "access_denied_task",
         "/field_updates/0/value/task_ids/0"),
    case("form-link-bare-list", fu("u_related", [123]), "invalid_value_format",
         "/field_updates/0/value"),
]

# fmt: on

CASES = VALID + INVALID


def _task_for(w: World, on: str) -> Any:
    task = w.task
    if on == "simple":
        return w.simple_task()
    if on == "bare":
        return w.new_task(fields={})
    if on == "closed":
        w.comment(task, {"action": "finished"}, w.ann)
    if on == "dated":
        w.comment(task, {"due": "2026-01-20T10:00:00Z", "duration": 30,
                         "scheduled_date": "2026-01-10", "added_list_ids": [w.project.id],
                         "spent_minutes": 15}, w.ann)  # fmt: skip
    if on in ("step2", "step2_bob", "step2_cid", "step3"):
        w.comment(task, {"approval_choice": "approved"}, w.ann)
    if on == "step2_bob":
        w.comment(task, {"approval_choice": "approved"}, w.bob)
    if on in ("step2_cid", "step3"):
        w.comment(task, {"approval_choice": "approved"}, w.cid)
    if on == "step3":
        w.comment(task, {"approval_choice": "approved", **fu("u_reason", "ok")}, w.bob)
    return task


#: Task attributes every comment changes, or that follow ``current_step`` / ``is_closed``.
_BOOKKEEPING = frozenset({"comments", "last_modified_date", "step_entered_at", "close_date"})
_ROOTS = ("task", "comment", "attachments")


def _plain(value: Any) -> Any:
    """Dataclasses as tuples, containers copied: comparable with ``==`` and safe to keep."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.astuple(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _observe(w: World, task: Task, comment: Comment, path: str) -> Any:
    """What ``path`` (see :func:`case`) shows after the comment."""
    root, *steps = path.split(".")
    value: Any
    if root == "task":
        value = task
    elif root == "comment":
        value = comment
    elif root == "attachments":
        value = [w.backend.find_file(file_id) for file_id in task.attachment_ids]
    elif steps == ["duration"]:
        return task.durations.get(w.f(root).id)
    else:
        value = task.values.get(w.f(root).id)
    for step in steps:
        value = value[int(step)] if step.isdigit() else getattr(value, step)
    return _plain(value)


def _task_state(task: Task, fields: set[int], durations: set[int]) -> dict[str, Any]:
    """The task's attributes, except bookkeeping and the given field values and durations."""
    state = {f.name: _plain(getattr(task, f.name)) for f in dataclasses.fields(task)
             if f.name not in _BOOKKEEPING}  # fmt: skip
    state["values"] = {k: v for k, v in state["values"].items() if k not in fields}
    state["durations"] = {k: v for k, v in state["durations"].items() if k not in durations}
    return state


def _check_effect(w: World, effect: Mapping[str, Any], task: Task, before: Task,
                  comment: Comment) -> None:  # fmt: skip
    """The comment did what ``effect`` says, and nothing else (see :func:`case`)."""
    observed = {path: _observe(w, task, comment, path) for path in effect}
    assert observed == dict(effect)
    paths = [path.split(".") for path in effect]
    codes = [p[0] for p in paths if p[0] not in _ROOTS and len(p) == 1]
    fields = {w.f(code).id for code in codes}
    durations = {w.f(p[0]).id for p in paths if p[0] not in _ROOTS and p[1:] == ["duration"]}
    # The task: what the effect does not name is as it was.
    named = {p[1] for p in paths if p[0] == "task"}
    now, then = _task_state(task, fields, durations), _task_state(before, fields, durations)
    changed = sorted(k for k in now if k not in named and now[k] != then[k])
    assert changed == [], "the comment changed the task beyond its expected effect"
    # The comment: field_updates records the named fields as the task now holds them ...
    recorded = {w.form.by_id[fid].code: (_plain(value), duration)
                for fid, value, duration in comment.field_updates}  # fmt: skip
    assert recorded == {code: (observed[code], observed.get(f"{code}.duration")) for code in codes}
    # ... and every attribute it does not name is at its default.
    blank = Comment(id=comment.id, create_date=comment.create_date, author_id=comment.author_id)
    said = {p[1] for p in paths if p[0] == "comment"} | {"field_updates"}
    extra = {
        f.name: getattr(comment, f.name)
        for f in dataclasses.fields(Comment)
        if f.name not in said and getattr(comment, f.name) != getattr(blank, f.name)
    }
    assert extra == {}, "the comment recorded more than its expected effect"


@pytest.mark.parametrize("case", CASES)
def test_case(case: Case) -> None:
    w = build_world()
    task = _task_for(w, case.on)
    author = getattr(w, case.who)
    request = case.request(w)
    violations = validate(request, task, author, w.backend)
    for v in violations:
        assert v.path == "" or v.path.startswith("/"), v
        assert len(v.message) > 15, v
    errors = errors_of(violations)
    if case.code is None:
        assert errors == [], violations
        if case.warning is not None:
            assert case.warning in [v.error_code for v in violations], violations
        assert case.effect is not None, "a valid case says what the comment changes (effect=)"
        before = copy.deepcopy(task)
        comment = apply(request, task, author, w.backend)
        assert len(task.comments) == len(before.comments) + 1
        assert task.comments[-1] is comment
        assert comment.author_id == author.id
        assert task.last_modified_date == comment.create_date
        assert (task.close_date is not None) == task.is_closed
        _check_effect(w, case.effect(w), task, before, comment)
    else:
        assert errors, f"expected {case.code} at {case.path!r}, got no error"
        first = errors[0]
        assert (first.error_code, first.path) == (case.code, case.path), violations


def test_table_size() -> None:
    assert len(CASES) >= 90
    assert len({p.id for p in CASES}) == len(CASES)


def test_cases_cover_every_key_and_field_type() -> None:
    w = build_world()
    keys: set[str] = set()
    types: set[str] = set()
    for param in CASES:
        request = param.values[0].request(w)
        if not isinstance(request, dict):
            continue
        keys.update(request)
        for item in request.get("field_updates") or []:
            if not isinstance(item, dict):
                continue
            fd = None
            if "code" in item:
                fd = next((f for f in w.form.by_id.values() if f.code == item["code"]), None)
            elif isinstance(item.get("id"), int):
                fd = w.form.by_id.get(item["id"])
            if fd is not None:
                types.add(fd.type)
    assert keys >= KNOWN_KEYS, sorted(KNOWN_KEYS - keys)
    assert types >= FIELD_TYPES, sorted(FIELD_TYPES - types)


# -- the shipped JSON Schema ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema_validator() -> jsonschema.Draft202012Validator:
    schema = load()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_knows_the_engine_keys() -> None:
    assert set(load()["properties"]) == KNOWN_KEYS


@pytest.mark.parametrize("case", VALID)
def test_valid_cases_pass_the_schema(
    case: Case, schema_validator: jsonschema.Draft202012Validator
) -> None:
    request = case.request(build_world())
    assert list(schema_validator.iter_errors(request)) == []


@pytest.mark.parametrize("case", [p for p in INVALID if p.values[0].structural])
def test_structural_cases_fail_the_schema(
    case: Case, schema_validator: jsonschema.Draft202012Validator
) -> None:
    request = case.request(build_world())
    assert list(schema_validator.iter_errors(request)) != []
