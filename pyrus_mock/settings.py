"""Every number and switch of the fake, in one place (decisions D1 to D11).

Each documented Pyrus behaviour has its default here; each product decision that is not
documented behaviour is a setting, so users can match what they see in production. That
includes the comment engine's workflow rules and the limits Pyrus publishes no number for
(see :mod:`pyrus_mock.engine.workflow` and :mod:`pyrus_mock.engine.common`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from .errors import InvalidArgument

__all__ = ["Settings"]

_REJECTIONS = ("close", "reset_to_first_step", "reset_to_previous_step")


@dataclass(slots=True)
class Settings:
    """Settings of one :class:`~pyrus_mock.PyrusMock`.

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
        max_tokens_per_person: issuing more revokes the oldest (contract §3.3).
        rate_limit: API requests per person per ``rate_window`` seconds (D11).
        rate_window: the rate-limit interval in seconds.
        max_request_bytes: API request bodies above this answer 413.
        max_upload_bytes: file uploads above this answer 413.
        creation_date_format: ``datetime`` (D11) or ``date`` (what the official Python client
            parses) for the value of ``creation_date`` fields.
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
    creation_date_format: Literal["datetime", "date"] = "datetime"
    max_bots: int = 100
    on_rejection: Literal["close", "reset_to_first_step", "reset_to_previous_step"] = "close"
    acknowledged_counts_as_approval: bool = True
    auto_reopen: bool = True
    max_duration_minutes: int = 365 * 24 * 60
    max_text_field_length: int = 100_000

    @property
    def max_attempts(self) -> int:
        """Attempts per delivery: the first plus one per retry delay."""
        return 1 + len(self.retry_delays)

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied; unknown names raise :class:`InvalidArgument`."""
        names = {f.name for f in dataclasses.fields(self)}
        for name in changes:
            if name not in names:
                raise InvalidArgument(name, "is not a setting", ", ".join(sorted(names)))
        new = dataclasses.replace(self, **changes)
        new.check()
        return new

    def check(self) -> None:
        """Raise :class:`InvalidArgument` for values that make no sense."""
        if self.signature_case not in ("upper", "lower"):
            raise InvalidArgument("signature_case", repr(self.signature_case), "'upper', 'lower'")
        if self.creation_date_format not in ("datetime", "date"):
            raise InvalidArgument(
                "creation_date_format", repr(self.creation_date_format), "'datetime', 'date'"
            )
        if self.on_rejection not in _REJECTIONS:
            raise InvalidArgument(
                "on_rejection", repr(self.on_rejection), ", ".join(map(repr, _REJECTIONS))
            )
        for name in ("acknowledged_counts_as_approval", "auto_reopen"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidArgument(name, f"{getattr(self, name)!r} is not a bool", "True, False")
        for name in ("max_duration_minutes", "max_text_field_length"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidArgument(name, f"{value!r} is not a positive integer", ">= 1")
        for name in ("delivery_timeout", "token_lifetime", "rate_window"):
            if getattr(self, name) <= 0:
                raise InvalidArgument(name, f"{getattr(self, name)} is not positive", "> 0")
        if list(self.retry_delays) != sorted(self.retry_delays) or any(
            d < 0 for d in self.retry_delays
        ):
            raise InvalidArgument(
                "retry_delays", repr(self.retry_delays), "increasing offsets >= 0, e.g. (61, 122)"
            )
