"""Request parsing and response shaping for the control plane (:mod:`pyrus_mock.control`).

:class:`ControlCall` reads a control request's JSON body and query; the ``*_member`` readers
check one member of that body and raise :class:`ControlError` (400 ``invalid_argument``, naming
the member) when it has the wrong type. The ``*_json`` functions turn bots, deliveries and the
clock into the JSON objects control replies carry, and :func:`json_response` renders a reply.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from ..domain import _json as json_input
from ..domain.clock import VirtualClock
from ..domain.envelope import CONTENT_TYPE, error_body, error_payload
from ..state import serialize, serialize_directory

if TYPE_CHECKING:
    from ..delivery.dispatch import Attempt, Delivery
    from ..domain.model import Task
    from ..domain.settings import Settings
    from ..domain.violations import Violation
    from ..mock.bots import Bot
    from ..mock.fake import PyrusMock

__all__ = [
    "CONTROL_PREFIX",
    "ControlCall",
    "ControlError",
    "attempt_json",
    "bad_argument",
    "bool_member",
    "bot_json",
    "clock_json",
    "delivery_json",
    "epoch_timestamp",
    "error_response",
    "int_member",
    "json_response",
    "list_member",
    "number_member",
    "only_members",
    "str_member",
    "task_json",
    "violation_json",
]

#: Every control route starts with this.
CONTROL_PREFIX = "/_mock"

#: Reply bodies longer than this are cut in delivery transcripts (the bytes stay in Python).
_REPLY_TEXT_LIMIT = 64 * 1024


class ControlError(Exception):
    """A control call that cannot be served; rendered as ``{"error_code", "error", "field"?}``.

    Args:
        status: the HTTP status.
        error_code: a stable code, e.g. ``invalid_argument``.
        error: what went wrong and what to do.
        field: the body member at fault, if any.
        extra: more members of the JSON body.
    """

    def __init__(
        self,
        status: int,
        error_code: str,
        error: str,
        *,
        field: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error_code = error_code
        self.error = error
        self.field = field
        self.extra = dict(extra or {})

    def members(self) -> dict[str, Any]:
        """The envelope's members besides ``error_code`` and ``error``."""
        data: dict[str, Any] = {} if self.field is None else {"field": self.field}
        data.update(self.extra)
        return data

    def payload(self) -> dict[str, Any]:
        """The JSON body."""
        return error_payload(self.error_code, self.error, self.members())


def bad_argument(field: str, problem: str) -> ControlError:
    """A 400 ``invalid_argument`` naming the body member (or query parameter) at fault."""
    return ControlError(400, "invalid_argument", f"{field}: {problem}", field=field)


@dataclass(slots=True)
class ControlCall:
    """One control request as the views see it.

    Attributes:
        mock: the fake being controlled.
        request: the werkzeug request.
        startup_settings: the settings the fake started with (``POST /_mock/reset`` restores
            them, so one test's ``PATCH /_mock/settings`` cannot leak into the next).
    """

    mock: PyrusMock
    request: Request
    startup_settings: Settings

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; an empty body counts as ``{}``."""
        raw = self.request.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            data = json_input.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ControlError(
                400, "invalid_json", f"the body is not valid JSON ({exc}); send a JSON object"
            ) from None
        if not isinstance(data, dict):
            raise ControlError(
                400, "invalid_json", f"the body is a JSON {type(data).__name__}; send an object"
            )
        return data

    def query_int(self, name: str) -> int | None:
        """An integer query parameter, or None when absent."""
        value = self.request.args.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise bad_argument(name, f"{value!r} is not an integer") from None


# -- JSON shapes ---------------------------------------------------------------------------------


def _ts(moment: datetime | None) -> str | None:
    return serialize_directory.timestamp(moment) if moment is not None else None


def epoch_timestamp(seconds: float | None) -> str | None:
    """Epoch seconds as a Pyrus timestamp; None stays None."""
    if seconds is None:
        return None
    return serialize_directory.timestamp(datetime.fromtimestamp(seconds, tz=timezone.utc))


def bot_json(bot: Bot) -> dict[str, Any]:
    """A bot with its credentials (the control plane is the one place keys are shown)."""
    return {
        "id": bot.id,
        "name": bot.name,
        "login": bot.login,
        "security_key": bot.security_key,
        "client_id": bot.client_id,
        "url": bot.url,
        "settings": bot.settings,
        "rights": bot.rights,
        "locale": bot.locale,
        "time_zone_offset": bot.time_zone_offset,
        "send_only_last_comment": bot.send_only_last_comment,
        "enabled": bot.enabled,
        "blocked": bot.blocked,
        "deleted": bot.deleted,
    }


def _text(data: bytes) -> str:
    text = data[:_REPLY_TEXT_LIMIT].decode("utf-8", "replace")
    if len(data) > _REPLY_TEXT_LIMIT:
        text += f"... ({len(data) - _REPLY_TEXT_LIMIT} more bytes)"
    return text


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    """One HTTP call of a bot: what was sent and what came back."""
    return {
        "number": attempt.number,
        "sent_at": _ts(attempt.sent_at),
        "url": attempt.url,
        "request_headers": dict(attempt.request_headers),
        "body_bytes": len(attempt.body),
        "status": attempt.status,
        "ok": attempt.ok,
        "reply_headers": [list(pair) for pair in attempt.reply_headers],
        "reply_body": _text(attempt.reply_body),
        "elapsed_ms": round(attempt.elapsed * 1000, 1),
        "error_kind": attempt.error_kind,
        "error": attempt.error,
    }


def violation_json(v: Violation) -> dict[str, str]:
    """One problem found in a bot's reply (or a rejected comment)."""
    return {"path": v.path, "error_code": v.error_code, "message": v.message,
            "severity": v.severity}  # fmt: skip


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    """A delivery's transcript: payload, every attempt, the reply and its violations."""
    payload: Any = None
    if delivery.body:
        try:
            payload = delivery.payload
        except ValueError:  # pragma: no cover - the fake always sends JSON
            payload = _text(delivery.body)
    return {
        "id": delivery.id,
        "task_id": delivery.task_id,
        "bot_id": delivery.bot_id,
        "event": delivery.event,
        "trigger": delivery.trigger,
        "state": delivery.state,
        "ok": delivery.ok,
        "created_at": _ts(delivery.created_at),
        "next_attempt_at": epoch_timestamp(delivery.next_attempt_at),
        "skipped_reason": delivery.skipped_reason or None,
        "attempts": [attempt_json(a) for a in delivery.attempts],
        "reply": delivery.reply,
        "violations": [violation_json(v) for v in delivery.violations],
        "comment_id": delivery.comment.id if delivery.comment is not None else None,
        "payload": payload,
    }


