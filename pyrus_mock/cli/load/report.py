"""The figures of a load run: throughput, latency percentiles, error kinds, invalid replies.

:func:`from_locust_stats` runs in the Locust master (or the only process) and turns Locust's
statistics into JSON; :class:`LoadReport` reads that JSON in the caller's process and prints it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LoadReport", "from_locust_stats"]

_PERCENTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
_WRAPPED = re.compile(r"^CatchResponseError\((['\"])(.*)\1\)$", re.S)


def _entry(entry: Any) -> dict[str, Any]:
    figures = {name: float(entry.get_response_time_percentile(p)) if entry.num_requests else 0.0
               for name, p in _PERCENTILES.items()}  # fmt: skip
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": round(entry.total_rps, 2),
        "latency_ms": {
            **figures,
            "avg": round(entry.avg_response_time, 2),
            "max": float(entry.max_response_time or 0),
        },
    }


def _error_text(error: str) -> str:
    match = _WRAPPED.match(error)
    return match.group(2) if match else error


def from_locust_stats(stats: Any, *, workers: int = 0) -> dict[str, Any]:
    """The JSON-able figures of Locust's ``environment.stats`` (a ``RequestStats``)."""
    total = stats.total
    duration = 0.0
    if total.last_request_timestamp and total.start_time:
        duration = total.last_request_timestamp - total.start_time
    errors = [
        {"name": e.name, "error": _error_text(str(e.error)), "count": e.occurrences}
        for e in stats.errors.values()
    ]
    errors.sort(key=lambda e: (-e["count"], e["name"], e["error"]))
    return {
        "workers": workers,
        "duration_s": round(duration, 2),
        "total": _entry(total),
        "by_name": {
            name: _entry(entry) for (name, _method), entry in sorted(stats.entries.items())
        },
        "errors": errors,
    }


@dataclass
class LoadReport:
    """The outcome of a load run (``pyrus-mock load`` or :func:`~pyrus_mock.cli.load.run_load`).

    Attributes:
        url: the bot's URL.
        users: concurrent Locust users.
        rate: the deliveries per second asked for (0: as fast as the bot answers).
        workers: Locust worker processes that took part (0: one local process).
        data: the figures (:func:`from_locust_stats`).
    """

    url: str
    users: int
    rate: float
    workers: int
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        """Calls made, retries included."""
        return int(self.data.get("total", {}).get("requests", 0))

    @property
    def failures(self) -> int:
        """Calls that failed (no answer, non-2xx, or an invalid reply)."""
        return int(self.data.get("total", {}).get("failures", 0))

    @property
    def rps(self) -> float:
        """Calls per second over the run."""
        return float(self.data.get("total", {}).get("rps", 0.0))

    @property
    def latency_ms(self) -> dict[str, float]:
        """``p50``, ``p95``, ``p99``, ``avg`` and ``max`` in milliseconds (Locust rounds
        times over 100 ms to 2 significant digits in its percentiles)."""
        return dict(self.data.get("total", {}).get("latency_ms", {}))

    @property
    def errors(self) -> dict[str, int]:
        """Failures by kind (``HTTP 500``, ``no answer: timeout``, ``invalid reply: ...``),
        every request name together."""
        out: dict[str, int] = {}
        for error in self.data.get("errors", []):
            out[error["error"]] = out.get(error["error"], 0) + int(error["count"])
        return out

    @property
    def invalid_replies(self) -> int:
        """2xx answers whose body was not a valid CreateComment for the task."""
        return sum(n for kind, n in self.errors.items() if kind.startswith("invalid reply"))

    @property
    def by_name(self) -> dict[str, dict[str, Any]]:
        """The same figures per request name: ``delivery``, ``retry 2/3``, ``retry 3/3``."""
        return dict(self.data.get("by_name", {}))

    @property
    def exceptions(self) -> list[dict[str, Any]]:
        """Exceptions raised in the Locust users themselves (``message``, ``count``,
        ``traceback``): a bug of the load test, not of the bot; none is expected."""
        return list(self.data.get("exceptions", []))

    @property
    def passed(self) -> bool:
        """Some calls were made, none failed, and the users raised nothing."""
        return self.requests > 0 and self.failures == 0 and not self.exceptions

    def summary(self) -> str:
        """One line: the run, the throughput and the latency percentiles."""
        lat = self.latency_ms
        mode = f"{self.workers} worker{'s' if self.workers != 1 else ''}" if self.workers else (
            "1 process")  # fmt: skip
        rate = f"{self.rate:g}/s" if self.rate else "unthrottled"
        return (
            f"pyrus-mock load of {self.url}: {self.users} users, rate {rate}, {mode}: "
            f"{self.requests} calls in {self.data.get('duration_s', 0):g} s = {self.rps:.1f}/s; "
            f"latency p50 {lat.get('p50', 0):.0f} ms, p95 {lat.get('p95', 0):.0f} ms, "
            f"p99 {lat.get('p99', 0):.0f} ms; {self.failures} failed, "
            f"{self.invalid_replies} invalid replies"
        )

    def __str__(self) -> str:
        lines = [self.summary(), "  name          calls  failed   rps     p50     p95     p99 (ms)"]
        for name, entry in self.by_name.items():
            lat = entry["latency_ms"]
            lines.append(f"  {name:<12} {entry['requests']:>6} {entry['failures']:>7} "
                         f"{entry['rps']:>6.1f} {lat['p50']:>7.0f} {lat['p95']:>7.0f} "
                         f"{lat['p99']:>7.0f}")  # fmt: skip
        if self.errors:
            lines.append("  errors:")
            for kind, count in sorted(self.errors.items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"    {count:>6}  {kind}")
            if self.errors.keys() & {"HTTP 401", "HTTP 403"}:
                lines.append(
                    "  a 401 or 403 usually means the bot refused X-Pyrus-Sig: check that "
                    "--security-key (or $PYRUS_SECURITY_KEY) is the key the bot verifies with"
                )
        for crash in self.exceptions:
            lines.append(f"  the Locust user raised ({crash['count']}x): {crash['message']}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {"url": self.url, "users": self.users, "rate": self.rate, "workers": self.workers,
                "passed": self.passed, "invalid_replies": self.invalid_replies,
                "errors": self.errors, **self.data}  # fmt: skip
