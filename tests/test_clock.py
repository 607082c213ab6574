"""The clocks (:mod:`pyrus_mock.clock`): the virtual clock tests advance, the real one of the
standalone server. Time order of callbacks, cancellation, and refusals of bad input."""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta, timezone

import pytest

from pyrus_mock import InvalidArgument, RealClock, VirtualClock
from pyrus_mock.domain.clock import DEFAULT_START, plus, utc_seconds

# -- the virtual clock -----------------------------------------------------------------------------


def test_a_new_virtual_clock_starts_at_the_fixed_instant_in_utc() -> None:
    clock = VirtualClock()
    assert clock.now() == DEFAULT_START
    assert clock.now().tzinfo is not None
    assert clock.time() == DEFAULT_START.timestamp()
    naive = VirtualClock(datetime(2030, 5, 1, 12, 0))  # a naive start is read as UTC
    assert naive.now() == datetime(2030, 5, 1, 12, 0, tzinfo=timezone.utc)


def test_time_moves_only_when_advanced() -> None:
    clock = VirtualClock()
    before = clock.now()
    assert clock.now() == before
    clock.advance(61.5)
    assert clock.now() == before + timedelta(seconds=61.5)
    clock.advance(0)
    assert clock.now() == before + timedelta(seconds=61.5)


def test_advance_runs_due_callbacks_in_time_order_at_their_own_instant() -> None:
    clock = VirtualClock()
    start = clock.time()
    ran: list[tuple[str, float]] = []

    def record(label: str) -> None:
        ran.append((label, clock.time() - start))

    clock.call_at(start + 30, lambda: record("c"), "c")
    clock.call_at(start + 10, lambda: record("a"), "a")
    clock.call_at(start + 20, lambda: record("b1"), "b1")
    clock.call_at(start + 20, lambda: record("b2"), "b2")  # same instant: scheduling order
    clock.call_at(start + 100, lambda: record("late"), "late")
    clock.advance(30)
    assert ran == [("a", 10), ("b1", 20), ("b2", 20), ("c", 30)]
    assert [item.label for item in clock.pending()] == ["late"]
    assert clock.time() == start + 30


def test_callbacks_scheduled_by_callbacks_run_within_the_same_advance() -> None:
    clock = VirtualClock()
    start = clock.time()
    ran: list[float] = []

    def retry() -> None:
        ran.append(clock.time() - start)
        if len(ran) < 5:
            clock.call_at(clock.time() + 61, retry)

    clock.call_at(start, retry)
    clock.advance(150)
    assert ran == [0, 61, 122]  # the 183 s one is beyond the window
    assert [item.when - start for item in clock.pending()] == [183]
    clock.advance(1000)
    assert ran == [0, 61, 122, 183, 244]
    assert clock.pending() == []


def test_a_callback_due_in_the_past_runs_without_moving_time_back() -> None:
    clock = VirtualClock()
    clock.advance(100)
    now = clock.time()
    seen: list[float] = []
    clock.call_at(now - 50, lambda: seen.append(clock.time()))
    clock.advance(0)
    assert seen == [now]
    assert clock.time() == now


def test_a_cancelled_callback_never_runs_and_is_not_pending() -> None:
    clock = VirtualClock()
    ran: list[str] = []
    keep = clock.call_at(clock.time() + 5, lambda: ran.append("keep"), "keep")
    drop = clock.call_at(clock.time() + 5, lambda: ran.append("drop"), "drop")
    drop.cancel()
    assert clock.pending() == [keep]
    clock.advance(10)
    assert ran == ["keep"]


def test_a_scheduled_callback_runs_at_most_once() -> None:
    clock = VirtualClock()
    ran: list[int] = []
    item = clock.call_at(clock.time() + 1, lambda: ran.append(1))
    item.run()  # run early (as delivery does for "retry now")
    clock.advance(5)  # the clock's turn does not repeat it
    item.run()
    assert ran == [1]
    assert item.cancelled


def test_reset_drops_pending_callbacks_and_goes_back_to_the_start() -> None:
    clock = VirtualClock()
    ran: list[int] = []
    clock.call_at(clock.time() + 10, lambda: ran.append(1))
    clock.advance(5)
    clock.reset()
    assert clock.now() == DEFAULT_START
    assert clock.pending() == []
    clock.advance(60)
    assert ran == []
    elsewhere = datetime(2031, 1, 1, tzinfo=timezone.utc)
    clock.reset(elsewhere)
    assert clock.now() == elsewhere


def test_close_drops_pending_callbacks() -> None:
    clock = VirtualClock()
    ran: list[int] = []
    clock.call_at(clock.time() + 1, lambda: ran.append(1))
    clock.close()
    clock.advance(10)
    assert (ran, clock.pending()) == ([], [])


