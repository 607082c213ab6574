"""The data schemas of the OpenAPI description (``components/schemas``) and which operation
replies or takes which (:data:`RESPONSES`, :data:`REQUEST_BODIES`).

The schemas live in one module per area, merged here:
:mod:`~pyrus_mock.api.openapi_schemas_tasks` (tasks, comments, inbox, register, calendar,
auth, uploads), :mod:`~pyrus_mock.api.openapi_schemas_directory` (forms, catalogs, lists,
bots), :mod:`~pyrus_mock.api.openapi_schemas_admin` (members, roles, profile, contacts, org
chart, form permissions) and :mod:`~pyrus_mock.api.openapi_schemas_extra` (announcements,
knowledge base, telephony, the empty reply, the description itself).

The shapes are those the fake emits (:mod:`pyrus_mock.state.serialize`,
:mod:`pyrus_mock.state.serialize_directory` and the views), named and typed after the official
C# client's models (TaskWithComments, Form, Catalog, Person, ...). A member is ``required``
only where the fake always sends it: empty values are omitted, never ``null`` (D3), so most
members are optional. Objects stay open (``additionalProperties`` is not restricted): Pyrus
adds members over time, and a client must ignore the ones it does not know; request bodies
likewise accept unknown keys, which Pyrus ignores.
"""

from __future__ import annotations

from typing import Any

from . import (
    openapi_schemas_admin,
    openapi_schemas_directory,
    openapi_schemas_extra,
    openapi_schemas_tasks,
)

__all__ = ["REQUEST_BODIES", "RESPONSES", "SCHEMAS"]

_AREAS = (
    openapi_schemas_tasks,
    openapi_schemas_directory,
    openapi_schemas_admin,
    openapi_schemas_extra,
)


def _merge(parts: list[dict[Any, Any]], what: str) -> dict[Any, Any]:
    merged: dict[Any, Any] = {}
    for part in parts:
        clash = set(merged) & set(part)
        if clash:  # pragma: no cover - a programming error caught at import
            raise RuntimeError(f"{what} defined in two areas: {sorted(map(str, clash))}")
        merged.update(part)
    return merged


#: Every named schema of ``components/schemas`` but ``Error`` and the CreateComment ones.
SCHEMAS: dict[str, dict[str, Any]] = _merge([a.SCHEMAS for a in _AREAS], "schemas")

#: The schema of the 200 JSON reply, by method and path (below the API prefix).
RESPONSES: dict[tuple[str, str], str] = _merge([a.RESPONSES for a in _AREAS], "replies")

#: The schema of the JSON request body, by method and path (task comments take the shipped
#: CreateComment schema, :func:`pyrus_mock.schema.load`, inlined by :mod:`.openapi`).
REQUEST_BODIES: dict[tuple[str, str], str] = _merge(
    [a.REQUEST_BODIES for a in _AREAS], "request bodies"
)
