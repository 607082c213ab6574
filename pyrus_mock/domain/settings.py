"""Every number and switch of the fake, in one place (decisions D1 to D11).

Each documented Pyrus behaviour has its default here; each product decision that is not
documented behaviour is a setting, so users can match what they see in production. That
includes the comment engine's workflow rules and the limits Pyrus publishes no number for
(see :mod:`pyrus_mock.engine.workflow` and :mod:`pyrus_mock.engine.common`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin, get_type_hints

from .errors import InvalidArgument

__all__ = ["BOUNDS", "ONE_DAY", "TEN_YEARS", "Settings", "unknown_setting"]


@dataclass(slots=True)
class Settings:
    """Settings of one :class:`~pyrus_mock.PyrusMock`.

    Every number has a range (:data:`BOUNDS`: timeouts at most a day, spans on the fake's
    clock at most ten years, sizes at most 1 GiB, counts bounded); NaN, infinities and values
    outside are refused with an :class:`~pyrus_mock.domain.errors.InvalidArgument` naming the
    setting, the value and the range, wherever they come from (constructor, ``replace``,
    ``serve --set``, the pytest marker, ``PATCH /_mock/settings``).

    Attributes:
        signature_case: ``upper`` (Pyrus's samples, D1) or ``lower`` hex for ``X-Pyrus-Sig``.
        delivery_timeout: wall seconds an attempt may take before it counts as a timeout (D5).
        retry_delays: offsets in seconds, from the first attempt, of attempts 2 and 3 (D5).
        max_reply_bytes: a bot reply larger than this is a ``reply_too_large`` failure.
        auto_deliver: deliver to bots when tasks reach their inbox (routing, issue 4 §6).
        max_chain_depth: bot-to-bot deliveries triggered by one action before the fake stops.
        user_agent: the ``User-Agent`` of bot calls (D2).
        token_lifetime: seconds a token lives, on the fake's clock (D9).
        revoke_tokens_on_reset: revoke a bot's tokens when its key is reset (D7 setting).
        max_tokens_per_person: issuing more drops the oldest (contract §3.3 counts this as a
            revocation; the fake then answers `invalid_token` for it, not `revoked_token`: it
            keeps no record of dropped tokens, so memory stays flat over thousands of logins).
        rate_limit: API requests per person per ``rate_window`` seconds (D11).
        rate_window: the rate-limit interval in seconds.
        max_request_bytes: API request bodies above this answer 413.
        max_upload_bytes: file uploads above this answer 413.
        creation_date_format: the value shape of ``creation_date`` fields. ``date``
            (default): ``YYYY-MM-DD``, the shape every official client parses (the Python
            client reads it with ``%Y-%m-%d`` and raises ``ValueError`` on anything else; the
            C# and TypeScript clients parse any ISO date). ``datetime``:
            ``YYYY-MM-DDThh:mm:ssZ``, what the current Pyrus field reference shows (D11); the
            official Python client cannot read a form task that has such a field.
        max_bots: bots per organisation (D8).
        on_rejection: what ``approval_choice: rejected`` does to an open form task (Pyrus
            documents no rule, contract §10 item 18). ``close`` (default): the task closes at
            once, on its current step. ``reset_to_first_step`` / ``reset_to_previous_step``:
            the task stays open and goes back to step 1 / the step before the rejected one
            (the comment gets ``reset_to_step``); that step's and every later step's approvals
            are re-requested, the rejecting approval stays ``rejected``.
        acknowledged_counts_as_approval: an approver's ``acknowledged`` completes their part
            of a step like ``approved`` (default True). False: only ``approved`` does.
        auto_reopen: a comment on a closed task reopens it unless it sets
            ``skip_auto_reopen`` or ``action: finished`` (default True). False: only
            ``action: reopened`` reopens.
        max_duration_minutes: the longest ``duration`` (top level or of a due field) before
            ``duration_is_too_long``; Pyrus publishes no number (default one year, 525,600).
        max_text_field_length: the most characters a ``text`` field holds before
            ``text_field_value_limit_exceeded``; Pyrus publishes no number (default 100,000).
        omit_empty_bot_settings: leave ``bot_settings`` out of deliveries and Bot objects when
            the bot has no Settings text. Default False: ``bot_settings`` is always present,
            ``""`` when unset, because the official samples and bots read it unconditionally
            (e.g. ``IsNullOrWhiteSpace(request.BotSettings)`` after deserialising); this
            overrules the contract's earlier "omitted when empty" (D3). True restores that
            omission, for code that tells "absent" from "empty".
        server_max_connections: open connections each HTTPS server of the fake (the API's and
            ``serve_bot``'s) keeps at most (default 256). At the cap a new connection replaces
            the oldest one without a request in the app (idle, in its TLS handshake, or still
            sending its head); when all have one, the new connection is closed at once. Read
            when a server starts.
        server_request_timeout: seconds a client has from the first byte of a request until
            its head and body are in (default 30); slower clients get a JSON 408
            ``request_timeout`` and are disconnected. Separate from the 300 s idle keep-alive
            timeout. Read when a server starts.
        max_comment_text_length: the most characters of a comment's (or a new task's) ``text``
            or ``formatted_text`` before ``max_text_length_exceeded``; Pyrus publishes no
            number (default 100,000).
        max_api_calls_recorded: API calls kept for transcripts (``backend.api_calls``); older
            ones are dropped and counted (``api_calls_dropped``), so memory stays flat.
        max_deliveries_recorded: deliveries kept in ``mock.deliveries``; older ones are
            dropped and counted (``deliveries_dropped``). A dropped delivery's pending retry
            still runs.
    """

    signature_case: Literal["upper", "lower"] = "upper"
    delivery_timeout: float = 60.0
    retry_delays: tuple[float, ...] = (61.0, 122.0)
    max_reply_bytes: int = 10 * 1024 * 1024
    auto_deliver: bool = True
    max_chain_depth: int = 10
    user_agent: str = "Pyrus-Bot-4"
    token_lifetime: float = 24 * 3600.0
    revoke_tokens_on_reset: bool = False
    max_tokens_per_person: int = 100
    rate_limit: int = 5000
    rate_window: float = 600.0
    max_request_bytes: int = 10 * 1024 * 1024
    max_upload_bytes: int = 50 * 1024 * 1024
    creation_date_format: Literal["datetime", "date"] = "date"
    max_bots: int = 100
    on_rejection: Literal["close", "reset_to_first_step", "reset_to_previous_step"] = "close"
    acknowledged_counts_as_approval: bool = True
    auto_reopen: bool = True
    max_duration_minutes: int = 365 * 24 * 60
    max_text_field_length: int = 100_000
    omit_empty_bot_settings: bool = False
    server_max_connections: int = 256
    server_request_timeout: float = 30.0
    max_comment_text_length: int = 100_000
    max_api_calls_recorded: int = 10_000
    max_deliveries_recorded: int = 10_000

    @property
    def max_attempts(self) -> int:
        """Attempts per delivery: the first plus one per retry delay."""
        return 1 + len(self.retry_delays)

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied; unknown names raise :class:`InvalidArgument`."""
        names = {f.name for f in dataclasses.fields(self)}
        for name in changes:
            if name not in names:
                raise unknown_setting(name, names)
        return dataclasses.replace(self, **changes)  # __post_init__ checks the result

    def __post_init__(self) -> None:
        delays: object = self.retry_delays
        if isinstance(delays, list):  # [61, 122] reads as naturally as (61, 122)
            self.retry_delays = tuple(delays)
        self.check()

    def check(self) -> None:
        """Raise :class:`InvalidArgument` for values that make no sense (type, range, choice)."""
        for f in dataclasses.fields(self):
            name, value, kind = f.name, getattr(self, f.name), _HINTS[f.name]
            if get_origin(kind) is Literal:
                if value not in get_args(kind):
                    allowed = ", ".join(map(repr, get_args(kind)))
                    raise InvalidArgument(name, repr(value), allowed)
            elif kind is bool:
                if not isinstance(value, bool):
                    raise InvalidArgument(name, f"{value!r} is not a bool", "True, False")
            elif kind is int:
                least, most = BOUNDS[name]
                allowed = f"a whole number >= {least:.0f} and <= {most:.0f}"
                if not isinstance(value, int) or isinstance(value, bool):
                    raise InvalidArgument(name, f"{value!r} is not a whole number", allowed)
                if not least <= value <= most:
                    raise InvalidArgument(name, f"{value!r} is not within range", allowed)
            elif kind is float:
                _, most = BOUNDS[name]
                allowed = f"a finite number of seconds > 0 and <= {most:.0f} ({_span(most)})"
                if not _is_number(value) or not math.isfinite(value):
                    raise InvalidArgument(name, f"{value!r} is not a finite number", allowed)
                if not 0 < value <= most:
                    problem = f"{value!r} is not a positive number <= {most:.0f}"
                    raise InvalidArgument(name, problem, allowed)
            elif kind is str and (not isinstance(value, str) or not value):
                raise InvalidArgument(name, repr(value), "a non-empty string")
        agent = self.user_agent
        if len(agent) > MAX_USER_AGENT:
            raise InvalidArgument(
                "user_agent", f"{len(agent)} characters long", f"at most {MAX_USER_AGENT}"
            )
        if not (agent.isascii() and agent.isprintable()):
            raise InvalidArgument(
                "user_agent", f"{agent!r} cannot be an HTTP header value", "printable ASCII text"
            )
        delays = self.retry_delays
        if (
            not isinstance(delays, tuple)
            or len(delays) > MAX_RETRIES
            or not all(_is_number(d) and math.isfinite(d) and 0 <= d <= TEN_YEARS for d in delays)
            or list(delays) != sorted(delays)
        ):
            shown = repr(delays) if len(repr(delays)) <= 200 else repr(delays)[:200] + "\u2026"
            raise InvalidArgument(
                "retry_delays",
                shown,
                f"at most {MAX_RETRIES} increasing offsets from 0 to {TEN_YEARS:g} seconds (10 "
                "years), as a tuple or a list, e.g. (61, 122)",
            )


ONE_DAY = 24 * 3600.0
"""The longest wall-clock timeout a setting takes (``delivery_timeout``,
``server_request_timeout``), in seconds."""
TEN_YEARS = 10 * 365 * ONE_DAY
"""The longest span on the fake's clock a setting takes (``token_lifetime``, ``rate_window``,
each of ``retry_delays``), in seconds: far enough for any test, near enough that no timer or
date overflows (the clock stops at the year 9999)."""
MAX_RETRIES = 100
"""The most entries ``retry_delays`` holds."""
MAX_USER_AGENT = 1000
"""The longest ``user_agent``, in characters."""
_GIB = 1024**3
_TEXT = 100_000_000

BOUNDS: dict[str, tuple[float, float]] = {
    # wall-clock timeouts: at most a day
    "delivery_timeout": (0, ONE_DAY),
    "server_request_timeout": (0, ONE_DAY),
    # spans on the fake's clock: at most ten years
    "token_lifetime": (0, TEN_YEARS),
    "rate_window": (0, TEN_YEARS),
    "max_duration_minutes": (1, TEN_YEARS // 60),
    # sizes: at most 1 GiB of bytes, 100 million characters
    "max_reply_bytes": (1, _GIB),
    "max_request_bytes": (1, _GIB),
    "max_upload_bytes": (1, _GIB),
    "max_text_field_length": (1, _TEXT),
    "max_comment_text_length": (1, _TEXT),
    # counts
    "max_chain_depth": (0, 1000),
    "max_tokens_per_person": (1, 1_000_000),
    "rate_limit": (1, 1_000_000_000),
    "max_bots": (1, 1_000_000),
    "server_max_connections": (1, 100_000),
    "max_api_calls_recorded": (1, 10_000_000),
    "max_deliveries_recorded": (1, 10_000_000),
}
"""The range of every numeric setting, ``(least, most)``; for seconds (``float``) the least is
exclusive (a timeout of 0 makes no sense), for counts (``int``) both ends are inclusive.
:meth:`Settings.check` refuses anything outside, and NaN and infinities, naming the setting,
the value and this range."""


def _span(seconds: float) -> str:
    return (
        "1 day" if seconds == ONE_DAY else "10 years" if seconds == TEN_YEARS else f"{seconds:g} s"
    )


def unknown_setting(name: str, names: Iterable[str]) -> InvalidArgument:
    """The error for ``name``, which is none of ``names``: with the closest name, if any."""
    import difflib

    known = sorted(names)
    close = difflib.get_close_matches(name, known, n=1)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    return InvalidArgument(name, "is not a setting" + guess, ", ".join(known))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_HINTS = get_type_hints(Settings)
