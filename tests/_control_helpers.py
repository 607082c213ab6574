"""Driving the control plane (``/_mock/``) in-process with the admin token."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import Client

#: The admin token the control-plane tests mount :func:`pyrus_mock.control.with_control` with.
TOKEN = "admin-" + "t" * 40


def call(
    client: Client,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """One control call with the admin token; returns the status and the parsed JSON."""
    sent = {"Authorization": f"Bearer {TOKEN}"} if headers is None else headers
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    response = client.open(
        path, method=method, data=data, headers=sent, content_type="application/json"
    )
    if response.mimetype == "application/json":
        payload = response.get_json()
        if response.status_code >= 400:
            assert set(payload) >= {"error_code", "error"}, payload
            assert payload["error"]
        return response.status_code, payload
    return response.status_code, response.get_data(as_text=True)
