"""TLSServer's HTTP framing, byte by byte over a real TLS socket: what it accepts, what it refuses
(400 JSON and close), clients that hang up mid-body, and a readable 413."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.exceptions import ClientDisconnected

from pyrus_mock import PyrusMock, Settings
from pyrus_mock.transport.server import TLSServer
from pyrus_mock.transport.tls import CertificateAuthority

from ._tls_helpers import json_error, read_until_closed, tls_client

WAIT = 10.0
"""Seconds a client socket waits for the server before the test fails."""


@pytest.fixture(scope="module")
def ca() -> Iterator[CertificateAuthority]:
    with CertificateAuthority() as authority:
        yield authority


def body_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers ``body=<the body it read>`` (a short body from a client that left: ValueError)."""
    try:
        body = environ["wsgi.input"].read()
    except ClientDisconnected as exc:
        raise ValueError("the body was cut short") from exc  # what a careless app does
    out = b"body=" + body
    start_response("200 OK", [("Content-Length", str(len(out)))])
    return [out]


@pytest.fixture
def server(ca: CertificateAuthority) -> Iterator[TLSServer]:
    srv = TLSServer(body_app, ca.server_context()).start()
    yield srv
    srv.stop()


def tls(ca: CertificateAuthority, port: int) -> ssl.SSLSocket:
    return tls_client(ca, port, WAIT)


