"""Delivery round trip: one ``PyrusMock.deliver()`` to a trivial bot served by ``serve_bot``.

Ours: build and sign the payload, POST it over TLS (pooled keep-alive connection), read the bot's
``{"text": "ok"}`` reply, validate it and apply it to the task as the bot's comment. Each
delivery is about a fresh task (created outside the timed region), so the payload does not grow
with the comments of earlier rounds.

Baseline: what a hand-rolled test does: werkzeug's ``make_server(..., ssl_context=ctx)`` with its
default handler, and ``requests.post(url, data=..., verify=ca_path)`` of the same body (a new
connection and TLS handshake per post, since werkzeug closes every connection).

Target: median <= 3 ms and <= 0.2x the baseline.

Run: ``python benchmarks/bench_delivery.py`` (``--short`` for CI).
"""

from __future__ import annotations

import sys

from _common import Bench, Row, median, ok_bot, time_each, werkzeug_https

from pyrus_mock import PyrusMock


def measure_ours(bench: Bench, n: int, warmup: int) -> tuple[list[float], bytes]:
    with PyrusMock(auto_deliver=False) as mock, mock.serve_bot(ok_bot) as url:
        bot = mock.add_bot("Bench", url)
        tasks = iter([mock.add_task(text="benchmark", responsible=bot) for _ in range(n + warmup)])
        results = []

        def one() -> None:
            results.append(mock.deliver(next(tasks), bot))

        times = time_each(one, n, warmup=warmup)
        bad = [d.summary() for d in results if not d.ok or d.comment is None]
        if bad:
            raise SystemExit("a delivery failed:\n" + "\n".join(bad[:3]))
        body = results[-1].body
    return times, body


def measure_baseline(bench: Bench, n: int, warmup: int, body: bytes) -> list[float]:
    import requests

    with PyrusMock() as mock, werkzeug_https(ok_bot, mock.ca.server_context()) as url:
        ca_path = mock.ca_path
        headers = {"Content-Type": "application/json; charset=utf-8"}

        def one() -> None:
            reply = requests.post(url, data=body, headers=headers, verify=ca_path, timeout=10)
            reply.raise_for_status()
            reply.json()

        return time_each(one, n, warmup=warmup)


def main() -> int:
    bench = Bench("Delivery round trip", __doc__)
    n = bench.count(2000, short=5)
    bench.progress(f"ours: {n} deliveries")
    ours, body = measure_ours(bench, n, warmup=bench.count(100, short=1))
    bench.progress(f"baseline: {bench.count(300, short=5)} requests.post to werkzeug")
    base = measure_baseline(bench, bench.count(300, short=5), bench.count(20, short=1), body)
    ours_ms, base_ms = median(ours) * 1000, median(base) * 1000
    p90 = sorted(ours)[int(len(ours) * 0.9)] * 1000
    bench.add(
        Row(
            "deliver() round trip (median)",
            ours_ms,
            base_ms,
            "ms",
            "<= 3 ms and <= 0.2x",
            ours_ms <= 3.0 and ours_ms <= 0.2 * base_ms,
            note=(
                f"p90 {p90:.2f} ms; payload {len(body)} bytes"
                + ("; under 1 ms" if ours_ms < 1.0 else "")
            ),
        )
    )
    return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
