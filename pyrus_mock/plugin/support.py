"""The pytest plugin's machinery, kept out of ``pytest_plugin.py`` (fixtures and hooks only).

Free of pytest imports, so that it can be tested directly and loading the plugin stays cheap:

* :func:`parse_options` turns the plugin's command-line and ini options into
  :class:`PluginOptions` (strict booleans through :func:`parse_bool`);
* :class:`PluginSession` is the session's one fake, reset for every test, and the pool of bot
  servers tests lease;
* :class:`BotServers` are the bot servers one test starts through the ``bot_server`` fixture.

The strict check itself is :mod:`pyrus_mock.report.strict`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..domain.errors import InvalidArgument
from ..domain.setting_values import parse_bool

if TYPE_CHECKING:
    import trustme

    from ..mock.fake import PyrusMock
    from ..report.transcript import ServerLike
    from ..transport.asgi import AsgiBotServer
    from ..transport.server import TLSServer
    from ..transport.tls import IssuedCert

__all__ = [
    "BotServers",
    "PluginOptions",
    "PluginSession",
    "parse_bool",
    "parse_options",
]

# -- options ------------------------------------------------------------------------------------


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
        from ..mock.fake import PyrusMock

        self.options = options
        self.mock = PyrusMock(ca=ca, **dict(options.settings))
        self._certs: dict[tuple[str, ...], IssuedCert] = {}
        self._idle: dict[tuple[str, ...], list[TLSServer]] = {}
        self._pool: list[TLSServer] = []
        self._hosts: dict[TLSServer, tuple[str, ...]] = {}
        self._asgi_idle: dict[tuple[str, ...], list[AsgiBotServer]] = {}
        self._asgi_pool: dict[AsgiBotServer, tuple[str, ...]] = {}
        self.mock.start()

    @contextmanager
    def test(self, overrides: Mapping[str, Any] | None = None) -> Iterator[PyrusMock]:
        """Reset the fake for one test and apply per-test setting ``overrides``.

        On exit the settings are restored and bot servers the test left running (``serve_bot``
        without ``with``) are stopped.

        ``overrides`` may also hold ``trust`` (see :attr:`PyrusMock.trust`), which is not a
        setting but is per test in the same way.

        Raises:
            InvalidArgument: an override that is not a setting, or a bad value.
        """
        mock = self.mock
        mock.reset()
        try:
            mock.start()  # in case the previous test stopped it
        except InvalidArgument:  # it restarted it with other arguments: back to the session's
            mock.stop()
            mock.start()
        saved, saved_trust = mock.settings, mock.trust
        settings = dict(overrides or {})
        new_trust = "trust" in settings
        trust = settings.pop("trust", saved_trust)
        if settings:
            mock.settings = saved.replace(**settings)
        try:
            if new_trust:  # only then: a new trust context means new bot connections
                mock.trust = trust
            yield mock
        finally:
            mock.settings = saved
            if mock.trust is not saved_trust:  # set by the marker, or by the test itself
                mock.trust = saved_trust
            mock.stop_bot_servers()
            # Keep-alive connections to the pooled bot servers stay warm for the next test;
            # connections to any other bot (serve_bot, a URL of the test's own) are dropped, or
            # a long session would pile up connections to servers that no longer exist.
            pooled = {f"{server.host}:{server.port}" for server in self._pool}
            pooled |= {urlsplit(server.url).netloc for server in self._asgi_pool}
            sent_to = {urlsplit(a.url).netloc for d in mock._dispatcher.deliveries
                       for a in d.attempts}  # fmt: skip
            if not sent_to <= pooled:
                mock._dispatcher.close()

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
        from ..transport.server import TLSServer

        key = tuple(hosts)
        idle = self._idle.setdefault(key, [])
        if idle:
            server = idle.pop()
        else:
            server = TLSServer(
                _vacant, self.mock.ca.server_context(*key), name="bot", **self.mock._server_limits()
            )
            server.start()
            self._pool.append(server)
            self._hosts[server] = key
        server.clear_errors()
        server.app = app
        # Listed with the fake's own bot servers while leased, so that
        # pyrus_mock.assert_no_problems() and pyrus_mock.transcript() see its errors too.
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

    def lease_asgi_server(self, app: Any, hosts: Sequence[str]) -> AsgiBotServer:
        """A running uvicorn for ``hosts`` now serving the ASGI ``app``, from the session's pool.

        Like :meth:`lease_server`: starting uvicorn per test costs far more than the test, so a
        pooled server keeps running and only the app it forwards to changes. Pooled servers do
        not run the app's lifespan events (their app changes from test to test).
        """
        from ..transport.asgi import AsgiBotServer, vacant_asgi_app

        key = tuple(hosts)
        idle = self._asgi_idle.setdefault(key, [])
        if idle:
            server = idle.pop()
        else:
            server = AsgiBotServer(vacant_asgi_app, self.cert(key), lifespan="off")
            server.start()
            self._asgi_pool[server] = key
        server.clear_errors()
        server.app = app
        return server

    def return_asgi_server(self, server: AsgiBotServer) -> None:
        """Put a leased ASGI server back in the pool; until leased again it answers 503."""
        from ..transport.asgi import vacant_asgi_app

        server.app = vacant_asgi_app
        self._asgi_idle.setdefault(self._asgi_pool[server], []).append(server)

    def close(self) -> None:
        """Stop the fake's server and the pooled bot servers, and remove the CA's files."""
        pool, self._pool, self._idle = self._pool, [], {}
        asgi, self._asgi_pool, self._asgi_idle = list(self._asgi_pool), {}, {}
        try:
            if asgi:
                # Hang up the fake's keep-alive connections first, so that uvicorn closes its
                # side while its event loop still runs (else: unclosed transport warnings).
                self.mock._dispatcher.close()
            for server in pool:
                server.stop()
            for uvicorn_server in asgi:
                uvicorn_server.stop()
        finally:
            self.mock.close()


class BotServers:
    """The bot servers one test starts: WSGI apps in-process, ASGI apps through uvicorn.

    No public constructor: the ``bot_server`` fixture makes one per test and hands the test
    :meth:`serve`; :meth:`close` ends them all. Both are served by pooled servers of the
    session (see :meth:`PluginSession.lease_server` and
    :meth:`PluginSession.lease_asgi_server`), which answer 503 once the test has ended.

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

    def serve(
        self, app: Any, *, path: str = "/", hosts: Sequence[str] = ("localhost", "127.0.0.1")
    ) -> str:
        """Serve ``app`` over HTTPS with a certificate from the fake's CA; return its URL.

        Args:
            app: a WSGI app, or an ASGI app (``async def __call__(scope, receive, send)``),
                which needs ``pip install 'pyrus-mock[asgi]'``.
            path: where the app takes Pyrus's calls, e.g. ``"/webhook"`` for a Flask route
                ``@app.post("/webhook")``; the URL returned ends with it.
            hosts: host names the certificate is issued for.

        Returns:
            ``https://127.0.0.1:PORT/`` (plus ``path``), ready for ``add_bot(name, url)``.
        """
        from ..transport.asgi import is_asgi_app

        suffix = "/" + path.lstrip("/")
        if is_asgi_app(app):
            server = self._session.lease_asgi_server(app, hosts)
            self._asgi.append(server)
            return server.url.rstrip("/") + suffix
        leased = self._session.lease_server(app, hosts)
        self._leased.append(leased)
        return leased.url + suffix

    def close(self) -> None:
        """Return the servers to the session's pool (they answer 503 until leased again).

        Errors in their threads are not raised here: strict mode reported them after the test
        (or the test opted out, or it failed and its transcript lists them).
        """
        asgi, self._asgi = self._asgi, []
        for server in asgi:
            self._session.return_asgi_server(server)
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
