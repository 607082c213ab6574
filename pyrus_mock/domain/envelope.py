"""Pyrus's error envelope, ``{"error_code", "error"}`` (contract §5.3, decision D10), and the
domain's refusal that carries one.

Every error reply of the fake is rendered by :func:`error_body`: the API app
(:class:`pyrus_mock.api.errors.ApiError`), the control plane, and the HTTP server for the
replies it makes itself (a request it cannot parse, a deadline, a body over the limit).

The domain (accounts, the backend) never speaks HTTP: it raises :class:`Refusal` with Pyrus's
error code, and the API maps the code to a status (:func:`pyrus_mock.api.errors.status_for`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["CONTENT_TYPE", "Refusal", "error_body", "error_payload"]

#: The content type of every error reply.
CONTENT_TYPE = "application/json; charset=utf-8"


def error_payload(
    error_code: str, error: str, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The envelope as a dict: ``error_code`` and ``error`` first, then ``extra`` members
    (``violations``, the control plane's ``field``)."""
    return {"error_code": error_code, "error": error, **(extra or {})}


def error_body(error_code: str, error: str, extra: Mapping[str, Any] | None = None) -> bytes:
    """The envelope as compact UTF-8 JSON bytes (non-ASCII kept; lone surrogates replaced)."""
    payload = error_payload(error_code, error, extra)
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "replace")


class Refusal(Exception):
    """Pyrus refuses an operation: a Pyrus error code and its human text.

    Raised by the domain (e.g. a wrong login or a revoked token); the API answers it as the
    envelope with the status Pyrus uses for that code. Not raised to test authors: see
    :mod:`pyrus_mock.domain.errors` for those.

    Args:
        error_code: the stable Pyrus code, e.g. ``invalid_credentials``.
        error: the human text.
        extra: more members of the envelope.
    """

    def __init__(self, error_code: str, error: str, *, extra: Mapping[str, Any] | None = None):
        super().__init__(error)
        self.error_code = error_code
        self.error = error
        self.extra: dict[str, Any] = dict(extra or {})

    def payload(self) -> dict[str, Any]:
        """The envelope as a dict."""
        return error_payload(self.error_code, self.error, self.extra)

    def __str__(self) -> str:
        return f"{self.error_code}: {self.error}"