@pytest.mark.parametrize("seconds", [math.nan, math.inf, 1e308, -1])
def test_virtual_clock_refuses_nonsense(seconds: float) -> None:
    clock = VirtualClock()
    before = clock.time()
    with pytest.raises(InvalidArgument, match="seconds"):
        clock.advance(seconds)
    assert clock.time() == before


@pytest.mark.parametrize("seconds", ["61", None])
def test_virtual_clock_refuses_what_is_not_a_number(seconds: object) -> None:
    clock = VirtualClock()
    before = clock.time()
    with pytest.raises(InvalidArgument, match="seconds"):
        clock.advance(seconds)  # type: ignore[arg-type]
    assert clock.time() == before


def test_advancing_past_the_year_9999_is_refused_and_runs_nothing() -> None:
    clock = VirtualClock()
    ran: list[int] = []
    clock.call_at(clock.time() + 1, lambda: ran.append(1))
    with pytest.raises(InvalidArgument, match="year 9999"):
        clock.advance(300 * 365 * 86400 * 30)
    assert ran == []
    assert clock.now() == DEFAULT_START


def test_virtual_clock_never_moves_backwards_under_concurrent_advance() -> None:
    clock = VirtualClock()
    start = clock.time()
    entered, release = threading.Event(), threading.Event()

    def slow() -> None:
        entered.set()
        release.wait(5)

    clock.call_at(start + 0.5, slow)
    first = threading.Thread(target=clock.advance, args=(1,))
    first.start()
    assert entered.wait(5)
    second = threading.Thread(target=clock.advance, args=(100,))
    second.start()
    release.set()
    first.join(5)
    second.join(5)
    assert clock.time() == start + 101


def test_the_repr_names_the_instant_and_the_pending_count() -> None:
    clock = VirtualClock()
    clock.call_at(clock.time() + 1, lambda: None)
    assert repr(clock) == "<VirtualClock 2026-01-05T09:00:00Z, 1 pending>"


# -- the real clock --------------------------------------------------------------------------------


def test_real_clock_tells_wall_time_in_utc() -> None:
    clock = RealClock()
    before = datetime.now(timezone.utc)
    now = clock.now()
    assert now.tzinfo is not None
    assert before <= now <= datetime.now(timezone.utc)
    clock.close()


def test_the_real_clock_cannot_be_advanced_and_says_what_to_use() -> None:
    clock = RealClock()
    with pytest.raises(InvalidArgument, match="VirtualClock"):
        clock.advance(61)
    clock.close()


def test_real_clock_runs_a_due_callback_in_a_thread_of_its_own() -> None:
    clock = RealClock()
    ran: list[str] = []
    done = threading.Event()

    def callback() -> None:
        ran.append(threading.current_thread().name)
        done.set()

    clock.call_at(clock.time(), callback)
    assert done.wait(5)
    assert ran == ["pyrus-mock-clock-call"]
    clock.close()


def test_real_clock_close_drops_callbacks_not_yet_due() -> None:
    clock = RealClock()
    later = clock.call_at(clock.time() + 3600, lambda: None, "later")
    assert clock.pending() == [later]
    clock.close()
    assert clock.pending() == []


def test_real_clock_survives_a_failing_callback() -> None:
    clock = RealClock()
    done = threading.Event()

    def boom() -> None:
        raise RuntimeError("boom")

    clock.call_at(clock.time(), boom)
    clock.call_at(clock.time() + 0.01, done.set)
    assert done.wait(5)
    assert [str(e) for e in clock.errors] == ["boom"]
    clock.close()


def test_real_clock_runs_a_callback_beside_a_slow_one_and_close_waits() -> None:
    """A retry to a bot that hangs must not hold back another bot's retry (D5 schedule)."""
    clock = RealClock()
    release, slow_started, fast_done = threading.Event(), threading.Event(), threading.Event()

    def slow() -> None:
        slow_started.set()
        release.wait(10)

    now = clock.time()
    clock.call_at(now, slow, "slow")
    clock.call_at(now + 0.01, fast_done.set, "fast")
    assert slow_started.wait(5)
    assert fast_done.wait(5)  # ran while "slow" was still running
    assert not release.is_set()
    release.set()
    clock.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("pyrus-mock-clock")]


# -- helpers ---------------------------------------------------------------------------------------


def test_utc_seconds_and_plus() -> None:
    moscow = timezone(timedelta(hours=3))
    moment = datetime(2026, 1, 5, 12, 0, 0, 999_999, tzinfo=moscow)
    assert utc_seconds(moment) == datetime(2026, 1, 5, 9, 0, 0, tzinfo=timezone.utc)
    assert plus(moment, 61) == moment + timedelta(seconds=61)
