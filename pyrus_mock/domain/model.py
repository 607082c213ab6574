"""The domain: small typed records for everything the fake keeps.

No HTTP and no JSON here: :mod:`pyrus_mock.state.serialize` turns these into Pyrus wire shapes.
Field values on a task are held in an internal form (see :class:`Task.values`) that the comment
engine writes and the serialiser reads.

Internal value per field type (``Task.values[field_id]``):

==================  ==========================================================
text, email, phone  ``str``
number, money       ``int | float``
date, due_date      ``str`` ``YYYY-MM-DD`` (due_date's duration in ``Task.durations``)
due_date_time       ``str`` ``YYYY-MM-DDThh:mm:ssZ`` (duration in ``Task.durations``)
time                ``str`` ``HH:mm``
checkmark           ``"checked" | "unchecked"``
flag                ``"none" | "checked" | "unchecked"``
person              ``int`` person id
catalog             ``list[int]`` catalog item ids
file                ``list[int]`` file ids
multiple_choice     ``list[int]`` choice ids
form_link           ``list[int]`` task ids
title               ``"checked" | "unchecked"`` or absent (children hold their own values)
table               ``list[TableRow]``
==================  ==========================================================

``author``, ``creation_date``, ``step``, ``status``, ``note`` and ``project`` are read-only and
derived from the task when it is serialised.

The records print short (``<Task 10000001 form=301 step=2 open responsible=1001 comments=3>``)
so that pytest assertion messages stay readable; secrets (security keys, token values) show
only their last four characters.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "FIELD_TYPES",
    "READ_ONLY_TYPES",
    "Approval",
    "BotAccount",
    "Catalog",
    "CatalogHeader",
    "CatalogItem",
    "Choice",
    "Comment",
    "FieldDef",
    "FileRecord",
    "Form",
    "FormStep",
    "Organisation",
    "Person",
    "PersonType",
    "Rights",
    "Subscriber",
    "TableRow",
    "Task",
    "TaskList",
    "Token",
    "mask",
]

PersonType = Literal["user", "bot", "role"]
ApprovalChoice = Literal["waiting", "approved", "rejected", "acknowledged", "revoked"]

#: Every form field type Pyrus knows (contract §6.8).
FIELD_TYPES = frozenset(
    {
        "text",
        "money",
        "number",
        "date",
        "time",
        "checkmark",
        "multiple_choice",
        "due_date",
        "email",
        "phone",
        "flag",
        "step",
        "status",
        "creation_date",
        "note",
        "catalog",
        "file",
        "person",
        "author",
        "table",
        "title",
        "project",
        "form_link",
        "due_date_time",
    }
)

#: Types a comment may not write (contract §4.3).
READ_ONLY_TYPES = frozenset({"step", "status", "note", "author", "project", "creation_date"})

_SNIPPET = 30


def mask(secret: str) -> str:
    """``…`` and the last four characters of ``secret`` (just ``…`` when it is that short;
    ``""`` for no secret): how keys and tokens are shown everywhere (reprs, transcripts)."""
    if not secret:
        return ""
    return "\u2026" + secret[-4:] if len(secret) > 4 else "\u2026"


def _shown(secret: str) -> str:
    """:func:`mask` for a repr, where an empty secret shows as ``''``."""
    return mask(secret) or "''"


def _snippet(text: str) -> str:
    """``text`` quoted, cut to :data:`_SNIPPET` characters with ``…``."""
    if len(text) > _SNIPPET:
        text = text[: _SNIPPET - 1] + "\u2026"
    return repr(text)


class Rights(enum.IntFlag):
    """Person rights as the numeric masks of Pyrus (contract §1.3)."""

    NONE = 0
    MANAGE_ROLES = 0x1
    CAN_SEE_ALL_TASKS = 0x2
    MANAGE_PERSONS_IN_ORGANIZATION = 0x4
    EDIT_ORGANIZATION_PROJECTS = 0x8
    EDIT_ORGANIZATION_SETTINGS = 0x10
    CLOSE_DELETE_ANNOUNCEMENTS = 0x40
    INVITE_PERSONS_TO_ORGANIZATION = 0x100
    DELETE_OTHER_MEMBERS_TASKS = 0x200
    MANAGE_INTEGRATIONS_AND_CATALOGS = 0x400
    #: The "Supervisor" preset of the UI: 10.
    SUPERVISOR = CAN_SEE_ALL_TASKS | EDIT_ORGANIZATION_PROJECTS
    #: The "Configuration manager" preset of the UI: 1600.
    CONFIGURATION_MANAGER = (
        CLOSE_DELETE_ANNOUNCEMENTS | DELETE_OTHER_MEMBERS_TASKS | MANAGE_INTEGRATIONS_AND_CATALOGS
    )
    #: The "Organization manager" preset of the UI (roles, members, org chart): 277.
    ORGANIZATION_MANAGER = (
        MANAGE_ROLES
        | MANAGE_PERSONS_IN_ORGANIZATION
        | EDIT_ORGANIZATION_SETTINGS
        | INVITE_PERSONS_TO_ORGANIZATION
    )


@dataclass(slots=True)
class Organisation:
    """The one organisation a fake holds."""

    id: int
    name: str


@dataclass(slots=True, eq=False, repr=False)
class Person:
    """A user, a bot's user account, or a role."""

    id: int
    first_name: str
    last_name: str = ""
    email: str = ""
    type: PersonType = "user"
    rights: int = 0
    fired: bool = False
    banned: bool = False
    position: str = ""
    department_id: int | None = None
    department_name: str = ""
    phone: str = ""
    locale: str = "en-US"
    timezone_offset: int = 0
    external_id: str = ""
    status: str = ""
    mobile_phone: str = ""
    avatar_id: int | None = None
    external_avatar_id: int | None = None
    #: Roles only: the ids of the member persons.
    member_ids: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}".strip()

    def has_right(self, right: Rights) -> bool:
        """Whether every bit of ``right`` is set."""
        return (self.rights & right) == right

    def __repr__(self) -> str:
        parts = [f"<Person {self.id} {self.type} {self.name!r}"]
        if self.email:
            parts.append(self.email)
        if self.type == "role":
            parts.append(f"members={self.member_ids}")
        if self.fired:
            parts.append("fired")
        if self.banned:
            parts.append("banned")
        return " ".join(parts) + ">"


