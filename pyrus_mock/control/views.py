"""The views of the control plane: one function per route of the control route table.

Each view takes a :class:`~pyrus_mock.control.wire.ControlCall` (plus the URL's arguments),
acts on the fake and answers a JSON object (or a ``Response``); errors are raised as
:class:`~pyrus_mock.control.wire.ControlError` or the fake's own exceptions, which
:meth:`ControlPlane.respond <pyrus_mock.control.plane.ControlPlane.respond>` renders. The route
table and the admin token live in :mod:`pyrus_mock.control`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..domain.clock import VirtualClock
from ..domain.setting_values import setting_from_json, settings_json
from ..state import serialize_directory
from ..transport.hostnames import MAX_HOSTS, check_host
from .wire import (
    CONTROL_PREFIX,
    ControlCall,
    ControlError,
    bad_argument,
    bool_member,
    bot_json,
    clock_json,
    delivery_json,
    epoch_timestamp,
    int_member,
    list_member,
    number_member,
    only_members,
    str_member,
    task_json,
)

if TYPE_CHECKING:
    from ..mock.bots import Bot

__all__ = [
    "advance_clock",
    "api_calls",
    "block_bot",
    "bot_token",
    "comment_task",
    "create_bot",
    "create_catalog",
    "create_form",
    "create_task",
    "create_user",
    "delete_bot",
    "deliver",
    "disable_bot",
    "enable_bot",
    "get_bot",
    "get_clock",
    "get_delivery",
    "get_settings",
    "get_task",
    "issue_cert",
    "list_bots",
    "list_deliveries",
    "reset",
    "reset_key",
    "restore_bot",
    "transcript",
    "update_bot",
    "update_settings",
]


def _bot(call: ControlCall, bot_id: int) -> Bot:
    backend = call.mock._backend
    if backend.accounts.find_bot(bot_id) is None:
        raise ControlError(404, "not_found", f"no bot with id {bot_id}; list them with "
                           f"GET {CONTROL_PREFIX}/bots")  # fmt: skip
    return call.mock.bot(bot_id)


def _task_id(call: ControlCall, task_id: int, field: str | None = None) -> int:
    if not call.mock._backend.task_exists(task_id):
        raise ControlError(404, "not_found", f"no task with id {task_id}; create one with "
                           f"POST {CONTROL_PREFIX}/tasks", field=field)  # fmt: skip
    return task_id


def _task_reply(call: ControlCall, task_id: int) -> dict[str, Any]:
    mock = call.mock
    backend = mock._backend
    with backend.lock:
        return task_json(call, backend.task(task_id))


def create_user(call: ControlCall) -> dict[str, Any]:
    """Create a user; answers its id, e-mail (the ``/auth`` login) and security key."""
    data = call.json()
    only_members(data, ("first_name", "last_name", "email", "security_key", "rights", "position"))
    rights = data.get("rights", 0)
    if not isinstance(rights, (int, list)) or isinstance(rights, bool):
        raise bad_argument("rights", "must be an integer mask or a list of names")
    user = call.mock.add_user(
        str_member(data, "first_name") or "Test",
        str_member(data, "last_name") or "User",
        email=str_member(data, "email"),
        rights=rights,
        security_key=str_member(data, "security_key"),
        position=str_member(data, "position") or "",
    )
    return {
        **serialize_directory.person(user),
        "login": user.email,
        "security_key": call.mock._backend.user_key(user.id),
        "rights": user.rights,
    }


def create_form(call: ControlCall) -> dict[str, Any]:
    """Create a form: ``{name, fields: [...], steps: [name | {name, approvers, due_minutes?}],
    inbox_group?}`` (fields may carry a ``default``; see ``PyrusMock.add_form``)."""
    data = call.json()
    only_members(data, ("name", "fields", "steps", "inbox_group"))
    form = call.mock.add_form(
        str_member(data, "name", required=True) or "",
        list_member(data, "fields") or [],
        list_member(data, "steps") or [],
        inbox_group=bool_member(data, "inbox_group") or False,
    )
    reply = serialize_directory.form(form)
    reply["approvers"] = {str(s.number): s.approver_ids for s in form.steps}
    return reply


def create_catalog(call: ControlCall) -> dict[str, Any]:
    """Create a catalog: ``{name, headers: [...], rows: [[...], ...]}``."""
    data = call.json()
    only_members(data, ("name", "headers", "rows"))
    headers = list_member(data, "headers")
    if not headers or not all(isinstance(h, str) for h in headers):
        raise bad_argument("headers", "must be a non-empty array of column names")
    rows = list_member(data, "rows") or []
    for index, row in enumerate(rows):
        if not isinstance(row, list):
            raise bad_argument(f"rows[{index}]", "must be an array of values")
    catalog = call.mock.add_catalog(str_member(data, "name", required=True) or "", headers, rows)
    return serialize_directory.catalog(catalog)


_BOT_MEMBERS = (
    "name", "url", "settings", "security_key", "rights", "locale", "time_zone_offset",
    "send_only_last_comment", "description",
)  # fmt: skip


def create_bot(call: ControlCall) -> dict[str, Any]:
    """Create a bot: ``{name, url, settings?, security_key?, ...}``; answers its credentials."""
    data = call.json()
    only_members(data, _BOT_MEMBERS)
    rights = data.get("rights", 0)
    if not isinstance(rights, (int, list)) or isinstance(rights, bool):
        raise bad_argument("rights", "must be an integer mask or a list of names")
    bot = call.mock.add_bot(
        str_member(data, "name", required=True) or "",
        str_member(data, "url") or "",
        settings=str_member(data, "settings"),
        rights=rights,
        locale=str_member(data, "locale") or "en-US",
        time_zone_offset=int_member(data, "time_zone_offset") or 0,
        send_only_last_comment=bool(bool_member(data, "send_only_last_comment")),
        security_key=str_member(data, "security_key"),
        description=str_member(data, "description") or "",
    )
    return bot_json(bot)


def list_bots(call: ControlCall) -> dict[str, Any]:
    """Every bot, with credentials and status."""
    mock = call.mock
    return {"bots": [bot_json(mock.bot(b.person_id)) for b in mock._backend.accounts.bots()]}


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
    only_members(data, _UPDATABLE)
    for name, value in data.items():
        expected = _UPDATABLE[name]
        if isinstance(value, bool) is not (expected is bool) or not isinstance(value, expected):
            raise bad_argument(name, f"must be {_TYPE_NAMES[expected]}, got {type(value).__name__}")
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
    only_members(data, _TASK_MEMBERS)
    mock = call.mock
    form_id = int_member(data, "form_id")
    if form_id is not None and mock._backend.find_form(form_id) is None:
        raise ControlError(404, "not_found", f"no form with id {form_id}; create one with "
                           f"POST {CONTROL_PREFIX}/forms", field="form_id")  # fmt: skip
    fields = data.get("fields")
    if fields is not None and not isinstance(fields, dict):
        raise bad_argument("fields", "must be an object {code, name or id: value}")
    list_ids = list_member(data, "list_ids") or []
    approvals = list_member(data, "approvals")
    if approvals is not None and not all(isinstance(step, list) for step in approvals):
        raise bad_argument("approvals", "must be an array of steps, each an array of person ids")
    before = mock._dispatcher.last_id
    task = mock.add_task(
        form=form_id,
        fields=fields,
        approvals=approvals,
        responsible=data.get("responsible"),
        text=str_member(data, "text") or "",
        subject=str_member(data, "subject") or "",
        author=data.get("author"),
        participants=list_member(data, "participants") or (),
        subscribers=list_member(data, "subscribers") or (),
        due_date=str_member(data, "due_date"),
        list_ids=list_ids,
    )
    new = mock._dispatcher.since(before)
    return {"task": _task_reply(call, task.id), "deliveries": [delivery_json(d) for d in new]}


def get_task(call: ControlCall, task_id: int) -> dict[str, Any]:
    """The task with its comments, as the API shows it."""
    return {"task": _task_reply(call, _task_id(call, task_id))}


def comment_task(call: ControlCall, task_id: int) -> dict[str, Any]:
    """Comment as a person: ``{"author": id or e-mail, ...CreateComment}``; bots are called."""
    mock = call.mock
    backend = mock._backend
    _task_id(call, task_id)
    data = call.json()
    author_ref = data.pop("author", None)
    if author_ref is None:
        raise bad_argument("author", "is required: the id or e-mail of the person commenting")
    author = backend.person(backend.resolve_person(author_ref, "author"))
    before = mock._dispatcher.last_id
    comment = backend.comment(backend.task(task_id), data, author)
    new = mock._dispatcher.since(before)
    return {
        "comment_id": comment.id,
        "task": _task_reply(call, task_id),
        "deliveries": [delivery_json(d) for d in new],
    }


def deliver(call: ControlCall) -> dict[str, Any]:
    """Call a bot about a task now: ``{task_id, bot_id, event?}``; answers the delivery."""
    data = call.json()
    only_members(data, ("task_id", "bot_id", "event"))
    task_id = _task_id(call, int_member(data, "task_id", required=True) or 0, "task_id")
    bot_id = int_member(data, "bot_id", required=True) or 0
    if call.mock._backend.accounts.find_bot(bot_id) is None:
        raise ControlError(404, "not_found", f"no bot with id {bot_id}", field="bot_id")
    event = str_member(data, "event") or "comment"
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
    return {
        "deliveries": [delivery_json(d) for d in chosen],
        "dropped": call.mock._dispatcher.deliveries_dropped,
    }


def get_delivery(call: ControlCall, delivery_id: int) -> dict[str, Any]:
    """One delivery's transcript."""
    for delivery in call.mock.deliveries:
        if delivery.id == delivery_id:
            return delivery_json(delivery)
    dispatcher = call.mock._dispatcher
    if 0 < delivery_id <= dispatcher.last_id:
        raise ControlError(404, "not_found", f"delivery {delivery_id} was dropped: only the "
                           f"newest {call.mock.settings.max_deliveries_recorded} are kept "
                           "(setting max_deliveries_recorded)")  # fmt: skip
    raise ControlError(404, "not_found", f"no delivery with id {delivery_id}; list them with "
                       f"GET {CONTROL_PREFIX}/deliveries")  # fmt: skip


