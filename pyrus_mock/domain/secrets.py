"""Showing secrets: at most their last four characters, the way transcripts do (``…a1B2``).

Secrets are bot security keys, user keys, access tokens (auth, ``check_bot``, delivery), the
control plane's admin token and ``X-Pyrus-Sig`` signatures (with the body, a signature lets
anyone replay a delivery to the bot). :func:`mask` is the one masking function
(:func:`pyrus_mock.domain.model.mask`, which reprs and transcripts use); this module adds headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .model import mask

__all__ = ["SECRET_HEADERS", "mask", "mask_header", "masked_headers"]

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-pyrus-sig", "cookie"})
"""Header names (lower case) whose values are secrets."""


def mask_header(name: str, value: str) -> str:
    """``value`` of header ``name``, masked when it is a secret (``Bearer …a1B2``)."""
    lower = name.lower()
    if lower not in SECRET_HEADERS:
        return value
    scheme, space, credentials = value.partition(" ")
    if lower.endswith("authorization") and space:
        return f"{scheme} {mask(credentials.strip())}"
    return mask(value)


def masked_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """``headers`` as a dict, secret values masked with :func:`mask_header`."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return {name: mask_header(name, value) for name, value in pairs}
