"""Views about the API itself (fake-only, not Pyrus endpoints)."""

from __future__ import annotations

from typing import Any

from .call import Call
from .openapi import openapi_spec

__all__ = ["get_openapi"]


def get_openapi(call: Call) -> dict[str, Any]:
    """``GET /openapi.json``: the OpenAPI 3.1 description of this API (no token needed)."""
    return openapi_spec(call.endpoints)