@dataclass(slots=True, eq=False, repr=False)
class BotAccount:
    """The bot record behind a person of type ``bot`` (contract §1.2, D8)."""

    person_id: int
    login: str
    security_key: str
    client_id: str
    hook_url: str
    settings: str = ""
    enabled: bool = True
    blocked: bool = False
    deleted: bool = False
    locale: str = "en-US"
    time_zone_offset: int = 0
    send_only_last_comment: bool = False
    description: str = ""
    external_id: str = ""
    #: Bumped on every key reset; tokens remember the generation they were issued under.
    key_generation: int = 1

    def __repr__(self) -> str:
        state = ("deleted" if self.deleted else "blocked" if self.blocked
                 else "enabled" if self.enabled else "disabled")  # fmt: skip
        return (
            f"<BotAccount person={self.person_id} {self.login} key={_shown(self.security_key)} "
            f"{self.hook_url} {state}>"
        )


@dataclass(slots=True, eq=False, repr=False)
class Token:
    """An API access token."""

    value: str
    person_id: int
    issued_at: float
    expires_at: float
    key_generation: int = 0
    #: The 401 error code the token now answers with, when it has been revoked.
    revoked: str | None = None
    #: For tokens handed to a bot in a delivery: how many deliveries led to a comment made
    #: with it (bounds bot-to-bot chains, setting ``max_chain_depth``).
    chain_depth: int = 0
    #: For tokens handed to a bot in a delivery: the task delivered. In Pyrus that task is in
    #: the bot's inbox, so the token may read and comment on it even when the bot holds no
    #: role on it (an explicit ``deliver`` to any bot).
    task_id: int | None = None

    def __repr__(self) -> str:
        extra = "" if self.task_id is None else f" task={self.task_id}"
        return f"<Token {_shown(self.value)} person={self.person_id} revoked={self.revoked}{extra}>"


