"""Importing JSON saved from real Pyrus: what it is, forms and catalogs, and the result.

:func:`import_json` recognises ``GET /forms/{id}`` (and ``GET /forms``), ``GET /catalogs/{id}``,
``GET /tasks/{id}`` and a webhook body a bot received, and creates the same records in a fake,
keeping their ids when no record of the fake has them already (otherwise a fresh id, said in
:attr:`Imported.notes`). What the fake cannot represent is refused with
:class:`ImportRefused`, naming the JSON path and what to do. Tasks are in
:mod:`pyrus_mock.importing.tasks`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from ..domain.errors import InvalidArgument
from ..domain.model import CatalogHeader

if TYPE_CHECKING:
    from ..domain.ids import IdSource
    from ..domain.model import Catalog, Form
    from ..mock.fake import PyrusMock

__all__ = [
    "ImportRefused",
    "Imported",
    "import_any",
    "import_dir",
    "import_json",
    "kind_of",
    "serve_imports",
    "with_id",
]

T = TypeVar("T")


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


def kind_of(data: object) -> str:
    """``form``, ``forms``, ``catalog``, ``task`` (webhook or ``GET /tasks``) or ``list``."""
    if isinstance(data, list):
        return "list"
    if not isinstance(data, Mapping):
        raise ImportRefused("", f"got a JSON {type(data).__name__}", _WHAT)
    if isinstance(data.get("task"), Mapping):
        return "task"
    if "catalog_headers" in data:
        return "catalog"
    if isinstance(data.get("forms"), list):
        return "forms"
    if "name" in data and isinstance(data.get("fields"), list) and "author" not in data:
        return "form"
    keys = ", ".join(sorted(map(str, data))[:12]) or "none"
    raise ImportRefused(
        "", f"this is not a Pyrus form, catalog, task or webhook body (keys: {keys})", _WHAT
    )


_WHAT = (
    "save the reply of GET /forms/{id}, GET /catalogs/{id} or GET /tasks/{id}, or the body a "
    "bot received, and import that"
)


def import_json(mock: PyrusMock, data: Any, result: Imported | None = None) -> Imported:
    """Create in ``mock`` the form, catalog or task that ``data`` (parsed JSON) describes."""
    from .tasks import import_task

    result = result if result is not None else Imported()
    kind = kind_of(data)
    if kind == "list":
        for item in sorted(data, key=_order):
            import_json(mock, item, result)
    elif kind == "forms":
        for item in data["forms"]:
            import_form(mock, item, result)
    elif kind == "form":
        import_form(mock, data, result)
    elif kind == "catalog":
        import_catalog(mock, data, result)
    else:
        import_task(mock, data, result)
    return result


def _order(item: object) -> int:
    try:
        return ("catalog", "forms", "form", "list", "task").index(kind_of(item))
    except ImportRefused:
        return 9


def import_dir(mock: PyrusMock, directory: str | Path) -> Imported:
    """Import every ``*.json`` file of ``directory``: catalogs, then forms, then tasks."""
    root = Path(directory)
    if not root.is_dir():
        raise ImportRefused(str(root), "is not a directory", "give a directory of .json files")
    loaded: list[tuple[int, str, Any]] = []
    for path in sorted(root.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ImportRefused(path.name, f"cannot be read as JSON ({exc})") from None
        loaded.append((_order(data), path.name, data))
    result = Imported()
    for _, name, data in sorted(loaded, key=lambda item: item[:2]):
        try:
            import_json(mock, data, result)
        except ImportRefused as exc:
            raise ImportRefused(name, str(exc)) from None
    return result


def import_any(mock: PyrusMock, source: Any) -> Imported:
    """Import parsed JSON, a JSON text, or a ``.json`` file or a directory of them (a path)."""
    if isinstance(source, Path) or (isinstance(source, str) and source.lstrip()[:1] not in "{["):
        path = Path(source)
        if path.is_dir():
            return import_dir(mock, path)
        try:
            source = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ImportRefused(
                str(path),
                f"cannot be read ({exc.strerror or exc})",
                "give parsed JSON, a JSON text, a .json file or a directory",
            ) from None
        except ValueError as exc:
            raise ImportRefused(str(path), f"is not JSON ({exc})") from None
    elif isinstance(source, (str, bytes)):
        try:
            source = json.loads(source)
        except ValueError as exc:
            raise ImportRefused("", f"the text is not JSON ({exc})") from None
    return import_json(mock, source)


def serve_imports(mock: PyrusMock, directories: Iterable[str], out: TextIO, err: TextIO) -> bool:
    """``pyrus-mock serve --import DIR``: import each directory, print what came in (or why
    not); False when one was refused."""
    for directory in directories:
        try:
            result = import_dir(mock, directory)
        except ImportRefused as exc:
            print(f"pyrus-mock serve: --import: {exc}", file=err)
            return False
        print(
            f"pyrus-mock serve: imported {len(result.forms)} forms, {len(result.catalogs)} "
            f"catalogs, {len(result.tasks)} tasks, {len(result.bots)} bots from {directory}",
            file=out,
            flush=True,
        )
        for note in result.notes:
            print(f"  note: {note}", file=out, flush=True)
    return True


# -- forms and catalogs --------------------------------------------------------------------------

_FIELD_KEYS = frozenset({"id", "type", "name", "code", "info", "value"})


def _field_spec(data: Any, where: str) -> dict[str, Any]:
    """A form field of ``GET /forms/{id}`` as the builders take it (nested fields too)."""
    if not isinstance(data, Mapping):
        raise ImportRefused(where, f"is a {type(data).__name__}, not a field object")
    spec = {k: v for k, v in data.items() if k in _FIELD_KEYS}
    info = dict(data.get("info") or {})
    for nested in ("columns", "fields"):
        if isinstance(info.get(nested), list):
            info[nested] = [
                _field_spec(f, f"{where}/info/{nested}/{i}") for i, f in enumerate(info[nested])
            ]
    if isinstance(info.get("options"), list):
        options = []
        for index, option in enumerate(info["options"]):
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
    steps_json = data.get("steps") or {}
    if not isinstance(steps_json, Mapping):
        raise ImportRefused("/steps", "must be an object {step number: name}")
    steps = []
    for number, name in sorted(steps_json.items(), key=lambda kv: int(kv[0])):
        steps.append({"name": str(name), "step": int(number)})
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
