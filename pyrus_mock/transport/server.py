"""A small threaded HTTPS server for WSGI apps, made for tests.

:class:`TLSServer` serves one WSGI app over real TLS on a real socket: the fake's API, or a bot
written as a WSGI app. It is built for test speed:

* HTTP/1.1 keep-alive (werkzeug's development server closes every connection), and Nagle's
  algorithm off on every accepted socket, so a request on a warm connection costs about a
  millisecond instead of a TLS handshake or a delayed-ACK stall;
* the TLS handshake runs in the connection's own thread, so a slow or broken client never blocks
  the accept loop;
* :meth:`TLSServer.stop` wakes the accept loop through a socket pair instead of waiting for a
  poll interval, and shuts down idle keep-alive connections, so it takes a few milliseconds.

It also holds up under abuse, with bounded threads and memory:

* at most ``max_connections`` connections (256) are open: at the cap a new one takes the place of
  the oldest that has no request with the app (idle keep-alive, in its handshake, or still
  sending its head), so thousands of slow clients (slowloris) cannot lock others out; when every
  connection has a request with the app, the new one is closed at once;
* a client has ``request_timeout`` seconds (30) from the first byte of a request until its head
  and body are in (a JSON 408 after that); the idle keep-alive timeout is separate;
* a connection the system has no thread for is closed, and the accept loop goes on.

Exceptions raised by the app are answered with a 500 and kept in :attr:`TLSServer.errors`; clients
that disconnect, send garbage or fail the handshake are the client's problem and are ignored.

Every reply the server makes itself is JSON, ``{"error_code", "error"}`` (decision D10), never the
standard library's HTML error page: a request it cannot parse (400 ``invalid_input``), a request
line or header over 64 KiB (414, 431), HTTP/2 (505), an app that raised (500 ``server_error``).
Every syntactically valid method, ``BREW`` included, goes to the app, which answers methods it
does not serve (the fake's API: a JSON 405). One request at a time on a connection is handled by
:mod:`pyrus_mock.transport.wsgi_handler`; this module owns the sockets, the threads and the errors.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import ssl
import sys
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING

from werkzeug.exceptions import ClientDisconnected

from ..domain.errors import ServerThreadError
from .wsgi_handler import Address, Connection, WSGIRequestHandler

if TYPE_CHECKING:
    # wsgiref.types is 3.11+; typeshed's private module works for type checking on 3.10 too.
    from _typeshed.wsgi import WSGIApplication

__all__ = ["TLSServer"]

_HANDSHAKE_TIMEOUT = 10.0
"""Seconds a client gets to complete the TLS handshake."""

_IDLE_TIMEOUT = 300.0
"""Seconds a keep-alive connection may sit between two requests before it is dropped."""

MAX_CONNECTIONS = 256
"""Default cap on open connections (the setting ``server_max_connections``)."""

REQUEST_TIMEOUT = 30.0
"""Default seconds a client has to send one request, head and body (``server_request_timeout``)."""


class TLSServer:
    """Serve a WSGI app over HTTPS from background threads.

    Binding happens in :meth:`start`, in the caller's thread, so a bind failure raises right
    there. One daemon thread accepts connections; each connection gets its own daemon thread that
    does the TLS handshake and then serves requests on it until the client closes it.

    Example::

        with TLSServer(app, ca.server_context()) as server:
            requests.get(server.url + "/ping", verify=ca.ca_path)

    Leaving the ``with`` block stops the server but does not raise app errors; call
    :meth:`raise_errors` or ``stop(raise_errors=True)`` for that.

    Args:
        app: The WSGI application to serve.
        ssl_context: Server-side TLS context holding the certificate, e.g.
            :meth:`pyrus_mock.transport.tls.CertificateAuthority.server_context`.
        host: Address to listen on.
        port: Port to listen on; 0 (the default) lets the OS choose a free one.
        name: Prefix of the thread names, to find them in a debugger.
        max_connections: Open connections at most. At the cap a new connection takes the
            place of the oldest one that has no request with the app (idle keep-alive, in the
            TLS handshake, or still sending its head); when every connection has a request
            with the app, the new one is accepted and closed at once.
        request_timeout: Seconds a client has from the first byte of a request until its head
            and body are in; slower clients get a JSON 408 and are disconnected. The TLS
            handshake gets as long, at most 10 s. The idle keep-alive timeout (300 s between
            requests) is separate.
    """

    def __init__(
        self,
        app: WSGIApplication,
        ssl_context: ssl.SSLContext,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "pyrus-mock",
        max_connections: int = MAX_CONNECTIONS,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {max_connections!r}")
        if not request_timeout > 0:
            raise ValueError(f"request_timeout must be positive, not {request_timeout!r}")
        self.app = app
        self.max_connections = max_connections
        self.request_timeout = request_timeout
        self.ssl_context = ssl_context
        self.name = name
        self._host = host
        self._requested_port = port
        self._port = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._stopping = False
        self._connections: dict[Connection, None] = {}  # open connections, oldest first
        self._threads: set[threading.Thread] = set()
        self._failures: list[tuple[str, BaseException]] = []
        self._accepted = 0
        self._refused = 0
        self._evicted = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> TLSServer:
        """Bind, listen and start accepting connections.

        Returns only when the server is ready: a client may connect as soon as this returns.

        Returns:
            The server itself, so ``server = TLSServer(...).start()`` works.

        Raises:
            RuntimeError: The server is already running.
            OSError: The address cannot be bound; the message names host and port.
        """
        with self._lock:
            if self._accept_thread is not None:
                raise RuntimeError(f"{self.name}: already running at {self.url}; stop() it first")
        listener = _bind(self._host, self._requested_port)
        self._port = listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._listener = listener
        self._stopping = False
        self._accept_thread = threading.Thread(
            target=self._accept_loop,
            args=(listener, self._wake_r),
            name=f"{self.name}-accept-{self._port}",
            daemon=True,
        )
        self._accept_thread.start()
        return self

    def stop(self, *, raise_errors: bool = False, timeout: float = 2.0) -> None:
        """Stop accepting, close connections and wait for the threads (bounded).

        Idle keep-alive connections are closed at once. A request that is being handled may finish
        its reply for up to ``timeout`` seconds; after that its connection is cut and its thread
        (a daemon) is abandoned. Calling ``stop`` on a stopped server does nothing.

        Args:
            raise_errors: Afterwards, raise the first app error as :meth:`raise_errors` does.
            timeout: Seconds to wait for requests in flight.

        Raises:
            ServerThreadError: ``raise_errors`` is true and the app raised while serving.
        """
        with self._lock:
            accept_thread, self._accept_thread = self._accept_thread, None
            sockets = (self._wake_w, self._wake_r, self._listener)
            self._listener = self._wake_r = self._wake_w = None
            self._stopping = True
        if accept_thread is not None:
            wake_w = sockets[0]
            if wake_w is not None:
                wake_w.send(b"\0")
            accept_thread.join(timeout)
            for sock in sockets:
                if sock is not None:
                    sock.close()
            self._close_connections(timeout)
        if raise_errors:
            self.raise_errors()

    def __enter__(self) -> TLSServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return self._host

    @property
    def port(self) -> int:
        """The port the server listens on (0 before the first :meth:`start`)."""
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``https://127.0.0.1:54321``, without a trailing slash.

        Raises:
            RuntimeError: The server was never started, so it has no port yet.
        """
        if not self._port:
            raise RuntimeError(f"{self.name}: not started, so it has no URL; call start() first")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"https://{host}:{self._port}"

    @property
    def accepted_connections(self) -> int:
        """How many TCP connections were accepted so far (keep-alive makes this small)."""
        return self._accepted

    @property
    def refused_connections(self) -> int:
        """Connections closed at once: at the cap with every slot busy, or no thread to serve."""
        return self._refused

    @property
    def evicted_connections(self) -> int:
        """Connections closed to make room for a new one at the cap (idle or slow ones)."""
        return self._evicted

    @property
    def busy_connections(self) -> int:
        """Open connections with a request in the app now (these are never evicted)."""
        with self._lock:
            return sum(1 for c in self._connections if c.busy)

    @property
    def open_connections(self) -> int:
        """Connections open now (at most ``max_connections``)."""
        with self._lock:
            return len(self._connections)

    # -- errors ------------------------------------------------------------------------------

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions the app raised in handler threads, oldest first (a copy)."""
        with self._lock:
            return [exc for _, exc in self._failures]

    def clear_errors(self) -> None:
        """Forget the captured app errors, e.g. after a test that provokes them on purpose."""
        with self._lock:
            self._failures.clear()

    def raise_errors(self) -> None:
        """Raise the first captured app error, if any.

        Raises:
            ServerThreadError: Says which request failed; the app's exception is ``__cause__``.
        """
        with self._lock:
            failures = list(self._failures)
        if not failures:
            return
        where, exc = failures[0]
        more = f" ({len(failures) - 1} more in .errors)" if len(failures) > 1 else ""
        raise ServerThreadError(
            f"{self.name}: the app raised {type(exc).__name__}: {exc} while handling {where}; "
            f"the client got a 500{more}. Fix the app, or call clear_errors() if the test "
            "provoked this on purpose."
        ) from exc

    def record_error(self, where: str, exc: BaseException) -> None:
        """Keep an exception raised while serving ``where``; :meth:`raise_errors` raises it."""
        with self._lock:
            self._failures.append((where, exc))

    # -- threads -----------------------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket, wake_r: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            selector.register(wake_r, selectors.EVENT_READ)
            backoff: float | None = None
            while True:
                try:
                    events = selector.select(backoff)
                except (OSError, ValueError):
                    return  # the sockets were closed under us: stop() gave up waiting
                for key, _ in events:
                    if key.fileobj is wake_r:
                        return
                try:
                    backoff = self._accept_ready(listener)
                except Exception as exc:  # a bug here must not end the accept loop
                    self.record_error("accepting connections (server internals)", exc)
                    backoff = 0.05

    def _accept_ready(self, listener: socket.socket) -> float | None:
        """Accept every pending connection; return a select timeout to back off with, if any."""
        while True:
            try:
                raw, address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return None
            except OSError as exc:
                if exc.errno in (errno.ECONNABORTED, errno.EPROTO, errno.EPERM):
                    continue  # the client gave up before we accepted it
                # Out of file descriptors or memory: wait a little instead of spinning.
                return 0.05
            self._accepted += 1
            state = self._admit(raw)
            if state is None:
                continue
            thread = threading.Thread(
                target=self._serve_connection,
                args=(state, address),
                name=f"{self.name}-conn-{self._port}-{self._accepted}",
                daemon=True,
            )
            with self._lock:
                self._threads.add(thread)
            try:
                thread.start()
            except RuntimeError:  # "can't start new thread": out of threads or memory
                with self._lock:
                    self._threads.discard(thread)
                    self._connections.pop(state, None)
                self._refused += 1
                raw.close()
                return 0.05  # give running connections a moment to finish and free threads

    def _admit(self, raw: socket.socket) -> Connection | None:
        """Register a new connection, making room at the cap; None when it is refused (closed)."""
        state = Connection(raw)
        with self._lock:
            if len(self._connections) >= self.max_connections:
                victim = next((c for c in self._connections if not c.busy), None)
                if victim is None:  # every connection has a request with the app
                    self._refused += 1
                    raw.close()
                    return None
                del self._connections[victim]
                self._evicted += 1
                # Its thread sees EOF and ends; it no longer counts against the cap.
                _shutdown(victim.sock, socket.SHUT_RDWR)
            self._connections[state] = None
        return state

    def _serve_connection(self, state: Connection, address: Address) -> None:
        raw = state.sock
        conn: ssl.SSLSocket | None = None
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.settimeout(min(_HANDSHAKE_TIMEOUT, self.request_timeout))
            with self._lock:
                if self._stopping or state not in self._connections:
                    return  # stopping, or evicted before it started
                conn = self.ssl_context.wrap_socket(
                    raw, server_side=True, do_handshake_on_connect=False
                )
                state.sock = conn
            conn.do_handshake()
            WSGIRequestHandler(
                conn,
                address,
                self,
                state,
                idle_timeout=_IDLE_TIMEOUT,
                request_timeout=self.request_timeout,
            ).serve()
        except (OSError, ClientDisconnected):
            pass  # the client hung up, failed the handshake, or timed out: its problem
        except BaseException as exc:  # a bug in this module, not in the app
            self.record_error(
                f"a connection from {_format_address(address)} (server internals)", exc
            )
        finally:
            with self._lock:
                self._connections.pop(state, None)
                self._threads.discard(threading.current_thread())
            if conn is not None:
                conn.close()
            else:
                raw.close()

    def _close_connections(self, timeout: float) -> None:
        with self._lock:
            idle = [c.sock for c in self._connections if not c.busy]
            threads = list(self._threads)
        # Idle connections (waiting for a request, or in the handshake) are cut at once: their
        # threads see EOF and exit. A request in flight finishes its reply and then closes, as
        # _stopping is set. socket.socket.shutdown, not the SSLSocket override: that one drops the
        # TLS state under the feet of the thread using the socket.
        for conn in idle:
            _shutdown(conn, socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            stuck = [c.sock for c in self._connections]
            threads = list(self._threads)
        for conn in stuck:
            _shutdown(conn, socket.SHUT_RDWR)
        # Threads blocked in I/O now exit; threads stuck inside the app are abandoned (daemons).
        deadline = time.monotonic() + 0.1
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def set_busy(self, state: Connection, busy: bool) -> bool:
        """Mark a connection as having a request with the app (or not); return whether the
        server stops."""
        with self._lock:
            state.busy = busy
            return self._stopping


def _bind(host: str, port: int) -> socket.socket:
    """Create, bind and listen; turn failures into an error that says what to do."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA cannot encode ("a..b")
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise OSError(
            getattr(exc, "errno", None) or errno.EINVAL,
            f"TLSServer cannot listen on {host}:{port}: {reason}. "
            "Use an address of this machine, such as 127.0.0.1.",
        ) from exc
    try:
        if sys.platform != "win32":
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(128)
        listener.setblocking(False)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            advice = "Another process uses that port; pass port=0 to let the OS pick a free one."
        elif exc.errno == errno.EADDRNOTAVAIL:
            advice = "That address is not on this machine; use 127.0.0.1 or localhost."
        elif exc.errno == errno.EACCES:
            advice = "Ports below 1024 need privileges; pass port=0 to let the OS pick one."
        else:
            advice = "Pass port=0 and host='127.0.0.1' unless you need something else."
        raise OSError(
            exc.errno, f"TLSServer cannot listen on {host}:{port}: {exc.strerror}. {advice}"
        ) from exc
    return listener


def _shutdown(conn: socket.socket, how: int) -> None:
    with contextlib.suppress(OSError):  # already closed by its thread or by the peer
        socket.socket.shutdown(conn, how)


def _format_address(address: Address) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)
