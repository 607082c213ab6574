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
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .forms import Imported, ImportRefused, import_catalog, import_form, with_id
from .tasks import import_task

if TYPE_CHECKING:
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
    result = result if result is not None else Imported()
    kind = kind_of(data)
    if kind == "list":
        for item in sorted(data, key=_order):
            import_json(mock, item, result)
    elif kind == "forms":
        for index, item in enumerate(data["forms"]):
            if not isinstance(item, Mapping):
                raise ImportRefused(f"/forms/{index}", f"is a {type(item).__name__}, not a form")
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