def clock_json(mock: PyrusMock) -> dict[str, Any]:
    """The fake's clock: kind, time, and the retries waiting on it."""
    clock = mock.clock
    return {
        "kind": "virtual" if isinstance(clock, VirtualClock) else "real",
        "now": serialize_directory.timestamp(clock.now()),
        "pending": [{"at": epoch_timestamp(s.when), "label": s.label} for s in clock.pending()],
    }


def json_response(data: Mapping[str, Any], status: int, *, unauthorized: bool = False) -> Response:
    """A control reply: ``data`` as JSON, never cached; 401s say how to authenticate."""
    response = Response(
        json.dumps(data, ensure_ascii=False, indent=None),
        status,
        content_type="application/json; charset=utf-8",
    )
    if unauthorized:
        response.headers["WWW-Authenticate"] = 'Bearer realm="pyrus-mock control"'
    response.headers["Cache-Control"] = "no-store"
    return response


def task_json(call: ControlCall, task: Task) -> dict[str, Any]:
    """``task`` as ``GET /tasks/{id}`` shows it, for this request's host (under the lock)."""
    backend = call.mock._backend
    return serialize.task(
        backend,
        task,
        files_url=call.request.host_url,
        creation_date_format=backend.settings.creation_date_format,
        now=backend.clock.time(),
    )


def error_response(
    status: int,
    error_code: str,
    error: str,
    extra: Mapping[str, Any] | None = None,
    *,
    unauthorized: bool = False,
) -> Response:
    """A control error reply: the Pyrus envelope (:func:`pyrus_mock.domain.envelope.error_body`)."""
    response = Response(error_body(error_code, error, extra), status, content_type=CONTENT_TYPE)
    if unauthorized:
        response.headers["WWW-Authenticate"] = 'Bearer realm="pyrus-mock control"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- reading the body ----------------------------------------------------------------------------


def str_member(data: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    """``data[name]`` as a string; None when absent (an error when ``required``)."""
    value = data.get(name)
    if value is None:
        if required:
            raise bad_argument(name, "is required (a string)")
        return None
    if not isinstance(value, str):
        raise bad_argument(name, f"must be a string, got {type(value).__name__}")
    return value


def int_member(data: Mapping[str, Any], name: str, *, required: bool = False) -> int | None:
    """``data[name]`` as an integer (not a bool); None when absent (an error when ``required``)."""
    value = data.get(name)
    if value is None:
        if required:
            raise bad_argument(name, "is required (an integer)")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_argument(name, f"must be an integer, got {type(value).__name__}")
    return value


def number_member(data: Mapping[str, Any], name: str) -> float:
    """``data[name]``, a required number of seconds."""
    value = data.get(name)
    if value is None:
        raise bad_argument(name, "is required (a number of seconds)")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_argument(name, f"must be a number, got {type(value).__name__}")
    return float(value)


def bool_member(data: Mapping[str, Any], name: str) -> bool | None:
    """``data[name]`` as true or false; None when absent."""
    value = data.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise bad_argument(name, f"must be true or false, got {type(value).__name__}")


def list_member(data: Mapping[str, Any], name: str) -> list[Any] | None:
    """``data[name]`` as an array; None when absent."""
    value = data.get(name)
    if value is None or isinstance(value, list):
        return value
    raise bad_argument(name, f"must be an array, got {type(value).__name__}")


def only_members(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Reject the first member of ``data`` that is not in ``allowed``."""
    allowed = tuple(allowed)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise bad_argument(unknown[0], f"is not a known member; allowed: {', '.join(allowed)}")
