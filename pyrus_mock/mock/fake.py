"""PyrusMock: the public face of the fake.

It owns one :class:`~pyrus_mock.state.backend.PyrusBackend` (all state), builds test data, and
(in later layers) serves the API, intercepts ``requests`` and delivers tasks to bots.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

# The API app, the delivery machinery and the HTTPS server are imported with the package, not
# on first use: every fake needs them once it is constructed and started, and importing them here
# keeps creating and starting the first fake quick (benchmarks/bench_startup.py). Optional parts
# (interception, transcripts, conformance, strict mode) stay lazy.
from ..api import app as _api_app  # noqa: F401
from ..delivery.dispatch import Dispatcher
from ..domain.clock import Clock, VirtualClock
from ..domain.errors import InvalidArgument
from ..domain.ids import IdSource
from ..domain.model import Person, Rights, Task
from ..domain.settings import Settings
from ..state.backend import PyrusBackend
from ..transport.server import TLSServer
from .data import DataBuilders, parse_rights
from .deprecated import DeprecatedNames
from .read import WorldReaders
from .trust import checked_trust, trust_context

if TYPE_CHECKING:
    import ssl
    from types import TracebackType

    import trustme
    from _typeshed.wsgi import WSGIApplication

    from ..delivery.dispatch import Delivery
    from ..importing import Imported
    from ..importing.replay import ReplayReport
    from ..transport.intercept import Interceptor
    from ..transport.tls import CertificateAuthority, IssuedCert
    from .bots import Bot
    from .conformance_report import ConformanceReport

__all__ = ["PyrusMock"]


class PyrusMock(DataBuilders, WorldReaders, DeprecatedNames):
    """An in-process fake of Pyrus.

    Args:
        seed: seeds the ids (deterministic by default).
        clock: the clock; a :class:`VirtualClock` by default, which tests advance.
        settings: a :class:`Settings`; keyword overrides may be given as ``**overrides``.
        ca: the certificate authority everything is issued from (a ``trustme.CA`` or a
            :class:`~pyrus_mock.transport.tls.CertificateAuthority`); a new one when omitted.
        trust: what bot certificates are verified against (D4): ``"fake_ca"`` (the default),
            ``"system"`` (the system store, like production), a path to a CA PEM file, or an
            ``ssl.SSLContext``. Verification is never switched off.
        auto_deliver: deliver to bots when tasks reach their inbox (default True); with False
            only explicit :meth:`deliver` calls bots.
        **overrides: individual settings, e.g. ``signature_case="lower"``.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: Clock | None = None,
        settings: Settings | None = None,
        ca: trustme.CA | CertificateAuthority | None = None,
        trust: str | ssl.SSLContext = "fake_ca",
        auto_deliver: bool | None = None,
        **overrides: Any,
    ) -> None:
        settings = settings or Settings()
        if auto_deliver is not None:
            overrides["auto_deliver"] = auto_deliver
        if overrides:
            settings = settings.replace(**overrides)
        self.clock: Clock = clock if clock is not None else VirtualClock()
        self._backend = PyrusBackend(clock=self.clock, ids=IdSource(seed), settings=settings)
        self._default_author: Person | None = None
        self._ca_arg = ca
        self._ca: CertificateAuthority | None = None
        self._owns_ca = False
        self._app: Any = None
        self._server: TLSServer | None = None
        self._trust = trust
        self._trust_context: ssl.SSLContext | None = checked_trust(trust)
        self._bot_servers: list[TLSServer] = []
        self._cert_hosts: tuple[str, ...] = ("localhost", "127.0.0.1")
        self._started_with: tuple[Any, ...] = ("", 0, (), ())
        self._dashboard_plane: Any = None  # the control plane start(dashboard=True) made
        self._dispatcher = Dispatcher(
            self._backend, self._bot_client_context, self._payload_files_url
        )
        self._backend.listeners.append(self._dispatcher.on_task_event)

    @property
    def settings(self) -> Settings:
        """The fake's settings (held once, by the backend; replace, don't mutate)."""
        return self._backend.settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self._backend.settings = value

    # -- TLS and transports ----------------------------------------------------------------------

    @property
    def ca(self) -> CertificateAuthority:
        """The certificate authority of this fake (created on first use)."""
        if self._ca is None:
            from ..transport.tls import CertificateAuthority

            arg = self._ca_arg
            if isinstance(arg, CertificateAuthority):
                self._ca = arg
            else:
                self._ca = CertificateAuthority(arg)
                self._owns_ca = True
        return self._ca

    @property
    def ca_path(self) -> str:
        """Path of a PEM file holding the fake's CA certificate (``verify=`` for requests)."""
        return self.ca.ca_path

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """A client ``SSLContext`` trusting only the fake's CA (verification on)."""
        return self.ca.client_context()

    @property
    def app(self) -> Any:
        """The WSGI application serving the Pyrus API v4 from this fake's state."""
        if self._app is None:
            from ..api import create_app

            self._app = create_app(self._backend)
        return self._app

    def start(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        cert_hosts: Sequence[str] = (),
        mounts: Mapping[str, WSGIApplication] | None = None,
        dashboard: bool = False,
    ) -> PyrusMock:
        """Serve the API over HTTPS (127.0.0.1, a free port by default); returns self.

        Idempotent: a second call with the same arguments does nothing. A running server cannot
        be changed (the ``pyrus_mock`` fixture's is running): ``stop()`` it first.

        Args:
            host: the address to listen on (``pyrus-mock serve --host``).
            port: the port; 0 picks a free one.
            cert_hosts: more names or addresses the server certificate covers, besides
                ``localhost``, ``127.0.0.1`` and ``host`` (``pyrus-mock serve --cert-host``), e.g.
                ``"host.docker.internal"`` for a bot in a container; see :attr:`cert_hosts`.
            mounts: more WSGI apps served beside the API, by path prefix (werkzeug's
                ``DispatcherMiddleware``), e.g. ``{"/_mock": ControlPlane(fake, token)}`` for
                the control plane (:mod:`pyrus_mock.control`, what ``pyrus-mock serve`` does).
            dashboard: also mount the control plane (unless ``mounts`` has one) with its web
                dashboard at ``/_mock/ui/`` (:mod:`pyrus_mock.control.dashboard`) behind a fresh
                admin token; open it with :meth:`dashboard_link`.

        Raises:
            InvalidArgument: a name in ``cert_hosts`` is neither a DNS name nor an IP address, or
                the server already runs with other arguments.
        """
        if dashboard:
            from ..control.dashboard.auth import with_dashboard

            mounts = with_dashboard(self, mounts)
        wanted = (host, port, tuple(cert_hosts), tuple((mounts or {}).items()))
        if self._server is not None and wanted != self._started_with:
            running = self._server
            raise InvalidArgument(
                "start",
                f"the server already runs on {running.host}:{running.port} (started with host="
                f"{self._started_with[0]!r}, port={self._started_with[1]}, cert_hosts="
                f"{list(self._started_with[2])}), so host={host!r}, port={port}, cert_hosts="
                f"{list(cert_hosts)} would not apply",
                "call stop() first, then start(...) with the new arguments",
            )
        if self._server is None:
            from ..transport.tls import check_cert_host, server_hosts

            hosts = server_hosts(host, [check_cert_host(name) for name in cert_hosts])
            context = self.ca.server_context(*hosts)
            app: WSGIApplication = self.app
            if mounts:
                from werkzeug.middleware.dispatcher import DispatcherMiddleware

                app = DispatcherMiddleware(app, dict(mounts))
            server = TLSServer(
                app, context, host=host, port=port, name="pyrus-api", **self._server_limits()
            )
            server.start()  # a failed bind leaves the fake unstarted, not holding a dead server
            self._server = server
            self._cert_hosts = hosts
            self._started_with = wanted
        return self

    def import_form(self, data: Any) -> Imported:
        """Create the forms, catalogs and tasks of JSON saved from real Pyrus, ids kept.

        ``data`` is a reply of ``GET /forms/{id}``, ``GET /catalogs/{id}`` or ``GET /tasks/{id}``,
        a webhook body a bot received, or a list of them: parsed, as JSON text, or a path to a
        ``.json`` file or a directory of them. See :mod:`pyrus_mock.importing`.

        Raises:
            ImportRefused: the JSON holds something the fake cannot represent (the message
                names the JSON path and what to do).
        """
        from ..importing.records import import_any

        return import_any(self, data)

    def replay(
        self, path: str | os.PathLike[str], *, to: str, security_key: str, **options: Any
    ) -> ReplayReport:
        """Replay calls recorded by ``pyrus-mock record`` to the bot at ``to``, re-signed with
        ``security_key``, this fake's API behind them; compare each reply with the recorded one.

        ``report.assert_all_matched()`` fails with the differences. ``options``: ``ssl_context``
        (whom to trust for the bot; this fake's ``trust`` by default), ``timeout``. See
        :mod:`pyrus_mock.importing.replay`.
        """
        from ..importing.replay import replay

        return replay(self, path, to=to, security_key=security_key, **options)

    def dashboard_link(self) -> str:
        """A one-time link logging a browser in to the dashboard (``start(dashboard=True)``,
        ``pyrus-mock serve``); raises :class:`~pyrus_mock.domain.errors.PyrusMockError` without
        one."""
        from ..control.dashboard.auth import dashboard_link

        return dashboard_link(self)

    @property
    def admin_token(self) -> str | None:
        """The control plane's admin token while ``start(admin_token=...)`` serves it, else None
        (transcripts mask it like every other secret)."""
        return self._started_with[2] if self._server is not None else None

    @property
    def cert_hosts(self) -> tuple[str, ...]:
        """The names and addresses the running server's certificate covers (``localhost`` and
        ``127.0.0.1`` always; then ``start(host=...)`` unless it is a wildcard such as
        ``0.0.0.0``; then ``start(cert_hosts=...)``). A client must connect by one of these."""
        return self._cert_hosts

    def stop(self) -> None:
        """Stop the HTTPS server (if started); re-raises errors from its threads."""
        server, self._server = self._server, None
        if server is not None:
            server.stop(raise_errors=True)

    def close(self) -> None:
        """Stop everything and remove temporary files (the CA's PEM files, if it owns them)."""
        try:
            self.stop()
            self.stop_bot_servers()
        finally:
            self._dispatcher.close()
            self.clock.close()
            if self._ca is not None and self._owns_ca:
                self._ca.close()

    def __enter__(self) -> PyrusMock:
        # ``with PyrusMock().start(cert_hosts=[...]) as fake:`` keeps the server it started.
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def server(self) -> TLSServer:
        """The running HTTPS server; raises a clear error when :meth:`start` was not called."""
        if self._server is None:
            from ..domain.errors import PyrusMockError

            raise PyrusMockError(
                "the HTTPS server is not running; call pyrus_mock.start() (or use "
                "`with PyrusMock() as pyrus_mock:`), or use pyrus_mock.intercept() for requests "
                "or httpx"
            )
        return self._server

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:PORT`` of the running server."""
        return self.server.url

    @property
    def api_url(self) -> str:
        """The API base, as ``/auth`` returns it: ``https://127.0.0.1:PORT/v4/``."""
        return self.base_url + "/v4/"

    @property
    def auth_url(self) -> str:
        """Where to ``POST`` login and security key: ``https://127.0.0.1:PORT/api/v4/auth``."""
        return self.base_url + "/api/v4/auth"

    @property
    def files_url(self) -> str:
        """The files base, as ``/auth`` returns it: ``https://127.0.0.1:PORT/``."""
        return self.base_url + "/"

    def intercept(self) -> Interceptor:
        """Route ``requests`` and ``httpx`` calls to api/accounts/files.pyrus.com here, in-process.

        A context manager holding a private ``responses.RequestsMock`` and, when httpx is
        installed, patching httpx's default transports (sync and async clients, aiopyrus
        included); every other URL passes through untouched.
        ``with pyrus_mock.intercept(): PyrusAPI(login, key).get_task(id)``.
        """
        from ..transport.intercept import Interceptor

        return Interceptor(self.app)

    # -- state ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget all data and deliveries; a virtual clock goes back to its start."""
        if isinstance(self.clock, VirtualClock):
            self.clock.reset()
        self._backend.reset()
        self._dispatcher.reset()
        self._default_author = None
        if self._server is not None:
            self._server.clear_errors()
        if self._app is not None:
            self._app.clear_errors()

    # -- bots and deliveries ---------------------------------------------------------------------

    @property
    def trust(self) -> str | ssl.SSLContext:
        """What bot certificates are verified against (see the ``trust`` argument); settable,
        e.g. to test a bot served with a certificate from your own CA (checked like the
        argument: it must verify chains and host names)."""
        return self._trust

    @trust.setter
    def trust(self, value: str | ssl.SSLContext) -> None:
        context = checked_trust(value)
        self._trust, self._trust_context = value, context

    def _bot_client_context(self) -> ssl.SSLContext:
        if self._trust_context is None:
            # Only the two named stores are resolved here, on first use; a path or a context
            # was checked (and loaded) by the constructor, see checked_trust.
            self._trust_context = trust_context(self._trust, lambda: self.ca)
        return self._trust_context

    def _payload_files_url(self) -> str:
        return self.files_url if self._server is not None else "https://files.pyrus.com/"

    def add_bot(
        self,
        name: str,
        url: str,
        *,
        settings: str | None = None,
        rights: int | Iterable[str | Rights] = (),
        locale: str = "en-US",
        time_zone_offset: int = 0,
        send_only_last_comment: bool = False,
        security_key: str | None = None,
        description: str = "",
    ) -> Bot:
        """Create a bot with generated credentials (login ``bot@<uuid4>``, a 96-character key).

        Args:
            name: the bot's name (its person's first name).
            url: where Pyrus calls it; must be ``https://`` (Pyrus refuses anything else).
            settings: the Settings text, sent in every call as ``bot_settings``.
            rights: ``"supervisor"``, ``"configuration_manager"``, or a :class:`Rights` mask.
            locale: e.g. ``en-US``.
            time_zone_offset: minutes.
            send_only_last_comment: deliveries carry only the last comment.
            security_key: a fixed key instead of a generated one.
            description: free text.

        Raises:
            BotUrlError: ``url`` is not ``https://``.
            BotLimitReached: the organisation already has 100 bots.
        """
        from .bots import Bot

        account = self._backend.accounts.create_bot(
            name,
            url,
            settings=settings,
            rights=parse_rights(rights),
            locale=locale,
            time_zone_offset=time_zone_offset,
            send_only_last_comment=send_only_last_comment,
            security_key=security_key,
            description=description,
        )
        return Bot(self._backend, account.person_id, self._all_deliveries)

    def bot(self, bot_id: int) -> Bot:
        """The bot with that id (raises :class:`~pyrus_mock.domain.errors.UnknownEntity`)."""
        from .bots import Bot

        self._backend.accounts.bot(bot_id)
        return Bot(self._backend, bot_id, self._all_deliveries)

    def _all_deliveries(self) -> list[Delivery]:
        return self._dispatcher.deliveries

    @property
    def deliveries(self) -> list[Delivery]:
        """The deliveries since the last reset, in order: the newest ``max_deliveries_recorded``
        (:attr:`deliveries_dropped` counts the older ones)."""
        return list(self._dispatcher.deliveries)

    @property
    def deliveries_dropped(self) -> int:
        """Older deliveries dropped from :attr:`deliveries` since the last reset (setting
        ``max_deliveries_recorded``); the transcript says so too."""
        return self._dispatcher.deliveries_dropped

    @property
    def api_calls_dropped(self) -> int:
        """Older API calls dropped from ``backend.log.calls`` since the last reset (setting
        ``max_api_calls_recorded``); the transcript says so too."""
        return self._backend.log.dropped

    def deliver(self, task: Task | int, to: Bot | int, *, event: str = "comment") -> Delivery:
        """Call the bot ``to`` about ``task`` now (attempt 1); retries run on the clock.

        Returns the :class:`~pyrus_mock.delivery.dispatch.Delivery` record; its ``state`` is
        ``delivered``, ``pending_retry``, ``exhausted`` or ``skipped``.
        """
        task_obj = self._backend.task(getattr(task, "id", task))  # type: ignore[arg-type]
        bot_id = getattr(to, "id", to)
        if not isinstance(bot_id, int) or self._backend.accounts.find_bot(bot_id) is None:
            raise InvalidArgument(
                "to", f"{to!r} is not a bot of this fake", "a Bot from add_bot() or its id"
            )
        if event not in ("comment", "close"):
            raise InvalidArgument("event", repr(event), "'comment', 'close'")
        return self._dispatcher.deliver(task_obj, self._backend.accounts.bot(bot_id), event=event)

    def serve_bot(self, app: Any, *, hosts: Sequence[str] = ("localhost", "127.0.0.1")) -> Any:
        """Serve a WSGI app over HTTPS with a certificate from the fake's CA.

        A context manager yielding the bot's URL (``https://127.0.0.1:PORT/``); the server
        (threaded, keep-alive, Nagle off) stops on exit and re-raises errors from its threads::

            with pyrus_mock.serve_bot(app) as url:
                bot = pyrus_mock.add_bot("Echo", url)
        """
        from contextlib import contextmanager

        @contextmanager
        def serving() -> Iterator[str]:
            server = TLSServer(
                app, self.ca.server_context(*hosts), name="bot", **self._server_limits()
            )
            server.start()
            self._bot_servers.append(server)
            try:
                yield server.url + "/"
            finally:
                if server in self._bot_servers:
                    self._bot_servers.remove(server)
                server.stop(raise_errors=True)

        return serving()

    def _server_limits(self) -> dict[str, Any]:
        """The settings a new HTTPS server of this fake takes (cap and request deadline)."""
        settings = self.settings
        return {
            "max_connections": settings.server_max_connections,
            "request_timeout": settings.server_request_timeout,
        }

    def stop_bot_servers(self) -> None:
        """Stop every server started by :meth:`serve_bot` that is still running."""
        while self._bot_servers:
            self._bot_servers.pop().stop()

    def issue_cert(self, *hosts: str) -> IssuedCert:
        """Certificate, key and CA PEM paths for a bot served by anything else.

        ``uvicorn app:app --ssl-certfile cert.cert_path --ssl-keyfile cert.key_path``.

        Raises:
            InvalidArgument (a ``ValueError``): a host that no certificate can hold (empty, over
                253 characters or a label over 63, spaces or control characters, a wildcard
                other than a whole first label, a name IDNA cannot encode), named ``hosts[i]``.
        """
        return self.ca.issue_cert(*(hosts or ("localhost", "127.0.0.1")))

    # -- transcripts and conformance -------------------------------------------------------------

    def transcript(self) -> str:
        """Everything the fake saw, in order, as text; tokens and keys masked (``…a1B2``).

        Deliveries with each attempt (headers, body, outcome, timing), replies and violations,
        API calls made back with each delivery's token, other API calls, server-thread errors,
        and the clock with pending retries. The pytest plugin adds it to failed tests' reports.
        """
        from ..report.transcript import transcript

        return transcript(self)

    def transcript_json(self) -> dict[str, Any]:
        """The same as :meth:`transcript`, as a JSON-able dict (secrets masked)."""
        from ..report.transcript import transcript_json

        return transcript_json(self)

    def check_bot(self, bot: Bot, **options: Any) -> ConformanceReport:
        """Run the conformance checks against ``bot`` at its URL; see
        :mod:`pyrus_mock.mock.conformance`.

        Options: ``on_key_reset`` (a callable giving the bot its new key; without it the
        key-reset check is skipped), ``latency_budget`` (seconds, default 10), ``task`` (the
        task the calls are about, or saved ``GET /tasks/{id}`` JSON; a new one by default),
        ``form`` (the bot's form, or saved ``GET /forms/{id}`` JSON), ``bot_settings`` (the
        Settings text sent), ``progress`` (a line per check), ``fuzz`` (+ ``fuzz_form``,
        ``fuzz_seed``: :mod:`pyrus_mock.mock.fuzz`). ``.assert_passed()`` fails with the table.
        """
        from .conformance import check_bot

        return check_bot(self, bot, **options)

    def assert_no_problems(self) -> None:
        """Strict mode without pytest: raise if a reply had errors, a retry is pending, or a
        server thread raised. (Not to be confused with :meth:`check_bot`, the conformance checks.)

        Raises:
            StrictModeError: lists each problem and what to do (the pytest plugin runs this
                after every test using the ``pyrus_mock`` fixture).
        """
        from ..report.strict import check

        check(self)
