"""The layout's one direction of dependencies, checked on the source (``ast``), and the module
size limit. See docs/architecture.md.

Layers, lowest first. A module may import (at run time) only from its own layer or a lower
one, each package only from the packages :data:`MAY_USE` lists for it (the table of
docs/architecture.md), and the packages' import graph has no cycle. ``importlib.import_module``
with a literal name counts as an import. Imports in the body of ``if TYPE_CHECKING:`` are
annotations only and are not dependencies: they may name a type of any layer (the control
plane's views are typed with :class:`~pyrus_mock.PyrusMock`, which mounts them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pyrus_mock"

#: Lowest first. Keys are module-name prefixes below ``pyrus_mock``; "" is the package root.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_version", "schema", "examples"),
    ("domain",),
    ("engine",),
    ("transport",),
    ("state",),
    ("delivery",),
    ("api",),
    ("importing",),
    ("report",),
    ("control",),
    ("mock",),
    ("plugin",),
    ("cli",),
    ("", "pytest_plugin", "__main__", "strategies"),
)
MAX_LINES = 600

_BASE = {"_version", "schema"}
_BELOW_CONTROL = {"domain", "engine", "transport", "state", "delivery", "api", "importing"}
#: The packages each package may import at run time (docs/architecture.md, "may use").
MAY_USE: dict[str, set[str]] = {
    "_version": set(),
    "schema": set(),
    "examples": set(),
    "domain": set(),
    "engine": {"domain"},
    "transport": {"domain", "_version"},
    "state": {"domain", "engine"},
    "delivery": {"domain", "engine", "state", "transport"},
    "api": {"domain", "engine", "state", *_BASE},
    "importing": {"domain", "engine", "state", "transport", "delivery", "api"},
    "report": {"domain", "engine", "state", "transport", "delivery"},
    "control": {*_BELOW_CONTROL, "report", *_BASE},
    "mock": {*_BELOW_CONTROL, "report", "control", *_BASE},
    "plugin": {*_BELOW_CONTROL, "report", "control", "mock", *_BASE},
    "cli": {*_BELOW_CONTROL, "report", "control", "mock", "plugin", "examples", *_BASE},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _unit(module: str) -> str:
    """The package (layer member) a module belongs to: ``pyrus_mock.state.backend`` -> ``state``."""
    below = module.split(".")[1:]
    if not below:
        return ""
    return below[0]


def _layer(module: str) -> int:
    if module.startswith("<"):
        raise AssertionError(module)
    unit = _unit(module)
    for index, units in enumerate(LAYERS):
        if unit in units:
            return index
    raise AssertionError(f"{module}: in no layer of tests/test_architecture.py; add it to LAYERS")


def _runtime_imports(path: Path, module: str) -> list[tuple[int, str]]:
    """``(line, imported module)`` for every import of the package outside TYPE_CHECKING."""
    tree = ast.parse(path.read_text("utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) in _TYPE_CHECKING
        for statement in block.body  # not the else branch, nor ``if not TYPE_CHECKING:``
        for node in ast.walk(statement)
    }
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Call) and ast.unparse(node.func) in _DYNAMIC_IMPORTS:
            found.append((node.lineno, _dynamic_target(node, package, module)))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("pyrus_mock")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target == "pyrus_mock" or target.startswith("pyrus_mock."):
                names = [f"{target}.{a.name}" for a in node.names]
                subs = [n for n in names if _is_module(n)]
                found += [(node.lineno, n) for n in (subs or [target])]
    return found


_TYPE_CHECKING = {"TYPE_CHECKING", "typing.TYPE_CHECKING"}
_DYNAMIC_IMPORTS = {"importlib.import_module", "import_module", "__import__"}


def _dynamic_target(call: ast.Call, package: str, module: str) -> str:
    """The module an ``importlib.import_module`` call loads; a name that is not a literal
    cannot be checked, so it fails the test (the package's own lazy export tables use a
    literal table the test reads, see below)."""
    arg = call.args[0] if call.args else None
    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
        if module == "pyrus_mock":  # __init__'s lazy exports: every target is in _WHERE
            return "pyrus_mock"
        return f"<a module named at run time, line {call.lineno}: use a literal name>"
    name = arg.value
    if name.startswith("."):
        level = len(name) - len(name.lstrip("."))
        base = package.split(".")[: len(package.split(".")) - level + 1]
        name = ".".join([*base, name.lstrip(".")])
    return name


def _is_module(name: str) -> bool:
    rel = Path(*name.split(".")[1:]) if "." in name else Path()
    return (PACKAGE / rel).with_suffix(".py").is_file() or (PACKAGE / rel / "__init__.py").is_file()


def _graph() -> dict[str, list[tuple[int, str]]]:
    return {
        _module_name(path): _runtime_imports(path, _module_name(path))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def upward_imports(graph: dict[str, list[tuple[int, str]]]) -> list[str]:
    """Every import of a higher layer, as ``module:line -> imported``."""
    return [
        f"{module}:{line} -> {target}"
        for module, imports in graph.items()
        for line, target in imports
        if _layer(target) > _layer(module)
    ]


def forbidden_uses(graph: dict[str, list[tuple[int, str]]]) -> list[str]:
    """Every import of a package that :data:`MAY_USE` does not list for the importer."""
    bad = []
    for module, imports in graph.items():
        unit = _unit(module)
        allowed = MAY_USE.get(unit)
        if allowed is None:  # the package root's entry points may use anything
            continue
        for line, target in imports:
            if _unit(target) != unit and _unit(target) not in allowed:
                bad.append(f"{module}:{line} -> {target}")
    return bad


def package_cycles(graph: dict[str, list[tuple[int, str]]]) -> list[list[str]]:
    """Cycles in the graph of packages (``state -> engine``), each as its packages."""
    edges: dict[str, set[str]] = {}
    for module, imports in graph.items():
        for _, target in imports:
            a, b = _unit(module), _unit(target)
            if a != b:
                edges.setdefault(a, set()).add(b)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    return cycles


def test_no_module_imports_a_higher_layer() -> None:
    upward = upward_imports(_graph())
    assert not upward, "imports against the direction of docs/architecture.md:\n" + "\n".join(
        upward
    )


def test_each_package_uses_only_what_the_table_allows() -> None:
    bad = forbidden_uses(_graph())
    assert not bad, "imports docs/architecture.md's table does not allow:\n" + "\n".join(bad)


def test_the_packages_have_no_import_cycle() -> None:
    cycles = package_cycles(_graph())
    assert not cycles, "package cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_every_module_is_in_a_layer() -> None:
    for module in _graph():
        _layer(module)


@pytest.mark.parametrize(
    ("graph", "upward", "cycles"),
    [
        ({"pyrus_mock.domain.model": [(3, "pyrus_mock.mock.fake")]}, 1, 0),
        (
            {
                "pyrus_mock.state.backend": [(1, "pyrus_mock.engine.batch")],
                "pyrus_mock.engine.batch": [(2, "pyrus_mock.state.backend")],
            },
            1,
            1,
        ),
        ({"pyrus_mock.mock.fake": [(1, "pyrus_mock.domain.model")]}, 0, 0),
    ],
)
def test_the_checks_catch_what_they_should(
    graph: dict[str, list[tuple[int, str]]], upward: int, cycles: int
) -> None:
    assert len(upward_imports(graph)) == upward
    assert len(package_cycles(graph)) == cycles


def test_hidden_imports_are_imports(tmp_path: Path) -> None:
    """``if not TYPE_CHECKING:``, the else branch, and ``importlib.import_module`` all run."""
    probe = PACKAGE / "domain" / "zz_probe.py"
    source = (
        "from typing import TYPE_CHECKING\n"
        "import importlib\n"
        "if not TYPE_CHECKING:\n    from ..mock import fake\n"
        "if TYPE_CHECKING:\n    pass\nelse:\n    from ..state import backend\n"
        "importlib.import_module('pyrus_mock.control.plane')\n"
        "importlib.import_module(NAME)\n"
    )
    found = _runtime_imports_of(source, probe, "pyrus_mock.domain.zz_probe")
    targets = [t for _, t in found]
    assert "pyrus_mock.mock.fake" in targets
    assert "pyrus_mock.state.backend" in targets
    assert "pyrus_mock.control.plane" in targets
    assert any(t.startswith("<a module named at run time") for t in targets)
    assert len(upward_imports({"pyrus_mock.domain.zz_probe": found[:3]})) == 3


def _runtime_imports_of(source: str, path: Path, module: str) -> list[tuple[int, str]]:
    original = Path.read_text

    def fake_read(self: Path, *args: object, **kwargs: object) -> str:
        return source if self == path else original(self, *args, **kwargs)  # type: ignore[arg-type]

    Path.read_text = fake_read  # type: ignore[method-assign]
    try:
        return _runtime_imports(path, module)
    finally:
        Path.read_text = original  # type: ignore[method-assign]


def test_no_module_is_over_the_size_limit() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them by concern): {long}"


def test_the_package_root_holds_only_public_entry_points() -> None:
    root = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert root == [
        "__init__.py",
        "__main__.py",
        "_version.py",
        "pytest_plugin.py",
        "strategies.py",
    ], root
