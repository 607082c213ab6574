"""The control plane of the standalone fake: JSON endpoints under ``/_mock/`` (not Pyrus API).

``pyrus-mock serve`` answers these next to the API v4 so that tests written in any language
can do what Python tests do with :class:`~pyrus_mock.PyrusMock`: create users, forms, bots
and tasks, deliver tasks to bots, reset keys, block and delete bots, move the virtual clock,
read the deliveries, issue certificates for bots, and reset everything.

Every call needs the admin token the server printed (also in ``STATE_DIR/admin-token``), as
``Authorization: Bearer <token>`` or ``X-Pyrus-Mock-Admin: <token>``; without it the answer is
401. Errors are JSON in the API's envelope, ``{"error_code", "error"}``, plus ``field`` when
one member of the body is at fault:

* 400 ``invalid_json`` (the body is not a JSON object), ``invalid_argument`` (a member has a
  value the fake cannot use; ``field`` names it), ``comment_rejected`` (with ``violations``);
* 401 ``admin_token_required`` / ``invalid_admin_token``;
* 404 ``not_found``: no bot, task, form or delivery with that id, or no such control route;
* 405 ``method_not_allowed``; 413 ``http_413`` (a body over ``max_request_bytes``);
* 409 ``clock_not_virtual`` (advancing the real clock), ``bot_limit_reached``;
* 500 ``server_error``: a bug; the exception is kept in :attr:`ControlPlane.errors`.

``GET /_mock/`` lists every route with a one-line description.

The routes are declared once, in :data:`CONTROL_ENDPOINTS`; the API app adds them to its one
route table (:func:`pyrus_mock.api.routes.build_map`) only when it is created with a control
plane, so an ordinary fake answers ``/_mock/...`` like any unknown route.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import MapAdapter, Rule
from werkzeug.wrappers import Request, Response

from .. import _json as json_input
from .. import serialize
from ..clock import VirtualClock
from ..errors import BotLimitReached, CommentRejected, InvalidArgument, UnknownEntity
from .errors import ApiError

if TYPE_CHECKING:
    from ..bots import Bot
    from ..delivery import Attempt, Delivery
    from ..engine.violations import Violation
    from ..mock import PyrusMock

__all__ = [
    "CONTROL_ENDPOINTS",
    "CONTROL_PREFIX",
    "ControlCall",
    "ControlEndpoint",
    "ControlError",
    "ControlPlane",
    "ControlRule",
    "attempt_json",
    "bot_json",
    "control_rules",
    "delivery_json",
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

    def payload(self) -> dict[str, Any]:
        """The JSON body."""
        data: dict[str, Any] = {"error_code": self.error_code, "error": self.error}
        if self.field is not None:
            data["field"] = self.field
        data.update(self.extra)
        return data


def _bad(field: str, problem: str) -> ControlError:
    return ControlError(400, "invalid_argument", f"{field}: {problem}", field=field)


@dataclass(slots=True)
class ControlCall:
    """One control request as the views see it.

    Attributes:
        mock: the fake being controlled.
        request: the werkzeug request.
    """

    mock: PyrusMock
    request: Request

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
            raise _bad(name, f"{value!r} is not an integer") from None


#: A control view: ``view(call, **url_arguments)`` answers a JSON object, or a ``Response``.
ControlView = Callable[..., "dict[str, Any] | Response"]


@dataclass(frozen=True, slots=True)
class ControlEndpoint:
    """One control route: methods, path below :data:`CONTROL_PREFIX`, view, one-line doc."""

    methods: tuple[str, ...]
    path: str
    view: ControlView
    doc: str

    @property
    def label(self) -> str:
        """``POST /_mock/bots``."""
        return f"{'|'.join(self.methods)} {CONTROL_PREFIX}{self.path}"


class ControlRule(Rule):
    """A werkzeug rule for a control route; ``rule.control`` is its :class:`ControlEndpoint`."""

    def __init__(self, string: str, *, control: ControlEndpoint) -> None:
        super().__init__(string, methods=list(control.methods), endpoint=control.view)
        self.control = control

    def get_empty_kwargs(self) -> dict[str, Any]:
        """Keep ``control`` when werkzeug copies the rule."""
        return {**super().get_empty_kwargs(), "control": self.control}


# -- JSON shapes ---------------------------------------------------------------------------------


def _ts(moment: datetime | None) -> str | None:
    return serialize.timestamp(moment) if moment is not None else None


def _epoch_ts(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return serialize.timestamp(datetime.fromtimestamp(seconds, tz=timezone.utc))


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


def _violation_json(v: Violation) -> dict[str, str]:
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
        "next_attempt_at": _epoch_ts(delivery.next_attempt_at),
        "skipped_reason": delivery.skipped_reason or None,
        "attempts": [attempt_json(a) for a in delivery.attempts],
        "reply": delivery.reply,
        "violations": [_violation_json(v) for v in delivery.violations],
        "comment_id": delivery.comment.id if delivery.comment is not None else None,
        "payload": payload,
    }


# -- argument helpers ----------------------------------------------------------------------------


def _str(data: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise _bad(name, "is required (a string)")
        return None
    if not isinstance(value, str):
        raise _bad(name, f"must be a string, got {type(value).__name__}")
    return value


def _int(data: Mapping[str, Any], name: str, *, required: bool = False) -> int | None:
    value = data.get(name)
    if value is None:
        if required:
            raise _bad(name, "is required (an integer)")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(name, f"must be an integer, got {type(value).__name__}")
    return value


def _number(data: Mapping[str, Any], name: str) -> float:
    value = data.get(name)
    if value is None:
        raise _bad(name, "is required (a number of seconds)")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(name, f"must be a number, got {type(value).__name__}")
    return float(value)


def _bool(data: Mapping[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise _bad(name, f"must be true or false, got {type(value).__name__}")


def _list(data: Mapping[str, Any], name: str) -> list[Any] | None:
    value = data.get(name)
    if value is None or isinstance(value, list):
        return value
    raise _bad(name, f"must be an array, got {type(value).__name__}")


def _only(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise _bad(unknown[0], f"is not a known member; allowed: {', '.join(allowed)}")


def _bot(call: ControlCall, bot_id: int) -> Bot:
    backend = call.mock.backend
    if backend.find_bot(bot_id) is None:
        raise ControlError(404, "not_found", f"no bot with id {bot_id}; list them with "
                           f"GET {CONTROL_PREFIX}/bots")  # fmt: skip
    return call.mock.bot(bot_id)


def _task_id(call: ControlCall, task_id: int, field: str | None = None) -> int:
    if not call.mock.backend.task_exists(task_id):
        raise ControlError(404, "not_found", f"no task with id {task_id}; create one with "
                           f"POST {CONTROL_PREFIX}/tasks", field=field)  # fmt: skip
    return task_id


def _task_reply(call: ControlCall, task_id: int) -> dict[str, Any]:
    mock = call.mock
    backend = mock.backend
    with backend.lock:
        task = backend.task(task_id)
        return serialize.task(
            backend,
            task,
            files_url=call.request.host_url,
            creation_date_format=backend.settings.creation_date_format,
            now=backend.clock.time(),
        )


# -- views ---------------------------------------------------------------------------------------


def index(call: ControlCall) -> dict[str, Any]:
    """This list of control endpoints, the API URLs and the clock."""
    base = call.request.host_url.rstrip("/")
    return {
        "api_url": base + "/v4/",
        "auth_url": base + "/api/v4/auth",
        "files_url": base + "/",
        "clock": _clock_json(call),
        "endpoints": [{"route": ep.label, "doc": ep.doc} for ep in CONTROL_ENDPOINTS],
    }


def create_user(call: ControlCall) -> dict[str, Any]:
    """Create a user; answers its id, e-mail (the ``/auth`` login) and security key."""
    data = call.json()
    _only(data, ("first_name", "last_name", "email", "security_key", "rights", "position"))
    rights = data.get("rights", 0)
    if not isinstance(rights, (int, list)) or isinstance(rights, bool):
        raise _bad("rights", "must be an integer mask or a list of names")
    user = call.mock.add_user(
        _str(data, "first_name") or "Test",
        _str(data, "last_name") or "User",
        email=_str(data, "email"),
        rights=rights,
        security_key=_str(data, "security_key"),
        position=_str(data, "position") or "",
    )
    return {
        **serialize.person(user),
        "login": user.email,
        "security_key": call.mock.backend.user_key(user.id),
        "rights": user.rights,
    }


def create_form(call: ControlCall) -> dict[str, Any]:
    """Create a form: ``{name, fields: [...], steps: [name | {name, approvers}]}``."""
    data = call.json()
    _only(data, ("name", "fields", "steps"))
    form = call.mock.add_form(
        _str(data, "name", required=True) or "",
        _list(data, "fields") or [],
        _list(data, "steps") or [],
    )
    reply = serialize.form(form)
    reply["approvers"] = {str(s.number): s.approver_ids for s in form.steps}
    return reply


def create_catalog(call: ControlCall) -> dict[str, Any]:
    """Create a catalog: ``{name, headers: [...], rows: [[...], ...]}``."""
    data = call.json()
    _only(data, ("name", "headers", "rows"))
    headers = _list(data, "headers")
    if not headers or not all(isinstance(h, str) for h in headers):
        raise _bad("headers", "must be a non-empty array of column names")
    rows = _list(data, "rows") or []
    for index, row in enumerate(rows):
        if not isinstance(row, list):
            raise _bad(f"rows[{index}]", "must be an array of values")
    catalog = call.mock.add_catalog(_str(data, "name", required=True) or "", headers, rows)
    return serialize.catalog(catalog)


_BOT_MEMBERS = (
    "name", "url", "settings", "security_key", "rights", "locale", "time_zone_offset",
    "send_only_last_comment", "description",
)  # fmt: skip


def create_bot(call: ControlCall) -> dict[str, Any]:
    """Create a bot: ``{name, url, settings?, security_key?, ...}``; answers its credentials."""
    data = call.json()
    _only(data, _BOT_MEMBERS)
    rights = data.get("rights", 0)
    if not isinstance(rights, (int, list)) or isinstance(rights, bool):
        raise _bad("rights", "must be an integer mask or a list of names")
    bot = call.mock.create_bot(
        _str(data, "name", required=True) or "",
        _str(data, "url") or "",
        settings=_str(data, "settings"),
        rights=rights,
        locale=_str(data, "locale") or "en-US",
        time_zone_offset=_int(data, "time_zone_offset") or 0,
        send_only_last_comment=bool(_bool(data, "send_only_last_comment")),
        security_key=_str(data, "security_key"),
        description=_str(data, "description") or "",
    )
    return bot_json(bot)


def list_bots(call: ControlCall) -> dict[str, Any]:
    """Every bot, with credentials and status."""
    mock = call.mock
    return {"bots": [bot_json(mock.bot(b.person_id)) for b in mock.backend.bots()]}


def get_bot(call: ControlCall, bot_id: int) -> dict[str, Any]:
    """One bot."""
    return bot_json(_bot(call, bot_id))


_UPDATABLE: dict[str, type] = {
    "name": str, "url": str, "settings": str, "rights": int, "locale": str,
    "time_zone_offset": int, "send_only_last_comment": bool, "enabled": bool, "description": str,
}  # fmt: skip
_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false"}


def update_bot(call: ControlCall, bot_id: int) -> dict[str, Any]:
    """Change a bot's ``url``, ``name``, ``settings``, ``enabled`` and other settings."""
    bot = _bot(call, bot_id)
    data = call.json()
    _only(data, _UPDATABLE)
    for name, value in data.items():
        expected = _UPDATABLE[name]
        if isinstance(value, bool) is not (expected is bool) or not isinstance(value, expected):
            raise _bad(name, f"must be {_TYPE_NAMES[expected]}, got {type(value).__name__}")
    bot.update(**data)
    return bot_json(bot)


