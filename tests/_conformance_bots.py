"""Bots for the conformance tests: one correct, and the two classic mistakes."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterable
from typing import Any

import requests


def _read(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length)
    return body


def _answer(start_response: Any, status: str, data: bytes = b"") -> Iterable[bytes]:
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


class CorrectBot:
    """Verifies ``X-Pyrus-Sig`` over the raw bytes, follows key resets, approves by reply."""

    def __init__(self, key: str = "") -> None:
        self.key = key
        self.accepted: list[dict[str, Any]] = []

    def set_key(self, key: str) -> None:
        """The ``on_key_reset`` hook: learn the new key."""
        self.key = key

    def verified(self, body: bytes, signature: str) -> bool:
        expected = hmac.new(self.key.encode(), body, hashlib.sha1).hexdigest()
        return bool(signature) and hmac.compare_digest(expected, signature.lower())

    def handle(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"text": "checked", "approval_choice": "approved"}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = _read(environ)
        if not self.verified(body, environ.get("HTTP_X_PYRUS_SIG", "")):
            return _answer(start_response, "403 Forbidden", b'{"error": "bad signature"}')
        payload = json.loads(body)
        self.accepted.append(payload)
        return _answer(start_response, "200 OK", json.dumps(self.handle(payload)).encode())


class NoVerifyBot(CorrectBot):
    """Skips signature verification: accepts anything."""

    def verified(self, body: bytes, signature: str) -> bool:
        return True


class StaleKeyBot(CorrectBot):
    """Reads its key once at startup and never learns a new one (the hook is ignored)."""

    def set_key(self, key: str) -> None:
        pass


class ApiCommentBot(CorrectBot):
    """Comments through the API with the call's token, then replies empty.

    With ``idempotent`` it remembers the tokens it has handled and does not act twice.
    """

    def __init__(self, key: str, api_url: str, ca_path: str, *, idempotent: bool) -> None:
        super().__init__(key)
        self.api_url = api_url
        self.ca_path = ca_path
        self.idempotent = idempotent
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = _read(environ)
        if not self.verified(body, environ.get("HTTP_X_PYRUS_SIG", "")):
            return _answer(start_response, "403 Forbidden")
        payload = json.loads(body)
        token = payload["access_token"]
        with self.lock:
            repeat = token in self.seen
            self.seen.add(token)
        if not (repeat and self.idempotent):
            reply = requests.post(
                f"{self.api_url}tasks/{payload['task_id']}/comments",
                json={"text": "seen through the API"},
                headers={"Authorization": f"Bearer {token}"},
                verify=self.ca_path,
                timeout=10,
            )
            reply.raise_for_status()
        return _answer(start_response, "200 OK")
