"""Every method of the official Python client passes against the fake, with default settings.

Runs ``scripts/official_client_tour.py`` (the script a user can run too) in-process and over
HTTPS. A client method the tour does not call, a reply the client cannot parse, or an error
reply fails the test with the tour's whole table.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "official_client_tour.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("official_client_tour", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("transport", ["intercept", "https"])
def test_every_client_method_passes(transport: str) -> None:
    tour = _load().run(transport)
    assert tour.passed, "\n" + tour.table()
    called = {step.method for step in tour.steps}
    assert len(called) >= 40, sorted(called)  # pyrus-api 2.50 has 42 endpoint methods


def test_the_tour_notices_a_method_it_does_not_call(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _load()
    from pyrus import client

    monkeypatch.setattr(client.PyrusAPI, "get_future_thing", lambda self: None, raising=False)
    assert "get_future_thing" in module.client_methods()
    tour = module.Tour(fake=None, api=None)
    assert tour.missing
    assert not tour.passed


def test_the_script_exits_non_zero_on_a_failure() -> None:
    # A call to an id the fake does not know answers an error, which the tour reports.
    module = _load()
    tour = module.Tour(fake=None, api=client_that_fails())
    tour.call("get_task", 1)
    assert not tour.steps[0].ok
    assert "access_denied_task" in tour.table()


def client_that_fails() -> object:
    class Reply:
        error_code = "access_denied_task"
        error = "task 1 does not exist"

    class Api:
        def get_task(self, task_id: int) -> Reply:
            return Reply()

    return Api()


def test_the_script_runs_from_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--transport", "intercept"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "official Python client (pyrus-api) over intercept" in result.stdout
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
