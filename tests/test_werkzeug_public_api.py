"""The package uses only werkzeug's public API (issue 13): no private module, name, attribute or
hook, and no ``MapAdapter`` made by hand (werkzeug documents it as returned by ``Map.bind``).

An ``ast`` scan of ``pyrus_mock/``. Private means a name starting with one underscore (dunders
are public protocol). Besides imports and attributes of werkzeug modules and classes, it flags
attributes whose name werkzeug itself defines as private (``request._cached_data``,
``rule._parts``) unless the package defines that name too, methods named after a werkzeug
private hook in subclasses of werkzeug classes (``def _compile_builder``), ``super()._x`` there,
and ``getattr``-style access with such a name.
"""

from __future__ import annotations

import ast
import functools
import gc
import io
import json
import warnings
from pathlib import Path
from typing import Any

import werkzeug
from werkzeug.test import EnvironBuilder, run_wsgi_app

from ._api_helpers import World, make_world

PACKAGE = Path(__file__).resolve().parents[1] / "pyrus_mock"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined_names(files: list[Path]) -> set[str]:
    """Every private name the files define: functions, classes, assigned names and attributes."""
    names: set[str] = set()
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
        names.update(p.stem for p in files)
    return {n for n in names if _private(n)}


@functools.cache
def _werkzeug_private() -> frozenset[str]:
    """The private names werkzeug defines or uses (methods, attributes, modules)."""
    root = Path(werkzeug.__file__).parent
    return frozenset(_defined_names(sorted(root.rglob("*.py"))))


@functools.cache
def _own_private() -> frozenset[str]:
    """The private attribute names the package defines itself: assigned as attributes
    (``self._lock = ...``) or defined in class bodies. ``self._lock`` is ours, not werkzeug's."""
    names: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        names.add(item.name)
                    elif isinstance(item, (ast.Assign, ast.AnnAssign)):
                        targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(n for n in names if _private(n))


def _werkzeug_module(module: str | None) -> bool:
    return module is not None and (module == "werkzeug" or module.startswith("werkzeug."))


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def violations(source: str, filename: str = "<source>") -> list[str]:
    """Where ``source`` reaches into werkzeug's private API, one line per finding."""
    tree = ast.parse(source, filename)
    foreign = _werkzeug_private() - _own_private()
    found: list[str] = []

    def report(node: ast.AST, what: str) -> None:
        found.append(f"{filename}:{getattr(node, 'lineno', 0)}: {what}")

    # Names bound to werkzeug modules and objects by imports.
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _werkzeug_module(alias.name):
                    if any(_private(part) for part in alias.name.split(".")):
                        report(node, f"imports private module {alias.name}")
                    local = alias.asname or alias.name.split(".")[0]
                    bound[local] = (alias.asname and alias.name) or alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and _werkzeug_module(node.module):
            module = node.module or ""
            if any(_private(part) for part in module.split(".")):
                report(node, f"imports from private module {module}")
            for alias in node.names:
                if _private(alias.name):
                    report(node, f"imports private name {alias.name} from {module}")
                bound[alias.asname or alias.name] = f"{module}.{alias.name}"

    # Classes deriving from werkzeug classes (directly, or from such a class of this source).
    derived: set[str] = set()
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if cls.name in derived:
                continue
            roots = {_root_name(base) for base in cls.bases}
            if roots & (set(bound) | derived):
                derived.add(cls.name)
                changed = True

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            root = _root_name(node.value)
            if root in bound:
                report(node, f"uses private {bound[root]}...{node.attr}")
            elif node.attr in foreign and not _is_super(node.value):
                report(node, f"uses werkzeug's private attribute {node.attr}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else None
            if name in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) > 1:
                arg = node.args[1]
                if isinstance(arg, ast.Constant) and arg.value in foreign:
                    report(node, f"{name}(..., {arg.value!r}): werkzeug's private attribute")
            if name is not None and bound.get(name, "").endswith(".MapAdapter"):
                report(node, "makes a MapAdapter by hand; use Map.bind or Map.bind_to_environ")
        elif isinstance(node, ast.ClassDef) and node.name in derived:
            for item in node.body:
                if (
                    isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and _private(item.name)
                    and item.name in _werkzeug_private()
                ):
                    report(item, f"{node.name} overrides werkzeug's private {item.name}")
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Attribute)
                    and _private(inner.attr)
                    and _is_super(inner.value)
                ):
                    report(inner, f"{node.name} calls werkzeug's private super().{inner.attr}")
    return found


