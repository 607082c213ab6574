"""Slowloris: normal requests while thousands of slow connections are open.

Ours: a ``TLSServer`` with the default limits (256 connections, a 30 s request deadline) serving
the trivial bot, in a child process of its own (so its memory is measured alone). This process
opens N slow connections on loopback: most connect and never start the TLS handshake, the rest
(one in eight) complete it and send half a request head, then a byte now and then. With all N
opened, it times normal requests, each on a new connection (TLS handshake, ``GET``, reply), and
reads the server's RSS before and after.

Baseline: the same normal requests to the same server with no slow connections.

Target: median of a normal request <= 50 ms with N = 4,000 slow connections open; RSS growth of
the server <= 64 MB. The attack is bounded in count and time and stops by itself; the open-file
soft limit is raised within the hard limit for the N sockets (and N is lowered, with a note,
when the hard limit is too low).

Run: ``python benchmarks/bench_slowloris.py`` (``--short`` for CI).
"""

from __future__ import annotations

import contextlib
import http.client
import multiprocessing
import resource
import socket
import ssl
import sys
import time
from multiprocessing.connection import Connection

from _common import Bench, Row, median, ok_bot, rss_bytes

TLS_SHARE = 8
"""One slow connection in this many completes the TLS handshake and sends half a head."""


def serve(conn: Connection) -> None:
    """The child: serve the trivial bot and answer the parent's questions until "stop"."""
    from pyrus_mock.transport.server import TLSServer
    from pyrus_mock.transport.tls import CertificateAuthority

    with (
        CertificateAuthority() as ca,
        TLSServer(ok_bot, ca.server_context(), name="slowloris") as server,
    ):
        conn.send((server.port, ca.ca_path))
        while True:
            question = conn.recv()
            if question == "rss":
                conn.send(rss_bytes())
            elif question == "stats":
                conn.send(
                    (
                        server.open_connections,
                        server.evicted_connections,
                        server.refused_connections,
                        len(server.errors),
                    )
                )
            else:
                conn.send(None)
                return


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft open-file limit towards ``wanted`` within the hard limit; the new soft."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def normal_request(port: int, context: ssl.SSLContext) -> float:
    """Seconds for one request on a new connection (handshake included)."""
    started = time.perf_counter()
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    try:
        conn.request("GET", "/")
        reply = conn.getresponse()
        reply.read()
        assert reply.status == 200, reply.status
    finally:
        conn.close()
    return time.perf_counter() - started


def open_slow(port: int, context: ssl.SSLContext, n: int, seconds: float) -> list[socket.socket]:
    """Open up to ``n`` slow connections within ``seconds``; the sockets still held."""
    held: list[socket.socket] = []
    deadline = time.monotonic() + seconds
    for i in range(n):
        if time.monotonic() > deadline:
            break
        try:
            raw = socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            continue  # the backlog is full for a moment: this attempt counts as made
        if i % TLS_SHARE:
            held.append(raw)  # never starts the handshake
            continue
        try:
            sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            held.append(sock)
        except OSError:
            raw.close()  # already closed to make room for a newer one
    return held


def trickle(held: list[socket.socket]) -> None:
    """Send one more byte of the head on the TLS ones still open (the slowloris drip)."""
    for sock in held:
        if isinstance(sock, ssl.SSLSocket):
            with contextlib.suppress(OSError):
                sock.sendall(b"a")


def main() -> int:
    bench = Bench("Slowloris", __doc__)
    n = bench.count(4000, short=200)
    requests_n = bench.count(200, short=20)
    soft = raise_fd_limit(n + 256)
    note = ""
    if soft < n + 256:
        note = f"open-file limit {soft}: {soft - 256} slow connections instead of {n}"
        n = soft - 256
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=serve, args=(theirs,), daemon=True)
    child.start()
    try:
        port, ca_path = ours.recv()
        client = ssl.create_default_context(cafile=ca_path)

        def ask(question: str) -> object:
            ours.send(question)
            return ours.recv()

        bench.progress(f"baseline: {requests_n} normal requests, no slow connections")
        for _ in range(5):
            normal_request(port, client)
        quiet = [normal_request(port, client) for _ in range(requests_n)]
        rss_before = ask("rss")
        bench.progress(f"opening {n} slow connections")
        started = time.perf_counter()
        held = open_slow(port, client, n, seconds=bench.count(60, short=5))
        opened = time.perf_counter() - started
        bench.progress(f"{len(held)} held open; {requests_n} normal requests among them")
        loud: list[float] = []
        for i in range(requests_n):
            if i % 20 == 0:
                trickle(held)
            loud.append(normal_request(port, client))
        rss_after = ask("rss")
        open_now, evicted, refused, errors = ask("stats")  # type: ignore[misc]
        for sock in held:
            sock.close()
        ask("stop")
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
    assert isinstance(rss_before, int)
    assert isinstance(rss_after, int)
    growth = (rss_after - rss_before) / 1e6
    ours_ms, base_ms = median(loud) * 1000, median(quiet) * 1000
    p90 = sorted(loud)[int(len(loud) * 0.9)] * 1000
    detail = (
        f"{n} slow connections opened in {opened:.1f} s ({n // TLS_SHARE} with TLS and half a "
        f"head); the server held {open_now}, evicted {evicted}, refused {refused}; p90 "
        f"{p90:.1f} ms; app errors {errors}"
    )
    bench.add(
        Row(
            f"normal request, {n} slow connections open (median)",
            ours_ms,
            base_ms,
            "ms",
            "<= 50 ms",
            ours_ms <= 50,
            note=f"{detail}; {note}" if note else detail,
        )
    )
    bench.add(
        Row(
            "server RSS growth",
            growth,
            None,
            "MB",
            "<= 64 MB",
            growth <= 64,
            note=f"{rss_before / 1e6:.1f} MB before, {rss_after / 1e6:.1f} MB after",
        )
    )
    return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
