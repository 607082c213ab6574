"""Strict mode, and the per-test life cycle the pytest plugin drives.

Strict mode fails a test when the fake saw something a passing test should not hide:

* a delivery whose reply had error-severity violations (Pyrus would have refused it);
* a delivery still ``pending_retry`` (the test never ran the retries it caused);
* an exception in a server thread: the fake's API server or a bot server.

:func:`check` raises :class:`~pyrus_mock.errors.StrictModeError` listing each problem, with the
delivery's :meth:`~pyrus_mock.delivery.Delivery.summary` and what to do about it.

The rest of this module is the pytest plugin's logic, kept out of ``pytest_plugin.py`` (which only
wires fixtures and hooks) and free of pytest imports: parsing the plugin's options
(:func:`parse_options`), the session's one fake and its per-test reset
(:class:`PluginSession`), and the bot servers a test starts (:class:`BotServers`).
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import StrictModeError

if TYPE_CHECKING:
    import trustme

    from .asgi import AsgiBotServer
    from .delivery import Delivery
    from .mock import PyrusMock
    from .server import TLSServer
    from .tls import IssuedCert
    from .transcript import ServerLike

__all__ = [
    "BotServers",
    "PluginOptions",
    "PluginSession",
    "check",
    "parse_bool",
    "parse_options",
    "problems",
]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

_PYTEST_HINT = (
    "Fix the bot or the test. If the test provokes this on purpose, mark it "
    "@pytest.mark.pyrus_allow_violations; to turn strict mode off for the whole run, pass "
    "--pyrus-mock-strict=off or set `pyrus_mock_strict = false` in the pytest ini file."
)
_LIBRARY_HINT = (
    "Fix the bot or the test; pyrus_mock.reset() forgets deliveries, and "
    "server.clear_errors() forgets server errors provoked on purpose."
)


# -- options ------------------------------------------------------------------------------------


def parse_bool(value: str, source: str) -> bool:
    """A strict boolean: ``on/off``, ``true/false``, ``yes/no``, ``1/0`` (any case).

    Args:
        value: the text given.
        source: where it came from (``--pyrus-mock-strict``), for the message.

    Raises:
        ValueError: anything else; the message names the source and the accepted words.
    """
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(
        f"{source}: {value!r} is not a boolean; use on or off (true/false, yes/no and 1/0 "
        "also work)"
    )


@dataclass(frozen=True)
class PluginOptions:
    """The pytest plugin's options, parsed.

    Attributes:
        strict: fail tests on violations, pending retries and server-thread errors.
        settings: :class:`~pyrus_mock.Settings` overrides for the session's fake.
    """

    strict: bool = True
    settings: Mapping[str, Any] = field(default_factory=dict)


def parse_options(
    *,
    strict: tuple[str | None, str],
    signature_case: tuple[str | None, str],
    delivery_timeout: tuple[str | None, str],
) -> PluginOptions:
    """Parse the plugin's options; each is ``(value or None, where it came from)``.

    The command line wins over the ini file: the caller passes whichever is set.

    Raises:
        ValueError: a value that makes no sense; the message names the option and what is
            allowed.
    """
    settings: dict[str, Any] = {}
    value, source = signature_case
    if value is not None and value.strip():
        case = value.strip().lower()
        if case not in ("upper", "lower"):
            raise ValueError(f"{source}: {value!r} is not a signature case; use upper or lower")
        settings["signature_case"] = case
    value, source = delivery_timeout
    if value is not None and value.strip():
        try:
            seconds = float(value)
        except ValueError:
            seconds = math.nan
        if not (seconds > 0 and math.isfinite(seconds)):
            raise ValueError(
                f"{source}: {value!r} is not a positive number of seconds, e.g. 60 or 2.5"
            )
        settings["delivery_timeout"] = seconds
    value, source = strict
    on = True if value is None or not value.strip() else parse_bool(value, source)
    return PluginOptions(strict=on, settings=settings)


# -- the strict check ---------------------------------------------------------------------------


def problems(mock: PyrusMock, servers: Iterable[ServerLike] = ()) -> list[str]:
    """What strict mode objects to, one entry per problem (empty when all is well).

    Args:
        mock: the fake.
        servers: more servers to look at (the fake's API server and the bot servers of
            ``serve_bot`` are always looked at).
    """
    from .transcript import servers_of

    found: list[str] = []
    now = mock.clock.time()
    for delivery in list(mock.dispatcher.deliveries):
        errors = delivery.error_violations
        if errors:
            found.append(
                f"{delivery.summary()}\n-> {len(errors)} error-severity "
                f"violation{'s' if len(errors) > 1 else ''}: Pyrus would refuse this reply, "
                "so nothing of it was applied"
            )
        if delivery.state == "pending_retry":
            found.append(f"{delivery.summary()}\n-> {_pending_hint(mock, delivery, now)}")
        elif delivery.state == "in_flight":
            found.append(
                f"{delivery.summary()}\n-> still in flight when the test ended: a thread is "
                "still calling the bot; wait for it before the test returns"
            )
    app = mock._app
    for exc in getattr(app, "errors", ()):
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        found.append(
            f"the fake's API raised {type(exc).__name__}: {exc} (the client got a JSON 500 "
            f"server_error)\n{trace.rstrip()}"
        )
    for server in servers_of(mock, servers):
        for exc in server.errors:
            trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            found.append(
                f"{server.name} server raised {type(exc).__name__}: {exc} (the client got a "
                f"500)\n{trace.rstrip()}"
            )
    return found


def check(
    mock: PyrusMock, servers: Iterable[ServerLike] = (), *, under_pytest: bool = False
) -> None:
    """Raise :class:`StrictModeError` when :func:`problems` finds any.

    Args:
        mock: the fake.
        servers: more servers to look at.
        under_pytest: word the advice for the pytest plugin (marker and options).

    Raises:
        StrictModeError: the message numbers each problem and says how to resolve or allow it.
    """
    found = problems(mock, servers)
    if not found:
        return
    count = f"{len(found)} problem{'s' if len(found) > 1 else ''}"
    body = "\n\n".join(
        f"{number}. " + text.replace("\n", "\n   ") for number, text in enumerate(found, 1)
    )
    hint = _PYTEST_HINT if under_pytest else _LIBRARY_HINT
    raise StrictModeError(f"pyrus-mock strict mode found {count}:\n\n{body}\n\n{hint}")


def _pending_hint(mock: PyrusMock, delivery: Delivery, now: float) -> str:
    due = delivery.next_attempt_at
    if due is None:  # pragma: no cover - pending always has a due time
        return "a retry is still pending; advance the fake's clock to run it"
    delays = mock.backend.settings.retry_delays
    first = delivery.attempts[0].sent_at.timestamp() if delivery.attempts else now
    last = first + delays[-1] if delays else due
    stamp = datetime.fromtimestamp(due, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"still pending: attempt {len(delivery.attempts) + 1} is due at {stamp}. Run the "
        f"remaining attempts with pyrus_mock.clock.advance({max(0.0, last - now):g}) and assert "
        "on the outcome, or fix the bot so that the first attempt succeeds"
    )


# -- the plugin's session and tests -------------------------------------------------------------


class PluginSession:
    """One fake for a whole pytest session (one per xdist worker), reset for every test.

    No public constructor: the pytest plugin makes it. Nothing is shared between processes:
    the server listens on port 0 and the CA's files live in a private temporary directory.

    Args:
        ca: the CA everything is issued from.
        options: the plugin's parsed options.
    """

    def __init__(self, ca: trustme.CA, options: PluginOptions) -> None:
        from .mock import PyrusMock

        self.options = options
        self.mock = PyrusMock(ca=ca, **dict(options.settings))
        self._certs: dict[tuple[str, ...], IssuedCert] = {}
        self._idle: dict[tuple[str, ...], list[TLSServer]] = {}
        self._pool: list[TLSServer] = []
        self._hosts: dict[TLSServer, tuple[str, ...]] = {}
        self.mock.start()

    @contextmanager
    def test(self, overrides: Mapping[str, Any] | None = None) -> Iterator[PyrusMock]:
        """Reset the fake for one test and apply per-test setting ``overrides``.

        On exit the settings are restored and bot servers the test left running (``serve_bot``
        without ``with``) are stopped.

        Raises:
            InvalidArgument: an override that is not a setting, or a bad value.
        """
        mock = self.mock
        mock.reset()
        mock.start()  # in case the previous test stopped it
        saved = mock.settings
        if overrides:
            replaced = saved.replace(**overrides)
            mock.settings = mock.backend.settings = replaced
        try:
            yield mock
        finally:
            mock.settings = mock.backend.settings = saved
            mock.stop_bot_servers()
            # Keep-alive connections to the pooled bot servers stay warm for the next test;
            # connections to any other bot (serve_bot, a URL of the test's own) are dropped, or
            # a long session would pile up connections to servers that no longer exist.
            pooled = {f"{server.host}:{server.port}" for server in self._pool}
            sent_to = {urlsplit(a.url).netloc for d in mock.dispatcher.deliveries
                       for a in d.attempts}  # fmt: skip
            if not sent_to <= pooled:
                mock.dispatcher.close()

    def cert(self, hosts: Sequence[str]) -> IssuedCert:
        """A certificate for ``hosts`` from the session's CA, issued once per session."""
        key = tuple(hosts)
        cert = self._certs.get(key)
        if cert is None:
            cert = self._certs[key] = self.mock.issue_cert(*key)
        return cert

    def lease_server(self, app: Any, hosts: Sequence[str]) -> TLSServer:
        """A running HTTPS server for ``hosts`` now serving ``app``, from the session's pool.

        Starting a server and a TLS handshake per test would cost milliseconds in every test;
        a pooled server keeps its port and the fake's keep-alive connection to it, and only its
        app changes. Its captured errors are cleared: they belong to the new test.
        """
        from .server import TLSServer

        key = tuple(hosts)
        idle = self._idle.setdefault(key, [])
        if idle:
            server = idle.pop()
        else:
            server = TLSServer(_vacant, self.mock.ca.server_context(*key), name="bot")
            server.start()
            self._pool.append(server)
            self._hosts[server] = key
        server.clear_errors()
        server.app = app
        # Listed with the fake's own bot servers while leased, so that pyrus_mock.check() and
        # pyrus_mock.transcript() see its errors too.
        self.mock._bot_servers.append(server)
        return server

    def return_server(self, server: TLSServer) -> None:
        """Put a leased server back in the pool; until leased again it answers 503.

        A server the test stopped meanwhile is dropped from the pool instead.
        """
        server.app = _vacant
        servers = self.mock._bot_servers
        if server not in servers:  # the test stopped it (pyrus_mock.stop_bot_servers())
            server.stop()
            self._pool.remove(server)
            return
        servers.remove(server)
        self._idle.setdefault(self._hosts[server], []).append(server)

    def close(self) -> None:
        """Stop the fake's server and the pooled bot servers, and remove the CA's files."""
        pool, self._pool, self._idle = self._pool, [], {}
        try:
            for server in pool:
                server.stop()
        finally:
            self.mock.close()


