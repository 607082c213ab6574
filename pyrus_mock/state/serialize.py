"""The one serialisation layer: domain records to Pyrus JSON shapes (contract §6).

Conventions (D3, D11): empty values are omitted, never sent as ``null``; timestamps are exactly
``YYYY-MM-DDThh:mm:ssZ``; dates ``YYYY-MM-DD``; ids are ints. A ``creation_date`` field's
value is a date by default (every official client parses it; the Python client parses nothing
else), a timestamp with the setting ``creation_date_format="datetime"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any, Protocol

from ..domain.model import (
    BotAccount,
    Catalog,
    CatalogItem,
    Comment,
    FieldDef,
    FileRecord,
    Form,
    Person,
    Task,
    TaskList,
)

__all__ = [
    "Lookup",
    "bot",
    "catalog",
    "catalog_item",
    "comment",
    "field_def",
    "file",
    "form",
    "person",
    "role",
    "task",
    "task_header",
    "task_list",
    "timestamp",
]


class Lookup(Protocol):
    """What serialising needs to resolve ids (the backend implements it)."""

    def find_person(self, person_id: int) -> Person | None:
        """The person (user, bot or role) with that id, or None."""
        ...

    def find_form(self, form_id: int) -> Form | None:
        """The form with that id, or None."""
        ...

    def find_catalog(self, catalog_id: int) -> Catalog | None:
        """The catalog with that id, or None."""
        ...

    def find_file(self, file_id: int) -> FileRecord | None:
        """The uploaded or attached file with that id, or None."""
        ...

    def find_task(self, task_id: int) -> Task | None:
        """The task with that id, or None."""
        ...

    def find_list(self, list_id: int) -> TaskList | None:
        """The list (project) with that id, or None."""
        ...


def timestamp(moment: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` in UTC, no fractions (D11)."""
    # isoformat is several times faster than strftime; drop its offset, add the Z.
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")[:19] + "Z"


def _prune(data: dict[str, Any]) -> dict[str, Any]:
    """Drop None, empty strings, empty lists and empty dicts (Pyrus omits empties)."""
    return {k: v for k, v in data.items() if v is not None and v != "" and v != [] and v != {}}


def person(p: Person, *, full: bool = False) -> dict[str, Any]:
    """A Person; ``full`` adds the member-record fields of ``GET /members``."""
    data: dict[str, Any] = {
        "id": p.id,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "email": p.email,
        "type": p.type,
    }
    if p.type == "bot":
        data["last_name"] = ""  # Pyrus sends the empty last name of bots (contract §1.1)
        out = {k: v for k, v in data.items() if v is not None}
    else:
        out = _prune(data)
    if full:
        out.update(
            _prune(
                {
                    "position": p.position,
                    "department_id": p.department_id,
                    "department_name": p.department_name,
                    "phone": p.phone,
                    "external_id": p.external_id,
                    "member_ids": p.member_ids,
                    "status": p.status,
                    "mobile_phone": p.mobile_phone,
                    "avatar_id": p.avatar_id,
                    "external_avatar_id": p.external_avatar_id,
                }
            )
        )
        out["banned"] = p.banned
        out["fired"] = p.fired
        if p.rights:
            out["rights"] = p.rights
    return out


def role(r: Person) -> dict[str, Any]:
    """A Role (``GET /roles``, the organisation's ``roles``): ``banned`` and ``fired`` always,
    the rest omitted when empty."""
    data: dict[str, Any] = {"id": r.id, "name": r.first_name, "banned": r.banned, "fired": r.fired}
    data.update(
        _prune(
            {
                "member_ids": list(r.member_ids),
                "external_id": r.external_id,
                "avatar_id": r.avatar_id,
                "external_avatar_id": r.external_avatar_id,
            }
        )
    )
    return data


def _person_ref(lookup: Lookup, person_id: int | None) -> dict[str, Any] | None:
    if person_id is None:
        return None
    found = lookup.find_person(person_id)
    return person(found) if found else {"id": person_id}