def reset_key(call: ControlCall, bot_id: int) -> dict[str, Any]:
    """Reset the bot's security key (D7); answers the bot with the new key."""
    bot = _bot(call, bot_id)
    bot.reset_security_key()
    return bot_json(bot)


def disable_bot(call: ControlCall, bot_id: int) -> dict[str, Any]:
    """Disable: deliveries are skipped; auth still works (D8)."""
    return bot_json(_bot(call, bot_id).disable())


def enable_bot(call: ControlCall, bot_id: int) -> dict[str, Any]:
    """Enable a disabled bot."""
    return bot_json(_bot(call, bot_id).enable())


def block_bot(call: ControlCall, bot_id: int) -> dict[str, Any]:
    """Block: no deliveries; auth and tokens answer ``account_blocked`` (D8)."""
    return bot_json(_bot(call, bot_id).block())


def restore_bot(call: ControlCall, bot_id: int) -> dict[str, Any]:
    """Restore a blocked or deleted bot as it was."""
    return bot_json(_bot(call, bot_id).restore())


def delete_bot(call: ControlCall, bot_id: int) -> dict[str, Any]:
    """Delete: the bot's person is fired, its tokens revoked (D8)."""
    return bot_json(_bot(call, bot_id).delete())


def bot_token(call: ControlCall, bot_id: int) -> dict[str, Any]:
    """A fresh API access token for the bot, as ``/auth`` would give."""
    return {"access_token": _bot(call, bot_id).token()}