class BotServers:
    """The bot servers one test starts: WSGI apps in-process, ASGI apps through uvicorn.

    No public constructor: the ``bot_server`` fixture makes one per test and hands the test
    :meth:`serve`; :meth:`close` ends them all. WSGI apps are served by pooled servers of the
    session (see :meth:`PluginSession.lease_server`), ASGI apps by a uvicorn each.

    Args:
        session: the plugin session whose fake and pool are used.
    """

    def __init__(self, session: PluginSession) -> None:
        self._session = session
        self._leased: list[TLSServer] = []
        self._asgi: list[AsgiBotServer] = []

    @property
    def servers(self) -> list[ServerLike]:
        """Every server serving this test's bots."""
        return [*self._leased, *self._asgi]

    def serve(self, app: Any, *, hosts: Sequence[str] = ("localhost", "127.0.0.1")) -> str:
        """Serve ``app`` over HTTPS with a certificate from the fake's CA; return its URL.

        Args:
            app: a WSGI app, or an ASGI app (``async def __call__(scope, receive, send)``),
                which needs ``pip install 'pyrus-mock[asgi]'``.
            hosts: host names the certificate is issued for.

        Returns:
            ``https://127.0.0.1:PORT/``, ready for ``create_bot(name, url)``.
        """
        from .asgi import AsgiBotServer, is_asgi_app

        if is_asgi_app(app):
            server = AsgiBotServer(app, self._session.cert(hosts))
            self._asgi.append(server)
            return server.start()
        leased = self._session.lease_server(app, hosts)
        self._leased.append(leased)
        return leased.url + "/"

    def close(self) -> None:
        """Stop the ASGI servers and return the WSGI ones to the pool.

        Errors in their threads are not raised here: strict mode reported them after the test
        (or the test opted out, or it failed and its transcript lists them).
        """
        asgi, self._asgi = self._asgi, []
        if asgi:
            # Hang up the fake's pooled keep-alive connections first, so that uvicorn closes its
            # side while its event loop still runs (else: unclosed transport warnings).
            self._session.mock.dispatcher.close()
        for server in asgi:
            server.stop()
        leased, self._leased = self._leased, []
        for tls in leased:
            self._session.return_server(tls)


def _vacant(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """What a pooled bot server answers between tests."""
    body = b"no bot is served here: the test that served one has ended"
    start_response(
        "503 Service Unavailable",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
    )
    return [body]