@dataclass(slots=True, eq=False)
class Choice:
    """An option of a multiple_choice field."""

    id: int
    value: str
    fields: list[FieldDef] = field(default_factory=list)
    deleted: bool = False


@dataclass(slots=True, eq=False, repr=False)
class FieldDef:
    """A form field definition (contract §6.7)."""

    id: int
    type: str
    name: str
    code: str = ""
    #: Step from which a value is required (``info.required_step``); None: never required.
    required_step: int | None = None
    #: Step from which the field is read-only (``info.immutable_step``); None: always writable.
    immutable_step: int | None = None
    parent_id: int | None = None
    #: multiple_choice options.
    options: list[Choice] = field(default_factory=list)
    catalog_id: int | None = None
    #: catalog: several items allowed.
    multiple: bool = False
    #: table columns.
    columns: list[FieldDef] = field(default_factory=list)
    #: title children.
    children: list[FieldDef] = field(default_factory=list)
    #: form_link: the linked form.
    linked_form_id: int | None = None
    decimal_places: int | None = None
    multiline: bool = False
    #: note: the hint text, which is also the field's read-only value.
    text: str = ""
    #: Set on table columns: the table's id (cells are written through the table).
    table_id: int | None = None
    #: The template's default value, in the write shape of ``POST /tasks`` ``fields``: written
    #: into tasks created with ``fill_defaults`` that give the field no value. The fake's own
    #: (never serialised: the clients' FormFieldInfo has no such member). None: no default.
    default: Any = None

    def __repr__(self) -> str:
        code = f" code={self.code}" if self.code else ""
        return f"<FieldDef {self.id} {self.type} {self.name!r}{code}>"


@dataclass(slots=True, eq=False)
class FormStep:
    """A step of a form's workflow and the persons who approve it by default."""

    number: int
    name: str
    approver_ids: list[int] = field(default_factory=list)
    #: Minutes a task may spend on this step from entering it; past that it is overdue on the
    #: step (the register's ``due_filter``). None: the step has no deadline.
    due_minutes: int | None = None


@dataclass(slots=True, eq=False, repr=False)
class Form:
    """A form template: fields and approval steps."""

    id: int
    name: str
    fields: list[FieldDef] = field(default_factory=list)
    steps: list[FormStep] = field(default_factory=list)
    deleted_or_closed: bool = False
    #: Waiting tasks of this form show in the inbox as one group (``task_groups`` of
    #: ``GET /inbox``, named after the form) instead of among the inbox's own ``tasks``.
    inbox_group: bool = False
    #: Every field, nested ones included, by id (kept in sync by the backend).
    by_id: dict[int, FieldDef] = field(default_factory=dict)

    def step(self, number: int) -> FormStep | None:
        """The step with that number, if the form has it."""
        for step in self.steps:
            if step.number == number:
                return step
        return None

    def all_fields(self) -> list[FieldDef]:
        """Every field, nested ones (title children, choice fields, table columns) included."""
        return list(self.by_id.values())

    def __repr__(self) -> str:
        gone = " deleted_or_closed" if self.deleted_or_closed else ""
        return (
            f"<Form {self.id} {self.name!r} fields={len(self.by_id) or len(self.fields)} "
            f"steps={len(self.steps)}{gone}>"
        )


@dataclass(slots=True, eq=False)
class CatalogHeader:
    """A catalog column."""

    name: str
    type: str = "text"


@dataclass(slots=True, eq=False)
class CatalogItem:
    """A catalog row."""

    id: int
    values: list[str]
    deleted: bool = False


