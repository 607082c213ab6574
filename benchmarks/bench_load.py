"""Load: what the Flask example bot sustains under ``pyrus-mock load`` (Locust), 1 and 2 workers.

The bot is ``tests/examples/flask_bot.py`` (verifies the signature, replies an approval with a
text), served by ``PyrusMock.serve_bot`` (werkzeug, a thread per connection, keep-alive, TLS
from the fake's CA) in this process. Locust runs as ``pyrus-mock load`` does: in child
processes, one local process, then a master with 1 worker, then with 2 workers on loopback,
20 users, unthrottled (each user sends its next call when the reply arrives); then 1 and 2
workers at a fixed 200 calls/s in total. Every reply is validated as a CreateComment.

Figures: calls per second over the run, p50/p95/p99 latency (Locust's percentiles). Target:
no failed call and no invalid reply. The same as a command::

    pyrus-mock load URL --security-key KEY --ca ca.pem --users 20 --duration 20 --workers 2

Run: ``python benchmarks/bench_load.py`` (``--short`` for CI).
"""

from __future__ import annotations

import logging
import sys

from _common import ROOT, Bench, Row

from pyrus_mock import PyrusMock
from pyrus_mock.cli.load import LoadOptions, collect

KEY = "B" * 64
RATE = 200.0
"""The fixed rate of the last two runs (calls per second in total): latency below saturation."""


def main() -> int:
    bench = Bench("Load: the Flask example bot under Locust", __doc__)
    users = bench.count(20, short=2)
    duration = bench.count(20, short=1)
    sys.path.insert(0, str(ROOT / "tests" / "examples"))
    from flask_bot import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(KEY)
    with PyrusMock() as mock, mock.serve_bot(app) as url:
        runs = [("1 process", 0, 0.0), ("1 worker", 1, 0.0), ("2 workers", 2, 0.0),
                ("1 worker", 1, RATE), ("2 workers", 2, RATE)]  # fmt: skip
        for label, workers, rate in runs:
            pace = f"{rate:g}/s" if rate else "unthrottled"
            bench.progress(f"{label}: {users} users, {pace}, for {duration} s")
            options = LoadOptions(url, KEY, users=users, rate=rate, duration=duration,
                                  ca=mock.ca_path, timeout=10, workers=workers)  # fmt: skip
            report = collect(options)
            if report is None:
                bench.add(Row(f"{label}: calls/s", 0, None, "/s", "0 failed", False,
                              note="Locust produced no report"))  # fmt: skip
                continue
            lat = report.latency_ms
            bench.add(
                Row(
                    f"{label}, {users} users, {pace}: calls/s",
                    report.rps,
                    None,
                    "/s",
                    "0 failed, 0 invalid",
                    report.passed,
                    note=(
                        f"{report.requests} calls in {report.data.get('duration_s')} s; latency "
                        f"p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms, p99 {lat['p99']:.0f} "
                        f"ms, max {lat['max']:.0f} ms; {report.failures} failed, "
                        f"{report.invalid_replies} invalid replies"
                    ),
                )
            )
    return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
