"""The recording format: one JSON file per call a bot received, secrets redacted.

A recording (``0001-task-5600.json``) holds the request (method, path, headers, the JSON body
or its text) and the reply (status, headers, body, elapsed milliseconds, or the error when no
reply came). ``X-Pyrus-Sig``, ``Authorization`` and cookies are replaced by :data:`REDACTED`,
and so are the values of JSON members named like secrets (``access_token``, ``security_key``,
``token``, ``password``) anywhere in a body: a recording can be shared and committed.
:mod:`pyrus_mock.importing.replay` re-signs the bodies with a key given at replay time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..domain.masking import SECRET_KEYS
from .records import ImportRefused

__all__ = [
    "FORMAT",
    "REDACTED",
    "SECRET_HEADERS",
    "body_member",
    "load_recordings",
    "parse_body",
    "recording_name",
    "redact",
    "redact_headers",
]

#: The ``format`` member of every recording.
FORMAT = "pyrus-mock-recording/1"
#: What a secret is replaced by.
REDACTED = "<redacted>"
#: Request and reply headers that never reach a recording.
SECRET_HEADERS = frozenset(
    {"x-pyrus-sig", "authorization", "cookie", "set-cookie", "proxy-authorization"}
)
#: Headers about one hop of the connection, not the call: neither recorded nor replayed.
HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "host",
        "te",
        "upgrade",
        "proxy-connection",
        "accept-encoding",
    }
)


def redact(value: Any) -> Any:
    """``value`` with every secret-named member's value replaced by :data:`REDACTED`."""
    if isinstance(value, dict):
        return {
            k: REDACTED if str(k).lower() in SECRET_KEYS and v not in (None, "") else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict, secrets redacted and hop-by-hop headers left out."""
    out: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower in HOP_HEADERS:
            continue
        out[name] = REDACTED if lower in SECRET_HEADERS else value
    return out


def parse_body(data: bytes) -> dict[str, Any]:
    """``{"json": value}`` when ``data`` is JSON, else ``{"text": ...}`` (empty: ``{}``)."""
    if not data.strip():
        return {}
    try:
        return {"json": redact(json.loads(data))}
    except ValueError:
        return {"text": data.decode("utf-8", "replace")}


def body_member(part: Mapping[str, Any]) -> Any:
    """The body of a recorded request or reply: its JSON value, its text, or None."""
    if "json" in part:
        return part["json"]
    return part.get("text")


def recording_name(number: int, body: Any) -> str:
    """``0001-task-5600.json`` (the task id when the body names one)."""
    task_id = body.get("task_id") if isinstance(body, dict) else None
    suffix = f"-task-{task_id}" if isinstance(task_id, int) else ""
    return f"{number:04d}{suffix}.json"


def load_recordings(directory: str | os.PathLike[str]) -> list[tuple[str, dict[str, Any]]]:
    """Every recording of ``directory`` by file name, checked.

    Raises:
        ImportRefused: not a directory, no recordings, or a file that is not one.
    """
    root = Path(directory)
    if not root.is_dir():
        raise ImportRefused(
            str(root),
            "is not a directory of recordings",
            "record one with `pyrus-mock record --to URL --listen PORT`",
        )
    found = []
    for path in sorted(root.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ImportRefused(path.name, f"cannot be read as JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ImportRefused(path.name, f'is not a recording (no "format": "{FORMAT}")')
        if not isinstance(data.get("request"), dict) or not isinstance(data.get("reply"), dict):
            raise ImportRefused(path.name, "has no request or reply object")
        found.append((path.name, data))
    if not found:
        raise ImportRefused(str(root), "holds no recordings (*.json)")
    return found
