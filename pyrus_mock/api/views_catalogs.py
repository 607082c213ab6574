"""Catalog views: read, create, sync, diff, and the bulk forms of the C# client.

Reading is open to every member. Changing a catalog (sync, diff, delete) takes the Configuration
manager right (``Rights.MANAGE_INTEGRATIONS_AND_CATALOGS``) or being one of the catalog's
supervisors; whoever creates a catalog becomes its supervisor. Others, like callers naming an
unknown catalog, get 403 ``access_denied_catalog``.

Deleted items stay in the catalog flagged ``deleted: true`` (tasks that chose them still show
them); ``GET /catalogs/{id}`` lists them only with ``include_deleted=True``. A deleted catalog
stays readable (``deleted: true``) and refuses changes (400 ``can_not_modify_deleted_catalog``).
"""

from __future__ import annotations

from typing import Any

from ..domain.model import Catalog, CatalogItem, Rights
from ..state import serialize
from . import body
from .call import Call
from .catalog_edits import (
    NewCatalog,
    apply,
    catalog_reply,
    diff_edit,
    live_items,
    parse_new_catalog,
    sync_edit,
)
from .errors import ApiError

__all__ = [
    "create_catalog",
    "create_catalogs",
    "delete_catalogs",
    "get_catalog",
    "get_catalogs",
    "sync_catalog",
    "sync_catalogs",
    "update_catalog_items",
]


def _catalog(call: Call, catalog_id: int) -> Catalog:
    catalog = call.backend.find_catalog(catalog_id)
    if catalog is None:
        raise ApiError("access_denied_catalog", f"catalog {catalog_id} does not exist")
    return catalog


def _editable(call: Call, catalog_id: int, where: str = "") -> Catalog:
    """The catalog when the caller may change it (call under the lock); 403 otherwise."""
    catalog = call.backend.find_catalog(catalog_id)
    if catalog is None:
        raise ApiError("access_denied_catalog", f"{where}catalog {catalog_id} does not exist")
    me = call.me
    if not me.has_right(Rights.MANAGE_INTEGRATIONS_AND_CATALOGS) and me.id not in (
        catalog.supervisors
    ):
        raise ApiError(
            "access_denied_catalog",
            f"{where}person {me.id} may not change catalog {catalog_id}: that takes the "
            "Configuration manager right (Rights.MANAGE_INTEGRATIONS_AND_CATALOGS) or being a "
            "supervisor of the catalog",
        )
    return catalog


# -- reading -------------------------------------------------------------------------------------


def get_catalogs(call: Call) -> dict[str, Any]:
    """``GET /catalogs``: every catalog (deleted ones flagged), with headers and live items."""
    with call.backend.lock:
        return {"catalogs": [catalog_reply(c) for c in call.backend.catalogs()]}


def _filtered(call: Call, catalog: Catalog, items: list[CatalogItem]) -> list[CatalogItem]:
    """``items`` selected by ``column=…&value=…[&use_wildcard=True]`` pairs."""
    args = call.request.args
    columns, values = args.getlist("column"), args.getlist("value")
    if not columns and not values:
        return items
    if len(columns) != len(values):
        raise ApiError("invalid_catalog_item_filter", "give column and value in pairs")
    wildcard = body.query_bool(call.arg("use_wildcard"), "use_wildcard")
    names = [h.name.lower() for h in catalog.headers]
    tests = []
    for column, value in zip(columns, values, strict=True):
        if column.lower() not in names:
            raise ApiError(
                "catalog_column_not_found",
                f"catalog {catalog.id} has no column {column!r}; columns: "
                + ", ".join(h.name for h in catalog.headers),
            )
        index = names.index(column.lower())
        parts = value.casefold().split("*") if wildcard else [value.casefold()]
        tests.append((index, parts))
    return [
        item
        for item in items
        if all(
            _glob(parts, item.values[i].casefold()) for i, parts in tests if i < len(item.values)
        )
    ]


def _glob(parts: list[str], text: str) -> bool:
    """Whether ``text`` matches the pattern ``"*".join(parts)`` whole, ``*`` matching any run.

    Linear: each literal part is found left to right (the leftmost place is always a right one
    for ``*``-only patterns), where a regex of ``.*`` runs backtracks exponentially on
    ``a*a*a*...`` against a long value and would hold the backend lock meanwhile.
    """
    first, *middle_and_last = parts
    if not middle_and_last:
        return text == first
    *middle, last = middle_and_last
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    position, end = len(first), len(text) - len(last)
    for part in middle:
        found = text.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


def get_catalog(call: Call, catalog_id: int) -> dict[str, Any]:
    """``GET /catalogs/{id}[?include_deleted=True][&column=&value=[&use_wildcard=True]]``.

    The C# client always sends ``include_deleted`` (``GetCatalogRequest``). Unknown catalogs
    answer 403 ``access_denied_catalog``; an unknown column 400 ``catalog_column_not_found``.
    """
    include_deleted = body.query_bool(call.arg("include_deleted"), "include_deleted")
    with call.backend.lock:
        catalog = _catalog(call, catalog_id)
        items = catalog.items if include_deleted else live_items(catalog)
        return serialize.catalog(catalog, items=_filtered(call, catalog, items))


