"""An example Pyrus bot: the whole job of a bot in one small WSGI app.

``pyrus-mock demo`` runs this bot against the fake; read it as documentation of what a bot
does when Pyrus calls it:

1. **Verify the call.** Pyrus signs the exact body bytes with the bot's security key:
   ``X-Pyrus-Sig`` is the hex HMAC-SHA1 (upper case). A call that does not verify is refused
   with 403, and Pyrus retries it 61 s and 122 s later.
2. **Read the task back through the API** with the ``access_token`` the call carries
   (``GET {api}/tasks/{id}``, ``Authorization: Bearer <token>``); no login is needed.
3. **Decide and reply** with a CreateComment body, the same JSON as
   ``POST /tasks/{id}/comments``: fill a field and approve (or reject) the step. Pyrus applies
   the reply as the bot's comment.

It uses only the standard library (``urllib.request``), so it runs wherever Python does::

    bot = ExampleBot(security_key, api_url="https://api.pyrus.com/v4/")
    # serve `bot` with any WSGI server over HTTPS, e.g. PyrusMock().serve_bot(bot)

The bot expects a form with a money field coded ``u_amount`` and a text field coded
``u_bot_note`` (both codes are arguments).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["ExampleBot"]

StartResponse = Callable[..., Any]


class ExampleBot:
    """An expense-check bot: approves amounts up to a limit and notes why, in a field.

    A WSGI application (``bot(environ, start_response)``), safe to call from several threads.

    Args:
        security_key: the bot's security key, as Pyrus shows it on the bot's page. Change it
            later through :attr:`security_key` (after a key reset).
        api_url: the API base the bot calls back, with a trailing slash; Pyrus's is
            ``https://api.pyrus.com/v4/``, the fake's is ``PyrusMock.api_url``.
        ssl_context: whom to trust for API calls, e.g. ``PyrusMock.ssl_context`` (the fake's
            CA); the system store when omitted. Verification is never switched off.
        limit: the largest amount the bot approves; larger ones it rejects.
        amount_code: the code of the money field the bot reads.
        note_code: the code of the text field the bot fills.
        timeout: seconds an API call may take.
    """

    def __init__(
        self,
        security_key: str = "",
        *,
        api_url: str = "https://api.pyrus.com/v4/",
        ssl_context: ssl.SSLContext | None = None,
        limit: float = 1000.0,
        amount_code: str = "u_amount",
        note_code: str = "u_bot_note",
        timeout: float = 10.0,
    ) -> None:
        self._security_key = security_key
        self._lock = threading.Lock()
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.ssl_context = ssl_context
        self.limit = limit
        self.amount_code = amount_code
        self.note_code = note_code
        self.timeout = timeout

    @property
    def security_key(self) -> str:
        """The key the bot verifies calls with; assign the new one after a key reset."""
        with self._lock:
            return self._security_key

    @security_key.setter
    def security_key(self, value: str) -> None:
        """Replace the key; calls being handled finish with the key they started with."""
        with self._lock:
            self._security_key = value

    # -- the WSGI entry point ----------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Handle one call from Pyrus."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body: bytes = environ["wsgi.input"].read(length)

        # 1. Verify: an unsigned or wrongly signed call is not from Pyrus (or our key is old).
        if not self.signature_ok(body, environ.get("HTTP_X_PYRUS_SIG", "")):
            return _reply(start_response, "403 Forbidden", {"error": "bad X-Pyrus-Sig"})

        call = json.loads(body)
        try:
            # 2. Read the task as it is now, with the token that came with the call.
            task = self.read_task(call["task_id"], call["access_token"])
        except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
            # A non-2xx answer makes Pyrus try again in 61 s: the right thing for a glitch.
            return _reply(start_response, "503 Service Unavailable", {"error": str(exc)})

        # 3. Decide, and answer with a CreateComment body.
        return _reply(start_response, "200 OK", self.decide(task))

    # -- the three steps -----------------------------------------------------------------------

    def signature_ok(self, body: bytes, signature: str) -> bool:
        """Whether ``signature`` is the HMAC-SHA1 of ``body`` under the security key.

        Pyrus sends upper-case hex; comparing case-insensitively also accepts lower case.
        ``hmac.compare_digest`` takes the same time however many characters match.
        """
        key = self.security_key
        if not key or not signature:
            return False
        expected = hmac.new(key.encode("utf-8"), body, hashlib.sha1).hexdigest()
        return hmac.compare_digest(expected.upper(), signature.strip().upper())

    def read_task(self, task_id: int, access_token: str) -> dict[str, Any]:
        """``GET {api}/tasks/{task_id}`` with the call's token; returns the task object."""
        request = urllib.request.Request(
            f"{self.api_url}tasks/{int(task_id)}",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        with urllib.request.urlopen(
            request, timeout=self.timeout, context=self.ssl_context
        ) as response:
            task: dict[str, Any] = json.load(response)["task"]
        return task

    def decide(self, task: dict[str, Any]) -> dict[str, Any]:
        """The CreateComment reply for ``task``: a note in a field, and the approval."""
        amount = field_value(task, self.amount_code)
        if not isinstance(amount, (int, float)) or isinstance(amount, bool):
            note = f"No amount in field {self.amount_code}; left for a person to check."
            return self._comment(task, note, note)
        within = amount <= self.limit
        note = (
            f"Amount {amount:.2f} is {'within' if within else 'over'} the limit of "
            f"{self.limit:.2f}."
        )
        reply = self._comment(task, ("Approved: " if within else "Rejected: ") + note, note)
        reply["approval_choice"] = "approved" if within else "rejected"
        return reply

    def _comment(self, task: dict[str, Any], text: str, note: str) -> dict[str, Any]:
        """A comment with ``text``, writing ``note`` to the note field if the form has one.

        Writing a field the form does not have would make Pyrus refuse the whole comment.
        """
        reply: dict[str, Any] = {"text": text}
        if any(f.get("code") == self.note_code for f in task.get("fields", [])):
            reply["field_updates"] = [{"code": self.note_code, "value": note}]
        return reply


def field_value(task: dict[str, Any], code: str) -> Any:
    """The value of the task field coded ``code`` (None when absent or empty)."""
    for field in task.get("fields", []):
        if field.get("code") == code:
            return field.get("value")
    return None


def _reply(start_response: StartResponse, status: str, data: dict[str, Any]) -> list[bytes]:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    start_response(
        status,
        [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