@dataclass(slots=True, eq=False, repr=False)
class Catalog:
    """A catalog (a reference table)."""

    id: int
    name: str
    headers: list[CatalogHeader]
    items: list[CatalogItem] = field(default_factory=list)
    version: int = 1
    deleted: bool = False
    source_type: str = "default"  # a value of the clients' SourceType enums
    external_id: str = ""
    external_version: int = 0
    #: Who may change the catalog besides Configuration managers.
    supervisors: list[int] = field(default_factory=list)

    def item(self, item_id: int) -> CatalogItem | None:
        """The item with that id, if present."""
        for item in self.items:
            if item.id == item_id:
                return item
        return None

    def __repr__(self) -> str:
        gone = " deleted" if self.deleted else ""
        return (
            f"<Catalog {self.id} {self.name!r} items={len(self.items)} "
            f"version={self.version}{gone}>"
        )


@dataclass(slots=True, eq=False, repr=False)
class FileRecord:
    """An uploaded file; once attached it is a task attachment with the same id."""

    id: int
    guid: str
    name: str
    content: bytes
    md5: str
    uploaded_by: int
    version: int = 1
    root_id: int | None = None
    #: Link attachments ({url, name}) have a URL and no content.
    url: str = ""

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.content)

    def __repr__(self) -> str:
        what = f"url={self.url}" if self.url else f"{self.size} bytes"
        root = f" root={self.root_id}" if self.root_id not in (None, self.id) else ""
        return f"<FileRecord {self.id} {self.name!r} {what} v{self.version}{root}>"


@dataclass(slots=True, eq=False)
class Approval:
    """One approver on one step of a form task."""

    person_id: int
    choice: ApprovalChoice = "waiting"


@dataclass(slots=True, eq=False)
class Subscriber:
    """A subscriber of a task."""

    person_id: int
    choice: ApprovalChoice | None = None


@dataclass(slots=True, eq=False)
class TableRow:
    """A row of a table field: cell values keyed by column field id."""

    row_id: int
    cells: dict[int, Any] = field(default_factory=dict)
    durations: dict[int, int] = field(default_factory=dict)
    position: int | None = None


@dataclass(slots=True, eq=False, repr=False)
class Comment:
    """A comment on a task: the record of one change (contract §6.5).

    Attributes hold output names (``reassigned_to``, ``changed_step``, ...). Persons are ids;
    ``field_updates`` holds ``(field_id, internal value, duration)`` snapshots taken when the
    comment was applied, which the serialiser renders as full field objects.
    """

    id: int
    create_date: datetime
    author_id: int
    text: str = ""
    formatted_text: str = ""
    subject: str = ""
    reassigned_to: int | None = None
    field_updates: list[tuple[int, Any, int | None]] = field(default_factory=list)
    approval_choice: str | None = None
    approval_step: int | None = None
    changed_step: int | None = None
    reset_to_step: int | None = None
    action: str | None = None
    approvals_added: list[list[int]] = field(default_factory=list)
    approvals_removed: list[list[int]] = field(default_factory=list)
    approvals_rerequested: list[list[int]] = field(default_factory=list)
    subscribers_added: list[int] = field(default_factory=list)
    subscribers_removed: list[int] = field(default_factory=list)
    subscribers_rerequested: list[int] = field(default_factory=list)
    participants_added: list[int] = field(default_factory=list)
    participants_removed: list[int] = field(default_factory=list)
    attachments: list[int] = field(default_factory=list)
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
    edit_comment_id: int | None = None
    channel: dict[str, Any] | None = None
    skip_satisfaction: bool = False
    skip_notification: bool = False
    skip_auto_reopen: bool = False
    mentions: list[int] = field(default_factory=list)
    #: Roles the author wrote as (``comment_as_roles``); a shared empty tuple for most comments.
    comment_as_roles: tuple[int, ...] = ()

    def __repr__(self) -> str:
        parts = [f"<Comment {self.id} by {self.author_id}"]
        text = self.text or self.formatted_text
        if text:
            parts[0] += ":"
            parts.append(_snippet(text))
        if self.approval_choice is not None:
            step = f" step {self.approval_step}" if self.approval_step is not None else ""
            parts.append(f"{self.approval_choice}{step}")
        if self.changed_step is not None:
            parts.append(f"changed_step={self.changed_step}")
        if self.reset_to_step is not None:
            parts.append(f"reset_to_step={self.reset_to_step}")
        if self.action is not None:
            parts.append(self.action)
        if self.field_updates:
            parts.append(f"fields={[f[0] for f in self.field_updates]}")
        if self.reassigned_to is not None:
            parts.append(f"reassigned_to={self.reassigned_to}")
        if self.attachments:
            parts.append(f"attachments={self.attachments}")
        return " ".join(parts) + ">"


