"""Directory records to Pyrus JSON shapes (contract §6): persons, roles, bots, files, catalogs,
lists and forms; and the conventions every shape follows (:func:`timestamp`, :func:`prune`).

Tasks and comments, which resolve ids through a lookup, are in :mod:`pyrus_mock.state.serialize`.
Conventions (D3, D11): empty values are omitted, never sent as ``null``; timestamps are exactly
``YYYY-MM-DDThh:mm:ssZ``; ids are ints.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from ..domain.accounts import BotAccount
from ..domain.model import (
    Catalog,
    CatalogItem,
    FieldDef,
    FileRecord,
    Form,
    Person,
    TaskList,
)

__all__ = [
    "bot",
    "catalog",
    "catalog_item",
    "field_def",
    "file",
    "form",
    "person",
    "prune",
    "role",
    "task_list",
    "timestamp",
]


def timestamp(moment: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` in UTC, no fractions (D11)."""
    # isoformat is several times faster than strftime; drop its offset, add the Z.
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")[:19] + "Z"


def prune(data: dict[str, Any]) -> dict[str, Any]:
    """Drop None, empty strings, empty lists and empty dicts (Pyrus omits empties, D3)."""
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
        out = prune(data)
    if full:
        out.update(
            prune(
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
        prune(
            {
                "member_ids": list(r.member_ids),
                "external_id": r.external_id,
                "avatar_id": r.avatar_id,
                "external_avatar_id": r.external_avatar_id,
            }
        )
    )
    return data


def file(f: FileRecord, files_url: str = "") -> dict[str, Any]:
    """A File (attachment); ``url`` points at the fake's download endpoint."""
    url = f.url or (f"{files_url.rstrip('/')}/services/attachment?Id={f.id}" if files_url else "")
    data = prune({"id": f.id, "name": f.name, "md5": f.md5, "url": url, "root_id": f.root_id})
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
        prune(
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
    data.update(prune({**extra, "external_version": lst.external_version}))
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
            prune(
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
    data = prune(
        {
            "id": fd.id,
            "type": fd.type,
            "name": fd.name,
            "code": fd.code,
            "parent_id": fd.parent_id,
            "info": prune(info),
        }
    )
    if fd.type == "note" and fd.text:
        data["value"] = fd.text
    return data


def form(f: Form) -> dict[str, Any]:
    """A Form: fields with ``info``, steps keyed by step number as strings."""
    return prune(
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
        **prune(
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
