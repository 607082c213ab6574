"""BotHttpClient over real TLS: every error kind, keep-alive, concurrency, stale connections."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
import trustme
import urllib3.connectionpool

from pyrus_mock.transport.httpclient import ERROR_KINDS, BotHttpClient, HttpResult
from pyrus_mock.transport.server import TLSServer
from pyrus_mock.transport.tls import CertificateAuthority

from ._tls_helpers import RawServer, answer, read_request, refused_port, wsgi_reply

WSGIApp = Callable[..., Any]


@pytest.fixture(scope="module")
def ca() -> Iterator[CertificateAuthority]:
    with CertificateAuthority() as authority:
        yield authority


@pytest.fixture
def client() -> Iterator[BotHttpClient]:
    with BotHttpClient() as bot_client:
        yield bot_client


@pytest.fixture
def serve(ca: CertificateAuthority) -> Iterator[Callable[..., TLSServer]]:
    """Start TLSServers for the test; stop them (re-raising app errors) at teardown."""
    servers: list[TLSServer] = []

    def start(app: WSGIApp, ssl_context: ssl.SSLContext | None = None) -> TLSServer:
        server = TLSServer(app, ssl_context or ca.server_context(), name="bot-test").start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop(raise_errors=True)


def post(
    client: BotHttpClient,
    ca: CertificateAuthority,
    url: str,
    body: bytes = b'{"event":"comment"}',
    **kwargs: Any,
) -> HttpResult:
    kwargs.setdefault("timeout", 5.0)
    headers = {"Content-Type": "application/json", "User-Agent": "Pyrus-Bot-4"}
    return client.post(url, body, headers, ssl_context=ca.client_context(), **kwargs)


def assert_failed(result: HttpResult, kind: str, *words: str) -> None:
    assert result.error_kind == kind, result.error
    assert kind in ERROR_KINDS
    assert result.error is not None
    assert "\n" not in result.error
    for word in words:
        assert word in result.error, f"{word!r} not in {result.error!r}"
    assert not result.ok


def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read()
    reply = b"%s %s %s|%s" % (
        environ["REQUEST_METHOD"].encode(),
        environ["PATH_INFO"].encode(),
        environ.get("HTTP_USER_AGENT", "").encode(),
        body,
    )
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(reply)))])
    return [reply]


# -- success --------------------------------------------------------------------------------------


def test_200_with_body(client: BotHttpClient, ca: CertificateAuthority, serve: Any) -> None:
    server = serve(echo)
    result = post(client, ca, server.url + "/bot?x=1", b"hello")
    assert result.ok
    assert (result.status, result.error_kind, result.error) == (200, None, None)
    assert result.body == b"POST /bot Pyrus-Bot-4|hello"
    assert result.header("content-type") == "text/plain"
    assert ("Content-Type", "text/plain") in result.headers
    assert result.elapsed > 0
    assert result.tls_version in ("TLSv1.2", "TLSv1.3")
    assert result.peer_cert_subject is not None
    assert "O=trustme" in result.peer_cert_subject


def test_connection_is_reused_across_posts(
    client: BotHttpClient, ca: CertificateAuthority, serve: Any
) -> None:
    server = serve(echo)
    for i in range(50):
        result = post(client, ca, server.url + "/", b"%d" % i)
        assert result.ok, result.error
        assert result.body.endswith(b"|%d" % i)
    assert server.accepted_connections == 1


def test_client_socket_has_nodelay(
    client: BotHttpClient, ca: CertificateAuthority, serve: Any
) -> None:
    server = serve(echo)
    assert post(client, ca, server.url + "/").ok
    (pooled,) = client._idle_connections()
    assert pooled.sock is not None
    assert pooled.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_concurrent_posts(client: BotHttpClient, ca: CertificateAuthority, serve: Any) -> None:
    server = serve(echo)
    results: list[HttpResult] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(10):
            result = post(client, ca, server.url + "/", b"%d-%d" % (n, i))
            with lock:
                results.append(result)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(results) == 80
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert sorted(r.body.split(b"|")[1] for r in results) == sorted(
        b"%d-%d" % (n, i) for n in range(8) for i in range(10)
    )
    assert server.accepted_connections <= 8


def test_stale_pooled_connection_is_replaced(
    client: BotHttpClient, ca: CertificateAuthority
) -> None:
    """The bot restarted between two deliveries: the pooled connection is dead."""
    first = TLSServer(echo, ca.server_context()).start()
    port = first.port
    assert post(client, ca, first.url + "/").ok
    first.stop()
    with TLSServer(echo, ca.server_context(), port=port) as second:
        result = post(client, ca, second.url + "/", b"again")
        assert result.ok, result.error
        assert result.body.endswith(b"|again")
        assert second.accepted_connections == 1


def test_a_connection_dropped_after_the_request_was_sent_is_not_resent(
    client: BotHttpClient, ca: CertificateAuthority
) -> None:
    """The bot reads a request on a kept-alive connection, acts on it, and drops the connection
    without answering (a crashed worker): that is a failed attempt, never a silent second POST
    of the same body, which the bot would act on twice."""
    received: list[bytes] = []

    def handler(sock: socket.socket) -> None:
        while request := read_request(sock):
            received.append(request.partition(b"\r\n")[0])
            if len(received) == 2:
                return  # acted on the second request, then crashed: no reply
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    with RawServer(handler, ca.server_context()) as server:
        assert post(client, ca, server.url, b"one").ok
        dropped = post(client, ca, server.url, b"two")  # on the pooled connection
        assert_failed(dropped, "protocol_error", "closed the connection without sending a reply")
        assert len(received) == 2  # the bot saw the second request once
        assert post(client, ca, server.url, b"three").ok  # a fresh connection afterwards
        assert len(received) == 3
        client.close()  # the handler waits on the pooled connection until it closes


def test_requests_mocks_and_bundle_variable_do_not_affect_it(
    client: BotHttpClient, ca: CertificateAuthority, serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(echo)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/bundle.pem")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, server.url + "/", body=b"from responses")
        result = post(client, ca, server.url + "/", b"real")
    assert result.body.endswith(b"|real")


def test_only_https_urls(client: BotHttpClient, ca: CertificateAuthority) -> None:
    with pytest.raises(ValueError, match="HTTPS only"):
        post(client, ca, "http://127.0.0.1:1/bot")
    with pytest.raises(ValueError, match="timeout"):
        post(client, ca, "https://127.0.0.1:1/bot", timeout=0)


# -- one negative test per error kind -------------------------------------------------------------


def test_connection_refused(client: BotHttpClient, ca: CertificateAuthority) -> None:
    port = refused_port()
    result = post(client, ca, f"https://127.0.0.1:{port}/bot")
    assert_failed(result, "connection_refused", f"127.0.0.1:{port}", "connection refused")
    assert result.status is None


def test_tls_untrusted(client: BotHttpClient, ca: CertificateAuthority, serve: Any) -> None:
    with CertificateAuthority() as other:
        server = serve(echo, other.server_context())
        result = post(client, ca, server.url + "/bot")
    assert_failed(
        result, "tls_untrusted", "not signed by a CA the fake trusts", "pyrus_mock.issue_cert()"
    )


def test_tls_untrusted_self_signed(
    client: BotHttpClient, ca: CertificateAuthority, tmp_path: Path
) -> None:
    # Serve a CA certificate as the leaf: self-signed, and nobody here trusts it.
    other = trustme.CA()
    pem = tmp_path / "self-signed.pem"
    pem.write_bytes(other.private_key_pem.bytes() + other.cert_pem.bytes())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(pem))
    with RawServer(answer(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), ctx) as server:
        result = post(client, ca, server.url)
    assert_failed(result, "tls_untrusted", "self-signed")


def test_tls_hostname(client: BotHttpClient, ca: CertificateAuthority, serve: Any) -> None:
    server = serve(echo, ca.server_context("example.org"))
    result = post(client, ca, server.url + "/bot")
    assert_failed(result, "tls_hostname", "not valid for that host", "127.0.0.1")


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        pytest.param(-2, -1, "expired", id="expired"),
        pytest.param(1, 2, "not yet valid", id="not-yet-valid"),
    ],
)
def test_tls_expired(
    client: BotHttpClient, ca: CertificateAuthority, serve: Any, start: int, end: int, words: str
) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    issued = ca.issue_cert(
        not_before=now + datetime.timedelta(days=start),
        not_after=now + datetime.timedelta(days=end),
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(issued.cert_path, issued.key_path)
    server = serve(echo, ctx)
    result = post(client, ca, server.url + "/bot")
    assert_failed(result, "tls_expired", "validity period", words)


def test_tls_handshake_plain_http_bot(client: BotHttpClient, ca: CertificateAuthority) -> None:
    reply = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    with RawServer(answer(reply, whole_request=False)) as server:
        result = post(client, ca, server.url)
    assert_failed(result, "tls_handshake", "plain HTTP", "HTTPS only")


def test_tls_handshake_closed_on_connect(client: BotHttpClient, ca: CertificateAuthority) -> None:
    with RawServer(lambda sock: None) as server:
        result = post(client, ca, server.url)
    assert_failed(result, "tls_handshake", "closed the connection during the TLS handshake")


def test_timeout(client: BotHttpClient, ca: CertificateAuthority, serve: Any) -> None:
    release = threading.Event()

    def slow(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        release.wait(10)
        start_response("200 OK", [("Content-Length", "0")])
        return []

    server = serve(slow)
    try:
        result = post(client, ca, server.url + "/bot", timeout=0.2)
    finally:
        release.set()
    assert_failed(result, "timeout", "within 0.2 s", "waiting for the reply")
    # The bot got its whole budget: the client did not give up early.
    assert result.elapsed >= 0.2


def test_timeout_covers_a_trickling_reply(client: BotHttpClient, ca: CertificateAuthority) -> None:
    """A bot that keeps sending a little never gets past the deadline of the whole exchange."""
    stop = threading.Event()

    def trickle(sock: socket.socket) -> None:
        read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        while not stop.wait(0.02):
            sock.sendall(b"x")

    with RawServer(trickle, ca.server_context()) as server:
        try:
            result = post(client, ca, server.url, timeout=0.3)
        finally:
            stop.set()
    assert_failed(result, "timeout", "within 0.3 s", "reading the reply body")


def test_http_status(client: BotHttpClient, ca: CertificateAuthority, serve: Any) -> None:
    body = b"Traceback: database is down\n" + b"x" * 1000
    server = serve(wsgi_reply("500 Internal Server Error", body))
    result = post(client, ca, server.url + "/bot")
    assert_failed(result, "http_status", "500 Internal Server Error", "database is down", "2xx")
    assert result.status == 500
    assert result.body == body
    assert len(result.error or "") < 600


def test_redirect(client: BotHttpClient, ca: CertificateAuthority, serve: Any) -> None:
    location = "https://elsewhere.example/bot"
    server = serve(wsgi_reply("302 Found", headers=[("Location", location)]))
    result = post(client, ca, server.url + "/bot")
    assert_failed(result, "redirect", "302", location, "does not follow redirects")
    assert result.status == 302


def test_reply_too_large_by_content_length(
    client: BotHttpClient, ca: CertificateAuthority, serve: Any
) -> None:
    server = serve(wsgi_reply(body=b"y" * 5000))
    result = post(client, ca, server.url + "/bot", max_reply_bytes=1000)
    assert_failed(result, "reply_too_large", "5000 bytes", "limit of 1000")
    assert result.body == b""
    assert result.status == 200


def test_reply_too_large_chunked(
    client: BotHttpClient, ca: CertificateAuthority, serve: Any
) -> None:
    def chunked(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [])  # no Content-Length: TLSServer sends it chunked
        for _ in range(5):
            yield b"z" * 1000

    server = serve(chunked)
    result = post(client, ca, server.url + "/bot", max_reply_bytes=1000)
    assert_failed(result, "reply_too_large", "more than 1000 bytes")
    assert result.body == b""


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        pytest.param(b"SSH-2.0-OpenSSH_9.6\r\n", "not HTTP", id="not-http"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..",
            "in the middle of the reply",
            id="reset-mid-reply",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnope\r\n",
            "in the middle of the reply",
            id="bad-chunking",
        ),
        pytest.param(b"", "without sending a reply", id="no-reply"),
    ],
)
def test_protocol_error(
    client: BotHttpClient, ca: CertificateAuthority, reply: bytes, words: str
) -> None:
    with RawServer(answer(reply), ca.server_context()) as server:
        result = post(client, ca, server.url)
    assert_failed(result, "protocol_error", words)


def test_failed_connection_is_not_pooled(
    client: BotHttpClient, ca: CertificateAuthority, serve: Any
) -> None:
    server = serve(wsgi_reply(body=b"y" * 5000))
    for _ in range(3):
        assert post(client, ca, server.url, max_reply_bytes=10).error_kind == "reply_too_large"
    assert server.accepted_connections == 3
    assert client._idle_connections() == []


def test_a_non_ascii_path_is_sent_percent_encoded(
    client: BotHttpClient, ca: CertificateAuthority, serve: Any
) -> None:
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["PATH_INFO"].encode("latin-1").decode("utf-8"))
        seen.append(environ.get("QUERY_STRING", ""))
        start_response("200 OK", [("Content-Length", "0")])
        return []

    server = serve(app)
    result = post(client, ca, server.url + "/бот/hook?x=%D0%B9&y=ä")
    assert result.ok, result.error
    assert seen == ["/бот/hook", "x=%D0%B9&y=%C3%A4"]


def test_interim_1xx_replies_are_skipped(client: BotHttpClient, ca: CertificateAuthority) -> None:
    """RFC 9110 §15.2: 103 Early Hints (any 1xx but 101) comes before the real reply."""
    reply = (
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 102 Processing\r\n\r\n"
        b'HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{"text":"ok"}'
    )
    with RawServer(answer(reply), ca.server_context()) as server:
        result = post(client, ca, server.url)
    assert result.ok, result.error
    assert (result.status, result.body) == (200, b'{"text":"ok"}')


def test_a_101_reply_fails_and_its_connection_is_not_reused(
    client: BotHttpClient, ca: CertificateAuthority
) -> None:
    """101 Switching Protocols ends HTTP on that connection: the delivery fails as http_status,
    and the next one goes out on a fresh connection instead of into the switched protocol."""
    connections: list[int] = []

    def handler(sock: socket.socket) -> None:
        connections.append(1)
        while read_request(sock):
            if len(connections) == 1:  # switch, then speak the new protocol to whatever comes
                sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
            else:
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    with RawServer(handler, ca.server_context()) as server:
        switched = post(client, ca, server.url)
        after = post(client, ca, server.url)
        client.close()
    assert_failed(switched, "http_status", "101")
    assert after.ok, after.error
    assert after.body == b"{}"
    assert len(connections) == 2


@pytest.mark.parametrize("liveness_check", [True, False], ids=["checked", "unchecked"])
def test_an_idle_connection_the_bot_closed_is_replaced_and_the_request_sent_once(
    client: BotHttpClient,
    ca: CertificateAuthority,
    monkeypatch: pytest.MonkeyPatch,
    liveness_check: bool,
) -> None:
    """The bot closes a kept-alive connection while it is idle in the pool (its keep-alive
    timeout): the next POST goes out on a fresh connection, and the bot receives it once.

    "unchecked" turns off the look at an idle connection before reuse, as when the bot closes
    it just after that look: then the failed send on the stale connection is retried once.
    """
    if not liveness_check:
        monkeypatch.setattr(urllib3.connectionpool, "is_connection_dropped", lambda conn: False)
    received: list[bytes] = []
    connections: list[int] = []
    hung_up = threading.Event()

    def handler(sock: socket.socket) -> None:
        connections.append(1)
        request = read_request(sock)
        if request:
            received.append(request.partition(b"\r\n")[0])
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        if len(connections) == 1:
            sock.shutdown(socket.SHUT_RDWR)  # idle keep-alive connection closed by the bot
            hung_up.set()

    with RawServer(handler, ca.server_context()) as server:
        assert post(client, ca, server.url, b"one").ok
        assert hung_up.wait(5)
        second = post(client, ca, server.url, b"two")
        assert second.ok, second.error
        assert len(received) == 2  # the second POST reached the bot exactly once
        assert len(connections) == 2
