"""The pytest plugin of pyrus-mock: fixtures and hooks only.

Fixtures:

* ``pyrus_ca`` (session): the ``trustme.CA`` everything is issued from; override it in a
  ``conftest.py`` to share your own CA.
* ``pyrus_mock`` (function): a :class:`~pyrus_mock.PyrusMock` with its HTTPS API server
  running, empty at the start of every test (one fake per session or xdist worker, reset).
* ``bot_server`` (function): ``url = bot_server(app)`` serves a WSGI app (or an ASGI app, with
  ``pip install 'pyrus-mock[asgi]'``) over HTTPS until the test ends.
* ``pyrus_requests`` (function): ``requests`` and ``httpx`` calls to the Pyrus hosts go to the
  fake in-process for the test; yields the interceptor.

Strict mode fails a test after it passed when the fake saw a reply with error-severity
violations, a retry still pending, or an exception in a server thread; the
``pyrus_allow_violations`` marker opts a test out. A failed test's report gets a
"pyrus-mock transcript" section. The logic lives in :mod:`pyrus_mock.plugin.support` (options,
the session's fake, bot servers), :mod:`pyrus_mock.report.strict`,
:mod:`pyrus_mock.report.transcript` and
:mod:`pyrus_mock.transport.asgi`, imported lazily so that loading the plugin stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import trustme

    from .mock.fake import PyrusMock
    from .plugin.support import BotServers, PluginOptions, PluginSession  # noqa: F401 (stash keys)
    from .transport.intercept import Interceptor

_OPTIONS = pytest.StashKey["PluginOptions"]()
_MOCK = pytest.StashKey["PyrusMock"]()
_SERVERS = pytest.StashKey["BotServers"]()
_REPORTED = pytest.StashKey[bool]()

_MARKERS = (
    "pyrus_allow_violations: strict mode of pyrus-mock does not fail this test (reply "
    "violations, pending retries, server-thread errors)",
    "pyrus_mock(**settings): pyrus-mock settings for this test, e.g. "
    "@pytest.mark.pyrus_mock(signature_case='lower')",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--pyrus-mock-*`` options and their ``pyrus_mock_*`` ini counterparts."""
    group = parser.getgroup("pyrus-mock", "pyrus-mock (fake Pyrus for bot tests)")
    group.addoption(
        "--pyrus-mock-strict",
        metavar="on|off",
        default=None,
        help="fail tests on reply violations, pending retries and server-thread errors "
        "(default: on; ini: pyrus_mock_strict)",
    )
    group.addoption(
        "--pyrus-mock-signature-case",
        metavar="upper|lower",
        default=None,
        help="hex case of X-Pyrus-Sig (default: upper, like Pyrus; ini: pyrus_mock_signature_case)",
    )
    group.addoption(
        "--pyrus-mock-delivery-timeout",
        metavar="SECONDS",
        default=None,
        help="seconds a bot may take to answer a delivery (default: 60; ini: "
        "pyrus_mock_delivery_timeout)",
    )
    parser.addini("pyrus_mock_strict", "pyrus-mock strict mode: true or false", default="")
    parser.addini("pyrus_mock_signature_case", "X-Pyrus-Sig hex case: upper or lower", default="")
    parser.addini("pyrus_mock_delivery_timeout", "bot answer timeout in seconds", default="")


def _option(config: pytest.Config, name: str) -> tuple[str | None, str]:
    value = config.getoption(name)  # the dest of --pyrus-mock-... is the ini name
    if value is not None:
        return str(value), "--" + name.replace("_", "-")
    ini = str(config.getini(name))
    return (ini or None), f"{name} (ini)"


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers and parse the options; a bad value is a usage error."""
    for line in _MARKERS:
        config.addinivalue_line("markers", line)
    from .plugin.support import parse_options

    try:
        config.stash[_OPTIONS] = parse_options(
            strict=_option(config, "pyrus_mock_strict"),
            signature_case=_option(config, "pyrus_mock_signature_case"),
            delivery_timeout=_option(config, "pyrus_mock_delivery_timeout"),
        )
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture(scope="session")
def pyrus_ca() -> trustme.CA:
    """The certificate authority of the session's fake; override it to bring your own."""
    import trustme

    return trustme.CA()


@pytest.fixture(scope="session")
def _pyrus_mock_session(
    pyrus_ca: trustme.CA, pytestconfig: pytest.Config
) -> Iterator[PluginSession]:
    from .plugin.support import PluginSession

    session = PluginSession(pyrus_ca, pytestconfig.stash[_OPTIONS])
    yield session
    session.close()


@pytest.fixture
def pyrus_mock(
    request: pytest.FixtureRequest, _pyrus_mock_session: PluginSession
) -> Iterator[PyrusMock]:
    """A running fake Pyrus, empty at the start of the test (ids and clock start over)."""
    import contextlib

    from .domain.errors import InvalidArgument

    marker = request.node.get_closest_marker("pyrus_mock")
    overrides = dict(marker.kwargs) if marker is not None else {}
    with contextlib.ExitStack() as stack:
        try:
            mock = stack.enter_context(_pyrus_mock_session.test(overrides))
        except InvalidArgument as exc:  # a misspelt or bad marker argument: one line, no trace
            problem = str(exc)
        else:
            problem = ""
        if problem:  # failed outside the except: pytest would print the message twice, chained
            pytest.fail(f"@pytest.mark.pyrus_mock(...): {problem}", pytrace=False)
        request.node.stash[_MOCK] = mock
        yield mock


@pytest.fixture
def bot_server(
    request: pytest.FixtureRequest, pyrus_mock: PyrusMock, _pyrus_mock_session: PluginSession
) -> Iterator[Callable[..., str]]:
    """``url = bot_server(app)``: serve a bot over HTTPS (certificate from the fake's CA).

    Depends on ``pyrus_mock`` so that the fake is reset before, and torn down after, the bots.
    """
    from .plugin.support import BotServers

    servers = BotServers(_pyrus_mock_session)
    request.node.stash[_SERVERS] = servers
    yield servers.serve
    servers.close()


@pytest.fixture
def pyrus_requests(pyrus_mock: PyrusMock) -> Iterator[Interceptor]:
    """``requests``/``httpx`` calls to api/accounts/files.pyrus.com reach the fake in-process."""
    with pyrus_mock.intercept() as interceptor:
        yield interceptor


def _extra_servers(item: pytest.Item) -> list[Any]:
    servers = item.stash.get(_SERVERS, None)
    return servers.servers if servers is not None else []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """After a test that passed, run the strict check (unless off or the test opts out)."""
    result = yield
    mock = item.stash.get(_MOCK, None)
    if (
        mock is not None
        and item.config.stash[_OPTIONS].strict
        and item.get_closest_marker("pyrus_allow_violations") is None
    ):
        from .report.strict import check

        check(mock, _extra_servers(item), under_pytest=True)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Show a strict-mode failure without traceback; add the transcript to a failed test."""
    report = yield
    if report.failed and call.excinfo is not None:
        from .domain.errors import StrictModeError

        if call.excinfo.errisinstance(StrictModeError):
            # The message says everything; a traceback through the plugin would only hide it.
            report.longrepr = call.excinfo.getrepr(style="value")
    mock = item.stash.get(_MOCK, None)
    if report.failed and mock is not None and not item.stash.get(_REPORTED, False):
        from .report.transcript import transcript

        item.stash[_REPORTED] = True
        report.sections.append(("pyrus-mock transcript", transcript(mock, _extra_servers(item))))
    return report
