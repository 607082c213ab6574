"""The public surface is declared, loads lazily, and stays what the docs promise."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pyrus_mock

DOCUMENTED = {
    "Attempt", "Bot", "BotLimitReached", "BotUrlError", "CommentRejected", "ConformanceReport",
    "Delivery", "InvalidArgument", "PyrusMock", "PyrusMockError", "RealClock", "Rights",
    "ServerThreadError", "Settings", "StrictModeError", "UnknownEntity", "Violation",
    "VirtualClock", "__version__",
}  # fmt: skip


def test_all_is_the_documented_surface() -> None:
    assert set(pyrus_mock.__all__) == DOCUMENTED
    assert sorted(dir(pyrus_mock)) == sorted(DOCUMENTED)


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(pyrus_mock, name) is not None


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = pyrus_mock.Nope  # type: ignore[attr-defined]


def test_errors_subclass_the_builtins_users_catch() -> None:
    assert issubclass(pyrus_mock.InvalidArgument, ValueError)
    assert issubclass(pyrus_mock.UnknownEntity, KeyError)
    assert issubclass(pyrus_mock.StrictModeError, AssertionError)
    for name in ("InvalidArgument", "UnknownEntity", "CommentRejected", "BotUrlError"):
        assert issubclass(getattr(pyrus_mock, name), pyrus_mock.PyrusMockError)


def test_plugin_discovery_does_not_load_the_fake() -> None:
    code = (
        "import sys, pyrus_mock.pytest_plugin;"
        "print(sorted(m for m in sys.modules if m.startswith(('pyrus_mock.', 'werkzeug'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = eval(out.stdout)
    assert "pyrus_mock.mock" not in loaded
    assert not [m for m in loaded if m.startswith("werkzeug")]
