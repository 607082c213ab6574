"""Shared pieces of the comment engine: the violation collector, JSON type tests, formats, limits.

Limits the fake enforces where Pyrus publishes no number are settings (each default is a
guess, chosen so that realistic bots never hit it while runaway ones do):

* :attr:`Settings.max_duration_minutes <pyrus_mock.Settings.max_duration_minutes>`: a
  ``duration`` (top level or on a due field) above it (default one year, 525,600 minutes) is
  ``duration_is_too_long``.
* :attr:`Settings.max_text_field_length <pyrus_mock.Settings.max_text_field_length>`: a
  ``text`` field value above it (default 100,000 characters) is
  ``text_field_value_limit_exceeded``.
* :attr:`Settings.max_comment_text_length <pyrus_mock.Settings.max_comment_text_length>`: a
  comment's or new task's ``text`` / ``formatted_text`` above it (default 100,000 characters)
  is ``max_text_length_exceeded`` (the clients' ``ErrorCodeType.MaxTextLengthExceeded``).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone
from typing import Final, TypeGuard

from ..domain.ids import parse_decimal
from ..domain.violations import Severity, Violation

__all__ = [
    "INVALID",
    "Invalid",
    "Report",
    "describe",
    "duration_of",
    "is_int",
    "is_number",
    "parse_date",
    "parse_time",
    "parse_timestamp",
    "text_problem",
]


class Invalid:
    """The type of :data:`INVALID`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "INVALID"


#: Returned by parsers that have reported an error for the value they were given.
INVALID: Final = Invalid()


class Report:
    """Collects violations, each tagged with the position of its top-level request key.

    Checks that need several keys run after the per-key pass; tagging lets :meth:`violations`
    still return everything in request order.
    """

    __slots__ = ("_items", "errors", "key_index")

    def __init__(self) -> None:
        self._items: list[tuple[int, Violation]] = []
        #: Position of the request key being checked; set by the caller.
        self.key_index = 0
        #: Number of error-severity violations so far.
        self.errors = 0

    def error(self, path: str, code: str, message: str) -> None:
        """Record an error: Pyrus would reject the request."""
        self.errors += 1
        self._items.append((self.key_index, Violation(path, code, message, "error")))

    def warn(self, path: str, code: str, message: str) -> None:
        """Record a warning: Pyrus would ignore the offending part."""
        self._items.append((self.key_index, Violation(path, code, message, "warning")))

    def add(self, path: str, code: str, message: str, severity: Severity) -> None:
        """Record a violation of the given severity."""
        if severity == "error":
            self.error(path, code, message)
        else:
            self.warn(path, code, message)

    def violations(self) -> list[Violation]:
        """Every violation, ordered by request key (stable within a key)."""
        items = self._items
        if any(items[i][0] > items[i + 1][0] for i in range(len(items) - 1)):
            items = sorted(items, key=lambda item: item[0])
        return [v for _, v in items]


_INT64 = 2**63


def is_int(value: object) -> TypeGuard[int]:
    """A JSON integer that fits Pyrus's 64-bit ids and counts (``true``/``false`` are not)."""
    return isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64


def is_number(value: object) -> TypeGuard[int | float]:
    """A finite JSON number (``true``/``false`` are not numbers)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def describe(value: object) -> str:
    """A short description of a JSON value for messages: its JSON type and a bounded repr."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = repr(value)
        return f"the number {text if len(text) <= 30 else text[:27] + '...'}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, dict):
        keys = list(value)[:5]
        return "an object with keys " + ", ".join(repr(k) for k in keys) if keys else "{}"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)" if value else "[]"
    return type(value).__name__


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}")


def parse_date(value: object) -> date | None:
    """A ``YYYY-MM-DD`` calendar date, or None when ``value`` is anything else."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        return date(int(value[0:4]), int(value[5:7]), int(value[8:10]))
    except ValueError:
        return None


def parse_timestamp(value: object) -> datetime | None:
    """A ``YYYY-MM-DDThh:mm:ssZ`` UTC instant, or None when ``value`` is anything else."""
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        return None
    try:
        return datetime(
            int(value[0:4]), int(value[5:7]), int(value[8:10]),
            int(value[11:13]), int(value[14:16]), int(value[17:19]), tzinfo=timezone.utc,
        )  # fmt: skip
    except ValueError:
        return None


#: What each date member of a request takes, for messages (CreateComment and ``POST /tasks``).
DATE_SHAPES: Final = {
    "due_date": 'a date "YYYY-MM-DD"',
    "scheduled_date": 'a date "YYYY-MM-DD"',
    "due": 'a UTC timestamp "YYYY-MM-DDThh:mm:ssZ"',
    "scheduled_datetime_utc": 'a UTC timestamp "YYYY-MM-DDThh:mm:ssZ"',
}


def parse_moment(key: str, value: object) -> date | datetime | None:
    """``value`` of the date member ``key`` (see :data:`DATE_SHAPES`), or None when malformed."""
    return parse_date(value) if DATE_SHAPES[key].startswith("a date") else parse_timestamp(value)


def schedule_problem(key: str, value: object, now: datetime) -> tuple[str, str] | None:
    """Why ``scheduled_date`` / ``scheduled_datetime_utc`` cannot take ``value``: an error code
    and a message; None when it can (a well-formed moment, not in the past)."""
    moment = parse_moment(key, value)
    if moment is None:
        return "invalid_value_format", f"{key} takes {DATE_SHAPES[key]}, got {describe(value)}"
    past = (
        moment < now.replace(microsecond=0)
        if isinstance(moment, datetime)
        else (moment < now.date())
    )
    if past:
        return "scheduled_date_in_past", (
            f"{key} {value} is in the past (now is {now.strftime('%Y-%m-%dT%H:%M:%SZ')}); "
            "schedule for later"
        )
    return None


def duration_problem(minutes: int, limit: int) -> tuple[str, str] | None:
    """Why a task's ``duration`` cannot be ``minutes``: an error code and a message, or None."""
    if minutes < 0:
        return "negative_duration", f"duration is 0 or more minutes, got {minutes}"
    if minutes > limit:
        return "duration_is_too_long", (
            f"duration is at most {limit} minutes (setting max_duration_minutes), got {minutes}"
        )
    return None


def text_problem(key: str, text: str, limit: int) -> tuple[str, str] | None:
    """Why a comment's (or new task's) ``text`` / ``formatted_text`` cannot be ``text``: an error
    code and a message, or None. The message gives the length, not the text."""
    if len(text) > limit:
        return "max_text_length_exceeded", (
            f"{key} is at most {limit} characters (setting max_comment_text_length), "
            f"got {len(text)}"
        )
    return None


def parse_time(value: object) -> str | None:
    """An ``HH:mm`` time of day (00:00 to 23:59), or None when ``value`` is anything else."""
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        return None
    if int(value[0:2]) > 23 or int(value[3:5]) > 59:
        return None
    return value


def duration_of(value: object) -> int | Invalid:
    """A duration in minutes from an int or a numeric string (``"140"``, as the docs show).

    Returns the int, or :data:`INVALID` when ``value`` is neither.
    """
    if is_int(value):
        return value
    if isinstance(value, str):
        number = parse_decimal(value.removeprefix("-"))
        if number is not None:
            return -number if value.startswith("-") else number
    return INVALID