# -- creating ------------------------------------------------------------------------------------


def _create(call: Call, spec: NewCatalog) -> Catalog:
    supervisors = [call.me.id, *(p for p in spec.supervisors if p != call.me.id)]
    return call.backend.add_catalog(
        spec.name,
        spec.headers,
        spec.rows,
        source_type=spec.source_type,
        external_id=spec.external_id,
        external_version=spec.external_version,
        supervisors=supervisors,
    )


def create_catalog(call: Call) -> dict[str, Any]:
    """``PUT /catalogs`` ``{name, catalog_headers, items?, source_type?, add_supervisors?}``:
    the new catalog (CatalogResponse); the caller becomes its supervisor."""
    data = call.json()
    with call.backend.lock:
        spec = parse_new_catalog(call.backend, data, "")
        return catalog_reply(_create(call, spec))


def create_catalogs(call: Call) -> dict[str, Any]:
    """``PUT /catalogs/bulk`` ``[CreateCatalogRequest]`` (C# ``CreateCatalogs``):
    ``{"catalogs": [Catalog]}``; every item is checked before any catalog is created."""
    data = body.json_array(call.request, call.body_limit)
    with call.backend.lock:
        specs = [parse_new_catalog(call.backend, item, f"/{i}") for i, item in enumerate(data)]
        return {"catalogs": [catalog_reply(_create(call, spec)) for spec in specs]}


# -- changing ------------------------------------------------------------------------------------


def _apply_flag(data: dict[str, Any], path: str) -> bool:
    return bool(body.get_bool(data, "apply", path=path))


def sync_catalog(call: Call, catalog_id: int) -> dict[str, Any]:
    """``POST /catalogs/{id}`` ``{apply, catalog_headers, items, force_update_first_column?}``.

    The request's headers and items replace the catalog's: items are matched by their first
    value; those missing from the request are deleted. ``apply`` false (the default) is a dry
    run: the reply lists what would change and nothing is written.
    """
    data = call.json()
    with call.backend.lock:
        catalog = _editable(call, catalog_id)
        applied = _apply_flag(data, "")
        edit = sync_edit(catalog, data)
        if applied:
            apply(call.backend, edit)
        return edit.reply(applied)


def sync_catalogs(call: Call) -> dict[str, Any]:
    """``POST /catalogs/bulk`` ``[SyncCatalogRequest with id]`` (C# ``SyncCatalogs``):
    ``{"catalogs": [SyncCatalogResponse]}``; every item is checked before any is applied."""
    data = body.json_array(call.request, call.body_limit)
    with call.backend.lock:
        plans = []
        seen: set[int] = set()
        for index, item in enumerate(data):
            path = f"/{index}"
            catalog_id = body.get_int(item, "id", path=path)
            if catalog_id is None:
                raise ApiError("required_parameter_missing", f"{path}/id: name the catalog")
            if catalog_id in seen:
                raise ApiError(
                    "invalid_value_format", f"{path}/id: catalog {catalog_id} is synced twice"
                )
            seen.add(catalog_id)
            catalog = _editable(call, catalog_id, f"{path}/id: ")
            plans.append((sync_edit(catalog, item, path), _apply_flag(item, path)))
        for edit, applied in plans:
            if applied:
                apply(call.backend, edit)
        return {"catalogs": [edit.reply(applied) for edit, applied in plans]}


def update_catalog_items(call: Call, catalog_id: int) -> dict[str, Any]:
    """``POST /catalogs/{id}/diff`` ``{upsert: [{values}], delete: [key]}``: items are keyed by
    their first value; always applied (the reply's ``apply`` is true)."""
    data = call.json()
    with call.backend.lock:
        catalog = _editable(call, catalog_id)
        edit = diff_edit(catalog, data)
        apply(call.backend, edit)
        return edit.reply(True)


def delete_catalogs(call: Call) -> dict[str, Any]:
    """``DELETE /catalogs/bulk`` ``[{id}]`` (C# ``DeleteCatalogs``): ``{}``.

    The catalogs are flagged ``deleted`` and stay readable: tasks that chose their items still
    show them. Deleting a deleted catalog again changes nothing.
    """
    data = body.json_array(call.request, call.body_limit)
    with call.backend.lock:
        doomed = []
        for index, item in enumerate(data):
            catalog_id = body.get_int(item, "id", path=f"/{index}")
            if catalog_id is None:
                raise ApiError("required_parameter_missing", f"/{index}/id: name the catalog")
            doomed.append(_editable(call, catalog_id, f"/{index}/id: "))
        for catalog in doomed:
            if not catalog.deleted:
                catalog.deleted = True
                catalog.version += 1
        return {}