_TASK_MEMBERS = (
    "form_id", "fields", "approvals", "responsible", "text", "subject", "author",
    "participants", "subscribers", "due_date", "list_ids",
)  # fmt: skip


def create_task(call: ControlCall) -> dict[str, Any]:
    """Create a task; bots whose inbox it reaches are called at once (their deliveries too)."""
    data = call.json()
    _only(data, _TASK_MEMBERS)
    mock = call.mock
    form_id = _int(data, "form_id")
    if form_id is not None and mock.backend.find_form(form_id) is None:
        raise ControlError(404, "not_found", f"no form with id {form_id}; create one with "
                           f"POST {CONTROL_PREFIX}/forms", field="form_id")  # fmt: skip
    fields = data.get("fields")
    if fields is not None and not isinstance(fields, dict):
        raise _bad("fields", "must be an object {code, name or id: value}")
    list_ids = _list(data, "list_ids") or []
    approvals = _list(data, "approvals")
    if approvals is not None and not all(isinstance(step, list) for step in approvals):
        raise _bad("approvals", "must be an array of steps, each an array of person ids")
    before = len(mock.dispatcher.deliveries)
    task = mock.create_task(
        form=form_id,
        fields=fields,
        approvals=approvals,
        responsible=data.get("responsible"),
        text=_str(data, "text") or "",
        subject=_str(data, "subject") or "",
        author=data.get("author"),
        participants=_list(data, "participants") or (),
        subscribers=_list(data, "subscribers") or (),
        due_date=_str(data, "due_date"),
        list_ids=list_ids,
    )
    new = mock.dispatcher.deliveries[before:]
    return {"task": _task_reply(call, task.id), "deliveries": [delivery_json(d) for d in new]}


