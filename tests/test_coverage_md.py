"""``COVERAGE.md`` is generated from the route table and must be current; the fake serves, and
``COVERAGE.md`` lists as implemented, every endpoint of the official C# and Python clients, taken
from lists transcribed by hand from their source (``tests/data/*_client_endpoints.tsv``), not from
the route table."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from pyrus_mock.api.app import default_map
from pyrus_mock.api.coverage import NOT_IMPLEMENTED, coverage_markdown
from pyrus_mock.api.routes import ENDPOINTS

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("coverage_script", ROOT / "scripts/coverage.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_coverage_md_is_up_to_date() -> None:
    assert (ROOT / "COVERAGE.md").read_text(encoding="utf-8") == coverage_markdown(), (
        "COVERAGE.md is stale: run `python scripts/coverage.py`"
    )


def test_not_implemented_routes_are_really_absent() -> None:
    adapter = default_map().bind("pyrus.test")
    for method, path, _ in NOT_IMPLEMENTED:
        if "{" in path or "..." in path or " " in path or "," in path:
            continue
        for verb in method.split("|"):
            with pytest.raises(Exception, match=r"404|405"):
                adapter.match("/v4" + path, verb)


def test_script_check_and_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = _script()
    assert script.main(["--check"]) == 0
    target = tmp_path / "COVERAGE.md"
    assert script.main(["--check"], path=target) == 1
    assert "out of date" in capsys.readouterr().err
    assert script.main([], path=target) == 0
    assert target.read_text(encoding="utf-8") == coverage_markdown()
    assert script.main(["--check"], path=target) == 0


def test_every_route_builds_and_matches_back() -> None:
    """``MapAdapter.build`` works for every rule of the API and control tables (their ``int`` and
    default converters' ``to_url``), and the built URL matches back to the same view."""
    from pyrus_mock.api import views_tasks
    from pyrus_mock.api.endpoint import build_map

    adapter = build_map(ENDPOINTS).bind("pyrus.test")
    built = 0
    for rule in adapter.map.iter_rules():
        values = dict.fromkeys(rule.arguments, 7)
        method = sorted(rule.methods or {"GET"})[0]
        url = adapter.build(rule.endpoint, values, method=method)
        assert url == re.sub(r"<(?:\w+:)?\w+>", "7", rule.rule)
        endpoint, arguments = adapter.match(url, method)
        assert endpoint is rule.endpoint
        # int converters give ints back, string ones (knowledge-base ids) strings
        assert {k: str(v) for k, v in arguments.items()} == dict.fromkeys(rule.arguments, "7")
        built += 1
    # unknown values go to the query string
    assert adapter.build(views_tasks.get_task, {"task_id": 3, "item": "x"}) == "/tasks/3?item=x"
    assert built == len(ENDPOINTS)


def _rows(name: str) -> list[list[str]]:
    lines = (ROOT / "tests/data" / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


def _csharp_endpoints() -> list[tuple[str, str, str]]:
    """(method name, HTTP method, URL path as the fake is asked) of the C# client."""
    rows = []
    for name, method, path in _rows("csharp_client_endpoints.tsv"):
        rows.append((name, method, path if path in _FILES_ORIGIN else "/v4" + path))
    return rows


def _python_endpoints() -> list[tuple[str, str, str]]:
    """(method name, HTTP method, URL path with query as the fake is asked) of the Python client."""
    prefix = {"api": "/v4", "auth": "/api/v4", "files": ""}
    return [
        (name, method, prefix[origin] + path)
        for name, method, origin, path in _rows("python_client_endpoints.tsv")
    ]


# The C# client fetches these from its files origin (https://files.pyrus.com, no /v4).
_FILES_ORIGIN = {
    "/services/attachment",
    "/handlingtime",
    "/personlastaction",
    "/eventhistory",
    "/fileaccesshistory",
    "/registryaccesshistory",
    "/registrydownloadhistory",
    "/taskaccesshistory",
}


def _unserved(rows: list[tuple[str, str, str]]) -> list[str]:
    """The rows the fake does not route. Without a token an authenticated route answers 401
    ``token_not_specified`` (``/auth`` a 400 or 401 refusal); an unserved one 404 or 405."""
    from werkzeug.test import Client

    from pyrus_mock import PyrusMock

    client = Client(PyrusMock().app)
    unserved = []
    for name, method, path in rows:
        url = path.replace("{id}", "1")
        response = client.open(url, method=method, json={})
        body = response.get_json()
        if response.status_code in (404, 405) or body.get("error_code") in (
            "not_found",
            "method_not_allowed",
        ):
            unserved.append(f"{name}: {method} {url} -> {body}")
    return unserved


def test_every_csharp_client_endpoint_is_served() -> None:
    """Against an independent list (transcribed from the C# client, not from the route
    table): every endpoint the C# client calls reaches a view of the fake."""
    rows = _csharp_endpoints()
    assert len(rows) == 81, len(rows)
    unserved = _unserved(rows)
    assert not unserved, "\n".join(unserved)


def test_every_python_client_endpoint_is_served() -> None:
    """Against an independent list (transcribed from ``pyrus/client.py`` of pyrus-api 2.50, not
    from the route table): every request the official Python client sends, with the query it
    builds, on the origin it sends it to, reaches a view of the fake."""
    rows = _python_endpoints()
    assert len(rows) == 45, len(rows)
    assert len({name for name, _, _ in rows}) == 42  # every public request method of PyrusAPI
    unserved = _unserved(rows)
    assert not unserved, "\n".join(unserved)


def _implemented_in_coverage_md() -> list[tuple[set[str], re.Pattern[str], set[str]]]:
    """(methods, path pattern, prefixes) of each row of COVERAGE.md's *Implemented* table."""
    text = (ROOT / "COVERAGE.md").read_text(encoding="utf-8")
    table = text.split("## Implemented", 1)[1].split("## Not implemented", 1)[0]
    found = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) < 3 or not cells[1].startswith("`/"):
            continue
        methods = set(cells[0].split("&#124;"))
        path = re.escape(cells[1].strip("`"))
        pattern = re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", path))
        prefixes = {"" if p == "none" else p.strip("`") for p in cells[2].split(", ")}
        found.append((methods, pattern, prefixes))
    return found


@pytest.mark.parametrize("rows", [_csharp_endpoints, _python_endpoints], ids=["csharp", "python"])
def test_coverage_md_lists_every_official_client_endpoint_as_implemented(
    rows: Callable[[], list[tuple[str, str, str]]],
) -> None:
    """The document a user reads says "implemented" for every endpoint of the independent
    lists, under the prefix the client uses."""
    table = _implemented_in_coverage_md()
    assert len(table) > 50
    missing = []
    for name, method, url in rows():
        # the C# client asks for /contacts/ and /profile/: every route takes a trailing slash
        path = url.split("?", 1)[0].replace("{id}", "1").removesuffix("/")
        listed = any(
            method in methods
            and any(
                path.startswith(prefix) and pattern.fullmatch(path[len(prefix) :])
                for prefix in prefixes
            )
            for methods, pattern, prefixes in table
        )
        if not listed:
            missing.append(f"{name}: {method} {path}")
    assert not missing, "\n".join(missing)
