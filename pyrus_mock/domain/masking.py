"""Masking secrets for what people read: transcripts, logs of API calls, reports.

A secret shows only its last four characters (:func:`~pyrus_mock.domain.secrets.mask`). Values are
masked under the JSON keys of :data:`SECRET_KEYS`, in query strings (:func:`mask_query`), and
wherever a known secret string appears (:func:`scrub`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from .secrets import mask

__all__ = [
    "SECRET_KEYS",
    "mask",
    "mask_query",
    "masked_json",
    "scrub",
    "scrub_json_members",
    "secret_list",
]

SECRET_KEYS = frozenset({"access_token", "security_key", "securitykey", "token", "password"})
"""JSON object keys whose string values are masked wherever they appear in a body."""

_SECRET_MEMBER = re.compile(
    r'("(?:' + "|".join(sorted(SECRET_KEYS)) + r')"\s*:\s*")([^"\\]*)', re.IGNORECASE
)
_SECRET_PARAM = re.compile(r"((?:^|[?&;])(?:" + "|".join(sorted(SECRET_KEYS)) + r")=)([^&;#]*)",
                           re.IGNORECASE)  # fmt: skip


def _mask_match(match: re.Match[str]) -> str:
    return match.group(1) + mask(match.group(2))


def mask_query(path: str) -> str:
    """``path`` with the values of secret query parameters (``access_token=...``) masked."""
    return _SECRET_PARAM.sub(_mask_match, path) if "=" in path else path


def masked_json(value: Any) -> Any:
    """``value`` with the strings under :data:`SECRET_KEYS` masked, recursively."""
    if isinstance(value, dict):
        return {
            k: mask(v) if isinstance(v, str) and k.lower() in SECRET_KEYS else masked_json(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [masked_json(v) for v in value]
    return value


def scrub_json_members(text: str) -> str:
    """JSON ``text`` (perhaps cut short) with string values under :data:`SECRET_KEYS` masked."""
    return _SECRET_MEMBER.sub(_mask_match, text)


_PREFIX = 12
"""A secret's first this many characters are masked wherever they appear."""
_CUT_PREFIX = 8
"""...and as few as this many where the text is cut right after them (a marker or its end)."""
_CUT_MARKERS = ("\u2026", "...")
_MIN_SECRET = 12
"""Shorter strings are never treated as secrets."""


def secret_list(values: Iterable[str]) -> list[str]:
    """``values`` as :func:`scrub` wants them: long enough to be secrets (short strings would
    scrub ordinary words; real keys and tokens are long), each once, longest first."""
    return sorted({v for v in values if len(v) >= _MIN_SECRET}, key=len, reverse=True)


def scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every string of ``secrets`` (longest first) masked, and the start of one
    that a shortened value kept (``'a1B2c3d4e5f6…'``): at least its first 12 characters, or 8
    right before a cut marker (``…``, ``...``) or the end of ``text``. Each becomes the
    secret's :func:`mask` (``…`` and its last four characters)."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, mask(secret))
    for secret in secrets:
        if len(secret) > _CUT_PREFIX and secret[:_CUT_PREFIX] in text:
            text = _scrub_prefixes(text, secret)
    return text


def _scrub_prefixes(text: str, secret: str) -> str:
    head = secret[:_CUT_PREFIX]
    parts: list[str] = []
    done = 0
    start = text.find(head)
    while start != -1:
        end = start + _CUT_PREFIX
        while end < len(text) and end - start < len(secret) and text[end] == secret[end - start]:
            end += 1
        if end - start >= _PREFIX or end == len(text) or text.startswith(_CUT_MARKERS, end):
            parts += [text[done:start], mask(secret)]
            done = end
        start = text.find(head, end if done == end else start + 1)
    return "".join(parts) + text[done:] if parts else text