@dataclass(slots=True, eq=False, repr=False)
class Task:
    """A simple task or a form task, with its comments."""

    id: int
    author_id: int
    create_date: datetime
    last_modified_date: datetime
    form_id: int | None = None
    text: str = ""
    formatted_text: str = ""
    subject: str = ""
    responsible_id: int | None = None
    participant_ids: list[int] = field(default_factory=list)
    subscribers: list[Subscriber] = field(default_factory=list)
    #: ``approvals[i]`` are the approvers of step ``i + 1``.
    approvals: list[list[Approval]] = field(default_factory=list)
    current_step: int | None = None
    #: Internal field values by field id (see the module docstring).
    values: dict[int, Any] = field(default_factory=dict)
    #: Durations (minutes) of due_date / due_date_time fields, by field id.
    durations: dict[int, int] = field(default_factory=dict)
    attachment_ids: list[int] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    is_closed: bool = False
    close_date: datetime | None = None
    due_date: str | None = None
    due: str | None = None
    duration: int | None = None
    scheduled_date: str | None = None
    scheduled_datetime_utc: str | None = None
    list_ids: list[int] = field(default_factory=list)
    parent_task_id: int | None = None
    linked_task_ids: list[int] = field(default_factory=list)
    spent_minutes: int = 0
    #: When each step was entered (epoch seconds), to report ``steps[].elapsed_time``.
    step_entered_at: dict[int, float] = field(default_factory=dict)
    #: The form, for :meth:`value` (set by the backend; a ``field_values.FormRef``).
    _form: Any = field(default=None, init=False)

    def value(self, key: str | int) -> Any:
        """A field's value by code, name or id: ``task.value("u_amount")``; a KeyError lists
        the form's codes when there is no such field. See :mod:`pyrus_mock.domain.field_values`."""
        from .field_values import field_value

        return field_value(self, key)

    @property
    def last_note_id(self) -> int | None:
        """Id of the newest comment."""
        return self.comments[-1].id if self.comments else None

    def approvers(self, step: int) -> list[Approval]:
        """The approvals of ``step`` (1-based); empty when the step has none."""
        if 1 <= step <= len(self.approvals):
            return self.approvals[step - 1]
        return []

    def person_ids(self) -> set[int]:
        """Everyone who can see the task without a Supervisor right."""
        ids = {self.author_id, *self.participant_ids}
        ids.update(s.person_id for s in self.subscribers)
        if self.responsible_id is not None:
            ids.add(self.responsible_id)
        for step in self.approvals:
            ids.update(a.person_id for a in step)
        return ids

    def __repr__(self) -> str:
        parts = [f"<Task {self.id}"]
        if self.form_id is not None:
            parts.append(f"form={self.form_id}")
            if self.current_step is not None:
                parts.append(f"step={self.current_step}")
        elif self.subject or self.text:
            parts.append(_snippet(self.subject or self.text))
        parts.append("closed" if self.is_closed else "open")
        if self.responsible_id is not None:
            parts.append(f"responsible={self.responsible_id}")
        parts.append(f"comments={len(self.comments)}")
        return " ".join(parts) + ">"


@dataclass(slots=True, eq=False)
class TaskList:
    """A list (project) tasks can be added to; deleted ones are kept, flagged."""

    id: int
    name: str
    parent_id: int | None = None
    deleted: bool = False
    list_type: str = "org_wide"  # or "private"
    #: Who may change the list besides holders of ``EDIT_ORGANIZATION_PROJECTS``.
    manager_ids: list[int] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)
    color: str = ""
    is_private: bool = False
    version: int = 1
    external_id: int | None = None
    external_version: int | None = None
