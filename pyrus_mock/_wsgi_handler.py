"""The per-connection HTTP/1.1 handler of :class:`~pyrus_mock.server.TLSServer`.

It parses requests with the standard library's ``BaseHTTPRequestHandler``, runs the WSGI app,
and keeps the connection alive between requests (werkzeug's handler always closes it). Every
reply it makes itself is JSON ``{"error_code", "error"}`` (decision D10): a request it cannot
parse, an oversized request line or header, HTTP/2, an app that raised. The server owns the
socket, the threads and the record of errors; this module owns one request at a time.
"""

from __future__ import annotations

import contextlib
import io
import json
import ssl
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import unquote_to_bytes, urlsplit

from werkzeug.exceptions import ClientDisconnected, HTTPException
from werkzeug.serving import DechunkedInput
from werkzeug.wsgi import LimitedStream

from ._http_io import ClientTimedOut, ConnectionStream
from ._version import __version__
from .ids import parse_decimal

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import WSGIEnvironment

    from .server import TLSServer, _Connection

__all__ = ["Address", "WSGIRequestHandler"]

Address = Any  # what socket.accept() returns as the peer address: a tuple for IP sockets

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


class WSGIRequestHandler(BaseHTTPRequestHandler):
    """Serve WSGI requests on one TLS connection, keeping it alive between requests.

    Built on the stdlib handler for request-line and header parsing; the WSGI part is ours because
    werkzeug's handler always answers ``Connection: close``.
    """

    protocol_version = "HTTP/1.1"
    server_version = f"pyrus-mock/{__version__}"

    def __init__(
        self,
        conn: ssl.SSLSocket,
        address: Address,
        owner: TLSServer,
        state: _Connection,
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

    def serve(self) -> None:
        self.setup()
        try:
            self.handle()
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
        if not super().parse_request():
            return False
        self.owner._set_busy(self.state, True)
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
            if self.owner._set_busy(self.state, False):
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
            self.owner._record(where, exc)
            self.close_connection = True
            if not sent:
                self._send_500(exc)
            return
        if self.stream.problem is not None:
            self.close_connection = True  # the request's framing is lost
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
