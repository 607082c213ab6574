"""``POST /_mock/import``: the control plane's door to :mod:`pyrus_mock.importing`."""

from __future__ import annotations

from typing import Any

from ..domain import _json as json_input
from ..importing.records import import_json
from .plane import ControlEndpoint
from .wire import ControlCall, ControlError

__all__ = ["IMPORT_ENDPOINTS", "import_view"]


def import_view(call: ControlCall) -> dict[str, Any]:
    """Import JSON saved from real Pyrus (a form, catalog, task, webhook body, or an array)."""
    raw = call.request.get_data(cache=True)
    try:
        data = json_input.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ControlError(
            400,
            "invalid_json",
            f"the body is not valid JSON ({exc}); send what "
            "GET /forms/{id}, /catalogs/{id} or /tasks/{id} answered, or a "
            "webhook body",
        ) from None
    return import_json(call.mock, data).as_json()


#: The import route, added to the control routes.
IMPORT_ENDPOINTS: tuple[ControlEndpoint, ...] = (
    ControlEndpoint(
        ("POST",),
        "/import",
        import_view,
        "JSON from real Pyrus (GET /forms|/catalogs|/tasks/{id}, a webhook body, or "
        "an array) -> the ids created, ids kept where free",
    ),
)