def read_reply(sock: socket.socket) -> bytes:
    """One reply with a Content-Length, leaving the connection open."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before a reply: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


# -- accepted ---------------------------------------------------------------------------------

POST = b"POST / HTTP/1.1\r\nHost: x\r\n"


@pytest.mark.parametrize(
    ("request_bytes", "body"),
    [
        (POST + b"Transfer-Encoding: chunked\r\n\r\n3;name=value;x\r\nabc\r\n0\r\n\r\n", b"abc"),
        (POST + b"Transfer-Encoding: chunked\r\n\r\n2 ; ext\r\nab\r\n1\r\nc\r\n0;end\r\n\r\n",
         b"abc"),
        (POST + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-B: 2\r\n\r\n",
         b"abc"),
        (POST + b"Transfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
         b"0123456789"),
        (POST + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", b"abc"),
        (POST + b"Content-Length: 3, 3\r\n\r\nabc", b"abc"),
    ],
    ids=["extensions", "extensions-spaces", "trailers", "upper-hex", "same-length-twice",
         "same-length-list"],
)  # fmt: skip
def test_accepted_framing_keeps_the_connection(
    ca: CertificateAuthority, server: TLSServer, request_bytes: bytes, body: bytes
) -> None:
    with tls(ca, server.port) as sock:
        sock.sendall(request_bytes)
        assert read_reply(sock).endswith(b"\r\n\r\nbody=" + body)
        sock.sendall(POST + b"Content-Length: 4\r\n\r\nnext")  # the same connection, in sync
        assert read_reply(sock).endswith(b"\r\n\r\nbody=next")
    server.stop(raise_errors=True)


# -- refused: 400 JSON and close ----------------------------------------------------------------

CHUNKED = POST + b"Transfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    ("request_bytes", "says"),
    [
        (CHUNKED + b"zz\r\nab\r\n0\r\n\r\n", "bad chunk size 'zz'"),
        (CHUNKED + b"-5\r\nab\r\n0\r\n\r\n", "bad chunk size '-5'"),
        (CHUNKED + b"0x5\r\nabcde\r\n0\r\n\r\n", "bad chunk size"),
        (CHUNKED + b"1" * 17 + b"\r\nab\r\n0\r\n\r\n", "1 to 16 hex digits"),
        (CHUNKED + b"\r\nab\r\n0\r\n\r\n", "bad chunk size"),
        (CHUNKED + b"3\r\nabcd\r\n0\r\n\r\n", "not followed by CRLF"),
        (CHUNKED + b"3\nabc\r\n0\r\n\r\n", "does not end with CRLF"),
        (CHUNKED + b"1" + b";" * 5000 + b"\r\na\r\n0\r\n\r\n", "longer than 4096 bytes"),
        (CHUNKED + b"0\r\nbad trailer\r\n\r\n", "trailer line"),
        (POST + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
         "Conflicting Content-Length"),
        (POST + b"Content-Length: 3, 4\r\n\r\nabcd", "Conflicting Content-Length"),
        (POST + b"Content-Length: +3\r\n\r\nabc", "Bad Content-Length '+3'"),
        (POST + b"Transfer-Encoding: gzip\r\n\r\n", "Unsupported Transfer-Encoding 'gzip'"),
        (POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "'chunked' only"),
        (POST + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
         "'chunked' only"),
        (POST + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", "Unsupported Transfer-Encoding"),
        (POST + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
         "Both Transfer-Encoding and Content-Length"),
        (POST + b"X-A: a\rb\r\nContent-Length: 0\r\n\r\n", "Bad header line"),
        (POST + b"X-A: a\x00b\r\nContent-Length: 0\r\n\r\n", "Bad header line"),
        (POST + b"Content-Length : 3\r\n\r\nabc", "Bad header line"),
        (POST + b"X-A: a\r\n folded\r\n\r\n", "Bad header line"),
        (POST + b"no colon here\r\n\r\n", "Bad header line"),
        (b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n", "NUL or a bare CR"),
    ],
    ids=["size-not-hex", "size-negative", "size-0x", "size-too-long", "size-empty",
         "size-wrong", "size-bare-lf", "size-line-too-long", "bad-trailer", "two-lengths",
         "length-list", "length-plus", "te-gzip", "te-gzip-chunked", "te-two-headers",
         "te-xchunked", "te-and-length", "bare-cr", "nul", "space-before-colon", "obs-fold",
         "no-colon", "nul-in-target"],
)  # fmt: skip
def test_bad_framing_answers_400_json_and_closes(
    ca: CertificateAuthority, server: TLSServer, request_bytes: bytes, says: str
) -> None:
    with tls(ca, server.port) as sock:
        sock.sendall(request_bytes)
        status, headers, payload = json_error(read_until_closed(sock))
    assert (status, payload["error_code"]) == (400, "invalid_input")
    assert says in payload["error"]
    assert headers["Connection"] == "close"
    with tls(ca, server.port) as sock:  # the server goes on
        sock.sendall(POST + b"Content-Length: 2\r\n\r\nok")
        assert read_reply(sock).endswith(b"body=ok")
    server.stop(raise_errors=True)  # the client's fault, not the app's
    assert server.errors == []


def test_the_api_answers_bad_chunks_with_its_json_400(ca: CertificateAuthority) -> None:
    with PyrusMock() as fake, tls(fake.ca, fake.server.port) as sock:
        sock.sendall(
            b"POST /v4/auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\nzz\r\n"
        )
        status, headers, payload = json_error(read_until_closed(sock))
        assert status == 400
        assert "bad chunk size" in payload["error"]
        assert headers["Connection"] == "close"
        assert fake.server.errors == []


# -- a client that hangs up in the middle ----------------------------------------------------


@pytest.mark.parametrize(
    "partial",
    [
        POST + b"Content-Length: 100\r\n\r\nonly part",
        CHUNKED + b"a\r\nonly",
        CHUNKED + b"3\r\nabc\r\n",
        CHUNKED + b"3\r\nabc\r\n0\r\nX-Trailer: 1\r\n",
    ],
    ids=["length", "in-a-chunk", "between-chunks", "in-trailers"],
)
def test_a_client_that_hangs_up_mid_body_is_not_an_app_error(
    ca: CertificateAuthority, server: TLSServer, partial: bytes
) -> None:
    entered = threading.Event()
    app = server.app

    def watched(environ: dict[str, Any], start_response: Any) -> Any:
        entered.set()
        return app(environ, start_response)

    server.app = watched
    with tls(ca, server.port) as sock:
        sock.sendall(partial)
        assert entered.wait(WAIT)  # the app is reading the body when the client leaves
    with tls(ca, server.port) as sock:
        sock.sendall(POST + b"Content-Length: 2\r\n\r\nok")
        assert read_reply(sock).endswith(b"body=ok")
    server.stop(raise_errors=True)
    assert server.errors == []


# -- 413 that the client can read ---------------------------------------------------------------


def test_a_body_over_the_limit_gets_a_readable_413_from_requests() -> None:
    with PyrusMock(settings=Settings(max_request_bytes=1000)) as fake:
        reply = requests.post(
            fake.api_url + "auth",
            data=b"x" * 3_000_000,  # still being sent when the 413 is on its way
            headers={"Content-Type": "application/json"},
            verify=fake.ca_path,
            timeout=WAIT,
        )
        assert reply.status_code == 413
        assert reply.json()["error_code"] == "too_large_request_length"
        assert fake.server.errors == []


def test_a_chunked_body_over_the_limit_gets_a_readable_413() -> None:
    with PyrusMock(settings=Settings(max_request_bytes=1000)) as fake:
        chunk = b"x" * 65536
        with tls(fake.ca, fake.server.port) as sock:
            sock.sendall(
                b"POST /v4/auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
                + (b"%x\r\n%s\r\n" % (len(chunk), chunk))
                * 32  # 2 MiB, more than drained
            )
            status, _, payload = json_error(read_until_closed(sock))
        assert (status, payload["error_code"]) == (413, "too_large_request_length")
        assert fake.server.errors == []


def test_blank_lines_before_a_request_line_are_ignored(
    ca: CertificateAuthority, server: TLSServer
) -> None:
    """RFC 9112 §2.2: a server ignores empty lines before a request line. Some clients send an
    extra CRLF after a POST body; the next request on that kept-alive connection is answered,
    not met by a silent close."""
    with tls(ca, server.port) as sock:
        sock.sendall(b"\r\nPOST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi\r\n")
        first = read_reply(sock)
        sock.sendall(b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nbye")
        second = read_reply(sock)
    assert first.startswith(b"HTTP/1.1 200 ")
    assert first.endswith(b"body=hi")
    assert second.startswith(b"HTTP/1.1 200 ")
    assert second.endswith(b"body=bye")
