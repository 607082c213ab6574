"""Wire errors: what the fake API answers, always as Pyrus JSON ``{"error_code", "error"}``.

Modelled on werkzeug's ``HTTPException`` (``code`` and ``description``) with ``get_body`` and
``get_headers`` overridden to render Pyrus's envelope (contract §5.3, decision D10). These are
never raised to test authors; see :mod:`pyrus_mock.domain.errors` for those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException

from ..domain.envelope import CONTENT_TYPE, Refusal, error_body

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

__all__ = ["ApiError", "status_for"]

_STATUS_BY_CODE = {
    "authorization_error": 401,
    "token_not_specified": 401,
    "revoked_token": 401,
    "expired_token": 401,
    "invalid_token": 401,
    "account_blocked": 401,
    "invalid_credentials": 401,
    "invalid_application_id": 401,
    "too_many_requests": 429,
    "server_error": 500,
    "not_found": 404,
    "method_not_allowed": 405,
    "too_large_request_length": 413,
}


def status_for(error_code: str) -> int:
    """The HTTP status Pyrus answers ``error_code`` with (400 for validation codes)."""
    if error_code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[error_code]
    if error_code.startswith("access_denied"):
        return 403
    return 400


class ApiError(HTTPException, Refusal):
    """A Pyrus API error: a :class:`~pyrus_mock.domain.envelope.Refusal` with its HTTP status.

    Args:
        error_code: the stable Pyrus code, e.g. ``access_denied_task``.
        error: the human text.
        status: the HTTP status; derived from the code when omitted.
        extra: more members of the JSON body (e.g. ``violations``).
        headers: more response headers.
    """

    def __init__(
        self,
        error_code: str,
        error: str,
        *,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        # Not HTTPException.__init__: its super().__init__() would reach Refusal's without
        # arguments. What it sets is set here.
        Refusal.__init__(self, error_code, error, extra=extra)
        self.description = error
        self.response = None
        self.code = status if status is not None else status_for(error_code)
        self.extra_headers = headers or {}

    @classmethod
    def from_refusal(cls, refusal: Refusal) -> ApiError:
        """The API's answer to a domain :class:`~pyrus_mock.domain.envelope.Refusal`."""
        if isinstance(refusal, ApiError):
            return refusal
        return cls(refusal.error_code, refusal.error, extra=refusal.extra)

    def get_body(self, environ: Any = None, scope: Any = None) -> str:
        """The Pyrus JSON envelope."""
        return error_body(self.error_code, self.error, self.extra).decode("utf-8")

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        """JSON content type plus any extra headers."""
        return [("Content-Type", CONTENT_TYPE), *self.extra_headers.items()]

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        """A response carrying the JSON envelope."""
        from werkzeug.wrappers import Response

        return Response(self.get_body(), self.code, self.get_headers())

    def __str__(self) -> str:
        return f"{self.code} {self.error_code}: {self.error}"
