"""Bots written for the tests: small WSGI apps that behave like real Pyrus bots, well or badly."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

Reply = dict[str, Any] | bytes | None | Callable[[dict[str, Any]], Any]


def pyrus_signature_ok(key: str, body: bytes, header: str, *, mode: str = "upper") -> bool:
    """Verify ``X-Pyrus-Sig`` the ways Pyrus's samples do.

    ``upper``: the C#/PHP/Ruby samples (upper-case hex, exact comparison);
    ``lower``: the Python sample (lower-case both sides).
    """
    digest = hmac.new(key.encode(), body, hashlib.sha1).hexdigest()
    if mode == "upper":
        return hmac.compare_digest(digest.upper(), header)
    return hmac.compare_digest(digest.lower(), header.lower())


class RecordingBot:
    """A WSGI bot: checks the signature (unless ``verify=None``), records, replies.

    Args:
        key: the security key, or a callable returning the key the bot currently knows.
        reply: a dict (sent as JSON), bytes (sent raw), None (empty 200), or a callable
            taking the parsed payload and returning one of those.
        verify: ``upper``, ``lower`` or None (a bot that skips verification).
        status: the status of successful replies.
    """

    def __init__(
        self,
        key: str | Callable[[], str] = "",
        reply: Reply = None,
        *,
        verify: str | None = "upper",
        status: int = 200,
    ) -> None:
        self._key = key
        self.reply = reply
        self.verify = verify
        self.status = status
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.refused = 0
        self.lock = threading.Lock()

    @property
    def key(self) -> str:
        return self._key() if callable(self._key) else self._key

    @key.setter
    def key(self, value: str) -> None:
        self._key = value

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {
            k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        headers["Content-Type"] = environ.get("CONTENT_TYPE", "")
        sig = environ.get("HTTP_X_PYRUS_SIG", "")
        if self.verify is not None and not pyrus_signature_ok(
            self.key, body, sig, mode=self.verify
        ):
            with self.lock:
                self.refused += 1
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"bad signature"]
        with self.lock:
            self.calls.append((headers, body))
        reply = self.reply
        if callable(reply):
            reply = reply(json.loads(body))
        if reply is None:
            data = b""
        elif isinstance(reply, bytes):
            data = reply
        else:
            data = json.dumps(reply).encode()
        start_response(
            f"{self.status} OK",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]