def transcript(call: ControlCall) -> dict[str, Any] | Response:
    """The readable transcript: text, or JSON (``?format=json``, ``Accept: application/json``).

    Secrets are cut to their last four characters, as in test reports.
    """
    from ..report import transcript as transcripts

    wanted = call.request.args.get("format")
    if wanted not in (None, "text", "json"):
        raise bad_argument("format", f"{wanted!r} is not a format; use 'text' or 'json'")
    best = call.request.accept_mimetypes.best_match(["text/plain", "application/json"])
    if wanted == "json" or (wanted is None and best == "application/json"):
        return transcripts.transcript_json(call.mock)
    text = transcripts.transcript(call.mock)
    return Response(text, 200, content_type="text/plain; charset=utf-8")


def api_calls(call: ControlCall) -> dict[str, Any]:
    """The API requests the fake served (the newest ``max_api_calls_recorded``): method, path,
    status, error code, caller; ``dropped`` counts the older ones."""
    return {
        "dropped": call.mock._backend.log.dropped,
        "api_calls": [
            {"at": epoch_timestamp(c.at), "method": c.method, "path": c.path, "status": c.status,
             "error_code": c.error_code, "person_id": c.person_id,
             "elapsed_ms": round(c.elapsed * 1000, 1)}
            for c in list(call.mock._backend.log.calls)
        ]
    }  # fmt: skip


