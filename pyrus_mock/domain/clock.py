"""Clocks: the virtual clock tests advance, and a real one for the standalone server.

Everything in pyrus-mock that needs the time (timestamps, token expiry, delivery retries) asks
the clock it was given, never :func:`time.time` directly, so tests are deterministic and nothing
has to sleep through Pyrus's 61 s retry delay.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Protocol

__all__ = ["DEFAULT_START", "Clock", "RealClock", "Scheduled", "VirtualClock"]

_MAX_TIMESTAMP = datetime(9999, 12, 31, tzinfo=timezone.utc).timestamp()

#: Where a new virtual clock starts: a fixed instant, so serialised tasks are reproducible.
DEFAULT_START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=timezone.utc)


class Scheduled:
    """A callback due at a point on a clock. No public constructor; see ``Clock.call_at``."""

    __slots__ = ("_callback", "cancelled", "label", "when")

    def __init__(self, when: float, callback: Callable[[], None], label: str) -> None:
        self.when = when
        self._callback = callback
        self.label = label
        self.cancelled = False

    def cancel(self) -> None:
        """Do not run the callback."""
        self.cancelled = True

    def run(self) -> None:
        """Run the callback unless it was cancelled; it runs at most once.

        The clock calls this when ``when`` is reached. The entry counts as cancelled before
        the callback starts, so a callback that schedules or runs again does not repeat it.
        """
        if not self.cancelled:
            self.cancelled = True
            self._callback()


class Clock(Protocol):
    """What pyrus-mock needs from a clock."""

    def time(self) -> float:
        """Seconds since the epoch."""
        ...

    def now(self) -> datetime:
        """The current instant as an aware UTC datetime."""
        ...

    def call_at(self, when: float, callback: Callable[[], None], label: str = "") -> Scheduled:
        """Run ``callback`` once the clock reaches ``when`` (epoch seconds)."""
        ...

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` and run the callbacks that fall due.

        Only a :class:`VirtualClock` can; a :class:`RealClock` raises ``InvalidArgument``.
        """
        ...

    def pending(self) -> list[Scheduled]:
        """Callbacks scheduled and not yet run, soonest first."""
        ...

    def close(self) -> None:
        """Drop every pending callback."""
        ...


class VirtualClock:
    """A clock that moves only when told to.

    ``advance(61)`` moves time forward and runs, in time order, every callback that falls due,
    including callbacks that those callbacks schedule within the window.

    Args:
        start: the initial instant (aware datetime); :data:`DEFAULT_START` by default.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or DEFAULT_START
        if start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
        self._now = start.timestamp()
        self._queue: list[tuple[float, int, Scheduled]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        # One advance at a time: two threads advancing at once must not move time backwards.
        self._advancing = threading.RLock()
        self._start = self._now

    def time(self) -> float:
        """Seconds since the epoch, on this clock."""
        return self._now

    def now(self) -> datetime:
        """The current instant, as an aware UTC datetime."""
        return datetime.fromtimestamp(self._now, tz=timezone.utc)

    def call_at(self, when: float, callback: Callable[[], None], label: str = "") -> Scheduled:
        """Schedule ``callback`` for the instant ``when`` (epoch seconds)."""
        item = Scheduled(when, callback, label)
        with self._lock:
            heapq.heappush(self._queue, (when, next(self._seq), item))
        return item

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` and run whatever falls due, in order.

        Args:
            seconds: how far to move: a finite number >= 0 that keeps the clock before the
                year 9999.

        Raises:
            InvalidArgument: NaN, infinities, negative or absurd values, naming ``seconds``.
        """
        if (
            not isinstance(seconds, (int, float))
            or isinstance(seconds, bool)
            or not math.isfinite(seconds)
            or seconds < 0
        ):
            from .errors import InvalidArgument

            raise InvalidArgument("seconds", repr(seconds), "a finite number of seconds >= 0")
        with self._advancing:
            target = self._now + seconds
            if target > _MAX_TIMESTAMP:
                from .errors import InvalidArgument

                raise InvalidArgument(
                    "seconds", f"{seconds} would move the clock past the year 9999", "less"
                )
            while True:
                with self._lock:
                    if not self._queue or self._queue[0][0] > target:
                        self._now = max(self._now, target)
                        return
                    when, _, item = heapq.heappop(self._queue)
                    self._now = max(self._now, when)
                item.run()

    def pending(self) -> list[Scheduled]:
        """Callbacks scheduled and not yet run, soonest first."""
        with self._lock:
            return [item for _, _, item in sorted(self._queue) if not item.cancelled]

    def reset(self, start: datetime | None = None) -> None:
        """Drop every pending callback and go back to ``start`` (or the original start)."""
        with self._lock:
            self._queue.clear()
            self._now = start.timestamp() if start else self._start

    def close(self) -> None:
        """Drop every pending callback."""
        with self._lock:
            self._queue.clear()

    def __repr__(self) -> str:
        return f"<VirtualClock {self.now():%Y-%m-%dT%H:%M:%SZ}, {len(self._queue)} pending>"


