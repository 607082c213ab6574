"""What validation resolves a request into, and apply carries out.

:func:`~pyrus_mock.engine.validation.check` turns a CreateComment body into a :class:`Plan`:
persons resolved to ids, files to :class:`FileRef`, field updates to internal values, and the
workflow outcome computed against a copy of the approvals. Nothing in a plan refers to mutable
task state, so building one never changes the task, and applying one never re-validates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..domain.model import Approval, ApprovalChoice

__all__ = ["FileRef", "Outcome", "Plan", "RowWrite", "TableWrite", "ValueWrite"]


@dataclass(frozen=True, slots=True)
class FileRef:
    """A NewFile resolved: an existing file record, or a link to create when applying.

    Attributes:
        file_id: an uploaded file (by guid) or an existing attachment (by ``attachment_id``).
        root_id: the upload is a new version of this file.
        url: a link attachment (``{url, name}``): created by :meth:`Directory.add_link_file`.
        name: the link's name.
    """

    file_id: int | None = None
    root_id: int | None = None
    url: str = ""
    name: str = ""


@dataclass(slots=True)
class ValueWrite:
    """A new value for a field held in ``Task.values`` (or in a table row's cells).

    Attributes:
        field_id: the field.
        value: the internal value (see :mod:`pyrus_mock.domain.model`); None clears it. File fields
            hold a list of :class:`FileRef` until applied.
        duration: the new duration of a due_date / due_date_time field.
        set_duration: whether ``duration`` is written (due types only).
        is_file: the value is a list of :class:`FileRef`.
    """

    field_id: int
    value: Any
    duration: int | None = None
    set_duration: bool = False
    is_file: bool = False


@dataclass(slots=True)
class RowWrite:
    """One row of a table write: add, update or delete."""

    row_id: int
    new: bool = False
    delete: bool = False
    position: int | None = None
    cells: list[ValueWrite] = field(default_factory=list)


@dataclass(slots=True)
class TableWrite:
    """Rows to add, update or delete in a table field; ``clear`` removes every row first."""

    field_id: int
    clear: bool = False
    rows: list[RowWrite] = field(default_factory=list)


@dataclass(slots=True)
class Outcome:
    """The workflow after the request: approvals, step and open/closed state.

    Attributes:
        approvals: the task's new approvals (fresh objects), or None when unchanged.
        subscriber_choice: the author acknowledged as a subscriber (not as an approver).
        step: the new current step.
        closed: whether the task is closed afterwards.
        action: ``finished`` / ``reopened`` when this comment closes / reopens the task.
        approval_step: the step the author's approval_choice applied to.
        changed_step: the step the task moved forward to.
        reset_to_step: the step the task went back to.
        passed: steps completed by this comment (their required fields must be filled).
        entered: steps entered by this comment (their ``step_entered_at`` is set).
    """

    approvals: list[list[Approval]] | None = None
    subscriber_choice: str | None = None
    step: int | None = None
    closed: bool = False
    action: str | None = None
    approval_step: int | None = None
    changed_step: int | None = None
    reset_to_step: int | None = None
    passed: list[int] = field(default_factory=list)
    entered: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Plan:
    """A validated CreateComment request, ready to apply.

    Person lists are ids; ``approvals_*`` map a step number to person ids; field writes are in
    request order.
    """

    text: str = ""
    formatted_text: str = ""
    subject: str | None = None
    reassign_to: int | None = None
    approval_choice: ApprovalChoice | None = None
    approval_steps: list[int] = field(default_factory=list)
    action: str | None = None
    attachments: list[FileRef] = field(default_factory=list)
    writes: list[ValueWrite | TableWrite] = field(default_factory=list)
    approvals_added: dict[int, list[int]] = field(default_factory=dict)
    approvals_removed: dict[int, list[int]] = field(default_factory=dict)
    approvals_rerequested: dict[int, list[int]] = field(default_factory=dict)
    subscribers_added: list[int] = field(default_factory=list)
    subscribers_removed: list[int] = field(default_factory=list)
    subscribers_rerequested: list[int] = field(default_factory=list)
    participants_added: list[int] = field(default_factory=list)
    participants_removed: list[int] = field(default_factory=list)
    due_date: str | None = None
    due: str | None = None
    duration: int | None = None
    cancel_due: bool = False
    scheduled_date: str | None = None
    scheduled_datetime_utc: str | None = None
    cancel_schedule: bool = False
    added_list_ids: list[int] = field(default_factory=list)
    removed_list_ids: list[int] = field(default_factory=list)
    spent_minutes: int | None = None
    channel: dict[str, Any] | None = None
    comment_as_roles: list[int] = field(default_factory=list)
    skip_satisfaction: bool = False
    skip_notification: bool = False
    skip_auto_reopen: bool = False
    edit_comment_id: int | None = None
    outcome: Outcome | None = None