def file(f: FileRecord, files_url: str = "") -> dict[str, Any]:
    """A File (attachment); ``url`` points at the fake's download endpoint."""
    url = f.url or (f"{files_url.rstrip('/')}/services/attachment?Id={f.id}" if files_url else "")
    data = _prune({"id": f.id, "name": f.name, "md5": f.md5, "url": url, "root_id": f.root_id})
    data["size"] = f.size
    data["version"] = f.version
    return data


def catalog(c: Catalog, *, items: Iterable[CatalogItem] | None = None) -> dict[str, Any]:
    """A catalog with headers and items (every item, deleted ones too, unless ``items``)."""
    chosen = c.items if items is None else list(items)
    data = {
        "catalog_id": c.id,
        "name": c.name,
        "version": c.version,
        "deleted": c.deleted,
        "source_type": c.source_type,
        "catalog_headers": [{"name": h.name, "type": h.type} for h in c.headers],
        "items": [catalog_item(i) for i in chosen],
    }
    data.update(
        _prune(
            {
                "external_id": c.external_id,
                "external_version": c.external_version or None,
                "supervisors": list(c.supervisors),
            }
        )
    )
    return data


def catalog_item(i: CatalogItem) -> dict[str, Any]:
    """A CatalogItem: ``{item_id, values, deleted}``."""
    return {"item_id": i.id, "values": list(i.values), "deleted": i.deleted}


def task_list(lst: TaskList) -> dict[str, Any]:
    """A PlainTaskList; ``deleted``, ``list_type``, ``manager_ids`` and ``version`` always."""
    data: dict[str, Any] = {
        "id": lst.id,
        "name": lst.name,
        "deleted": lst.deleted,
        "list_type": lst.list_type,
        "has_form": False,
        "manager_ids": list(lst.manager_ids),
        "member_ids": list(lst.member_ids),
        "version": lst.version,
        "is_private": lst.is_private,
    }
    extra = {"parent_id": lst.parent_id, "color": lst.color, "external_id": lst.external_id}
    data.update(_prune({**extra, "external_version": lst.external_version}))
    return data


def field_def(fd: FieldDef) -> dict[str, Any]:
    """A form field definition with ``info`` (``code`` both at field level and in ``info``)."""
    info: dict[str, Any] = {
        "required_step": fd.required_step,
        "immutable_step": fd.immutable_step,
        "code": fd.code,
        "decimal_places": fd.decimal_places,
    }
    if fd.type == "text" and fd.multiline:
        info["multiline"] = True
    if fd.type == "catalog":
        info["catalog_id"] = fd.catalog_id
        info["multiple_choice"] = fd.multiple
    if fd.type == "multiple_choice":
        info["options"] = [
            _prune(
                {
                    "choice_id": o.id,
                    "choice_value": o.value,
                    "deleted": o.deleted or None,
                    "fields": [field_def(f) for f in o.fields],
                }
            )
            for o in fd.options
        ]
    if fd.type == "table":
        info["columns"] = [field_def(c) for c in fd.columns]
    if fd.type == "title":
        info["fields"] = [field_def(c) for c in fd.children]
    if fd.type == "form_link":
        info["form_id"] = fd.linked_form_id
    data = _prune(
        {
            "id": fd.id,
            "type": fd.type,
            "name": fd.name,
            "code": fd.code,
            "parent_id": fd.parent_id,
            "info": _prune(info),
        }
    )
    if fd.type == "note" and fd.text:
        data["value"] = fd.text
    return data


def form(f: Form) -> dict[str, Any]:
    """A Form: fields with ``info``, steps keyed by step number as strings."""
    return _prune(
        {
            "id": f.id,
            "name": f.name,
            "steps": {str(s.number): s.name for s in f.steps},
            "fields": [field_def(fd) for fd in f.fields],
            "deleted_or_closed": f.deleted_or_closed or None,
        }
    )


def bot(b: BotAccount, p: Person, *, omit_empty_bot_settings: bool = False) -> dict[str, Any]:
    """A Bot object of the bots API (contract §1.4); the security key is never included.

    ``bot_settings`` is always present (``""`` when unset) unless ``omit_empty_bot_settings``
    (the setting of that name).
    """
    settings = {} if omit_empty_bot_settings and not b.settings else {"bot_settings": b.settings}
    return {
        **settings,
        **_prune(
            {
                "id": p.id,
                "name": p.first_name,
                "hook_url": b.hook_url,
                "login": b.login,
                "description": b.description,
                "external_id": b.external_id,
                "locale": b.locale,
            }
        ),
        "is_enabled": b.enabled,
        "fired": b.deleted,
        "rights": p.rights,
        "send_only_last_comment": b.send_only_last_comment,
        "time_zone_offset": b.time_zone_offset,
    }


