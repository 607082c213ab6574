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

Exceptions raised by the app are answered with a 500 and kept in :attr:`TLSServer.errors`; clients
that disconnect, send garbage or fail the handshake are the client's problem and are ignored.

Every reply the server makes itself is JSON, ``{"error_code", "error"}`` (decision D10), never the
standard library's HTML error page: a request it cannot parse (400 ``invalid_request``), a request
line or header over 64 KiB (414, 431), HTTP/2 (505), an app that raised (500 ``server_error``).
Every syntactically valid method, ``BREW`` included, goes to the app, which answers methods it
does not serve (the fake's API: a JSON 405).
"""

from __future__ import annotations

import contextlib
import errno
import json
import selectors
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import unquote_to_bytes, urlsplit

from werkzeug.exceptions import ClientDisconnected
from werkzeug.serving import DechunkedInput
from werkzeug.wsgi import LimitedStream

from ._version import __version__
from .errors import ServerThreadError
from .ids import parse_decimal

if TYPE_CHECKING:
    # wsgiref.types is 3.11+; typeshed's private module works for type checking on 3.10 too.
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

__all__ = ["TLSServer"]

_HANDSHAKE_TIMEOUT = 10.0
"""Seconds a client gets to complete the TLS handshake."""

_IDLE_TIMEOUT = 300.0
"""Seconds a connection may sit between two requests (or inside one) before it is dropped."""

_DRAIN_LIMIT = 1024 * 1024
"""Unread request bodies up to this size are drained to keep the connection; larger: close."""

_BODYLESS_STATUSES = frozenset({204, 304})

_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)
"""The characters of an HTTP method (a ``token``, RFC 9110 §5.6.2)."""

_ERROR_CODES = {
    400: "invalid_request",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "request_too_large",
    414: "request_uri_too_long",
    431: "request_header_too_large",
    500: "server_error",
    501: "not_implemented",
    505: "http_version_not_supported",
}
"""The ``error_code`` of the JSON replies the server makes itself, by status."""

_ADVICE = {
    400: "send 'METHOD /path HTTP/1.1', headers, a blank line, and a body framed by a numeric "
    "Content-Length or by Transfer-Encoding: chunked",
    414: "the request line may hold at most 65,536 bytes; send long data in the body",
    431: "a header line may hold at most 65,536 bytes and a request at most 100 headers; "
    "send long data in the body",
    505: "this server speaks HTTP/1.1 (and HTTP/1.0) over TLS; use HTTP/1.1",
}

_Address = Any  # what socket.accept() returns as the peer address: a tuple for IP sockets


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
            :meth:`pyrus_mock.tls.CertificateAuthority.server_context`.
        host: Address to listen on.
        port: Port to listen on; 0 (the default) lets the OS choose a free one.
        name: Prefix of the thread names, to find them in a debugger.
    """

    def __init__(
        self,
        app: WSGIApplication,
        ssl_context: ssl.SSLContext,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "pyrus-mock",
    ) -> None:
        self.app = app
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
        self._connections: set[ssl.SSLSocket] = set()
        self._busy: set[ssl.SSLSocket] = set()  # connections with a request in flight
        self._threads: set[threading.Thread] = set()
        self._failures: list[tuple[str, BaseException]] = []
        self._accepted = 0

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

    def _record(self, where: str, exc: BaseException) -> None:
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
                backoff = self._accept_ready(listener)

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
            thread = threading.Thread(
                target=self._serve_connection,
                args=(raw, address),
                name=f"{self.name}-conn-{self._port}-{self._accepted}",
                daemon=True,
            )
            with self._lock:
                self._threads.add(thread)
            thread.start()

    def _serve_connection(self, raw: socket.socket, address: _Address) -> None:
        conn: ssl.SSLSocket | None = None
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.settimeout(_HANDSHAKE_TIMEOUT)
            conn = self.ssl_context.wrap_socket(
                raw, server_side=True, do_handshake_on_connect=False
            )
            with self._lock:
                if self._stopping:
                    return
                self._connections.add(conn)
            conn.do_handshake()
            conn.settimeout(_IDLE_TIMEOUT)
            _WSGIRequestHandler(conn, address, self).serve()
        except (OSError, ClientDisconnected):
            pass  # the client hung up, failed the handshake, or timed out: its problem
        except BaseException as exc:  # a bug in this module, not in the app
            self._record(f"a connection from {_format_address(address)} (server internals)", exc)
        finally:
            with self._lock:
                if conn is not None:
                    self._connections.discard(conn)
                    self._busy.discard(conn)
                self._threads.discard(threading.current_thread())
            if conn is not None:
                conn.close()
            else:
                raw.close()

    def _close_connections(self, timeout: float) -> None:
        with self._lock:
            idle = [conn for conn in self._connections if conn not in self._busy]
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
            stuck = list(self._connections)
            threads = list(self._threads)
        for conn in stuck:
            _shutdown(conn, socket.SHUT_RDWR)
        # Threads blocked in I/O now exit; threads stuck inside the app are abandoned (daemons).
        deadline = time.monotonic() + 0.1
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _set_busy(self, conn: ssl.SSLSocket, busy: bool) -> bool:
        """Mark a connection as handling a request (or not); return whether the server stops."""
        with self._lock:
            if busy:
                self._busy.add(conn)
            else:
                self._busy.discard(conn)
            return self._stopping


class _WSGIRequestHandler(BaseHTTPRequestHandler):
    """Serve WSGI requests on one TLS connection, keeping it alive between requests.

    Built on the stdlib handler for request-line and header parsing; the WSGI part is ours because
    werkzeug's handler always answers ``Connection: close``.
    """

    protocol_version = "HTTP/1.1"
    server_version = f"pyrus-mock/{__version__}"

    def __init__(self, conn: ssl.SSLSocket, address: _Address, owner: TLSServer) -> None:
        # BaseRequestHandler.__init__ wants a socketserver.BaseServer and runs everything from
        # the constructor; set the same attributes and let the caller run serve().
        self.request = conn
        self.client_address = address
        self.owner = owner

    def serve(self) -> None:
        self.setup()
        try:
            self.handle()
        finally:
            self.finish()

    def parse_request(self) -> bool:
        # Called once the request line has arrived: from here on the connection is busy.
        self.owner._set_busy(self.connection, True)
        return super().parse_request()

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        finally:
            if self.owner._set_busy(self.connection, False):
                self.close_connection = True  # the server is stopping: no next request

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log: tests run many thousands of requests."""

    def do_GET(self) -> None:
        self._run_wsgi()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any attribute

        def __getattr__(self, name: str) -> Callable[[], None]:
            """``do_<METHOD>`` for every other method: the app decides (e.g. a JSON 405).

            Only called when normal lookup fails, so the methods above cost nothing extra. The
            standard library answers methods without a ``do_`` handler with an HTML 501.
            """
            if not name.startswith("do_"):
                raise AttributeError(name)
            if _TOKEN_CHARS.issuperset(name[3:]):
                return self._run_wsgi
            return self._bad_method

    def _bad_method(self) -> None:
        self.send_error(400, f"Bad request method {self.command!r}: not an HTTP token")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer a request the server cannot hand to the app with JSON, then close.

        Replaces the standard library's HTML error page (D10). Called for requests that cannot
        be parsed; the connection cannot continue after them (the framing is lost), so the reply
        says ``Connection: close``.

        Args:
            code: the HTTP status, e.g. 400, 414, 431, 505.
            message: what went wrong (from the standard library's parser, or ours).
            explain: more detail, e.g. the parser's exception.
        """
        reason = self.responses.get(code, ("Error", ""))[0]
        problem = message or reason
        if explain and explain != problem:
            problem = f"{problem} ({explain})"
        advice = _ADVICE.get(code)
        text = f"{problem}; {advice}" if advice else problem
        error_code = _ERROR_CODES.get(code, f"http_{code}")
        self._send_json_error(code, reason, error_code, text)

    def _send_json_error(self, code: int, reason: str, error_code: str, text: str) -> None:
        """Send a complete ``{"error_code", "error"}`` reply with ``Connection: close``."""
        self.close_connection = True
        body = json.dumps({"error_code": error_code, "error": text}, ensure_ascii=False)
        data = body.encode("utf-8", "replace")
        length = len(data)  # what a GET would get, also for HEAD (RFC 9110 §8.6)
        if self.command == "HEAD" or code < 200 or code in _BODYLESS_STATUSES:
            data = b""
        head = (
            f"{self.protocol_version} {code} {reason}\r\n"
            f"Date: {self.date_time_string()}\r\n"
            f"Server: {self.server_version}\r\n"
            "Content-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {length}\r\n"
            "Connection: close\r\n\r\n"
        ).encode("latin-1")
        with contextlib.suppress(OSError):  # the client left: nothing to tell it
            self.wfile.write(head + data)

    def _run_wsgi(self) -> None:
        where = f"{self.command} {self.path}"
        environ = self._make_environ()
        if environ is None:
            return
        sent = False
        chunked = False
        declared_length: int | None = None
        written = 0
        status: str | None = None
        headers: list[tuple[str, str]] = []

        def start_response(
            status_line: str,
            response_headers: list[tuple[str, str]],
            exc_info: OptExcInfo | None = None,
        ) -> Any:
            nonlocal status, headers
            if exc_info is not None and exc_info[1] is not None:
                if sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            elif status is not None:
                raise AssertionError("start_response() called twice without exc_info")
            status, headers = status_line, list(response_headers)
            return write

        def write(data: bytes) -> None:
            nonlocal sent, chunked, declared_length, written
            if status is None:
                raise AssertionError("the app sent body data before calling start_response()")
            out = b""
            if not sent:
                out, chunked, declared_length = self._head(status, headers)
                sent = True
            if data and self.command != "HEAD":
                written += len(data)
                out += b"%x\r\n%s\r\n" % (len(data), data) if chunked else data
            if out:
                try:
                    self.wfile.write(out)
                except OSError as exc:
                    raise _ClientGone from exc

        try:
            body = self.owner.app(environ, start_response)
            try:
                for data in body:
                    if data:
                        write(data)
                if not sent:
                    write(b"")
                if chunked:
                    self._send(b"0\r\n\r\n")
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
        except (_ClientGone, ClientDisconnected):
            self.close_connection = True
            return
        except BaseException as exc:  # anything the app raised, including pytest.fail()
            self.owner._record(where, exc)
            self.close_connection = True
            if not sent:
                self._send_500(exc)
            return
        if declared_length is not None and self.command != "HEAD" and written != declared_length:
            self.close_connection = True
            self.owner._record(
                where,
                AssertionError(
                    f"the app declared Content-Length: {declared_length} but sent {written} bytes"
                ),
            )
        self._drain(environ["wsgi.input"])

    def _make_environ(self) -> WSGIEnvironment | None:
        """Build the WSGI environ; answer 400 and return None when the body framing is bad."""
        target = urlsplit(self.path)
        environ: WSGIEnvironment = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            # The TLS socket, like werkzeug's "werkzeug.socket": for tests and peer certificates.
            "pyrus_mock.socket": self.connection,
            "SERVER_SOFTWARE": self.server_version,
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            # PEP 3333: PATH_INFO holds the raw bytes decoded as latin-1.
            "PATH_INFO": unquote_to_bytes(target.path or "/").decode("latin-1"),
            "QUERY_STRING": target.query,
            "REQUEST_URI": self.path,
            "RAW_URI": self.path,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "SERVER_NAME": self.owner.host,
            "SERVER_PORT": str(self.owner.port),
            "SERVER_PROTOCOL": self.request_version,
        }
        for key, value in self.headers.items():
            if "_" in key:
                continue  # would be ambiguous with "-" once upper-cased (header smuggling)
            key = key.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
                if key in environ:
                    value = f"{environ[key]},{value}"
            environ[key] = value
        if target.scheme and target.netloc:
            environ["HTTP_HOST"] = target.netloc

        transfer_encoding = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in transfer_encoding:
            environ.pop("CONTENT_LENGTH", None)
            environ["wsgi.input_terminated"] = True
            environ["wsgi.input"] = DechunkedInput(cast("IO[bytes]", self.rfile))
            return environ
        length_header = environ.get("CONTENT_LENGTH", "0") or "0"
        length = parse_decimal(length_header)
        if length is None:
            self.send_error(400, f"Bad Content-Length {length_header[:40]!r}")
            self.close_connection = True
            return None
        environ["wsgi.input"] = LimitedStream(cast("IO[bytes]", self.rfile), length)
        return environ

    def _head(self, status: str, headers: list[tuple[str, str]]) -> tuple[bytes, bool, int | None]:
        """Render the status line and headers; decide on chunking and keep-alive."""
        code = int(status.split(None, 1)[0])
        names = {name.lower() for name, _ in headers}
        declared: int | None = None
        if "content-length" in names:
            for name, value in headers:
                if name.lower() == "content-length":
                    declared = int(value)
        chunked = False
        bodyless = self.command == "HEAD" or code < 200 or code in _BODYLESS_STATUSES
        if declared is None and not bodyless and "transfer-encoding" not in names:
            if self.request_version >= "HTTP/1.1":
                chunked = True
                headers = [*headers, ("Transfer-Encoding", "chunked")]
            else:
                self.close_connection = True  # the end of the body is the end of the connection
        for name, value in headers:
            if name.lower() == "connection" and value.lower() == "close":
                self.close_connection = True
        lines = [f"{self.protocol_version} {status}"]
        if "date" not in names:
            lines.append(f"Date: {self.date_time_string()}")
        if "server" not in names:
            lines.append(f"Server: {self.server_version}")
        lines.extend(f"{name}: {value}" for name, value in headers)
        if self.close_connection and "connection" not in names:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head, chunked, None if bodyless else declared

    def _send(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
        except OSError as exc:
            raise _ClientGone from exc

    def _send_500(self, exc: BaseException) -> None:
        self._send_json_error(
            500,
            "Internal Server Error",
            "server_error",
            f"the app raised {type(exc).__name__}: {exc}{_likely_cause(exc)}; the exception "
            "is re-raised with its traceback when the server stops (serve_bot and the "
            "bot_server fixture fail the test with it)",
        )

    def _drain(self, stream: Any) -> None:
        """Read what the app left of the request body, so the next request starts in sync."""
        if isinstance(stream, LimitedStream):
            if stream.limit - stream.tell() > _DRAIN_LIMIT:
                self.close_connection = True
                return
            stream.exhaust()
            return
        drained = 0
        while drained <= _DRAIN_LIMIT:
            chunk = stream.read(65536)
            if not chunk:
                return
            drained += len(chunk)
        self.close_connection = True


class _ClientGone(Exception):
    """The client closed the connection while we were answering."""


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


def _format_address(address: _Address) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)


def _likely_cause(exc: BaseException) -> str:
    """A hint for the two usual reasons a bot under test fails while calling the API back."""
    text = f"{type(exc).__name__}: {exc}"
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSLCertVerificationError" in text:
        return (
            " (the bot does not trust the fake's CA: give its HTTP client verify=pyrus_mock."
            "ca_path, per request, since REQUESTS_CA_BUNDLE overrides Session.verify, or "
            "pyrus_mock.ssl_context)"
        )
    if "pyrus.com" in text:
        return (
            " (the bot called the real Pyrus: use the pyrus_requests fixture or "
            "pyrus_mock.intercept() for requests-based clients, or give the bot "
            "pyrus_mock.api_url)"
        )
    return ""
