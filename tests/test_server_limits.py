"""TLSServer under pressure: no thread to spare, the connection cap, the request deadline.

Behaviour only, no timings: tiny settings make the cap and the deadline easy to reach, and every
wait is bounded polling on a socket or an event.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pyrus_mock import PyrusMock, Settings
from pyrus_mock.transport import http_io as http_io
from pyrus_mock.transport.server import TLSServer
from pyrus_mock.transport.tls import CertificateAuthority

from ._tls_helpers import read_until_closed, tls_client, wsgi_reply
from ._waiting import until

WAIT = 10.0
"""Seconds any wait may last before the test fails (bounded polling)."""


@pytest.fixture(scope="module")
def ca() -> Iterator[CertificateAuthority]:
    with CertificateAuthority() as authority:
        yield authority


def tls(ca: CertificateAuthority, srv: TLSServer) -> ssl.SSLSocket:
    return tls_client(ca, srv.port, WAIT)


def get(ca: CertificateAuthority, srv: TLSServer, path: str = "/") -> requests.Response:
    return requests.get(srv.url + path, verify=ca.ca_path, timeout=WAIT)


def json_reply(data: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    return int(status_line.split()[1]), headers, json.loads(body)


def refused(ca: CertificateAuthority, srv: TLSServer) -> bool:
    """Whether a new client is closed without a TLS handshake or a reply."""
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT)
    try:
        with ca.client_context().wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            return read_until_closed(sock) == b""
    except (ConnectionError, ssl.SSLError):
        return True
    finally:
        raw.close()


# -- no thread for a connection ---------------------------------------------------------------


def test_a_connection_without_a_thread_is_closed_and_the_server_goes_on(
    ca: CertificateAuthority, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = threading.Thread.start
    failures: list[str] = []

    def start_or_fail_once(thread: threading.Thread) -> None:
        if thread.name.startswith("starved-conn-") and not failures:
            failures.append(thread.name)
            raise RuntimeError("can't start new thread")
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", start_or_fail_once)
    with TLSServer(wsgi_reply(body=b"fine"), ca.server_context(), name="starved") as srv:
        assert refused(ca, srv)
        assert failures  # the failure happened, for that first connection
        for _ in range(3):
            assert get(ca, srv).content == b"fine"
        assert srv.refused_connections == 1
        srv.stop(raise_errors=True)
        assert srv.errors == []


# -- the connection cap -----------------------------------------------------------------------


def test_at_the_cap_with_every_request_in_the_app_a_new_connection_is_closed(
    ca: CertificateAuthority,
) -> None:
    entered = threading.Semaphore(0)
    release = threading.Event()

    def stuck_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        entered.release()
        release.wait(WAIT)
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    srv = TLSServer(stuck_app, ca.server_context(), max_connections=2).start()
    results: list[int] = []
    clients = [
        threading.Thread(target=lambda: results.append(get(ca, srv).status_code)) for _ in range(2)
    ]
    try:
        for client in clients:
            client.start()
        assert entered.acquire(timeout=WAIT)
        assert entered.acquire(timeout=WAIT)
        assert refused(ca, srv)  # the third: nothing to make room with
        assert srv.refused_connections == 1
        assert (srv.open_connections, srv.busy_connections) == (2, 2)
        release.set()
        for client in clients:
            client.join(WAIT)
        assert results == [200, 200]
        until(lambda: srv.busy_connections == 0, "done with both requests")
        assert get(ca, srv).status_code == 200  # room again
    finally:
        release.set()
        srv.stop()
    assert srv.errors == []


def test_at_the_cap_a_new_connection_replaces_the_oldest_slow_one(
    ca: CertificateAuthority,
) -> None:
    with TLSServer(wsgi_reply(body=b"served"), ca.server_context(), max_connections=2) as srv:
        oldest, newer = tls(ca, srv), tls(ca, srv)
        with oldest, newer:
            for sock in (oldest, newer):
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # half a head
            until(lambda: srv.open_connections == 2, "two connections open")
            assert get(ca, srv).content == b"served"
            assert read_until_closed(oldest) == b""  # made room for the request above
            assert srv.evicted_connections == 1
            newer.sendall(b"1\r\nConnection: close\r\n\r\n")  # the newer one is still served
            assert read_until_closed(newer).startswith(b"HTTP/1.1 200 OK\r\n")
        srv.stop(raise_errors=True)


def test_idle_keep_alive_connections_make_room_too(ca: CertificateAuthority) -> None:
    with TLSServer(wsgi_reply(body=b"x"), ca.server_context(), max_connections=1) as srv:
        with requests.Session() as first, requests.Session() as second:
            assert first.get(srv.url, verify=ca.ca_path, timeout=WAIT).content == b"x"
            until(lambda: srv.busy_connections == 0, "done with the first request")
            assert second.get(srv.url, verify=ca.ca_path, timeout=WAIT).content == b"x"
            # The first session's idle connection made room; it reconnects transparently.
            until(lambda: srv.busy_connections == 0, "done with the second request")
            assert first.get(srv.url, verify=ca.ca_path, timeout=WAIT).content == b"x"
        assert srv.evicted_connections >= 1
        assert srv.refused_connections == 0


def test_limits_must_make_sense(ca: CertificateAuthority) -> None:
    with pytest.raises(ValueError, match="max_connections must be at least 1"):
        TLSServer(wsgi_reply(), ca.server_context(), max_connections=0)
    with pytest.raises(ValueError, match="request_timeout must be positive"):
        TLSServer(wsgi_reply(), ca.server_context(), request_timeout=0)


# -- the request deadline ---------------------------------------------------------------------


def read_all_input(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


@pytest.mark.parametrize(
    "partial",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ab",  # half a head
        b"GET / HT",  # half a request line
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",  # part of the body
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
    ],
    ids=["head", "request-line", "body", "chunked-body"],
)
def test_a_client_too_slow_for_the_deadline_gets_a_408_and_is_cut_off(
    ca: CertificateAuthority, partial: bytes
) -> None:
    with TLSServer(read_all_input, ca.server_context(), request_timeout=0.2) as srv:
        with tls(ca, srv) as sock:
            sock.sendall(partial)
            reply = read_until_closed(sock)  # bounded by the client's WAIT-second timeout
        status, headers, payload = json_reply(reply)
        assert (status, payload["error_code"]) == (408, "request_timeout")
        assert "server_request_timeout" in payload["error"]
        assert headers["Connection"] == "close"
        assert get(ca, srv).status_code == 200  # the server goes on
        srv.stop(raise_errors=True)  # a slow client is not an app error


def test_the_deadline_is_per_request_and_idle_time_does_not_count(
    ca: CertificateAuthority, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A clock the test moves: an hour passes between two requests on one connection.
    offset = [0.0]
    monotonic = time.monotonic
    monkeypatch.setattr(http_io.time, "monotonic", lambda: monotonic() + offset[0])
    with (
        TLSServer(read_all_input, ca.server_context(), request_timeout=5) as srv,
        requests.Session() as session,
    ):
        for body in (b"one", b"two"):
            reply = session.post(srv.url, data=body, verify=ca.ca_path, timeout=WAIT)
            assert reply.content == body
            offset[0] += 3600.0
        assert srv.accepted_connections == 1
        srv.stop(raise_errors=True)


def test_the_api_answers_a_slow_body_with_json(ca: CertificateAuthority) -> None:
    fake = PyrusMock(settings=Settings(server_request_timeout=0.2))
    with fake:
        with socket.create_connection(("127.0.0.1", fake.server.port), timeout=WAIT) as raw:
            context = ssl.create_default_context(cafile=fake.ca_path)
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
                sock.sendall(
                    b"POST /v4/auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 50\r\n\r\n{"
                )
                status, headers, payload = json_reply(read_until_closed(sock))
        assert status == 408
        assert set(payload) == {"error_code", "error"}
        assert headers["Connection"] == "close"
        assert fake.server.errors == []


def test_settings_reach_the_servers_of_the_fake() -> None:
    settings = Settings(server_max_connections=3, server_request_timeout=7.5)
    with PyrusMock(settings=settings) as fake, fake.serve_bot(wsgi_reply()) as _:
        servers = [fake.server, *fake._bot_servers]
        assert [(s.max_connections, s.request_timeout) for s in servers] == [(3, 7.5)] * 2
    with pytest.raises(Exception, match="server_max_connections"):
        Settings(server_max_connections=0)


# -- the standalone server stops cleanly under pressure -----------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_sigterm_stops_serve_cleanly_with_slow_clients_at_the_cap(tmp_path: Path) -> None:
    state = tmp_path / "state"
    command = [sys.executable, "-m", "pyrus_mock", "serve", "--port", "0"]
    limits = ["--set", "server_max_connections=2", "--set", "server_request_timeout=60"]
    process = subprocess.Popen(
        [*command, "--state-dir", str(state), *limits],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    held: list[socket.socket] = []
    try:
        info_path = state / "server.json"
        until(lambda: info_path.exists() or process.poll() is not None, "serving")
        assert process.poll() is None
        info = json.loads(info_path.read_text())
        context = ssl.create_default_context(cafile=info["ca_path"])
        address = ("127.0.0.1", info["port"])
        for _ in range(4):  # slow heads, more than the cap
            raw = socket.create_connection(address, timeout=WAIT)
            held.append(raw)
            try:
                sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
            except (ConnectionError, ssl.SSLError):
                continue  # made room for a newer one already
            held.append(sock)
            sock.sendall(b"GET /v4/forms HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        held.append(socket.create_connection(address, timeout=WAIT))  # never shakes hands
        reply = requests.get(info["api_url"] + "forms", verify=info["ca_path"], timeout=WAIT)
        assert reply.status_code == 401  # still serving
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=WAIT) == 0
        assert not info_path.exists()
        assert process.stderr is not None
        assert process.stderr.read() == ""
    finally:
        for sock in held:
            sock.close()
        if process.poll() is None:
            process.kill()
            process.wait(WAIT)
        if process.stderr is not None:
            process.stderr.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
@pytest.mark.parametrize("gap", [0.0, 0.001, 0.02], ids=["together", "1ms", "20ms"])
def test_a_second_sigterm_while_stopping_still_exits_cleanly(tmp_path: Path, gap: float) -> None:
    """A second signal during shutdown (timeout(1) after a kill, Ctrl+C twice) must not kill
    serve before it removed server.json."""
    state = tmp_path / "state"
    errors = (tmp_path / "stderr.txt").open("w")  # a file, not a pipe nobody reads meanwhile
    process = subprocess.Popen(
        [sys.executable, "-m", "pyrus_mock", "serve", "--port", "0", "--state-dir", str(state)],
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    try:
        info_path = state / "server.json"
        until(lambda: info_path.exists() or process.poll() is not None, "serving")
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        threading.Event().wait(gap)  # the gap between the two signals, not a wait for a state
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=WAIT) == 0, (tmp_path / "stderr.txt").read_text()
        assert not info_path.exists()
        assert "Traceback" not in (tmp_path / "stderr.txt").read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(WAIT)
        errors.close()
