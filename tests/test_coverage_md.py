"""``COVERAGE.md`` is generated from the route table and must be current."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from pyrus_mock.api.coverage import NOT_IMPLEMENTED, coverage_markdown
from pyrus_mock.api.routes import ENDPOINTS, default_map

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


def test_every_endpoint_is_listed() -> None:
    text = coverage_markdown()
    for endpoint in ENDPOINTS:
        assert f"`{endpoint.display_path}`" in text
    for _, path, _ in NOT_IMPLEMENTED:
        assert f"`{path}`" in text


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
    """URL builders are compiled lazily (``LazyBuilderRule``): building still works, for every
    rule of the API and control tables, and the built URL matches back to the same view."""
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
    # a second build reuses the compiled builder, with unknown values as a query string
    assert adapter.build(views_tasks.get_task, {"task_id": 3, "item": "x"}) == "/tasks/3?item=x"
    assert built == len(ENDPOINTS)


def _csharp_endpoints() -> list[tuple[str, str, str]]:
    lines = (ROOT / "tests/data/csharp_client_endpoints.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in lines.splitlines() if line and not line.startswith("#")]
    return [(name, method, path) for name, method, path in rows]


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


def test_every_csharp_client_endpoint_is_served() -> None:
    """Against an independent list (transcribed from the C# client, not from the route
    table): every endpoint the C# client calls reaches a view of the fake. Without a token an
    authenticated route answers 401 ``token_not_specified``; an unserved one 404 or 405."""
    from werkzeug.test import Client

    from pyrus_mock import PyrusMock

    rows = _csharp_endpoints()
    assert len(rows) == 81, len(rows)
    client = Client(PyrusMock().app)
    unserved = []
    for name, method, path in rows:
        url = path.replace("{id}", "1")
        if url not in _FILES_ORIGIN:
            url = "/v4" + url
        response = client.open(url, method=method, json={})
        body = response.get_json()
        if response.status_code in (404, 405) or body.get("error_code") in (
            "not_found",
            "method_not_allowed",
        ):
            unserved.append(f"{name}: {method} {url} -> {body}")
    assert not unserved, "\n".join(unserved)
