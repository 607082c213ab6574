"""Masking secrets for what people read: transcripts, logs of API calls, reports.

A secret shows only its last four characters (:func:`~pyrus_mock.domain.model.mask`). Values are
masked under the JSON keys of :data:`SECRET_KEYS`, in query strings (:func:`mask_query`), and
wherever a known secret string appears (:func:`scrub`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .model import mask

__all__ = [
    "SECRET_KEYS",
    "mask",
    "mask_query",
    "masked_json",
    "scrub",
    "scrub_json_members",
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


def scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every string of ``secrets`` (longest first) masked."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, mask(secret))
    return text