def get_task(call: ControlCall, task_id: int) -> dict[str, Any]:
    """The task with its comments, as the API shows it."""
    return {"task": _task_reply(call, _task_id(call, task_id))}


def comment_task(call: ControlCall, task_id: int) -> dict[str, Any]:
    """Comment as a person: ``{"author": id or e-mail, ...CreateComment}``; bots are called."""
    mock = call.mock
    backend = mock.backend
    _task_id(call, task_id)
    data = call.json()
    author_ref = data.pop("author", None)
    if author_ref is None:
        raise _bad("author", "is required: the id or e-mail of the person commenting")
    author = backend.person(backend.resolve_person(author_ref, "author"))
    before = len(mock.dispatcher.deliveries)
    comment = backend.comment(backend.task(task_id), data, author)
    new = mock.dispatcher.deliveries[before:]
    return {
        "comment_id": comment.id,
        "task": _task_reply(call, task_id),
        "deliveries": [delivery_json(d) for d in new],
    }


def deliver(call: ControlCall) -> dict[str, Any]:
    """Call a bot about a task now: ``{task_id, bot_id, event?}``; answers the delivery."""
    data = call.json()
    _only(data, ("task_id", "bot_id", "event"))
    task_id = _task_id(call, _int(data, "task_id", required=True) or 0, "task_id")
    bot_id = _int(data, "bot_id", required=True) or 0
    if call.mock.backend.find_bot(bot_id) is None:
        raise ControlError(404, "not_found", f"no bot with id {bot_id}", field="bot_id")
    event = _str(data, "event") or "comment"
    return delivery_json(call.mock.deliver(task_id, bot_id, event=event))