# -- field values ------------------------------------------------------------------------------


class _Ctx:
    """Per-task rendering context."""

    __slots__ = ("creation_date_format", "files_url", "lookup", "task")

    def __init__(self, lookup: Lookup, task: Task, files_url: str, creation_date_format: str):
        self.lookup = lookup
        self.task = task
        self.files_url = files_url
        self.creation_date_format = creation_date_format


def _value(
    ctx: _Ctx,
    fd: FieldDef,
    raw: Any,
    values: dict[int, Any],
    durations: dict[int, int],
    row_id: int | None = None,
) -> Any:
    """The read shape of a value (None when there is nothing to send)."""
    t = fd.type
    task = ctx.task
    if t == "author":
        return _person_ref(ctx.lookup, task.author_id)
    if t == "creation_date":
        if ctx.creation_date_format == "date":
            return task.create_date.strftime("%Y-%m-%d")
        return timestamp(task.create_date)
    if t == "step":
        return task.current_step
    if t == "status":
        return "closed" if task.is_closed else "open"
    if t == "note":
        return fd.text or None
    if t == "project":
        projects = [_project(ctx.lookup, i) for i in task.list_ids]
        known = [p for p in projects if p is not None]
        return {"projects": known} if known else None
    if t == "title":
        children = _fields(ctx, fd.children, values, durations, row_id)
        return _prune({"checkmark": raw, "fields": children}) or None
    if raw is None:
        return None
    if t == "person":
        return _person_ref(ctx.lookup, raw)
    if t == "catalog":
        cat = ctx.lookup.find_catalog(fd.catalog_id) if fd.catalog_id else None
        items = [cat.item(i) for i in raw] if cat else []
        found = [i for i in items if i is not None]
        if not found:
            return None
        data: dict[str, Any] = {
            "item_ids": [i.id for i in found],
            "headers": [h.name for h in cat.headers] if cat else [],
            "rows": [list(i.values) for i in found],
        }
        if len(found) == 1:  # the deprecated single-item form, kept for one item
            data["item_id"] = found[0].id
            data["values"] = list(found[0].values)
        return data
    if t == "file":
        files = [ctx.lookup.find_file(i) for i in raw]
        return [file(f, ctx.files_url) for f in files if f is not None] or None
    if t == "multiple_choice":
        chosen = [o for o in fd.options if o.id in raw]
        if not chosen:
            return None
        nested = [f for o in chosen for f in o.fields]
        choice: dict[str, Any] = {
            "choice_ids": [o.id for o in chosen],
            "choice_names": [o.value for o in chosen],
            "choice_id": chosen[0].id,
        }
        nested_fields = _fields(ctx, nested, values, durations, row_id)
        if nested_fields:
            choice["fields"] = nested_fields
        return choice
    if t == "form_link":
        ids = list(raw)
        if not ids:
            return None
        linked = ctx.lookup.find_task(ids[0])
        link: dict[str, Any] = {"task_ids": ids, "task_id": ids[0]}
        if linked is not None and (linked.subject or linked.text):
            link["subject"] = linked.subject or linked.text
        return link
    if t == "table":
        rows = []
        for position, row in enumerate(raw, start=1):
            cells = _fields(ctx, fd.columns, row.cells, row.durations, row.row_id)
            rows.append(
                {"row_id": row.row_id, "position": row.position or position, "cells": cells}
            )
        return rows or None
    if raw == "" or raw == []:
        return None
    return raw


def _project(lookup: Lookup, list_id: int, depth: int = 0) -> dict[str, Any] | None:
    """A Project (``{id, name, parent?}``, the parent chain nested) for a list the task is in."""
    lst = lookup.find_list(list_id)
    if lst is None:
        return None
    data: dict[str, Any] = {"id": lst.id, "name": lst.name}
    if lst.parent_id is not None and depth < 64:  # a cycle cannot recurse forever
        parent = _project(lookup, lst.parent_id, depth + 1)
        if parent is not None:
            data["parent"] = parent
    return data


