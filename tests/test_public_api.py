"""The public surface is declared, loads lazily, and stays what the docs promise."""

from __future__ import annotations

import builtins
import inspect
import re
import subprocess
import sys

import pytest

import pyrus_mock
from pyrus_mock import PyrusMock

DOCUMENTED = {
    "Announcement",
    "AnnouncementComment",
    "Approval",
    "Attempt",
    "Bot",
    "BotLimitReached",
    "BotUrlError",
    "CallIntegration",
    "Catalog",
    "CatalogItem",
    "CertificateAuthority",
    "CheckResult",
    "Choice",
    "Clock",
    "Comment",
    "CommentRejected",
    "ConformanceReport",
    "Delivery",
    "Department",
    "FieldDef",
    "FileRecord",
    "Form",
    "FormStep",
    "Imported",
    "ImportRefused",
    "Interceptor",
    "ReplayReport",
    "InvalidArgument",
    "IssuedCert",
    "KbEntity",
    "Person",
    "PyrusMock",
    "PyrusMockError",
    "RealClock",
    "Rights",
    "Scheduled",
    "ServerThreadError",
    "Settings",
    "StrictModeError",
    "Subscriber",
    "TLSServer",
    "TableRow",
    "Task",
    "TaskList",
    "UnknownEntity",
    "Violation",
    "VirtualClock",
    "__version__",
}


def test_all_is_the_documented_surface() -> None:
    assert pyrus_mock.__all__ == sorted(DOCUMENTED)
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
    assert "pyrus_mock.mock.fake" not in loaded
    assert not [m for m in loaded if m.startswith("werkzeug")]


# Names a return annotation may use besides the package's exports (typing, collections.abc).
_GENERIC = {"Any", "Iterator", "Iterable", "Sequence", "Mapping", "Callable", "None", "Self"}


def _public_return_annotations() -> dict[str, str]:
    found: dict[str, str] = {}
    for name, obj in inspect.getmembers(PyrusMock):
        if name.startswith("_"):
            continue
        func = obj.fget if isinstance(obj, property) else obj
        if not callable(func):
            continue
        ret = getattr(func, "__annotations__", {}).get("return")
        if ret is not None:
            found[name] = str(ret)
    return found


def _unexported_names(annotation: str) -> list[str]:
    bad = []
    for dotted in re.findall(r"[A-Za-z_][\w.]*", annotation):
        head, _, _ = dotted.partition(".")
        if "." in dotted and head in sys.stdlib_module_names:
            continue  # e.g. ssl.SSLContext
        if dotted in _GENERIC or hasattr(builtins, dotted) or dotted in pyrus_mock.__all__:
            continue
        bad.append(dotted)
    return bad


def test_public_methods_of_pyrus_mock_return_only_exported_types() -> None:
    annotations = _public_return_annotations()
    assert {"add_form", "task", "intercept", "issue_cert", "check_bot"} <= set(annotations)
    bad = {n: _unexported_names(a) for n, a in annotations.items() if _unexported_names(a)}
    assert bad == {}, f"return types not exported from pyrus_mock: {bad}"


def test_the_annotation_check_catches_an_unexported_type() -> None:
    assert _unexported_names("list[Dispatcher] | None") == ["Dispatcher"]
    assert _unexported_names("ssl.SSLContext | dict[str, Task]") == []