class RealClock:
    """Wall-clock time. A daemon timer thread waits for the next due callback and runs each in a
    thread of its own, so a slow one (a retry to a bot that takes its whole timeout) delays no
    other."""

    #: Seconds :meth:`close` waits for callbacks already running (a delivery attempt in flight).
    CLOSE_WAIT = 5.0

    def __init__(self) -> None:
        self._queue: list[tuple[float, int, Scheduled]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._running: set[threading.Thread] = set()
        self._closed = False
        #: Exceptions raised by scheduled callbacks (kept, so the timer thread lives on).
        self.errors: list[BaseException] = []

    def time(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def now(self) -> datetime:
        """The current instant (UTC, with fractions; the backend drops them for timestamps)."""
        return datetime.now(timezone.utc)

    def call_at(self, when: float, callback: Callable[[], None], label: str = "") -> Scheduled:
        """Run ``callback`` in a thread of its own once wall time reaches ``when``."""
        item = Scheduled(when, callback, label)
        with self._cond:
            heapq.heappush(self._queue, (when, next(self._seq), item))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pyrus-mock-clock", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return item

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._queue or self._queue[0][0] > time.time()):
                    timeout = self._queue[0][0] - time.time() if self._queue else None
                    self._cond.wait(timeout)
                if self._closed:
                    return
                _, _, item = heapq.heappop(self._queue)
                worker = threading.Thread(
                    target=self._call, args=(item,), name="pyrus-mock-clock-call", daemon=True
                )
                self._running.add(worker)
            worker.start()

    def _call(self, item: Scheduled) -> None:
        try:
            item.run()
        except Exception as exc:  # one failing callback must not stop every later one
            self.errors.append(exc)
        finally:
            with self._cond:
                self._running.discard(threading.current_thread())

    def pending(self) -> list[Scheduled]:
        """Callbacks scheduled and not yet run, soonest first."""
        with self._cond:
            return [item for _, _, item in sorted(self._queue) if not item.cancelled]

    def advance(self, seconds: float) -> None:
        """Wall time cannot be advanced; raises a clear error."""
        from .errors import InvalidArgument

        raise InvalidArgument(
            "clock", "the real clock cannot be advanced", "start the fake with a VirtualClock"
        )

    def close(self) -> None:
        """Drop pending callbacks, stop the timer thread, and wait up to :attr:`CLOSE_WAIT`
        seconds for callbacks already running to finish."""
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify()
            timer, running = self._thread, list(self._running)
        me = threading.current_thread()
        deadline = time.monotonic() + self.CLOSE_WAIT
        for thread in (timer, *running):
            if thread is not None and thread is not me:
                thread.join(max(0.0, deadline - time.monotonic()))


def utc_seconds(moment: datetime) -> datetime:
    """``moment`` in UTC, with fractions of a second dropped (Pyrus timestamps have none)."""
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def plus(moment: datetime, seconds: float) -> datetime:
    """``moment`` moved by ``seconds``."""
    return moment + timedelta(seconds=seconds)
