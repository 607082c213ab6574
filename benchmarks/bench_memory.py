"""Memory: what recorded deliveries cost, and that reset cycles leak nothing.

1. Recorded deliveries: RSS growth (``VmRSS`` of ``/proc/self/status``, after ``gc.collect()``)
   over 10,000 deliveries of one task whose payload is 5 KB, every delivery kept in
   ``mock.deliveries`` (its exact body, headers, reply and attempt). The bot answers an empty
   200, so the task, and so the payload, stays the same size. Baseline: RSS growth of keeping
   10,000 distinct 5 KB ``bytes`` objects (the bodies alone). Target: <= 60 MB.
2. Reset cycles: 1,000 cycles of what the ``pyrus_mock`` fixture does around a test: reset,
   start a bot server, create a bot and a task it is responsible for (one delivery), stop the
   server. After 100 warm-up cycles: no new threads, no new file descriptors, no growth of the
   fake's state (listeners, bot servers, pooled connections, clock queue, deliveries), and RSS
   growth < 5 MB. Baseline: none (the figure is absolute).

Run: ``python benchmarks/bench_memory.py`` (``--short`` for CI).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from _common import Bench, Row, fd_count, isolated, ok_bot, rss_bytes

from pyrus_mock import PyrusMock

MB = 1024 * 1024
PAYLOAD = 5 * 1024


def empty_bot(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """A bot that reads the call and answers an empty 200 (nothing is applied to the task)."""
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Length", "0")])
    return []


def deliveries_growth(count: int) -> tuple[int, int]:
    """RSS growth over ``count`` recorded deliveries of a 5 KB payload; and the payload size."""
    with PyrusMock(auto_deliver=False) as mock, mock.serve_bot(empty_bot) as url:

        def world(text_length: int) -> tuple[Any, Any]:
            mock.reset()
            bot = mock.add_bot("Bench", url)
            return bot, mock.add_task(text="x" * text_length, responsible=bot)

        # Calibrate the task text so that the whole payload is 5 KB.
        sizes = {}
        for length in (1000, 2000):
            bot, task = world(length)
            sizes[length] = len(mock.deliver(task, bot).body)
        per_char = (sizes[2000] - sizes[1000]) / 1000
        bot, task = world(1000 + round((PAYLOAD - sizes[1000]) / per_char))
        for _ in range(200):  # warm-up: connection, caches, allocator arenas
            mock.deliver(task, bot)
        bot, task = world(1000 + round((PAYLOAD - sizes[1000]) / per_char))
        before = rss_bytes()
        for _ in range(count):
            mock.deliver(task, bot)
        after = rss_bytes()
        deliveries = mock.deliveries
        assert len(deliveries) == count
        assert all(d.ok for d in deliveries)
        size = len(deliveries[0].body)
    return after - before, size


def bytes_growth(count: int, size: int) -> int:
    """RSS growth of keeping ``count`` distinct ``bytes`` objects of ``size`` bytes."""
    template = b"x" * size
    before = rss_bytes()
    kept = [template[:-1] + bytes([i % 256]) for i in range(count)]
    after = rss_bytes()
    del kept
    return after - before


def state_of(mock: PyrusMock) -> dict[str, int]:
    """Sizes of everything in the fake that could grow from test to test."""
    http = mock._dispatcher._http
    return {
        "listeners": len(mock._backend.listeners),
        "bot servers": len(mock._bot_servers),
        "pooled connections": len(http._idle_connections()),
        "pool keys": len(http._pools),
        "clock queue": len(getattr(mock.clock, "_queue", ())),
        "deliveries": len(mock.deliveries),
        "server errors": len(mock.server.errors),
    }


def reset_cycles(cycles: int, warmup: int) -> dict[str, Any]:
    """Run the fixture pattern ``cycles`` times; what grew between after warm-up and the end."""
    with PyrusMock() as mock:

        def cycle() -> None:
            mock.reset()
            with mock.serve_bot(ok_bot) as url:
                bot = mock.add_bot("Bot", url)
                task = mock.add_task(text="hello", responsible=bot)
            [delivery] = mock.deliveries
            assert delivery.ok, delivery.summary()
            assert task.comments[-1].text == "ok"

        for _ in range(warmup):
            cycle()
        threads, fds, state, rss = (
            threading.active_count(),
            fd_count(),
            state_of(mock),
            rss_bytes(),
        )
        for _ in range(cycles):
            cycle()
        grown = {
            "threads": threading.active_count() - threads,
            "fds": fd_count() - fds,
            "rss": rss_bytes() - rss,
            "state": {k: v - state[k] for k, v in state_of(mock).items() if v != state[k]},
            "state_after": state_of(mock),
        }
    return grown


def main() -> int:
    bench = Bench("Memory", __doc__)
    count = bench.count(10_000, short=50)
    bench.progress(f"{count} recorded deliveries of a 5 KB payload")
    ours, size = isolated(deliveries_growth, count)
    base = isolated(bytes_growth, count, size)
    bench.add(
        Row(
            f"RSS growth, {count} recorded deliveries",
            ours / MB,
            base / MB,
            "MB",
            "<= 60 MB",
            ours <= 60 * MB,
            note=(
                f"payload {size} bytes; {ours / count / 1024:.2f} KB per delivery, of which "
                f"{base / count / 1024:.2f} KB is the body; baseline: {count} bytes objects"
            ),
        )
    )
    cycles = bench.count(1000, short=10)
    bench.progress(f"{cycles} reset cycles (reset, bot server start/stop, one delivery)")
    grown = isolated(reset_cycles, cycles, bench.count(100, short=2))
    leaks = {k: grown[k] for k in ("threads", "fds") if grown[k] > 0}
    bench.add(
        Row(
            f"RSS growth, {cycles} reset cycles",
            grown["rss"] / MB,
            None,
            "MB",
            "< 5 MB",
            grown["rss"] < 5 * MB,
        )
    )
    bench.add(
        Row(
            f"leaked threads + fds, {cycles} reset cycles",
            grown["threads"] + grown["fds"],
            None,
            "",
            "0",
            not leaks,
            note=f"threads {grown['threads']:+d}, fds {grown['fds']:+d}",
        )
    )
    bench.add(
        Row(
            f"state growth, {cycles} reset cycles",
            sum(abs(v) for v in grown["state"].values()),
            None,
            "",
            "0",
            not grown["state"],
            note=f"grew: {grown['state'] or 'nothing'}; state at the end: {grown['state_after']}",
        )
    )
    return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