def list_deliveries(call: ControlCall) -> dict[str, Any]:
    """Every delivery with its transcript; filters ``?bot_id=``, ``?task_id=``, ``?state=``."""
    bot_id = call.query_int("bot_id")
    task_id = call.query_int("task_id")
    state = call.request.args.get("state")
    chosen = [
        d
        for d in call.mock.deliveries
        if (bot_id is None or d.bot_id == bot_id)
        and (task_id is None or d.task_id == task_id)
        and (state is None or d.state == state)
    ]
    return {"deliveries": [delivery_json(d) for d in chosen]}


def get_delivery(call: ControlCall, delivery_id: int) -> dict[str, Any]:
    """One delivery's transcript."""
    for delivery in call.mock.deliveries:
        if delivery.id == delivery_id:
            return delivery_json(delivery)
    raise ControlError(404, "not_found", f"no delivery with id {delivery_id}; list them with "
                       f"GET {CONTROL_PREFIX}/deliveries")  # fmt: skip


def transcript(call: ControlCall) -> dict[str, Any] | Response:
    """The readable transcript: text, or JSON (``?format=json``, ``Accept: application/json``).

    Secrets are cut to their last four characters, as in test reports.
    """
    from .. import transcript as transcripts

    wanted = call.request.args.get("format")
    if wanted not in (None, "text", "json"):
        raise _bad("format", f"{wanted!r} is not a format; use 'text' or 'json'")
    best = call.request.accept_mimetypes.best_match(["text/plain", "application/json"])
    if wanted == "json" or (wanted is None and best == "application/json"):
        return transcripts.transcript_json(call.mock)
    text = transcripts.transcript(call.mock)
    return Response(text, 200, content_type="text/plain; charset=utf-8")


def api_calls(call: ControlCall) -> dict[str, Any]:
    """Every API request the fake served: method, path, status, error code, caller."""
    return {
        "api_calls": [
            {"at": _epoch_ts(c.at), "method": c.method, "path": c.path, "status": c.status,
             "error_code": c.error_code, "person_id": c.person_id,
             "elapsed_ms": round(c.elapsed * 1000, 1)}
            for c in list(call.mock.backend.api_calls)
        ]
    }  # fmt: skip


def _clock_json(call: ControlCall) -> dict[str, Any]:
    clock = call.mock.clock
    return {
        "kind": "virtual" if isinstance(clock, VirtualClock) else "real",
        "now": serialize.timestamp(clock.now()),
        "pending": [{"at": _epoch_ts(s.when), "label": s.label} for s in clock.pending()],
    }


def get_clock(call: ControlCall) -> dict[str, Any]:
    """The clock: kind, time, and the retries waiting on it."""
    return _clock_json(call)


