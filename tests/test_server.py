"""TLSServer over real sockets: lifecycle, keep-alive, errors, misbehaving clients."""

from __future__ import annotations

import errno
import http.client
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pyrus_mock import PyrusMock
from pyrus_mock.domain.errors import ServerThreadError
from pyrus_mock.transport.server import TLSServer
from pyrus_mock.transport.tls import CertificateAuthority

from ._tls_helpers import json_error, wsgi_reply


@pytest.fixture(scope="module")
def ca() -> Iterator[CertificateAuthority]:
    with CertificateAuthority() as authority:
        yield authority


def echo_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers with what it saw, one line per fact, and honours ``/fail`` and ``/stream``."""
    body = environ["wsgi.input"].read()
    path = environ["PATH_INFO"]
    if path == "/fail":
        raise ValueError("boom")
    if path == "/ignore-body":
        start_response("204 No Content", [])
        return []
    nodelay = environ["pyrus_mock.socket"].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    lines = [
        f"method={environ['REQUEST_METHOD']}",
        f"path={path}",
        f"query={environ['QUERY_STRING']}",
        f"scheme={environ['wsgi.url_scheme']}",
        f"ua={environ.get('HTTP_USER_AGENT', '')}",
        f"type={environ.get('CONTENT_TYPE', '')}",
        f"nodelay={int(bool(nodelay))}",
        f"body={body.decode()}",
    ]
    out = "\n".join(lines).encode()
    if path == "/stream":  # no Content-Length: the server must chunk
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [out[:10], out[10:]]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(out)))])
    return [out]


@pytest.fixture
def server(ca: CertificateAuthority) -> Iterator[TLSServer]:
    srv = TLSServer(echo_app, ca.server_context(), name="srv-test").start()
    yield srv
    srv.stop()


_open: list[http.client.HTTPSConnection] = []


@pytest.fixture(autouse=True)
def _close_client_connections() -> Iterator[None]:
    yield
    while _open:
        _open.pop().close()


def connect(ca: CertificateAuthority, srv: TLSServer) -> http.client.HTTPSConnection:
    """A client connection that is closed at the end of the test."""
    conn = http.client.HTTPSConnection(
        "127.0.0.1", srv.port, context=ca.client_context(), timeout=5
    )
    _open.append(conn)
    return conn


def request(
    conn: http.client.HTTPSConnection, method: str, path: str, body: bytes | None = None, **h: str
) -> tuple[int, dict[str, str], bytes]:
    conn.request(method, path, body=body, headers=h)
    reply = conn.getresponse()
    return reply.status, dict(reply.getheaders()), reply.read()


def read_all(sock: ssl.SSLSocket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def facts(body: bytes) -> dict[str, str]:
    return dict(line.split("=", 1) for line in body.decode().splitlines())


# -- lifecycle ------------------------------------------------------------------------------------


def test_start_stop_many_times_leaves_no_threads(ca: CertificateAuthority) -> None:
    # How fast a start/stop cycle is belongs to benchmarks/bench_startup.py, not here.
    ctx = ca.server_context()
    ports = set()
    for _ in range(50):
        srv = TLSServer(echo_app, ctx, name="cycling-srv").start()
        ports.add(srv.port)
        srv.stop()
    assert len(ports) > 1
    leftovers = [t.name for t in threading.enumerate() if t.name.startswith("cycling-srv-")]
    assert leftovers == []


def test_restart_same_instance(ca: CertificateAuthority) -> None:
    srv = TLSServer(wsgi_reply(body=b"x"), ca.server_context())
    for _ in range(3):
        with srv:
            conn = connect(ca, srv)
            assert request(conn, "GET", "/")[2] == b"x"
            conn.close()
    srv.stop()  # stopping a stopped server is a no-op


def test_start_returns_ready_server(ca: CertificateAuthority) -> None:
    with TLSServer(wsgi_reply(), ca.server_context()) as srv:
        assert srv.url == f"https://127.0.0.1:{srv.port}"
        assert srv.host == "127.0.0.1"
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5):
            pass
        with pytest.raises(RuntimeError, match="already running"):
            srv.start()


def test_url_before_start_is_a_clear_error(ca: CertificateAuthority) -> None:
    with pytest.raises(RuntimeError, match=r"not started.*start\(\)"):
        _ = TLSServer(wsgi_reply(), ca.server_context()).url


def test_bind_error_names_host_and_port(ca: CertificateAuthority) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=rf"cannot listen on 127\.0\.0\.1:{port}.*port=0") as info:
            TLSServer(wsgi_reply(), ca.server_context(), port=port).start()
    assert info.value.errno == errno.EADDRINUSE


def test_bind_error_for_foreign_address(ca: CertificateAuthority) -> None:
    with pytest.raises(OSError, match=r"cannot listen on 192\.0\.2\.1:0"):
        TLSServer(wsgi_reply(), ca.server_context(), host="192.0.2.1").start()


# -- HTTP -----------------------------------------------------------------------------------------


def test_environ_and_reply(ca: CertificateAuthority, server: TLSServer) -> None:
    conn = connect(ca, server)
    status, headers, body = request(
        conn,
        "POST",
        "/bot/%D0%B0?x=1",
        b"hi",
        **{"User-Agent": "Pyrus-Bot-4", "Content-Type": "a/b"},
    )
    assert status == 200
    assert headers["Content-Type"] == "text/plain"
    assert "Date" in headers
    seen = facts(body)
    assert seen["method"] == "POST"
    assert seen["path"] == "/bot/\xd0\xb0"  # PEP 3333: raw bytes as latin-1
    assert seen["query"] == "x=1"
    assert seen["scheme"] == "https"
    assert seen["ua"] == "Pyrus-Bot-4"
    assert seen["type"] == "a/b"
    assert seen["body"] == "hi"


def test_keep_alive_reuses_one_connection(ca: CertificateAuthority, server: TLSServer) -> None:
    conn = connect(ca, server)
    for i in range(20):
        status, headers, body = request(conn, "POST", "/", f"n{i}".encode())
        assert status == 200
        assert "Connection" not in headers
        assert facts(body)["body"] == f"n{i}"
    conn.close()
    assert server.accepted_connections == 1


def test_tcp_nodelay_on_accepted_sockets(ca: CertificateAuthority, server: TLSServer) -> None:
    assert facts(request(connect(ca, server), "GET", "/")[2])["nodelay"] == "1"


def test_reply_without_length_is_chunked_and_kept_alive(
    ca: CertificateAuthority, server: TLSServer
) -> None:
    conn = connect(ca, server)
    _, headers, body = request(conn, "GET", "/stream")
    assert headers["Transfer-Encoding"] == "chunked"
    assert facts(body)["path"] == "/stream"
    assert request(conn, "GET", "/again")[0] == 200
    assert server.accepted_connections == 1


def test_chunked_request_body(ca: CertificateAuthority, server: TLSServer) -> None:
    conn = connect(ca, server)
    conn.request("POST", "/", body=iter([b"ab", b"cd"]), encode_chunked=True)
    assert facts(conn.getresponse().read())["body"] == "abcd"
    assert request(conn, "GET", "/")[0] == 200


def test_unread_body_is_drained_so_the_connection_stays_usable(
    ca: CertificateAuthority, server: TLSServer
) -> None:
    conn = connect(ca, server)
    assert request(conn, "POST", "/ignore-body", b"x" * 5000)[0] == 204
    assert facts(request(conn, "POST", "/", b"next")[2])["body"] == "next"
    assert server.accepted_connections == 1


def test_http10_and_connection_close(ca: CertificateAuthority, server: TLSServer) -> None:
    conn = connect(ca, server)
    status, headers, _ = request(conn, "GET", "/", Connection="close")
    assert status == 200
    assert headers["Connection"] == "close"
    ctx = ca.client_context()
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        tls.sendall(b"GET /stream HTTP/1.0\r\n\r\n")
        data = read_all(tls)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Transfer-Encoding" not in data  # HTTP/1.0: the end of the body is the close
    assert data.endswith(b"body=")


def test_head_has_no_body(ca: CertificateAuthority, server: TLSServer) -> None:
    conn = connect(ca, server)
    status, headers, body = request(conn, "HEAD", "/")
    assert (status, body) == (200, b"")
    assert int(headers["Content-Length"]) > 0
    assert request(conn, "GET", "/")[0] == 200


def test_request_log_is_silent(
    ca: CertificateAuthority, server: TLSServer, capfd: pytest.CaptureFixture[str]
) -> None:
    conn = connect(ca, server)
    request(conn, "GET", "/")
    conn.sock.sendall(b"garbage\r\n\r\n")
    conn.close()
    server.stop()
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


# -- errors ---------------------------------------------------------------------------------------


def test_app_exception_is_a_500_and_is_reraised_on_stop(
    ca: CertificateAuthority, server: TLSServer
) -> None:
    conn = connect(ca, server)
    status, headers, body = request(conn, "POST", "/fail", b"{}")
    assert status == 500
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    reply = json.loads(body)
    assert reply["error_code"] == "server_error"
    assert "ValueError: boom" in reply["error"]
    assert headers["Connection"] == "close"
    assert len(server.errors) == 1
    assert isinstance(server.errors[0], ValueError)
    with pytest.raises(
        ServerThreadError, match=r"ValueError: boom while handling POST /fail"
    ) as info:
        server.stop(raise_errors=True)
    assert isinstance(info.value.__cause__, ValueError)
    with pytest.raises(ServerThreadError):
        server.raise_errors()
    server.clear_errors()
    server.raise_errors()
    assert server.errors == []


def test_app_errors_do_not_stop_the_server(ca: CertificateAuthority, server: TLSServer) -> None:
    for _ in range(3):
        assert request(connect(ca, server), "GET", "/fail")[0] == 500
    assert request(connect(ca, server), "GET", "/")[0] == 200
    assert len(server.errors) == 3
    with pytest.raises(ServerThreadError, match=r"2 more in \.errors"):
        server.raise_errors()
    server.clear_errors()


def test_wrong_content_length_from_app_is_recorded(ca: CertificateAuthority) -> None:
    def lying_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "10")])
        return [b"abc"]

    with TLSServer(lying_app, ca.server_context()) as srv:
        conn = connect(ca, srv)
        conn.request("GET", "/")
        with pytest.raises(http.client.IncompleteRead):
            conn.getresponse().read()
        srv.stop()
        assert "declared Content-Length: 10 but sent 3 bytes" in str(srv.errors[0])


def test_misbehaving_clients_do_not_add_errors(ca: CertificateAuthority, server: TLSServer) -> None:
    ctx = ca.client_context()
    address = ("127.0.0.1", server.port)
    # 1. Plain-text garbage instead of a TLS handshake.
    with socket.create_connection(address, timeout=5) as raw:
        raw.sendall(b"\x00\xffnot tls at all\r\n\r\n")
    # 2. Connect and leave at once.
    socket.create_connection(address, timeout=5).close()
    # 3. A client that rejects the certificate (wrong CA) and aborts the handshake.
    with CertificateAuthority() as other, pytest.raises(ssl.SSLCertVerificationError):
        other.client_context().wrap_socket(
            socket.create_connection(address, timeout=5), server_hostname="127.0.0.1"
        )
    # 4. TLS, then garbage instead of HTTP: an error page, then the connection closes.
    with ctx.wrap_socket(
        socket.create_connection(address, timeout=5), server_hostname="127.0.0.1"
    ) as tls:
        tls.sendall(b"\x01\x02 garbage\r\n\r\n")
        assert b"Bad HTTP/0.9 request type" in read_all(tls)
    # 5. TLS, HTTP, but a Content-Length that is not a number.
    with ctx.wrap_socket(
        socket.create_connection(address, timeout=5), server_hostname="127.0.0.1"
    ) as tls:
        tls.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        assert read_all(tls).startswith(b"HTTP/1.1 400")
    # 6. A request whose body never fully arrives.
    with ctx.wrap_socket(
        socket.create_connection(address, timeout=5), server_hostname="127.0.0.1"
    ) as tls:
        tls.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort")
    # 7. A client that leaves in the middle of a long reply.
    with ctx.wrap_socket(
        socket.create_connection(address, timeout=5), server_hostname="127.0.0.1"
    ) as tls:
        tls.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    # 8. Half-open: the handshake never starts.
    idle = socket.create_connection(address, timeout=5)
    # The server still serves, and nothing above counts as an app error.
    assert request(connect(ca, server), "GET", "/")[0] == 200
    server.stop(raise_errors=True)
    assert server.errors == []
    # stop() hung up on the half-open client instead of waiting out its handshake timeout.
    with idle:
        assert idle.recv(1) == b""


# -- protocol errors are JSON (D10) ---------------------------------------------------------------


def exchange(ca: CertificateAuthority, srv: TLSServer, data: bytes) -> bytes:
    """Send raw bytes over TLS and read until the server closes.

    A server that answers before reading all of an oversized request may reset the connection
    after its reply: what arrived before the reset is the answer.
    """
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    received = b""
    with ca.client_context().wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        try:
            tls.sendall(data)
            while chunk := tls.recv(65536):
                received += chunk
        except (ConnectionError, ssl.SSLError):
            pass
    return received


_BIG = b"a" * 70_000


@pytest.mark.parametrize(
    ("request_bytes", "status", "error_code", "says"),
    [
        (b"\x01\x02 garbage\r\n\r\n", 400, "invalid_input", "Bad HTTP/0.9 request type"),
        (b"GET / HTTP/1.1 extra\r\n\r\n", 400, "invalid_input", "Bad request"),
        (b"GET / HTTQ/1.1\r\n\r\n", 400, "invalid_input", "Bad request version"),
        (b"B(EW / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_input", "not an HTTP token"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400,
         "invalid_input", "Bad Content-Length 'abc'"),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http_version_not_supported", "HTTP/1.1"),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "http_version_not_supported", "2.0"),
        (b"GET /" + _BIG + b" HTTP/1.1\r\n\r\n", 414, "too_large_request_length", "65,536"),
        (b"GET / HTTP/1.1\r\nX-Big: " + _BIG + b"\r\n\r\n", 431, "too_large_request_length",
         "Line too long"),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n",
         431, "too_large_request_length", "Too many headers"),
    ],
    ids=["garbage", "four-words", "bad-version", "bad-method", "bad-length", "http2", "h2-preface",
         "long-target", "long-header", "many-headers"],
)  # fmt: skip
def test_protocol_errors_answer_json_and_close(
    ca: CertificateAuthority,
    server: TLSServer,
    request_bytes: bytes,
    status: int,
    error_code: str,
    says: str,
) -> None:
    got, headers, payload = json_error(exchange(ca, server, request_bytes))
    assert (got, payload["error_code"]) == (status, error_code)
    assert says in payload["error"]
    assert headers["Connection"] == "close"
    assert headers["Server"].startswith("pyrus-mock/")
    # The server is fine, and none of this counts as an app error.
    assert request(connect(ca, server), "GET", "/")[0] == 200
    assert server.errors == []


def test_a_protocol_error_to_head_has_no_body(ca: CertificateAuthority, server: TLSServer) -> None:
    reply = exchange(ca, server, b"HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert int(headers["Content-Length"]) > 0  # the length a GET would get
    assert body == b""


def test_any_method_token_reaches_the_app(ca: CertificateAuthority, server: TLSServer) -> None:
    conn = connect(ca, server)
    for method in ("BREW", "PROPFIND", "M-SEARCH", "TRACE", "get"):
        status, _, body = request(conn, method, "/x")
        assert status == 200
        assert facts(body)["method"] == method
    assert request(conn, "GET", "/")[0] == 200  # one keep-alive connection throughout
    assert server.accepted_connections == 1


def test_the_api_answers_unknown_methods_with_its_json_405(ca: CertificateAuthority) -> None:
    with TLSServer(PyrusMock().app, ca.server_context()) as srv:
        conn = connect(ca, srv)
        status, headers, body = request(conn, "BREW", "/v4/tasks")
        assert status == 405
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert json.loads(body)["error_code"] == "method_not_allowed"
        status, headers, body = request(conn, "BREW", "/coffee")
        assert (status, json.loads(body)["error_code"]) == (404, "not_found")
        assert request(conn, "GET", "/v4/forms")[0] == 401  # still the same connection
        srv.stop(raise_errors=True)


# -- stopping -------------------------------------------------------------------------------------


def test_stop_closes_idle_keep_alive_connections(
    ca: CertificateAuthority, server: TLSServer
) -> None:
    conns = [connect(ca, server) for _ in range(5)]
    for conn in conns:
        assert request(conn, "GET", "/")[0] == 200
    server.stop()
    for conn in conns:
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            request(conn, "GET", "/")


def test_stop_lets_a_request_in_flight_finish(ca: CertificateAuthority) -> None:
    entered = threading.Event()
    release = threading.Event()

    def slow_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        entered.set()
        release.wait(5)
        start_response("200 OK", [("Content-Length", "4")])
        return [b"done"]

    srv = TLSServer(slow_app, ca.server_context()).start()
    results: list[bytes] = []
    client = threading.Thread(
        target=lambda: results.append(request(connect(ca, srv), "GET", "/")[2])
    )
    client.start()
    try:
        assert entered.wait(5)
        stopper = threading.Thread(target=srv.stop)
        stopper.start()
        release.set()
        stopper.join(5)
        client.join(5)
    finally:
        release.set()
        srv.stop()
    assert results == [b"done"]
    assert not stopper.is_alive()


def test_stop_cuts_a_stuck_request_after_the_timeout(ca: CertificateAuthority) -> None:
    entered = threading.Event()
    release = threading.Event()
    finished = threading.Event()

    def stuck_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        entered.set()
        release.wait(10)
        finished.set()
        start_response("200 OK", [("Content-Length", "0")])
        return []

    srv = TLSServer(stuck_app, ca.server_context()).start()
    conn = connect(ca, srv)
    conn.request("GET", "/")
    try:
        assert entered.wait(5)
        srv.stop(timeout=0.1)
        # stop() returned while the app was still stuck: it gave up waiting instead of joining it.
        assert not finished.is_set()
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            conn.getresponse()
    finally:
        release.set()


def test_tls_server_records_app_errors_not_client_garbage() -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise RuntimeError("bug in the bot")

    fake = PyrusMock()
    server = TLSServer(broken, fake.ca.server_context()).start()
    bot = fake.add_bot("Bot", server.url + "/")
    delivery = fake.deliver(fake.add_task(text="t"), to=bot)
    assert delivery.attempts[0].status == 500
    server.stop()
    assert [str(e) for e in server.errors] == ["bug in the bot"]
    fake.close()
