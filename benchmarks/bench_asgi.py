"""Cost per test of an ASGI bot against a WSGI bot, under pytest in a subprocess.

Three suites of the same size are written into a temporary directory (see ``bench_suite.py``
for how suites are written and run):

* asgi: each test serves a trivial ASGI bot (a raw ASGI 3 app answering ``{"text": "ok"}``)
  through the ``bot_server`` fixture (uvicorn), creates the bot and a task it is responsible
  for, and asserts the delivery is ok;
* wsgi (baseline): the same with a WSGI bot, as in ``bench_suite.py``;
* empty: tests that do nothing (pytest's own cost, subtracted from both).

Both kinds of bot server are pooled per session, so an ASGI test costs about what a WSGI one
does; what remains is importing and starting uvicorn once per session (about 0.3 s, spread over
the suite's tests). Target: the ASGI per-test cost (above the empty suite) <= 2.5x the WSGI one
(before pooling and TCP_NODELAY on uvicorn's socket: 206 ms against 2.14 ms, 96x).

Run: ``python benchmarks/bench_asgi.py`` (``--short`` for CI). Needs uvicorn
(``pip install 'pyrus-mock[asgi]'``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _common import Bench, Row, median
from bench_suite import EMPTY_TEST, OURS_HEADER, OURS_TEST, run_suite, write_suite

ASGI_HEADER = """
async def ok_bot(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = b'{"text":"ok"}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
"""


def main() -> int:
    bench = Bench("ASGI bot cost per test", __doc__)
    count = bench.count(200, short=10)
    runs = bench.count(5, short=1)
    with tempfile.TemporaryDirectory(prefix="pyrus-mock-bench-") as tmp:
        root = Path(tmp)
        suites = {
            "asgi": write_suite(root, "asgi", count, ASGI_HEADER, OURS_TEST, ""),
            "wsgi": write_suite(root, "wsgi", count, OURS_HEADER, OURS_TEST, ""),
            "empty": write_suite(root, "empty", count, "", EMPTY_TEST, ""),
        }
        times: dict[str, list[float]] = {name: [] for name in suites}
        for suite in suites.values():
            run_suite(suite, count)  # bytecode and assertion-rewrite caches
        bench.progress(f"{runs} runs of each suite of {count} tests")
        for _ in range(runs):
            for name, suite in suites.items():
                times[name].append(run_suite(suite, count))
    asgi, wsgi, empty = (median(times[name]) for name in ("asgi", "wsgi", "empty"))
    asgi_per_test = (asgi - empty) / count * 1000
    wsgi_per_test = (wsgi - empty) / count * 1000
    bench.add(
        Row(
            "per test above the empty suite: ASGI bot vs WSGI bot",
            asgi_per_test,
            wsgi_per_test,
            "ms",
            "<= 2.5x",
            asgi_per_test <= 2.5 * wsgi_per_test,
            note=f"the ASGI suite's extra wall time, mostly uvicorn's one-off import and start: "
            f"{asgi - wsgi:.2f} s",
        )
    )
    bench.add(Row(f"{count} tests, wall (pytest process)", asgi, wsgi, "s", "(context)", True))
    return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
