"""Views about the API itself (fake-only, not Pyrus endpoints)."""

from __future__ import annotations

from typing import Any

from .call import Call

__all__ = ["get_openapi"]


def get_openapi(call: Call) -> dict[str, Any]:
    """``GET /openapi.json``: the OpenAPI 3.1 description of this API (no token needed)."""
    from .openapi import openapi_spec  # the route table imports this module

    return openapi_spec()
