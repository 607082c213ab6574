"""Shared measurement code of the benchmarks: arguments, timing loops, medians, the result table.

Every ``bench_*.py`` script measures our figure and a baseline in the same run, prints one table
row per figure (ours, baseline, ratio, target, PASS/FAIL) and exits non-zero on a FAIL. With
``--short`` (what CI runs) counts are tiny, nothing is judged and the exit status is 0 unless the
script crashes.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import ssl
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "OK_REPLY",
    "ROOT",
    "Bench",
    "Row",
    "SpeedAdjusted",
    "child_env",
    "fd_count",
    "isolated",
    "median",
    "ok_bot",
    "rss_bytes",
    "time_alternating",
    "time_calls",
    "time_each",
    "werkzeug_https",
]

_T = TypeVar("_T")

ROOT = Path(__file__).resolve().parent.parent
"""The repository root (the benchmarks run from any working directory)."""

if str(ROOT) not in sys.path:  # `python benchmarks/x.py` from a checkout that is not installed
    sys.path.insert(0, str(ROOT))


def median(values: Sequence[float]) -> float:
    """The median of ``values`` (which must not be empty)."""
    return statistics.median(values)


def time_each(fn: Callable[[], object], n: int, *, warmup: int = 0) -> list[float]:
    """Call ``fn`` ``warmup`` times untimed, then ``n`` times; return each call's seconds.

    The garbage collector is left on: real use pays for it too.
    """
    for _ in range(warmup):
        fn()
    times = []
    clock = time.perf_counter
    for _ in range(n):
        started = clock()
        fn()
        times.append(clock() - started)
    return times


def time_alternating(
    subjects: dict[str, tuple[Callable[[], object], Callable[[], Any]]],
    n: int,
    *,
    warmup: int = 0,
    rounds: int = 10,
) -> dict[str, list[float]]:
    """Time several subjects in alternating blocks, so that they share the machine's ups and downs.

    Args:
        subjects: name to ``(fn, context)``: ``context()`` returns a context manager entered
            around each block of calls of ``fn`` (e.g. an active mock), or ``contextlib.
            nullcontext``.
        n: calls of each subject in all (split over ``rounds`` blocks).
        warmup: untimed calls of each subject before the first block.
        rounds: blocks per subject.

    Returns:
        name to the seconds of each call.
    """
    times: dict[str, list[float]] = {name: [] for name in subjects}
    per_round = max(1, n // rounds)
    for fn, context in subjects.values():
        with context():
            for _ in range(warmup):
                fn()
    for _ in range(rounds):
        for name, (fn, context) in subjects.items():
            with context():
                times[name].extend(time_each(fn, per_round))
    return times


def time_calls(fn: Callable[[], object], n: int, *, warmup: int = 0) -> float:
    """The median seconds of one call of ``fn`` (see :func:`time_each`)."""
    return median(time_each(fn, n, warmup=warmup))


def rss_bytes() -> int:
    """Resident set size of this process, from ``/proc/self/status`` (VmRSS), after a full GC."""
    gc.collect()
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status: the memory benchmark needs Linux")


def isolated(fn: Callable[..., _T], *args: Any) -> _T:
    """Run ``fn(*args)`` in a fresh Python process (spawned, not forked) and return its result.

    For memory figures: memory another measurement freed stays in this process's heap and would
    be reused, hiding growth. ``fn`` must be a module-level function of the calling script.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(fn, *args).result()