def advance_clock(call: ControlCall) -> dict[str, Any]:
    """Move the virtual clock ``{seconds}`` ahead, running the retries that fall due."""
    data = call.json()
    _only(data, ("seconds",))
    seconds = _number(data, "seconds")
    clock = call.mock.clock
    if not isinstance(clock, VirtualClock):
        raise ControlError(
            409, "clock_not_virtual",
            "this fake runs on the real clock (serve --clock real): retries happen in real "
            "time and the clock cannot be advanced; restart with --clock virtual to move time",
        )  # fmt: skip
    if seconds < 0:
        raise _bad("seconds", f"{seconds} is negative; the clock only moves forward")
    before = len(call.mock.deliveries)
    attempts_before = sum(len(d.attempts) for d in call.mock.deliveries)
    clock.advance(seconds)
    deliveries = call.mock.deliveries
    return {
        **_clock_json(call),
        "attempts_made": sum(len(d.attempts) for d in deliveries) - attempts_before,
        "new_deliveries": len(deliveries) - before,
    }


def issue_cert(call: ControlCall) -> dict[str, Any]:
    """A certificate from the fake's CA for a bot: ``{hosts: [...]}`` → PEMs."""
    data = call.json()
    _only(data, ("hosts",))
    hosts = _list(data, "hosts") or ["localhost", "127.0.0.1"]
    for index, host in enumerate(hosts):
        if not isinstance(host, str) or not host.strip():
            raise _bad(f"hosts[{index}]", "must be a non-empty host name or IP address")
    issued = call.mock.issue_cert(*hosts)
    return {
        "hosts": hosts,
        "cert_pem": issued.cert_pem.decode("ascii"),
        "key_pem": issued.key_pem.decode("ascii"),
        "ca_pem": call.mock.ca.ca_pem.decode("ascii"),
    }


def reset(call: ControlCall) -> dict[str, Any]:
    """Forget every user, form, bot, task and delivery; ``{seed?}`` reseeds the ids."""
    data = call.json()
    _only(data, ("seed",))
    seed = _int(data, "seed")
    mock = call.mock
    if seed is not None:
        mock.backend.ids.seed = seed
    mock.reset()
    return {"reset": True, "seed": mock.backend.ids.seed, "clock": _clock_json(call)}