def _field(
    ctx: _Ctx,
    fd: FieldDef,
    raw: Any,
    values: dict[int, Any],
    durations: dict[int, int],
    row_id: int | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": fd.id, "type": fd.type, "name": fd.name}
    if fd.code:
        data["code"] = fd.code
    if fd.parent_id is not None:
        data["parent_id"] = fd.parent_id
    if row_id is not None:
        data["row_id"] = row_id
    value = _value(ctx, fd, raw, values, durations, row_id)
    if value is not None:
        data["value"] = value
        if fd.type in ("due_date", "due_date_time") and fd.id in durations:
            data["duration"] = durations[fd.id]
    return data


def _fields(
    ctx: _Ctx,
    defs: Iterable[FieldDef],
    values: dict[int, Any],
    durations: dict[int, int],
    row_id: int | None = None,
) -> list[dict[str, Any]]:
    return [_field(ctx, fd, values.get(fd.id), values, durations, row_id) for fd in defs]


def task_fields(
    lookup: Lookup,
    t: Task,
    form_: Form,
    *,
    files_url: str = "",
    creation_date_format: str = "date",
) -> list[dict[str, Any]]:
    """The ``fields`` of a form task, with values (nested title/choice/table fields inline)."""
    ctx = _Ctx(lookup, t, files_url, creation_date_format)
    return _fields(ctx, form_.fields, t.values, t.durations)


# -- tasks and comments ------------------------------------------------------------------------


def _approvals(
    lookup: Lookup, groups: list[list[int]], with_step: bool, choice: str | None = None
) -> list[list[Any]]:
    """Approval items ``{person, approval_choice?, step?}`` (contract §0.3 fact 8)."""
    out = []
    for index, group in enumerate(groups):
        row = []
        for pid in group:
            item: dict[str, Any] = {"person": _person_ref(lookup, pid)}
            if choice is not None:
                item["approval_choice"] = choice
            if with_step:
                item["step"] = index + 1
            row.append(item)
        out.append(row)
    return out if any(out) else []


def comment(
    lookup: Lookup,
    c: Comment,
    t: Task,
    *,
    files_url: str = "",
    creation_date_format: str = "date",
) -> dict[str, Any]:
    """A TaskComment, with output names (``reassigned_to``, ``changed_step``, ...)."""
    field_updates: list[dict[str, Any]] = []
    form_ = lookup.find_form(t.form_id) if t.form_id else None
    if form_ is not None and c.field_updates:
        ctx = _Ctx(lookup, t, files_url, creation_date_format)
        for field_id, raw, duration in c.field_updates:
            fd = form_.by_id.get(field_id)
            if fd is None:
                continue
            durations = {field_id: duration} if duration is not None else {}
            field_updates.append(_field(ctx, fd, raw, {field_id: raw}, durations, None))
    data = {
        "id": c.id,
        "create_date": timestamp(c.create_date),
        "author": _person_ref(lookup, c.author_id),
        "text": c.text,
        "formatted_text": c.formatted_text,
        "subject": c.subject,
        "reassigned_to": _person_ref(lookup, c.reassigned_to),
        "field_updates": field_updates,
        "approval_choice": c.approval_choice,
        "approval_step": c.approval_step,
        "changed_step": c.changed_step,
        "reset_to_step": c.reset_to_step,
        "action": c.action,
        # Added and re-requested approvers wait for a decision; a removed one's last choice is
        # not kept, so its items carry person and step only.
        "approvals_added": _approvals(lookup, c.approvals_added, True, "waiting"),
        "approvals_removed": _approvals(lookup, c.approvals_removed, True),
        "approvals_rerequested": _approvals(lookup, c.approvals_rerequested, True, "waiting"),
        "subscribers_added": [_person_ref(lookup, p) for p in c.subscribers_added],
        "subscribers_removed": [_person_ref(lookup, p) for p in c.subscribers_removed],
        "subscribers_rerequested": [_person_ref(lookup, p) for p in c.subscribers_rerequested],
        "participants_added": [_person_ref(lookup, p) for p in c.participants_added],
        "participants_removed": [_person_ref(lookup, p) for p in c.participants_removed],
        "attachments": [
            file(f, files_url)
            for f in (lookup.find_file(i) for i in c.attachments)
            if f is not None
        ],
        "due_date": c.due_date,
        "due": c.due,
        "duration": c.duration,
        "cancel_due": c.cancel_due or None,
        "scheduled_date": c.scheduled_date,
        "scheduled_datetime_utc": c.scheduled_datetime_utc,
        "cancel_schedule": c.cancel_schedule or None,
        "added_list_ids": c.added_list_ids,
        "removed_list_ids": c.removed_list_ids,
        "spent_minutes": c.spent_minutes,
        "edit_comment_id": c.edit_comment_id,
        "channel": c.channel,
        "skip_satisfaction": c.skip_satisfaction or None,
        "skip_notification": c.skip_notification or None,
        "skip_auto_reopen": c.skip_auto_reopen or None,
        "mentions": c.mentions,
        "comment_as_roles": [_person_ref(lookup, rid) for rid in c.comment_as_roles],
    }
    return _prune(data)


def task_header(lookup: Lookup, t: Task) -> dict[str, Any]:
    """A TaskHeader (``/inbox``, lists)."""
    return _prune(
        {
            "id": t.id,
            "text": t.text,
            "formatted_text": t.formatted_text,
            "create_date": timestamp(t.create_date),
            "last_modified_date": timestamp(t.last_modified_date),
            "author": _person_ref(lookup, t.author_id),
            "responsible": _person_ref(lookup, t.responsible_id),
            "close_date": timestamp(t.close_date) if t.close_date else None,
            "due_date": t.due_date,
        }
    )


def task(
    lookup: Lookup,
    t: Task,
    *,
    comments: bool = True,
    only_last_comment: bool = False,
    files_url: str = "",
    creation_date_format: str = "date",
    now: float | None = None,
) -> dict[str, Any]:
    """A Task (``comments=False``) or TaskWithComments (contract §6.4)."""
    form_ = lookup.find_form(t.form_id) if t.form_id else None
    data: dict[str, Any] = task_header(lookup, t)
    data.update(
        _prune(
            {
                "subject": t.subject,
                "due": t.due,
                "duration": t.duration,
                "scheduled_date": t.scheduled_date,
                "scheduled_datetime_utc": t.scheduled_datetime_utc,
                "form_id": t.form_id,
                "current_step": t.current_step,
                "participants": [_person_ref(lookup, p) for p in t.participant_ids],
                "subscribers": [
                    _prune(
                        {"person": _person_ref(lookup, s.person_id), "approval_choice": s.choice}
                    )
                    for s in t.subscribers
                ],
                "attachments": [
                    file(f, files_url)
                    for f in (lookup.find_file(i) for i in t.attachment_ids)
                    if f is not None
                ],
                "list_ids": t.list_ids,
                "linked_task_ids": t.linked_task_ids,
                "parent_task_id": t.parent_task_id,
                "last_note_id": t.last_note_id,
                "spent_minutes": t.spent_minutes or None,
            }
        )
    )
    data["is_closed"] = t.is_closed
    if form_ is not None:
        data["fields"] = task_fields(
            lookup, t, form_, files_url=files_url, creation_date_format=creation_date_format
        )
        approvals = []
        for group in t.approvals:
            approvals.append(
                [
                    {"person": _person_ref(lookup, a.person_id), "approval_choice": a.choice}
                    for a in group
                ]
            )
        if any(approvals):
            data["approvals"] = approvals
        steps = []
        for step in form_.steps:
            entered = t.step_entered_at.get(step.number)
            elapsed = 0
            if entered is not None and now is not None:
                elapsed = int(max(0.0, now - entered) * 1000)
            steps.append({"step": step.number, "name": step.name, "elapsed_time": elapsed})
        if steps:
            data["steps"] = steps
    if comments:
        chosen = t.comments[-1:] if only_last_comment else t.comments
        rendered = [
            comment(lookup, c, t, files_url=files_url, creation_date_format=creation_date_format)
            for c in chosen
        ]
        if rendered:
            data["comments"] = rendered
    return data