def child_env() -> dict[str, str]:
    """The environment for benchmark subprocesses.

    ``PYTHONDONTWRITEBYTECODE`` is dropped so that bytecode caches are written once and then
    used, as on a developer's machine; ``PYTEST_ADDOPTS`` is dropped so that only the
    benchmark's own options apply.
    """
    drop = {"PYTHONDONTWRITEBYTECODE", "PYTEST_ADDOPTS"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def fd_count() -> int:
    """Open file descriptors of this process (entries of ``/proc/self/fd``)."""
    return len(os.listdir("/proc/self/fd"))


@dataclass
class Row:
    """One figure of a benchmark.

    Attributes:
        name: what is measured.
        ours: our figure, in ``unit``.
        baseline: the baseline's figure in the same unit, or None when there is none.
        unit: ``ms``, ``s``, ``MB``, ``/s`` ... (shown after the numbers).
        target: the target, as text (e.g. ``<= 3 ms and <= 0.2x``).
        passed: whether the target holds.
        note: a remark printed under the table.
        adjusted: the target held only once scaled to this run's machine speed (see
            :class:`SpeedAdjusted`); the table then says so.
    """

    name: str
    ours: float
    baseline: float | None
    unit: str
    target: str
    passed: bool
    note: str = ""
    adjusted: bool = False

    @property
    def ratio(self) -> float | None:
        """ours / baseline."""
        if self.baseline is None or self.baseline == 0:
            return None
        return self.ours / self.baseline


@dataclass(frozen=True)
class SpeedAdjusted:
    """An absolute upper limit set for the reference 2-core machine at its usual speed, judged
    against the speed of this run.

    The reference VM's speed drifts by up to half from one minute to the next (the same
    ``import requests`` takes 95 ms, then 150 ms), so a fixed number in milliseconds passes or
    fails with the minute. The baseline measured in the same run shows how fast the machine is
    right now: when it runs ``factor = baseline / reference_baseline`` times slower than on the
    reference machine, the limit is ``limit * factor`` for this run. The factor never goes below
    1: a faster machine is judged by the absolute limit. So a figure passes exactly when it is
    within ``limit / reference_baseline`` of its baseline, or within ``limit`` outright.

    Attributes:
        limit: the target's absolute limit (issue 7), in the figure's unit.
        reference_baseline: the baseline's median on the reference machine at its usual speed
            (``benchmarks/README.md`` lists where each comes from).
    """

    limit: float
    reference_baseline: float

    def factor(self, baseline: float) -> float:
        """How many times slower than the reference this run's machine is (at least 1)."""
        return max(1.0, baseline / self.reference_baseline)

    def judge(self, name: str, ours: float, baseline: float, unit: str, note: str = "") -> Row:
        """A row for ``ours`` against the limit, scaled when the machine is slow."""
        factor = self.factor(baseline)
        scaled = self.limit * factor
        absolute = ours <= self.limit
        passed = absolute or ours <= scaled
        target = f"<= {self.limit:g} {unit}"
        detail = (
            f"speed: the baseline ran {factor:.2f}x its reference {self.reference_baseline:g} "
            f"{unit}, so the limit for this run is {scaled:.3g} {unit}"
        )
        if not absolute:
            detail += f"; over the absolute {self.limit:g} {unit}"
        return Row(
            name,
            ours,
            baseline,
            unit,
            target,
            passed,
            note=f"{note}; {detail}" if note else detail,
            adjusted=passed and not absolute,
        )


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
    return f"{text} {unit}".rstrip()


class Bench:
    """One benchmark script: its arguments, its rows, its verdict.

    Usage::

        bench = Bench("Delivery round trip", __doc__)
        n = bench.count(2000, short=20)
        ...
        bench.add(Row(...))
        sys.exit(bench.finish())

    Args:
        title: printed above the table.
        description: ``--help`` text (the script's docstring).
        argv: arguments (``sys.argv[1:]`` when None).
    """

    def __init__(self, title: str, description: str | None, argv: Sequence[str] | None = None):
        parser = argparse.ArgumentParser(
            description=description, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        parser.add_argument(
            "--short",
            action="store_true",
            help="CI mode: tiny counts, only checks that the benchmark runs (always exit 0)",
        )
        self.args = parser.parse_args(argv)
        self.short: bool = self.args.short
        self.title = title
        self.rows: list[Row] = []
        self._load_before = os.getloadavg()[0]

    def count(self, normal: int, short: int) -> int:
        """``normal``, or ``short`` in ``--short`` mode."""
        return short if self.short else normal

    def progress(self, text: str) -> None:
        """A line on stderr while measuring (the table goes to stdout)."""
        print(f"  {text}", file=sys.stderr, flush=True)

    def add(self, row: Row) -> Row:
        """Record a figure."""
        self.rows.append(row)
        return row

    def table(self) -> str:
        """The rows as a Markdown table (pasteable into ``benchmarks/README.md``)."""
        header = ["figure", "ours", "baseline", "ratio", "target", "result"]
        lines = [header]
        for row in self.rows:
            ratio = row.ratio
            verdict = "PASS" if row.passed else "FAIL"
            if row.adjusted:
                verdict = "PASS (speed-adjusted)"
            if self.short:
                verdict = "(short)"
            lines.append(
                [
                    row.name,
                    _fmt(row.ours, row.unit),
                    _fmt(row.baseline, row.unit),
                    "-" if ratio is None else f"{ratio:.3g}x",
                    row.target,
                    verdict,
                ]
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        out = []
        for i, line in enumerate(lines):
            out.append(
                "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |"
            )
            if i == 0:
                out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        return "\n".join(out)

    def finish(self) -> int:
        """Print the table and notes; the exit status (1 on a FAIL, never in ``--short``)."""
        mode = " (--short: counts too small to judge)" if self.short else ""
        print(f"\n## {self.title}{mode}\n")
        print(self.table())
        notes = [row for row in self.rows if row.note]
        if notes:
            print()
            for row in notes:
                print(f"- {row.name}: {row.note}")
        print(
            f"\nLoad average (1 min) before: {self._load_before:.2f}, after: "
            f"{os.getloadavg()[0]:.2f}, on {os.cpu_count()} CPUs (a busy machine is slower)."
        )
        failed = [row.name for row in self.rows if not row.passed]
        if self.short:
            return 0
        print()
        if failed:
            print("FAIL: " + "; ".join(failed))
            return 1
        print("PASS")
        return 0


# -- shared subjects -------------------------------------------------------------------------------

OK_REPLY = b'{"text":"ok"}'
"""What the trivial bot answers: a small valid CreateComment, so validation and application run."""


def ok_bot(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """A trivial WSGI bot: reads the request body and answers ``{"text":"ok"}``."""
    stream = environ["wsgi.input"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        stream.read(length)
    start_response(
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", str(len(OK_REPLY)))],
    )
    return [OK_REPLY]


@contextmanager
def werkzeug_https(
    app: Any, ssl_context: ssl.SSLContext, *, threaded: bool = False
) -> Iterator[str]:
    """The baseline server: werkzeug's ``make_server`` over TLS with its default handler.

    Yields ``https://127.0.0.1:PORT/``; shuts the server down (werkzeug polls every 0.5 s) on exit.
    """
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=threaded, ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, name="werkzeug-baseline", daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
