"""The dashboard's pages: deliveries, tasks, bots, the clock and the transcript.

Every page is rendered on the server from the fake's state; with ``?part=live`` a page answers
only its live region (the clock and the page's content), which ``static/dashboard.js`` fetches
every second and swaps in, so the page follows the fake without a reload. Buttons call the
JSON control API (``POST /_mock/bots/<id>/reset-key``, ``POST /_mock/clock/advance``) with the
login cookie (see :mod:`pyrus_mock.control.dashboard.auth`).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING, Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from ...domain.secrets import mask
from ..wire import ControlCall, ControlError, bot_json, clock_json, delivery_json, task_json
from .auth import COOKIE, UI_PREFIX, set_login_cookie
from .render import page

if TYPE_CHECKING:
    pass

__all__ = [
    "bots",
    "deliveries",
    "delivery",
    "login",
    "logout",
    "static",
    "task",
    "tasks",
    "transcript",
]

#: The newest deliveries and tasks the lists show.
LIST_LIMIT = 200

_STATIC = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}


def _page(call: ControlCall, name: str, title: str, **context: Any) -> Response:
    """The page ``name`` (``_name.html`` in the layout), or only its live region."""
    context.update(clock=clock_json(call.mock), ui=UI_PREFIX, fragment=f"_{name}.html")
    if call.request.args.get("part") == "live":
        return page("live.html", **context)
    live_url = call.request.script_root + call.request.path + "?part=live"
    return page("layout.html", title=title, active=name, live_url=live_url, **context)


def _not_found(what: str, ident: int) -> ControlError:
    return ControlError(404, "not_found", f"no {what} with id {ident}")


def deliveries(call: ControlCall) -> Response:
    """Every delivery, newest first: state, attempts, reply status, violations."""
    chosen = list(call.mock.deliveries)[-LIST_LIMIT:]
    names = {b.person_id: call.mock._backend.person(b.person_id).first_name
             for b in call.mock._backend.accounts.bots()}  # fmt: skip
    rows = [delivery_json(d) for d in reversed(chosen)]
    return _page(call, "deliveries", "Deliveries", deliveries=rows, bot_names=names)


def delivery(call: ControlCall, delivery_id: int) -> Response:
    """One delivery: payload, each attempt with headers and timing, reply, violations."""
    for found in call.mock.deliveries:
        if found.id == delivery_id:
            data = _scrubbed(call, delivery_json(found))
            data["payload"] = _masked(data["payload"])
            for attempt in data["attempts"]:
                headers = attempt["request_headers"]
                if "X-Pyrus-Sig" in headers:
                    attempt["signature"] = headers["X-Pyrus-Sig"]
            bad = [v["path"] for v in data["violations"]]
            return _page(call, "delivery", f"Delivery {delivery_id}", d=data, bad=bad)
    raise _not_found("delivery", delivery_id)


def _scrubbed(call: ControlCall, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with every token and key the fake knows masked wherever it shows (a bot may
    quote its token back in the status line, a header or the body), as the transcript does.
    Signatures stay: the page shows each attempt's on purpose."""
    from ...domain.masking import scrub
    from ...report.transcript import secrets_of

    hidden = secrets_of(call.mock, signatures=False)
    scrubbed: dict[str, Any] = json.loads(scrub(json.dumps(data, ensure_ascii=False), hidden))
    return scrubbed


def _masked(value: Any) -> Any:
    """``value`` with access tokens and keys cut to their last four characters."""
    from ...domain.masking import SECRET_KEYS

    if isinstance(value, dict):
        return {k: mask(v) if k.lower() in SECRET_KEYS and isinstance(v, str) else _masked(v)
                for k, v in value.items()}  # fmt: skip
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def tasks(call: ControlCall) -> Response:
    """Every task, newest first: form, subject, step, state."""
    backend = call.mock._backend
    with backend.lock:
        chosen = backend.tasks()[-LIST_LIMIT:]
        forms = {f.id: f.name for f in backend.forms()}
        rows = [task_json(call, t) for t in reversed(chosen)]
    return _page(call, "tasks", "Tasks", tasks=rows, forms=forms)


def task(call: ControlCall, task_id: int) -> Response:
    """One task as Pyrus shows it: fields, steps, approvals, comments."""
    backend = call.mock._backend
    with backend.lock:
        found = backend.find_task(task_id)
        if found is None:
            raise _not_found("task", task_id)
        data = task_json(call, found)
        form = backend.find_form(found.form_id) if found.form_id else None
    deliveries = [delivery_json(d) for d in call.mock.deliveries if d.task_id == task_id]
    return _page(call, "task", f"Task {task_id}", t=data, form_name=form.name if form else None,
                 deliveries=deliveries)  # fmt: skip


def bots(call: ControlCall) -> Response:
    """Every bot with its lifecycle state, URL, masked key, and buttons to change them."""
    mock = call.mock
    rows = []
    for account in mock._backend.accounts.bots():
        data = bot_json(mock.bot(account.person_id))
        data["security_key"] = mask(data["security_key"])
        data["deliveries"] = len(mock.bot(account.person_id).deliveries)
        data["status"] = ("deleted" if data["deleted"] else "blocked" if data["blocked"]
                          else "enabled" if data["enabled"] else "disabled")  # fmt: skip
        rows.append(data)
    return _page(call, "bots", "Bots", bots=rows)


def transcript(call: ControlCall) -> Response:
    """The transcript, as a failing test prints it."""
    return _page(call, "transcript", "Transcript", text=call.mock.transcript())


def login(call: ControlCall) -> Response:
    """The login form; a one-time ``?code=`` or the posted admin token sets the cookie."""
    request = call.request
    plane = request.environ.get("pyrus_mock.control_plane")
    if plane is None:  # pragma: no cover - ControlPlane.__call__ always sets it
        raise ControlError(404, "not_found", "this request did not come through a control plane")
    error = ""
    if request.method == "POST":
        token = request.form.get("token", "").strip()
        if token and plane.token_matches(token):
            return set_login_cookie(redirect(UI_PREFIX + "/", 303), token)
        error = (
            "That is not the admin token. Copy it from the banner of `pyrus-mock serve` or "
            "STATE_DIR/admin-token."
        )
    code = request.args.get("code")
    if code is not None:
        if plane.login_codes.use(code):
            return set_login_cookie(redirect(UI_PREFIX + "/", 303), plane.admin_token)
        error = "This one-time link was used already or has expired; log in with the admin token."
    status = 401 if error else 200
    return page("login.html", status, error=error, ui=UI_PREFIX)


def logout(call: ControlCall) -> Response:
    """Forget the login cookie."""
    response = redirect(UI_PREFIX + "/login", 303)
    response.delete_cookie(COOKIE, path="/_mock", secure=True, httponly=True, samesite="Strict")
    return response


def static(call: ControlCall, name: str) -> Response:
    """The dashboard's script and style sheet."""
    if name not in _STATIC:
        raise ControlError(404, "not_found", f"no static file {name!r}")
    data = (
        resources.files("pyrus_mock.control.dashboard")
        .joinpath("static")
        .joinpath(name)
        .read_bytes()
    )
    response = Response(data, 200, content_type=f"{_STATIC[name]}; charset=utf-8")
    response.headers["Cache-Control"] = "no-cache"
    return response