#: Every control route, in the order ``GET /_mock/`` lists them.
CONTROL_ENDPOINTS: tuple[ControlEndpoint, ...] = (
    ControlEndpoint(("GET",), "/", index, "this list, the API URLs and the clock"),
    ControlEndpoint(("POST",), "/users", create_user,
                    "{first_name, last_name?, email?, security_key?, rights?} -> user + key"),
    ControlEndpoint(("POST",), "/forms", create_form,
                    "{name, fields: [...], steps: [name | {name, approvers: [id]}]} -> form"),
    ControlEndpoint(("POST",), "/catalogs", create_catalog,
                    "{name, headers: [...], rows: [[...]]} -> catalog"),
    ControlEndpoint(("GET",), "/bots", list_bots, "every bot with credentials and status"),
    ControlEndpoint(("POST",), "/bots", create_bot,
                    "{name, url, settings?, security_key?, ...} -> id, login, security_key, "
                    "client_id"),
    ControlEndpoint(("GET",), "/bots/<int:bot_id>", get_bot, "one bot"),
    ControlEndpoint(("PATCH",), "/bots/<int:bot_id>", update_bot,
                    "{url?, name?, settings?, enabled?, ...} -> bot"),
    ControlEndpoint(("DELETE",), "/bots/<int:bot_id>", delete_bot,
                    "delete (fire) the bot; tokens revoked"),
    ControlEndpoint(("POST",), "/bots/<int:bot_id>/reset-key", reset_key,
                    "new security key -> bot"),
    ControlEndpoint(("POST",), "/bots/<int:bot_id>/disable", disable_bot,
                    "no deliveries (skipped); auth works"),
    ControlEndpoint(("POST",), "/bots/<int:bot_id>/enable", enable_bot, "enable again"),
    ControlEndpoint(("POST",), "/bots/<int:bot_id>/block", block_bot,
                    "no deliveries; auth answers account_blocked"),
    ControlEndpoint(("POST",), "/bots/<int:bot_id>/restore", restore_bot,
                    "undo block or delete"),
    ControlEndpoint(("POST",), "/bots/<int:bot_id>/token", bot_token,
                    "a fresh API access token for the bot"),
    ControlEndpoint(("POST",), "/tasks", create_task,
                    "{form_id?, fields?, approvals?, responsible?, text?, author?, ...} -> "
                    "task + deliveries it caused"),
    ControlEndpoint(("GET",), "/tasks/<int:task_id>", get_task, "the task with comments"),
    ControlEndpoint(("POST",), "/tasks/<int:task_id>/comments", comment_task,
                    "{author, ...CreateComment} as a person -> comment_id, task, deliveries"),
    ControlEndpoint(("POST",), "/deliveries", deliver,
                    "{task_id, bot_id, event?}: call the bot now -> delivery"),
    ControlEndpoint(("GET",), "/deliveries", list_deliveries,
                    "deliveries with transcripts; ?bot_id= ?task_id= ?state="),
    ControlEndpoint(("GET",), "/deliveries/<int:delivery_id>", get_delivery, "one delivery"),
    ControlEndpoint(("GET",), "/transcript", transcript,
                    "readable transcript (text; ?format=json for JSON)"),
    ControlEndpoint(("GET",), "/api-calls", api_calls, "every API request served"),
    ControlEndpoint(("GET",), "/clock", get_clock, "clock kind, time, pending retries"),
    ControlEndpoint(("POST",), "/clock/advance", advance_clock,
                    "{seconds}: move the virtual clock, run due retries"),
    ControlEndpoint(("POST",), "/certs", issue_cert,
                    "{hosts: [...]} -> cert_pem, key_pem, ca_pem for serving a bot"),
    ControlEndpoint(("POST",), "/reset", reset, "{seed?}: forget all state"),
)  # fmt: skip


def control_rules(endpoints: Iterable[ControlEndpoint] = CONTROL_ENDPOINTS) -> list[ControlRule]:
    """werkzeug rules for the control routes, to add to the API's route table."""
    return [ControlRule(CONTROL_PREFIX + ep.path, control=ep) for ep in endpoints]


# -- the plane -----------------------------------------------------------------------------------


