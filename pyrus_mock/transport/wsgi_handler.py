"""The per-connection HTTP/1.1 handler of :class:`~pyrus_mock.transport.server.TLSServer`.

It parses requests with the standard library's ``BaseHTTPRequestHandler``, runs the WSGI app,
and keeps the connection alive between requests (werkzeug's handler always closes it). Every
reply it makes itself is JSON ``{"error_code", "error"}`` (decision D10): a request it cannot
parse, an oversized request line or header, HTTP/2, an app that raised. The server owns the
socket, the threads and the record of errors; this module owns one request at a time.

Framing is strict where lenient parsers let requests be smuggled (RFC 9112): exactly one of
``Transfer-Encoding: chunked`` and ``Content-Length`` (repeated only with one value), no bare CR
or NUL, no whitespace before a header's colon, no folded header lines; anything else is a JSON 400
and the connection closes. Chunk extensions and trailers are accepted. A client that hangs up,
stalls past the request deadline or breaks the framing while the app reads the body is the
client's problem, never an app error. A reply sent before the body was read (e.g. a 413) is
followed by a lingering close, so the client can read it instead of getting a reset.
"""

from __future__ import annotations

import contextlib
import io
import socket
import ssl
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import IO, TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import unquote_to_bytes, urlsplit

from werkzeug.exceptions import ClientDisconnected, HTTPException
from werkzeug.wsgi import LimitedStream

from .._version import __version__
from ..domain.envelope import error_body
from .http_head import BadHead, HeadLines, body_length
from .http_io import ChunkedInput, ClientTimedOut, ConnectionStream

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment


__all__ = ["Address", "Connection", "HandlerHost", "WSGIRequestHandler"]

Address = Any  # what socket.accept() returns as the peer address: a tuple for IP sockets


class Connection:
    """One accepted connection, as the server tracks it: its socket and whether the app has it
    (a request is with the app, not merely arriving)."""

    __slots__ = ("busy", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock  # the TCP socket, then the TLS socket that took over its descriptor
        self.busy = False  # a request is with the app (not merely arriving)


class HandlerHost(Protocol):
    """What a :class:`WSGIRequestHandler` needs of the server that runs it
    (:class:`pyrus_mock.transport.server.TLSServer` is one)."""

    @property
    def app(self) -> WSGIApplication:
        """The WSGI app to hand requests to."""

    @property
    def host(self) -> str:
        """The address listened on (``SERVER_NAME``)."""

    @property
    def port(self) -> int:
        """The port listened on (``SERVER_PORT``)."""

    def set_busy(self, state: Connection, busy: bool) -> bool:
        """Note that a request on ``state`` is (or no longer is) with the app; True when the
        server is stopping (the connection should close)."""

    def record_error(self, where: str, exc: BaseException) -> None:
        """Keep an exception the handler could not answer otherwise."""


_DRAIN_LIMIT = 1024 * 1024
"""Unread request bodies up to this size are drained to keep the connection; larger: close."""

_LINGER_BYTES = 16 * 1024 * 1024
"""Input read and dropped at most in a lingering close (after e.g. a 413, before closing)."""

_LINGER_SECONDS = 2.0
"""Seconds a lingering close waits at most for the client to stop sending."""

_BODYLESS_STATUSES = frozenset({204, 304})

_BLANK_LINES = 8
"""Empty lines ignored before a request line; the next one ends the connection."""
_MAX_LINE = 65536
"""The request line's limit (the standard library's, for the first line it reads)."""

_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)
"""The characters of an HTTP method (a ``token``, RFC 9110 §5.6.2)."""

_ERROR_CODES = {
    400: "invalid_input",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "too_large_request_length",
    414: "too_large_request_length",
    431: "too_large_request_length",
    500: "server_error",
    501: "not_implemented",
    505: "http_version_not_supported",
}
"""The ``error_code`` of the JSON replies the server makes itself, by status: codes the
official clients know where one fits, else fake-only ones (``docs/error-codes.md`` lists both)."""