def _is_super(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


def test_the_package_uses_only_public_werkzeug_api() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 50
    found = [
        finding
        for path in files
        for finding in violations(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))
    ]
    assert found == []


def test_the_scan_finds_private_use() -> None:
    """The shapes issue 13 removed, and the other ways in, are all reported."""
    source = """
import werkzeug._internal
import werkzeug.routing as wr
from werkzeug._reloader import run_with_reloader
from werkzeug.routing import Map, MapAdapter, Rule
from werkzeug.test import _TestCookieJar
from werkzeug.wrappers import Request


class Lazy(Rule):
    def _compile_builder(self, *args, **kwargs):
        return super()._compile_builder(*args, **kwargs)


class Endpoint(Lazy):
    def _get_func_code(self, code, name):
        return None


def bound(url_map):
    return MapAdapter(url_map, "x.invalid", "/", None, "http", "/", "GET", None)


def peek(request: Request, rule: Rule):
    data = request._cached_data
    parts = getattr(rule, "_parts")
    return wr._something, data, parts
"""
    found = "\n".join(violations(source))
    for expected in (
        ":2: imports private module werkzeug._internal",
        ":4: imports from private module werkzeug._reloader",
        ":6: imports private name _TestCookieJar from werkzeug.test",
        ":11: Lazy overrides werkzeug's private _compile_builder",
        ":12: Lazy calls werkzeug's private super()._compile_builder",
        ":16: Endpoint overrides werkzeug's private _get_func_code",
        ":21: makes a MapAdapter by hand",
        ":25: uses werkzeug's private attribute _cached_data",
        ":26: getattr(..., '_parts')",
        ":27: uses private werkzeug.routing..._something",
    ):
        assert expected in found, (expected, found)
    assert len(found.splitlines()) == 10, found


def test_the_scan_leaves_public_use_and_own_private_names_alone() -> None:
    source = """
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request


class EndpointRule(Rule):
    def get_empty_kwargs(self):
        return {**super().get_empty_kwargs(), "spec": self._spec}

    def __init__(self, string):
        super().__init__(string)
        self._spec = None


def _helper(request: Request, url_map: Map):
    adapter = url_map.bind("pyrus-mock.invalid")
    return adapter.match(request.path, request.method), request.__class__
"""
    assert violations(source) == []


def _chunked_upload(world: World, size: int) -> tuple[int, dict[str, Any]]:
    boundary = "BOUNDARY"
    data = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"x" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    environ = EnvironBuilder(
        path="/v4/files/upload",
        method="POST",
        input_stream=io.BytesIO(data),
        headers={
            "Authorization": f"Bearer {world.token('bot')}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    ).get_environ()
    del environ["CONTENT_LENGTH"]  # chunked: werkzeug's own cap cuts the body off
    environ["wsgi.input_terminated"] = True
    app_iter, status, _ = run_wsgi_app(world.app, environ)
    return int(status.split()[0]), json.loads(b"".join(app_iter))


def test_uploads_are_buffered_in_memory_through_the_public_parser_hook() -> None:
    """werkzeug spools an upload over 500 KB to a temporary file, which leaks (a
    ``ResourceWarning``, an error under this suite's filterwarnings) when the body is cut off
    mid-part; the app's request keeps uploads in memory (``make_form_data_parser``)."""
    world = make_world(max_upload_bytes=700_000)
    try:
        status, body = _chunked_upload(world, 600_000)
        assert status == 200, body
        record = world.mock._backend.find_file_by_guid(body["guid"])
        assert record is not None
        assert record.content == b"x" * 600_000
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status, body = _chunked_upload(world, 800_000)
            gc.collect()
        assert (status, body["error_code"]) == (413, "too_large_request_length")
        assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    finally:
        world.mock.close()
    world.app.raise_errors()
