"""Catalog request bodies (create, sync, diff) checked, and the changes they make.

The views (:mod:`.views_catalogs`) read a body with the parsers here, compute an :class:`Edit`
against the catalog's current state, and apply it under ``backend.lock``. Computing never
changes the catalog, so a dry run (``apply: false``) and the validation of a whole bulk request
happen before anything is written.

Items are keyed by their first column (contract: the "key parameter" of ``/diff``); a deleted
item stays in the catalog with ``deleted: true`` so that tasks which chose it still show it, and
an item whose key comes back is revived under its old id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..domain.model import Catalog, CatalogHeader, CatalogItem
from ..state import serialize_directory
from . import body, refs
from .errors import ApiError

if TYPE_CHECKING:
    from ..state.backend import PyrusBackend

__all__ = [
    "MAX_ITEMS",
    "MAX_VALUE_LENGTH",
    "SOURCE_TYPES",
    "Edit",
    "NewCatalog",
    "apply",
    "catalog_reply",
    "diff_edit",
    "live_items",
    "parse_headers",
    "parse_new_catalog",
    "parse_rows",
    "person_ids",
    "sync_edit",
]

#: Pyrus limits (contract §5.4): items per catalog, characters per value.
MAX_ITEMS = 15_000
MAX_VALUE_LENGTH = 500


#: ``source_type`` values every official client can read (C# ``Enums/SourceType.cs``; the
#: TypeScript client knows ``default`` and ``fill_table``, the Python one keeps the string).
SOURCE_TYPES = frozenset(
    {
        "default", "sales_force", "amo_crm", "quickbooks_gl_codes", "quickbooks_vendors",
        "hierarchical", "unknown_gl_codes", "unknown_vendors", "gp_gl_codes", "gp_vendors",
        "quickbooks_online_gl_codes", "quickbooks_online_vendors", "department_catalog",
        "sap_gl_codes", "sap_vendors", "unknown_customers", "quickbooks_customers",
        "quickbooks_terms", "quickbooks_customer_messages", "amo_crm_companies",
        "quickbooks_online_tax_codes", "quickbooks_classes", "quickbooks_sales_tax_codes",
        "quickbooks_sales_reps", "quickbooks_items", "one_s_contractors", "fill_table",
        "logisuite_vendors", "one_s_organizations", "sapb1_gl_codes", "sapb1_vendors",
        "quickbooks_online_classes", "sapb1_items", "sapb1_customers", "diadoc_organizations",
        "blackbaud_nxt_accounts", "blackbaud_nxt_vendors", "blackbaud_nxt_projects",
        "blackbaud_nxt_classes", "net_suite_vendors", "net_suite_gl_codes", "net_suite_items",
        "sbis_organizations", "net_suite_classes", "unknown_projects", "unknown_classes",
        "quickbooks_online_tax_customers", "bamboo_hr_employees", "blackbaud_nxt_bank_accounts",
        "unknown_bank_accounts", "unknown_tax_codes", "quickbooks_employees",
        "quickbooks_payroll_item_wage", "quickbooks_item_service", "sage_intacct_vendors",
        "sage_intacct_accounts", "sage_intacct_departments", "sage_intacct_locations",
        "sage_intacct_projects", "sage_intacct_tasks", "sage_intacct_cost_types",
        "quickbooks_online_items", "unknown_items", "net_suite_departments",
        "quickbooks_online_terms", "unknown_terms", "net_suite_employees",
        "net_suite_vendor_addresses", "edi_org_details_ru", "sage_intacct_customers",
        "sage_intacct_items", "sage_intacct_classes",
    }
)  # fmt: skip


# -- parsing -------------------------------------------------------------------------------------


def parse_headers(data: Mapping[str, Any], path: str) -> list[str]:
    """``catalog_headers``: non-empty, distinct column names (strings, or ``{name}`` objects)."""
    raw = body.get_list(data, "catalog_headers", path=path)
    if not raw:
        raise ApiError(
            "empty_catalog_headers",
            f'{path}/catalog_headers: a catalog needs at least one column, e.g. ["Name"]',
        )
    names: list[str] = []
    seen: set[str] = set()
    for index, header in enumerate(raw):
        where = f"{path}/catalog_headers/{index}"
        if isinstance(header, dict):  # a CatalogHeader {name, type} read back from Pyrus
            header = header.get("name")
            where += "/name"
        if not isinstance(header, str):
            raise body.wrong(where, "a string", header)
        if not header.strip():
            raise ApiError("empty_catalog_headers", f"{where}: a column name may not be empty")
        if header.casefold() in seen:
            raise ApiError("catalog_duplicate_headers", f"{where}: the column {header!r} twice")
        seen.add(header.casefold())
        names.append(header)
    return names


def parse_rows(data: Mapping[str, Any], key: str, path: str, width: int) -> list[list[str]]:
    """Items ``[{values: [str]}]`` under ``key``: one value per column, distinct first values.

    Other item members (``item_id``, ``deleted``, ``rows``, ``links``...) are ignored: the C#
    client sends ``item_id: 0`` and ``deleted: false`` with every item, the Python one ``rows``.
    """
    raw = body.get_list(data, key, path=path) or []
    if len(raw) > MAX_ITEMS:
        raise ApiError(
            "too_many_catalog_items",
            f"{path}/{key}: {len(raw)} items; a catalog holds at most {MAX_ITEMS}",
        )
    rows: list[list[str]] = []
    keys: dict[str, int] = {}
    for index, item in enumerate(raw):
        where = f"{path}/{key}/{index}"
        if not isinstance(item, dict):
            raise body.wrong(where, "an object {values: [...]}", item)
        values = body.get_list(item, "values", path=where)
        if values is None:
            raise body.wrong(f"{where}/values", "an array of strings", None)
        row = _row(values, f"{where}/values", width)
        if row[0] in keys:
            raise ApiError(
                "catalog_duplicate_rows",
                f"{where}/values/0: the key {row[0]!r} is also the key of item {keys[row[0]]}; "
                "first-column values must be unique",
            )
        keys[row[0]] = index
        rows.append(row)
    return rows


def _row(values: Sequence[Any], where: str, width: int) -> list[str]:
    if len(values) != width:
        raise ApiError(
            "catalog_headers_items_mismatch",
            f"{where}: {len(values)} values for {width} columns; give one value per column",
        )
    for index, value in enumerate(values):
        if value is None:
            raise ApiError("catalog_null_value", f"{where}/{index}: a value may not be null")
        if not isinstance(value, str):
            raise body.wrong(f"{where}/{index}", "a string", value)
        if len(value) > MAX_VALUE_LENGTH:
            raise ApiError(
                "catalog_item_max_length_exceeded",
                f"{where}/{index}: {len(value)} characters; at most {MAX_VALUE_LENGTH}",
            )
    if not values[0].strip():
        raise ApiError("empty_item_key", f"{where}/0: the first column (the key) is empty")
    return list(values)


def person_ids(backend: PyrusBackend, data: Mapping[str, Any], key: str, path: str) -> list[int]:
    """Person ids under ``key`` (``add_supervisors``...), each an active person."""
    return refs.person_ids(backend, body.get_int_list(data, key, path=path), f"{path}/{key}")


@dataclass(slots=True)
class NewCatalog:
    """A checked ``CreateCatalogRequest``."""

    name: str
    headers: list[str]
    rows: list[list[str]]
    source_type: str = "default"
    external_id: str = ""
    external_version: int = 0
    supervisors: list[int] = field(default_factory=list)


def parse_new_catalog(backend: PyrusBackend, data: Mapping[str, Any], path: str) -> NewCatalog:
    """A ``CreateCatalogRequest`` (``PUT /catalogs``, or one item of ``PUT /catalogs/bulk``)."""
    name = body.get_str(data, "name", path=path)
    if name is None or not name.strip():
        raise ApiError("required_parameter_missing", f"{path}/name: a catalog needs a name")
    headers = parse_headers(data, path)
    rows = parse_rows(data, "items", path, len(headers))
    source = body.get_str(data, "source_type", path=path) or "default"
    if source not in SOURCE_TYPES:
        raise ApiError(
            "invalid_value_format",
            f'{path}/source_type: {source!r} is not a catalog source type; use "default"',
        )
    return NewCatalog(
        name,
        headers,
        rows,
        source,
        body.get_str(data, "external_id", path=path) or "",
        body.get_int(data, "external_version", path=path) or 0,
        person_ids(backend, data, "add_supervisors", path),
    )


# -- computing and applying changes --------------------------------------------------------------


@dataclass(slots=True)
class Edit:
    """The changes a sync or diff makes to one catalog (nothing is written until :func:`apply`).

    Attributes:
        catalog: the catalog.
        headers: the columns afterwards.
        added: new rows; a row whose key belonged to a deleted item revives that item.
        updated: live items and their new values.
        deleted: live items to delete.
    """

    catalog: Catalog
    headers: list[CatalogHeader]
    added: list[tuple[CatalogItem | None, list[str]]] = field(default_factory=list)
    updated: list[tuple[CatalogItem, list[str]]] = field(default_factory=list)
    deleted: list[CatalogItem] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        """Whether anything changes."""
        old = [(h.name, h.type) for h in self.catalog.headers]
        new = [(h.name, h.type) for h in self.headers]
        return bool(self.added or self.updated or self.deleted or old != new)

    def reply(self, applied: bool) -> dict[str, Any]:
        """The SyncCatalogResponse: ``{catalog_id, apply, added, deleted, updated,
        catalog_headers}`` (empty lists omitted; a dry run's new items have no ``item_id``)."""
        added = []
        for item, values in self.added:
            data: dict[str, Any] = {"values": values, "deleted": False}
            if item is not None:
                data = {"item_id": item.id, **data}
            added.append(data)
        updated = [{"item_id": i.id, "values": v, "deleted": False} for i, v in self.updated]
        deleted = [
            {"item_id": i.id, "values": list(i.values), "deleted": True} for i in self.deleted
        ]
        reply: dict[str, Any] = {"catalog_id": self.catalog.id, "apply": applied}
        for key, items in (("added", added), ("deleted", deleted), ("updated", updated)):
            if items:
                reply[key] = items
        reply["catalog_headers"] = [{"name": h.name, "type": h.type} for h in self.headers]
        return reply


def live_items(catalog: Catalog) -> list[CatalogItem]:
    """The catalog's items that are not deleted."""
    return [item for item in catalog.items if not item.deleted]


def _by_key(items: Sequence[CatalogItem]) -> dict[str, CatalogItem]:
    return {item.values[0]: item for item in items if item.values}


def _upsert(edit: Edit, rows: Sequence[list[str]]) -> dict[str, CatalogItem]:
    """Sort ``rows`` into ``edit``: a key no live item has is added (reviving the deleted item
    of that key, if any), a live item whose values differ is updated. Returns the live items
    by key, as they were before the edit."""
    live = _by_key(live_items(edit.catalog))
    gone = _by_key([i for i in edit.catalog.items if i.deleted])
    for row in rows:
        item = live.get(row[0])
        if item is None:
            edit.added.append((gone.get(row[0]), row))
        elif item.values != row:
            edit.updated.append((item, row))
    return live


def _check_size(catalog: Catalog, live_after: int, path: str) -> None:
    if live_after > MAX_ITEMS:
        raise ApiError(
            "too_many_catalog_items",
            f"{path}: catalog {catalog.id} would hold {live_after} items; at most {MAX_ITEMS}",
        )


def sync_edit(catalog: Catalog, data: Mapping[str, Any], path: str = "") -> Edit:
    """The changes of a ``SyncCatalogRequest``: the request's headers and items replace the
    catalog's; live items whose key is not in the request are deleted.

    Renaming the first column (the key) needs ``force_update_first_column: true``
    (else 400 ``can_not_modify_first_column``).
    """
    if catalog.deleted:
        raise ApiError("can_not_modify_deleted_catalog", f"catalog {catalog.id} is deleted")
    names = parse_headers(data, path)
    rows = parse_rows(data, "items", path, len(names))
    force = body.get_bool(data, "force_update_first_column", path=path)
    first = catalog.headers[0].name if catalog.headers else None
    if first is not None and first != names[0] and not force:
        raise ApiError(
            "can_not_modify_first_column",
            f"{path}/catalog_headers/0: the key column is {first!r}, not {names[0]!r}; send "
            "force_update_first_column: true to rename it",
        )
    types = {h.name: h.type for h in catalog.headers}
    edit = Edit(catalog, [CatalogHeader(n, types.get(n, "text")) for n in names])
    live = _upsert(edit, rows)
    wanted = {row[0] for row in rows}
    edit.deleted = [item for key, item in live.items() if key not in wanted]
    _check_size(catalog, len(rows), path or "/items")
    return edit


def diff_edit(catalog: Catalog, data: Mapping[str, Any], path: str = "") -> Edit:
    """The changes of an ``UpdateCatalogItemsRequest`` ``{upsert: [{values}], delete: [key]}``.

    Keys to delete that no live item has are ignored; a key both upserted and deleted is
    refused (``catalog_duplicate_rows``).
    """
    if catalog.deleted:
        raise ApiError("can_not_modify_deleted_catalog", f"catalog {catalog.id} is deleted")
    rows = parse_rows(data, "upsert", path, len(catalog.headers))
    keys = body.get_list(data, "delete", path=path) or []
    upserted = {row[0] for row in rows}
    for index, key in enumerate(keys):
        if not isinstance(key, str):
            raise body.wrong(f"{path}/delete/{index}", "a string (an item's first value)", key)
        if key in upserted:
            raise ApiError(
                "catalog_duplicate_rows",
                f"{path}/delete/{index}: the key {key!r} is also upserted; do one or the other",
            )
    edit = Edit(catalog, list(catalog.headers))
    live = _upsert(edit, rows)
    doomed = set(keys)
    edit.deleted = [item for key, item in live.items() if key in doomed]
    _check_size(catalog, len(live) + len(edit.added) - len(edit.deleted), path or "/upsert")
    return edit


def apply(backend: PyrusBackend, edit: Edit) -> None:
    """Write ``edit`` into its catalog (call under ``backend.lock``); new items get ids, the
    catalog's ``version`` goes up by one when anything changed."""
    catalog = edit.catalog
    changed = edit.changes
    catalog.headers = list(edit.headers)
    for item in edit.deleted:
        item.deleted = True
    for item, values in edit.updated:
        item.values = list(values)
    revived: list[tuple[CatalogItem | None, list[str]]] = []
    for old, values in edit.added:
        if old is None:
            old = CatalogItem(backend.next_id("catalog_item"), list(values))
            catalog.items.append(old)
        else:
            old.deleted = False
            old.values = list(values)
        revived.append((old, values))
    edit.added = revived
    if changed:
        catalog.version += 1


def catalog_reply(catalog: Catalog, *, include_deleted: bool = False) -> dict[str, Any]:
    """A CatalogResponse; deleted items only with ``include_deleted``."""
    items = catalog.items if include_deleted else live_items(catalog)
    return serialize_directory.catalog(catalog, items=items)
