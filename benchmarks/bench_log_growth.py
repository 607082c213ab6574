"""Memory: a flood of unauthenticated requests keeps the fake's memory flat.

100,000 requests nobody is logged in for, sent to the API app in-process (the WSGI callable the
HTTPS server runs; the transport keeps no state), each with a distinct URL of about 2 KB: a third
are 404s (``GET /v4/<id>/xxx...``), a third 401s (``GET /v4/profile?q=<id>xxx...``), a third
failed logins (``POST /v4/auth`` with a wrong key and a long query). Each is recorded in the API
log, which keeps the newest ``max_api_calls_recorded`` (10,000 by default) with their paths cut
to 256 characters.

Figure: RSS growth (``VmRSS`` after ``gc.collect()``) over the 100,000 requests, after 1,000
warm-up requests, in a fresh (spawned) process. Baseline: the same requests with the log
unbounded (``max_api_calls_recorded`` = 10,000,000, its upper bound; paths still cut), what
the log would cost without the bound. Target: ours < 20 MB.

Run: ``python benchmarks/bench_log_growth.py`` (``--short`` for CI: 20,000 requests).
"""

from __future__ import annotations

import io
import sys
from typing import Any

from _common import Bench, Row, isolated, rss_bytes

MB = 1024 * 1024
TAIL = "x" * 2000


def _environs(count: int, start: int) -> Any:
    from werkzeug.test import EnvironBuilder

    base = EnvironBuilder(path="/v4/profile").get_environ()
    for number in range(start, start + count):
        environ = dict(base)
        kind = number % 3
        if kind == 0:
            environ["PATH_INFO"] = f"/v4/{number}/{TAIL}"
            environ["QUERY_STRING"] = ""
        elif kind == 1:
            environ["PATH_INFO"] = "/v4/profile"
            environ["QUERY_STRING"] = f"q={number}{TAIL}"
        else:
            environ["REQUEST_METHOD"] = "POST"
            environ["PATH_INFO"] = "/v4/auth"
            environ["QUERY_STRING"] = f"q={number}{TAIL}"
            body = b'{"login":"nobody@example.com","security_key":"wrong"}'
            environ["CONTENT_TYPE"] = "application/json"
            environ["CONTENT_LENGTH"] = str(len(body))
            environ["wsgi.input"] = io.BytesIO(body)
            yield environ
            continue
        environ["wsgi.input"] = io.BytesIO(b"")
        yield environ


def growth(count: int, max_recorded: int | None) -> tuple[int, int, int]:
    """RSS growth over ``count`` unauthenticated requests; the calls kept and dropped."""
    from pyrus_mock import PyrusMock

    settings = {} if max_recorded is None else {"max_api_calls_recorded": max_recorded}
    statuses: set[str] = set()  # a set: the benchmark itself must not grow per request

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.add(status[:3])

    with PyrusMock(**settings) as mock:
        app = mock.app
        for environ in _environs(1000, 0):  # warm-up: imports, caches, allocator arenas
            b"".join(app(environ, start_response))
        before = rss_bytes()
        for environ in _environs(count, 1000):
            b"".join(app(environ, start_response))
        after = rss_bytes()
        assert set(statuses) == {"401", "404"}, set(statuses)
        backend = mock._backend
        kept, dropped = len(backend.api_calls), backend.api_calls_dropped
        assert kept + dropped == count + 1000
        assert all(len(c.path) < 300 for c in backend.api_calls)
    return after - before, kept, dropped


def main() -> int:
    bench = Bench("Log growth: unauthenticated requests", __doc__)
    count = bench.count(100_000, short=20_000)
    bench.progress(f"{count:,} requests, log bounded (default)")
    ours, kept, dropped = isolated(growth, count, None)
    bench.progress(f"{count:,} requests, log unbounded (baseline)")
    baseline, _, _ = isolated(growth, count, 10_000_000)  # the bound: never reached here
    bench.add(
        Row(
            f"RSS growth over {count:,} unauthenticated requests",
            ours / MB,
            baseline / MB,
            "MB",
            "< 20 MB",
            ours < 20 * MB,
            note=f"{kept:,} calls kept, {dropped:,} dropped (max_api_calls_recorded)",
        )
    )
    return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
