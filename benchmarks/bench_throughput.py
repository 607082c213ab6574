"""Throughput: 2,000 deliveries from 8 threads to one threaded bot, every one recorded.

Ours: a ``PyrusMock(auto_deliver=False)``, a trivial bot under ``serve_bot`` (a thread per
connection, keep-alive) answering ``{"text": "ok"}``, and 8 threads each calling ``deliver()``
250 times, each about its own task (created beforehand). Afterwards
``len(mock.deliveries) == 2000`` and every delivery is ok with its comment applied.

Baseline: 8 threads each making 250 ``requests.post(url, data=body, verify=ca_path)`` of the
same body to werkzeug's threaded ``make_server`` over TLS (a new connection per post: werkzeug
closes every connection).

Target: >= 600 deliveries/s.

Run: ``python benchmarks/bench_throughput.py`` (``--short`` for CI).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

from _common import Bench, Row, ok_bot, werkzeug_https

from pyrus_mock import PyrusMock

THREADS = 8


def in_threads(work: Callable[[int], object], per_thread: int) -> float:
    """Run ``work(i)`` ``per_thread`` times in each of 8 threads; return the wall seconds."""
    start = threading.Barrier(THREADS + 1)
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        start.wait()
        try:
            for i in range(per_thread):
                work(t * per_thread + i)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return elapsed


def measure_ours(total: int) -> tuple[float, bytes]:
    with PyrusMock(auto_deliver=False) as mock, mock.serve_bot(ok_bot) as url:
        bot = mock.add_bot("Bench", url)
        warm = mock.add_task(text="warm-up", responsible=bot)
        mock.deliver(warm, bot)
        mock.reset()
        bot = mock.add_bot("Bench", url)
        tasks = [mock.add_task(text="benchmark", responsible=bot) for _ in range(total)]
        elapsed = in_threads(lambda i: mock.deliver(tasks[i], bot), total // THREADS)
        deliveries = mock.deliveries
        assert len(deliveries) == total, f"{len(deliveries)} deliveries recorded, not {total}"
        bad = [d.summary() for d in deliveries if not d.ok or d.comment is None]
        assert not bad, "deliveries failed:\n" + "\n".join(bad[:3])
        assert all(task.comments[-1].text == "ok" for task in tasks)
        return elapsed, deliveries[0].body


def measure_baseline(total: int, body: bytes) -> float:
    import requests

    with (
        PyrusMock() as mock,
        werkzeug_https(ok_bot, mock.ca.server_context(), threaded=True) as url,
    ):
        ca_path = mock.ca_path
        headers = {"Content-Type": "application/json; charset=utf-8"}

        def post(_: int) -> None:
            reply = requests.post(url, data=body, headers=headers, verify=ca_path, timeout=30)
            reply.raise_for_status()

        post(0)
        return in_threads(post, total // THREADS)


def main() -> int:
    bench = Bench("Throughput", __doc__)
    total = bench.count(2000, short=16)
    bench.progress(f"ours: {total} deliveries from {THREADS} threads")
    ours_s, body = measure_ours(total)
    base_total = bench.count(800, short=16)
    bench.progress(f"baseline: {base_total} requests.post from {THREADS} threads")
    base_s = measure_baseline(base_total, body)
    ours, base = total / ours_s, base_total / base_s
    bench.add(
        Row(
            f"deliveries/s ({THREADS} threads)",
            ours,
            base,
            "/s",
            ">= 600 /s",
            ours >= 600,
            note=f"{total} deliveries in {ours_s:.2f} s, all recorded and ok",
        )
    )
    return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