_ADVICE = {
    400: "send 'METHOD /path HTTP/1.1', headers, a blank line, and a body framed by a numeric "
    "Content-Length or by Transfer-Encoding: chunked",
    414: "the request line may hold at most 65,536 bytes; send long data in the body",
    431: "a header line may hold at most 65,536 bytes and a request at most 100 headers; "
    "send long data in the body",
    505: "this server speaks HTTP/1.1 (and HTTP/1.0) over TLS; use HTTP/1.1",
}


class WSGIRequestHandler(BaseHTTPRequestHandler):
    """Serve WSGI requests on one TLS connection, keeping it alive between requests.

    Built on the stdlib handler for request-line and header parsing; the WSGI part is ours because
    werkzeug's handler always answers ``Connection: close``.
    """

    protocol_version = "HTTP/1.1"
    server_version = f"pyrus-mock/{__version__}"
    raw_requestline: bytes  # set by the standard library's handle_one_request()

    def __init__(
        self,
        conn: ssl.SSLSocket,
        address: Address,
        owner: HandlerHost,
        state: Connection,
        *,
        idle_timeout: float,
        request_timeout: float,
    ) -> None:
        # BaseRequestHandler.__init__ wants a socketserver.BaseServer and runs everything from
        # the constructor; set the same attributes and let the caller run serve().
        self.request = conn
        self.client_address = address
        self.owner = owner
        self.state = state
        self.stream = ConnectionStream(conn, idle_timeout, request_timeout)
        self._body_length: int | None = 0  # of the current request; None: chunked
        self._linger = False  # close with a lingering close (unread input may follow)

    def serve(self) -> None:
        self.setup()
        try:
            self.handle()
            if self._linger:
                self._lingering_close()
        finally:
            self.finish()

    def setup(self) -> None:
        # The stdlib's setup() reads and writes the socket directly; ours goes through the
        # stream that keeps the request deadline and notes what the client did wrong.
        self.connection = self.request
        self.rfile = io.BufferedReader(self.stream)
        self.wfile = cast("io.BufferedIOBase", self.stream)  # only write() is used: sendall

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.rfile.close()

    def parse_request(self) -> bool:
        # Called once the request line has arrived; once the head is read the request is the
        # app's: the connection is busy (not evicted for a new one, not cut at once by stop()).
        line = self.raw_requestline
        # RFC 9112 §2.2: empty lines before a request line are ignored (some clients send a
        # CRLF after a POST body); a few, so that a stream of them cannot hold the thread.
        for _ in range(_BLANK_LINES):
            if line not in (b"\r\n", b"\n"):
                break
            line = self.raw_requestline = self.rfile.readline(_MAX_LINE + 1)
        if not line:  # the client left after its blank lines
            self.close_connection = True
            return False
        if len(line) > _MAX_LINE:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return False
        if b"\0" in line or b"\r" in line.rstrip(b"\r\n"):
            self.send_error(400, "Bad request line: it holds a NUL or a bare CR")
            return False
        real, lines = self.rfile, HeadLines(self.rfile)
        self.rfile = cast("io.BufferedIOBase", lines)
        try:
            parsed = super().parse_request()
        finally:
            self.rfile = real
        if not parsed:
            return False
        if lines.bad:
            self.send_error(
                400,
                "Bad header line: each must be 'Name: value' with a token name right before the "
                "colon, on one line, without a bare CR or a NUL",
            )
            return False
        if not self._framing():
            return False
        self.owner.set_busy(self.state, True)
        return True

    def _framing(self) -> bool:
        """Decide how the body is framed (see :func:`~.http_head.body_length`); answer 400 and
        return False if badly."""
        try:
            self._body_length = body_length(self.headers)
        except BadHead as exc:
            self.send_error(400, str(exc))
            return False
        return True

    def handle_one_request(self) -> None:
        self.command = ""  # not the last request's method, should this one fail before its line
        try:
            super().handle_one_request()
        except ClientTimedOut as exc:  # the head came too slowly
            self._send_client_problem(exc)
        except ClientDisconnected:  # the client left in the middle of its head
            self.close_connection = True
        finally:
            self.stream.next_request()
            if self.owner.set_busy(self.state, False):
                self.close_connection = True  # the server is stopping: no next request

    def _send_client_problem(self, exc: HTTPException) -> None:
        """Answer a request the client broke (too slow, bad framing) with JSON, then close."""
        code = exc.code or 400
        self._send_json_error(
            code,
            self.responses.get(code, ("Error", ""))[0],
            _ERROR_CODES.get(code, f"http_{code}"),
            exc.description or str(exc),
        )

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
        if not isinstance(self.stream.problem, (ClientDisconnected, ClientTimedOut)):
            self._linger = True  # the rest of the request may still be on its way
        data = error_body(error_code, text)
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
            problem = self.stream.problem
            if not sent and isinstance(problem, HTTPException) and problem.code != 400:
                self._send_client_problem(problem)
            return
        except BaseException as exc:  # anything the app raised, including pytest.fail()
            problem = self.stream.problem
            if problem is not None:
                # The client broke the request (hung up, too slow, bad framing) while the app
                # read it: whatever the app made of the failed read is the client's problem.
                self.close_connection = True
                if not sent and isinstance(problem, HTTPException):
                    self._send_client_problem(problem)
                return
            self.owner.record_error(where, exc)
            self.close_connection = True
            if not sent:
                self._send_500(exc)
            return
        if self.stream.problem is not None:
            self.close_connection = True  # the request's framing is lost
            return
        if declared_length is not None and self.command != "HEAD" and written != declared_length:
            self.close_connection = True
            self.owner.record_error(
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

        length = self._body_length  # checked by _framing()
        if length is None:
            environ.pop("CONTENT_LENGTH", None)
            environ["wsgi.input_terminated"] = True
            environ["wsgi.input"] = ChunkedInput(cast("io.BufferedReader", self.rfile), self.stream)
            return environ
        if "CONTENT_LENGTH" in environ:
            environ["CONTENT_LENGTH"] = str(length)
        environ["wsgi.input"] = LimitedStream(cast("IO[bytes]", self.rfile), length)
        return environ

    def _head(self, status: str, headers: list[tuple[str, str]]) -> tuple[bytes, bool, int | None]:
        """Render the status line and headers; decide on chunking and keep-alive."""
        code = int(status.split(None, 1)[0])
        if self.stream.problem is not None:
            self.close_connection = True  # the client broke its request: the framing is lost
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
        """Read what the app left of the request body, so the next request starts in sync.

        Beyond ``_DRAIN_LIMIT`` the connection closes instead, with a lingering close, so that
        the client still reads the reply (e.g. a 413) rather than a reset.
        """
        try:
            if isinstance(stream, LimitedStream):
                if stream.limit - stream.tell() <= _DRAIN_LIMIT:
                    stream.exhaust()
                    return
            else:
                drained = 0
                while drained <= _DRAIN_LIMIT:
                    chunk = stream.read(65536)
                    if not chunk:
                        return
                    drained += len(chunk)
        except (OSError, HTTPException):  # the client left, was too slow or broke the framing
            self.close_connection = True
            return
        self.close_connection = True
        self._linger = True

    def _lingering_close(self) -> None:
        """Half-close after a reply the client may not have read yet, then discard its input.

        Closing a socket with unread input makes the kernel send a reset, and a client still
        sending its body then loses the reply it has not read. So: send FIN after the reply, and
        read and drop what the client still sends, up to ``_LINGER_BYTES`` or
        ``_LINGER_SECONDS``, or until it closes.
        """
        conn = self.connection
        left = _LINGER_BYTES
        deadline = time.monotonic() + _LINGER_SECONDS
        with contextlib.suppress(OSError, ValueError):
            socket.socket.shutdown(conn, socket.SHUT_WR)
            while left > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                conn.settimeout(remaining)
                data = conn.recv(65536)
                if not data:
                    return
                left -= len(data)


class _ClientGone(Exception):
    """The client closed the connection while we were answering."""


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
            "pyrus_mock.intercept() for requests- or httpx-based clients, or give the bot "
            "pyrus_mock.api_url)"
        )
    return ""
