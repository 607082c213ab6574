"""The layout's one direction of dependencies, checked on the source (``ast``), and the module
size limit. See docs/architecture.md.

Layers, lowest first. A module may import (at run time) only from its own layer or a lower
one, and the packages' import graph has no cycle. Imports under ``if TYPE_CHECKING:`` are
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
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
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
