"""The API-call log and the rate limits: a component of
:class:`~pyrus_mock.state.backend.PyrusBackend` (``backend.log``).

Like :class:`~pyrus_mock.state.accounts.Accounts` it works on the backend's one lock and one
state through :class:`~pyrus_mock.state.core.Core`: the calls and the rate windows live in the
:class:`~pyrus_mock.state.core.State`, so a reset forgets them with everything else.
"""

from __future__ import annotations

from dataclasses import dataclass

from .core import ApiCall, Core, Rate

__all__ = ["ApiLog", "RateState"]


@dataclass(frozen=True, slots=True)
class RateState:
    """Rate-limit counters for one person (D11)."""

    limit: int
    remaining: int
    reset: int
    exceeded: bool


class ApiLog:
    """The API requests the fake served, and each person's rate-limit window (``backend.log``).

    Args:
        core: the backend whose lock, clock, settings and state it works with.
    """

    def __init__(self, core: Core) -> None:
        self._core = core

    def rate_check(self, person_id: int) -> RateState:
        """Count one request for ``person_id`` against the rate limit (D11)."""
        settings = self._core.settings
        limit, window = settings.rate_limit, settings.rate_window
        with self._core.lock:
            now = self._core.clock.time()
            rates = self._core.state.rates
            rate = rates.get(person_id)
            if rate is None or now >= rate.window_start + window:
                rate = rates[person_id] = Rate(now)
            rate.count += 1
            reset = max(0, int(rate.window_start + window - now))
            return RateState(limit, max(0, limit - rate.count), reset, rate.count > limit)

    def record(self, call: ApiCall) -> None:
        """Remember an API request for transcripts.

        At most ``max_api_calls_recorded`` calls are kept: the oldest are dropped and counted
        (:attr:`dropped`), so a long run or a flood of requests keeps memory flat.
        """
        with self._core.lock:
            state = self._core.state
            state.api_calls.append(call)
            state.api_calls_total += 1
            excess = len(state.api_calls) - self._core.settings.max_api_calls_recorded
            for _ in range(max(0, excess)):
                state.api_calls.popleft()
            state.api_calls_dropped += max(0, excess)

    @property
    def calls(self) -> list[ApiCall]:
        """The API requests served since the last reset, oldest first (a copy).

        Only the newest ``max_api_calls_recorded`` are kept; :attr:`dropped` counts the older
        ones.
        """
        with self._core.lock:
            return list(self._core.state.api_calls)

    @property
    def dropped(self) -> int:
        """How many older API calls were dropped from :attr:`calls` (setting
        ``max_api_calls_recorded``) since the last reset."""
        return self._core.state.api_calls_dropped

    @property
    def total(self) -> int:
        """How many API calls were recorded since the last reset, dropped ones included: a mark
        to pass to :meth:`since`."""
        return self._core.state.api_calls_total

    def since(self, mark: int) -> list[ApiCall]:
        """The recorded API calls made after :attr:`total` was ``mark`` (those still kept)."""
        with self._core.lock:
            state = self._core.state
            count = min(len(state.api_calls), max(0, state.api_calls_total - mark))
            calls = state.api_calls
            return [calls[i] for i in range(len(calls) - count, len(calls))]