def get_clock(call: ControlCall) -> dict[str, Any]:
    """The clock: kind, time, and the retries waiting on it."""
    return clock_json(call.mock)


def advance_clock(call: ControlCall) -> dict[str, Any]:
    """Move the virtual clock ``{seconds}`` ahead, running the retries that fall due."""
    data = call.json()
    only_members(data, ("seconds",))
    seconds = number_member(data, "seconds")
    clock = call.mock.clock
    if not isinstance(clock, VirtualClock):
        raise ControlError(
            409, "clock_not_virtual",
            "this fake runs on the real clock (serve --clock real): retries happen in real "
            "time and the clock cannot be advanced; restart with --clock virtual to move time",
        )  # fmt: skip
    if seconds < 0:
        raise bad_argument("seconds", f"{seconds} is negative; the clock only moves forward")
    dispatcher = call.mock._dispatcher
    before, attempts_before = dispatcher.last_id, dispatcher.attempts_made
    clock.advance(seconds)
    return {
        **clock_json(call.mock),
        "attempts_made": dispatcher.attempts_made - attempts_before,
        "new_deliveries": dispatcher.last_id - before,
    }


def get_settings(call: ControlCall) -> dict[str, Any]:
    """Every setting of the fake (:class:`~pyrus_mock.Settings`) by name, with its value."""
    return settings_json(call.mock.settings)


def update_settings(call: ControlCall) -> dict[str, Any]:
    """Change settings: ``{name: value, ...}``; answers every setting, as ``GET`` does.

    Values have their JSON type (``retry_delays`` an array of numbers) and are checked all
    together before any applies: a wrong name or value answers 400 naming it, changing nothing.
    The change applies from the next API request or delivery on, and lasts until the next
    change or the end of the process (``POST /_mock/reset`` keeps it).
    """
    mock = call.mock
    changes = {name: setting_from_json(name, value) for name, value in call.json().items()}
    mock.settings = mock.settings.replace(**changes)
    return settings_json(mock.settings)


def issue_cert(call: ControlCall) -> dict[str, Any]:
    """A certificate from the fake's CA for a bot: ``{hosts: [...]}`` → PEMs."""
    data = call.json()
    only_members(data, ("hosts",))
    hosts = list_member(data, "hosts") or ["localhost", "127.0.0.1"]
    if len(hosts) > MAX_HOSTS:
        raise bad_argument("hosts", f"lists {len(hosts)} names; at most {MAX_HOSTS} are allowed")
    for index, host in enumerate(hosts):
        check_host(host, f"hosts[{index}]")  # InvalidArgument: 400 invalid_argument, hosts[i]
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
    only_members(data, ("seed",))
    seed = int_member(data, "seed")
    mock = call.mock
    if seed is not None:
        mock._backend.ids.seed = seed
    mock.settings = call.startup_settings  # PATCH /_mock/settings does not outlive a reset
    mock.reset()
    return {"reset": True, "seed": mock._backend.ids.seed, "clock": clock_json(call.mock)}
