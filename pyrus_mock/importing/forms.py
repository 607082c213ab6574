"""The records of an import: forms and catalogs saved from real Pyrus, the result
(:class:`Imported`) and the refusal (:class:`ImportRefused`). Tasks are in
:mod:`pyrus_mock.importing.tasks`; recognising what a JSON document is, in
:mod:`pyrus_mock.importing.records`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ..domain.errors import InvalidArgument
from ..domain.model import CatalogHeader

if TYPE_CHECKING:
    from ..domain.ids import IdSource
    from ..domain.model import Catalog, Form
    from ..mock.fake import PyrusMock

__all__ = ["ImportRefused", "Imported", "import_catalog", "import_form", "with_id"]

T = TypeVar("T")
_FIELD_KEYS = frozenset({"id", "type", "name", "code", "info", "value"})


class ImportRefused(InvalidArgument):
    """JSON from Pyrus that the fake cannot represent; the message says where and why."""

    def __init__(self, where: str, problem: str, todo: str = "") -> None:
        super().__init__(where or "import", problem, None)
        if todo:
            self.args = (f"{self.args[0]}; {todo}",)


@dataclass(slots=True)
class Imported:
    """What an import created (ids in the fake) and what it had to change (notes).

    Attributes:
        forms: ids of the forms created.
        catalogs: ids of the catalogs created.
        tasks: ids of the tasks created.
        persons: ids of the users created for people the JSON names.
        bots: ids of the bots created (a webhook's receiver, ``type: bot`` persons).
        notes: what was not kept as it was (an id already taken, a part left out).
        id_map: ``(kind, id in the JSON) -> id in the fake`` for every record created.
    """

    forms: list[int] = field(default_factory=list)
    catalogs: list[int] = field(default_factory=list)
    tasks: list[int] = field(default_factory=list)
    persons: list[int] = field(default_factory=list)
    bots: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    id_map: dict[tuple[str, int], int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The result as the control API answers it."""
        return {
            "forms": self.forms,
            "catalogs": self.catalogs,
            "tasks": self.tasks,
            "persons": self.persons,
            "bots": self.bots,
            "notes": self.notes,
        }


def with_id(ids: IdSource, kind: str, wanted: object, free: bool, make: Callable[[], T]) -> T:
    """``make()`` with the next id of ``kind`` set to ``wanted`` when it is a free positive int."""
    before = ids.counter(kind)
    if free and isinstance(wanted, int) and not isinstance(wanted, bool) and 0 < wanted < 2**31:
        ids.claim(kind, wanted)
    try:
        return make()
    finally:
        ids.at_least(kind, before)


def _field_spec(data: Any, where: str) -> dict[str, Any]:
    """A form field of ``GET /forms/{id}`` as the builders take it (nested fields too)."""
    if not isinstance(data, Mapping):
        raise ImportRefused(where, f"is a {type(data).__name__}, not a field object")
    spec = {k: v for k, v in data.items() if k in _FIELD_KEYS}
    info_json = data.get("info") or {}
    if not isinstance(info_json, Mapping):
        raise ImportRefused(f"{where}/info", "must be an object")
    info = dict(info_json)
    for nested in ("columns", "fields"):
        if isinstance(info.get(nested), list):
            info[nested] = [
                _field_spec(f, f"{where}/info/{nested}/{i}") for i, f in enumerate(info[nested])
            ]
    if isinstance(info.get("options"), list):
        options = []
        for index, option in enumerate(info["options"]):
            if not isinstance(option, Mapping):
                raise ImportRefused(f"{where}/info/options/{index}", "must be an object")
            option = dict(option)
            if isinstance(option.get("fields"), list):
                option["fields"] = [
                    _field_spec(f, f"{where}/info/options/{index}/fields/{i}")
                    for i, f in enumerate(option["fields"])
                ]
            options.append(option)
        info["options"] = options
    if info:
        spec["info"] = info
    if spec.get("type") != "note":
        spec.pop("value", None)
    return spec


def import_form(mock: PyrusMock, data: Mapping[str, Any], result: Imported) -> Form:
    """Create the form of ``GET /forms/{id}``: fields with their ids, steps by number."""
    backend = mock._backend
    fields = data.get("fields") or []
    if not isinstance(fields, list):
        raise ImportRefused("/fields", "must be an array of field objects")
    steps_json = data.get("steps") or {}
    if not isinstance(steps_json, Mapping):
        raise ImportRefused("/steps", "must be an object {step number: name}")
    try:
        numbered = sorted(
            ((int(number), name) for number, name in steps_json.items()), key=lambda p: p[0]
        )
    except ValueError:
        raise ImportRefused("/steps", 'its keys must be step numbers: {"1": name}') from None
    steps = [{"name": str(name), "step": number} for number, name in numbered]
    specs = [_field_spec(f, f"/fields/{i}") for i, f in enumerate(fields)]
    wanted = data.get("id")
    with backend.lock:
        free = isinstance(wanted, int) and backend.find_form(wanted) is None
        try:
            form = with_id(
                backend.ids,
                "form",
                wanted,
                free,
                lambda: mock.add_form(str(data.get("name") or "Form"), specs, steps),
            )
        except ImportRefused:
            raise
        except InvalidArgument as exc:
            raise ImportRefused("/fields", f"the fake cannot build this form: {exc}") from None
    _kept(result, "form", wanted, form.id)
    result.forms.append(form.id)
    return form


def import_catalog(mock: PyrusMock, data: Mapping[str, Any], result: Imported) -> Catalog:
    """Create the catalog of ``GET /catalogs/{id}`` with its item ids."""
    backend = mock._backend
    headers_json = data.get("catalog_headers") or []
    if not isinstance(headers_json, list) or not headers_json:
        raise ImportRefused("/catalog_headers", "must be a non-empty array of {name, type}")
    for index, header in enumerate(headers_json):
        if not isinstance(header, Mapping):
            raise ImportRefused(f"/catalog_headers/{index}", "must be an object {name, type}")
    headers = [
        CatalogHeader(str(h.get("name", "")), str(h.get("type", "text"))) for h in headers_json
    ]
    items = data.get("items") or []
    rows: list[list[str]] = []
    for index, item in enumerate(items):
        values = item.get("values") if isinstance(item, Mapping) else None
        if not isinstance(values, list) or len(values) != len(headers):
            raise ImportRefused(
                f"/items/{index}/values",
                f"must be an array of {len(headers)} values, one per header",
            )
        rows.append([str(v) for v in values])
    wanted = data.get("catalog_id")
    with backend.lock:
        free = isinstance(wanted, int) and backend.find_catalog(wanted) is None
        catalog = with_id(
            backend.ids,
            "catalog",
            wanted,
            free,
            lambda: backend.add_catalog(str(data.get("name") or "Catalog"), headers, rows),
        )
        taken = {i.id for c in backend.catalogs() if c is not catalog for i in c.items}
        for item, record in zip(items, catalog.items, strict=False):
            item_id = item.get("item_id")
            if isinstance(item_id, int) and item_id > 0 and item_id not in taken:
                record.id = item_id
                taken.add(item_id)
                backend.ids.at_least("catalog_item", item_id)
            record.deleted = bool(item.get("deleted"))
    _kept(result, "catalog", wanted, catalog.id)
    result.catalogs.append(catalog.id)
    return catalog


def _kept(result: Imported, kind: str, wanted: object, got: int) -> None:
    if isinstance(wanted, int):
        result.id_map[(kind, wanted)] = got
        if wanted != got:
            result.notes.append(
                f"{kind} {wanted} got the id {got}: the fake already had a {kind} {wanted}"
            )