class ControlPlane:
    """Serves the control routes of one fake, behind an admin token.

    Views act on ``mock``; the plane only keeps the token and the exceptions views raised
    (:attr:`errors`). The API app hands it every request under ``/_mock`` (:meth:`dispatch`).

    Args:
        mock: the fake to control.
        admin_token: the secret every control request must carry; compared in constant time.
    """

    def __init__(self, mock: PyrusMock, admin_token: str) -> None:
        if not isinstance(admin_token, str) or len(admin_token) < 16:
            raise InvalidArgument(
                "admin_token", "must be a string of at least 16 characters",
                "secrets.token_urlsafe(32)",
            )  # fmt: skip
        self.mock = mock
        self._token = admin_token.encode("utf-8")
        self.errors: list[BaseException] = []

    @staticmethod
    def handles(path: str) -> bool:
        """Whether ``path`` belongs to the control plane (``/_mock`` and below)."""
        return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")

    def dispatch(self, adapter: MapAdapter, request: Request) -> Response:
        """Serve a control request: the admin token first, then the route, then the view.

        Args:
            adapter: the API app's bound route table, which holds the :class:`ControlRule` s.
            request: the request, whose path :meth:`handles`.

        Returns:
            The JSON (or text) response; never raises. A view's unexpected exception answers
            500 ``server_error`` and is kept in :attr:`errors`.
        """
        try:
            self._check_token(request)
        except ControlError as exc:  # before matching: no route is revealed without the token
            return _json(exc.payload(), exc.status, unauthorized=True)
        try:
            rule, args = adapter.match(request.path, request.method, return_rule=True)
        except MethodNotAllowed as exc:
            allowed = ", ".join(exc.valid_methods or ())
            response = _json({"error_code": "method_not_allowed",
                              "error": f"{request.method} is not allowed on {request.path}; "
                                       f"allowed: {allowed}"}, 405)  # fmt: skip
            response.headers["Allow"] = allowed
            return response
        except HTTPException:
            rule, args = None, {}
        if not isinstance(rule, ControlRule):
            routes = ", ".join(ep.label for ep in CONTROL_ENDPOINTS)
            return _json({"error_code": "not_found",
                          "error": f"no control endpoint {request.method} {request.path}; "
                                   f"the control routes are: {routes}"}, 404)  # fmt: skip
        try:
            return self.respond(rule.control.view, request, args)
        except Exception as exc:
            self.errors.append(exc)
            return _json({"error_code": "server_error",
                          "error": f"the control view raised {type(exc).__name__}: {exc} (a bug "
                                   "in pyrus-mock; the server keeps running)"}, 500)  # fmt: skip

    def authorized(self, request: Request) -> bool:
        """Whether ``request`` carries the admin token (Bearer or ``X-Pyrus-Mock-Admin``)."""
        try:
            self._check_token(request)
        except ControlError:
            return False
        return True

    def _check_token(self, request: Request) -> None:
        header = request.headers.get("X-Pyrus-Mock-Admin")
        if header is None:
            scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
            header = value if scheme.lower() == "bearer" else None
        presented = (header or "").strip().encode("utf-8", "surrogateescape")
        if not presented:
            raise ControlError(
                401, "admin_token_required",
                "this is the fake's control API: send the admin token printed by "
                "`pyrus-mock serve` (also in STATE_DIR/admin-token) as "
                "'Authorization: Bearer <token>' or 'X-Pyrus-Mock-Admin: <token>'",
            )  # fmt: skip
        if not hmac.compare_digest(presented, self._token):
            raise ControlError(
                401, "invalid_admin_token",
                "the admin token is wrong; use the one `pyrus-mock serve` printed "
                "(also in STATE_DIR/admin-token)",
            )  # fmt: skip

    def respond(self, view: ControlView, request: Request, args: Mapping[str, Any]) -> Response:
        """Check the admin token, run ``view`` and render its JSON (or the error)."""
        request.max_content_length = self.mock.settings.max_request_bytes
        try:
            self._check_token(request)
            result = view(ControlCall(self.mock, request), **args)
        except ControlError as exc:
            return _json(exc.payload(), exc.status, unauthorized=exc.status == 401)
        except UnknownEntity as exc:
            return _json({"error_code": "not_found", "error": str(exc)}, 404)
        except InvalidArgument as exc:  # BotUrlError included
            return _json(
                {"error_code": "invalid_argument", "error": str(exc), "field": exc.argument}, 400
            )
        except CommentRejected as exc:
            violations = [_violation_json(v) for v in exc.violations]
            return _json(
                {"error_code": "comment_rejected", "error": str(exc), "violations": violations},
                400,
            )
        except BotLimitReached as exc:
            return _json({"error_code": "bot_limit_reached", "error": str(exc)}, 409)
        except ApiError as exc:
            return _json(exc.payload(), exc.code or 400)
        except HTTPException as exc:  # e.g. a body over max_request_bytes
            code = exc.code or 400
            return _json({"error_code": f"http_{code}", "error": exc.description or ""}, code)
        if isinstance(result, Response):
            return result
        return _json(result, 200)


def _json(data: Mapping[str, Any], status: int, *, unauthorized: bool = False) -> Response:
    response = Response(
        json.dumps(data, ensure_ascii=False, indent=None),
        status,
        content_type="application/json; charset=utf-8",
    )
    if unauthorized:
        response.headers["WWW-Authenticate"] = 'Bearer realm="pyrus-mock control"'
    response.headers["Cache-Control"] = "no-store"
    return response
