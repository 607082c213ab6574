"""The control plane of the standalone fake: JSON endpoints under ``/_mock/`` (not Pyrus API).

``pyrus-mock serve`` answers these next to the API v4 so that tests written in any language
can do what Python tests do with :class:`~pyrus_mock.PyrusMock`: create users, forms, bots
and tasks, deliver tasks to bots, reset keys, block and delete bots, move the virtual clock,
read the deliveries, issue certificates for bots, read and change the settings
(:class:`~pyrus_mock.Settings`, also ``serve --set NAME=VALUE``), and reset everything.

Every call needs the admin token the server printed (also in ``STATE_DIR/admin-token``), as
``Authorization: Bearer <token>`` or ``X-Pyrus-Mock-Admin: <token>``; without it the answer is
401. Errors are JSON in the API's envelope, ``{"error_code", "error"}``, plus ``field`` when
one member of the body is at fault:

* 400 ``invalid_json`` (the body is not a JSON object), ``invalid_argument`` (a member has a
  value the fake cannot use, or is not a setting; ``field`` names it), ``comment_rejected``
  (with ``violations``);
* 401 ``admin_token_required`` / ``invalid_admin_token``;
* 404 ``not_found``: no bot, task, form or delivery with that id, or no such control route;
* 405 ``method_not_allowed``; 413 ``http_413`` (a body over ``max_request_bytes``);
* 409 ``clock_not_virtual`` (advancing the real clock), ``bot_limit_reached``;
* 500 ``server_error``: a bug; the exception is kept in :attr:`ControlPlane.errors`.

``GET /_mock/`` lists every route with a one-line description.

The routes are declared once, in :data:`CONTROL_ENDPOINTS`. The plane is a WSGI app of its
own (:class:`ControlPlane`), mounted beside the API app at ``/_mock`` with werkzeug's
``DispatcherMiddleware`` (:func:`with_control`); the API app knows nothing of it, so a fake
without the plane answers ``/_mock/...`` like any unknown route.

This module holds the plane (admin token, dispatch, error rendering) and the route table; the
views are in :mod:`pyrus_mock.control.views`, request parsing and the JSON shapes in
:mod:`pyrus_mock.control.wire`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..api.errors import ApiError
from ..domain.envelope import Refusal
from ..domain.errors import BotLimitReached, CommentRejected, InvalidArgument, UnknownEntity
from . import views
from .wire import (
    CONTROL_PREFIX,
    ControlCall,
    ControlError,
    attempt_json,
    bot_json,
    clock_json,
    delivery_json,
    error_response,
    json_response,
    violation_json,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from ..mock.fake import PyrusMock

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
    "with_control",
]

#: A control view: ``view(call, **url_arguments)`` answers a JSON object, or a ``Response``.
ControlView = Callable[..., "dict[str, Any] | Response"]


@dataclass(frozen=True, slots=True)
class ControlEndpoint:
    """One control route: methods, path below :data:`CONTROL_PREFIX`, view, one-line doc."""

    methods: tuple[str, ...]
    path: str
    view: ControlView
    doc: str
    #: Served without the admin token (the dashboard's login page and static files).
    public: bool = False

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


# -- the route table -----------------------------------------------------------------------------


def index(call: ControlCall) -> dict[str, Any]:
    """This list of control endpoints, the API URLs and the clock."""
    base = call.request.host_url.rstrip("/")
    return {
        "api_url": base + "/v4/",
        "auth_url": base + "/api/v4/auth",
        "files_url": base + "/",
        "clock": clock_json(call.mock),
        "endpoints": [{"route": ep.label, "doc": ep.doc} for ep in CONTROL_ENDPOINTS],
    }


#: Every control route, in the order ``GET /_mock/`` lists them.
CONTROL_ENDPOINTS: tuple[ControlEndpoint, ...] = (
    ControlEndpoint(("GET",), "/", index, "this list, the API URLs and the clock"),
    ControlEndpoint(
        ("POST",),
        "/users",
        views.create_user,
        "{first_name, last_name?, email?, security_key?, rights?} -> user + key",
    ),
    ControlEndpoint(
        ("POST",),
        "/forms",
        views.create_form,
        "{name, fields: [...], steps: [name | {name, approvers: [id]}]} -> form",
    ),
    ControlEndpoint(
        ("POST",),
        "/catalogs",
        views.create_catalog,
        "{name, headers: [...], rows: [[...]]} -> catalog",
    ),
    ControlEndpoint(("GET",), "/bots", views.list_bots, "every bot with credentials and status"),
    ControlEndpoint(
        ("POST",),
        "/bots",
        views.create_bot,
        "{name, url, settings?, security_key?, ...} -> id, login, security_key, client_id",
    ),
    ControlEndpoint(("GET",), "/bots/<int:bot_id>", views.get_bot, "one bot"),
    ControlEndpoint(
        ("PATCH",),
        "/bots/<int:bot_id>",
        views.update_bot,
        "{url?, name?, settings?, enabled?, ...} -> bot",
    ),
    ControlEndpoint(
        ("DELETE",), "/bots/<int:bot_id>", views.delete_bot, "delete (fire) the bot; tokens revoked"
    ),
    ControlEndpoint(
        ("POST",), "/bots/<int:bot_id>/reset-key", views.reset_key, "new security key -> bot"
    ),
    ControlEndpoint(
        ("POST",),
        "/bots/<int:bot_id>/disable",
        views.disable_bot,
        "no deliveries (skipped); auth works",
    ),
    ControlEndpoint(("POST",), "/bots/<int:bot_id>/enable", views.enable_bot, "enable again"),
    ControlEndpoint(
        ("POST",),
        "/bots/<int:bot_id>/block",
        views.block_bot,
        "no deliveries; auth answers account_blocked",
    ),
    ControlEndpoint(
        ("POST",), "/bots/<int:bot_id>/restore", views.restore_bot, "undo block or delete"
    ),
    ControlEndpoint(
        ("POST",),
        "/bots/<int:bot_id>/token",
        views.bot_token,
        "a fresh API access token for the bot",
    ),
    ControlEndpoint(
        ("POST",),
        "/tasks",
        views.create_task,
        "{form_id?, fields?, approvals?, responsible?, text?, author?, ...} -> "
        "task + deliveries it caused",
    ),
    ControlEndpoint(("GET",), "/tasks/<int:task_id>", views.get_task, "the task with comments"),
    ControlEndpoint(
        ("POST",),
        "/tasks/<int:task_id>/comments",
        views.comment_task,
        "{author, ...CreateComment} as a person -> comment_id, task, deliveries",
    ),
    ControlEndpoint(
        ("POST",),
        "/deliveries",
        views.deliver,
        "{task_id, bot_id, event?}: call the bot now -> delivery",
    ),
    ControlEndpoint(
        ("GET",),
        "/deliveries",
        views.list_deliveries,
        "deliveries with transcripts; ?bot_id= ?task_id= ?state=",
    ),
    ControlEndpoint(("GET",), "/deliveries/<int:delivery_id>", views.get_delivery, "one delivery"),
    ControlEndpoint(
        ("GET",),
        "/transcript",
        views.transcript,
        "readable transcript (text; ?format=json for JSON)",
    ),
    ControlEndpoint(("GET",), "/api-calls", views.api_calls, "every API request served"),
    ControlEndpoint(("GET",), "/clock", views.get_clock, "clock kind, time, pending retries"),
    ControlEndpoint(
        ("POST",),
        "/clock/advance",
        views.advance_clock,
        "{seconds}: move the virtual clock, run due retries",
    ),
    ControlEndpoint(
        ("POST",),
        "/certs",
        views.issue_cert,
        "{hosts: [...]} -> cert_pem, key_pem, ca_pem for serving a bot",
    ),
    ControlEndpoint(
        ("GET",),
        "/settings",
        views.get_settings,
        "every setting (pyrus_mock.Settings) with its value",
    ),
    ControlEndpoint(
        ("PATCH",),
        "/settings",
        views.update_settings,
        "{name: value, ...}: change settings (checked; 400 names a bad one) -> all",
    ),
    ControlEndpoint(
        ("POST",),
        "/reset",
        views.reset,
        "{seed?}: forget all state; settings go back to those at start",
    ),
)


def control_rules(endpoints: Iterable[ControlEndpoint] | None = None) -> list[ControlRule]:
    """werkzeug rules for the control routes, paths relative to the mount point ``/_mock``;
    by default with the import route and the dashboard's pages."""
    if endpoints is None:
        from .dashboard.routes import DASHBOARD_ENDPOINTS
        from .import_views import IMPORT_ENDPOINTS

        endpoints = (*CONTROL_ENDPOINTS, *IMPORT_ENDPOINTS, *DASHBOARD_ENDPOINTS)
    return [ControlRule(ep.path, control=ep) for ep in endpoints]


def with_control(mock: PyrusMock, admin_token: str) -> WSGIApplication:
    """``mock``'s API app with the control plane mounted at ``/_mock`` (what ``serve`` runs).

    For ``PyrusMock.start(mounts=...)`` use ``{CONTROL_PREFIX: ControlPlane(mock, token)}``.
    """
    return DispatcherMiddleware(mock.app, {CONTROL_PREFIX: ControlPlane(mock, admin_token)})


# -- the plane -----------------------------------------------------------------------------------


class ControlPlane:
    """Serves the control routes of one fake, behind an admin token.

    A WSGI app for the paths below ``/_mock`` (mount it there with ``DispatcherMiddleware``,
    see :func:`with_control`). Views act on ``mock``; the plane only keeps the token, its route
    table and the exceptions views raised (:attr:`errors`).

    Args:
        mock: the fake to control.
        admin_token: the secret every control request must carry; compared in constant time.
    """

    def __init__(self, mock: PyrusMock, admin_token: str) -> None:
        if not isinstance(admin_token, str) or len(admin_token) < 16:
            raise InvalidArgument(
                "admin_token",
                "must be a string of at least 16 characters",
                "secrets.token_urlsafe(32)",
            )
        self.mock = mock
        self.startup_settings = mock.settings
        self._token = admin_token.encode("utf-8")
        self.errors: list[BaseException] = []
        self.url_map = Map(control_rules(), strict_slashes=False, redirect_defaults=False)
        from .dashboard.auth import LoginCodes

        #: One-time links to the dashboard (:mod:`pyrus_mock.control.dashboard`).
        self.login_codes = LoginCodes()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one control request (WSGI; never raises)."""
        environ["pyrus_mock.control_plane"] = self  # the dashboard's login page needs the plane
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except Exception as exc:  # dispatch answers its own failures; this is the last guard
            self.errors.append(exc)
            response = error_response(
                500, "server_error", f"the control plane raised {type(exc).__name__}: {exc}"
            )
        finally:
            request.close()
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """Serve a control request: the admin token first, then the route, then the view.

        Args:
            request: the request; its path is relative to the mount point (``/bots/1``).

        Returns:
            The JSON (or text) response; never raises. A view's unexpected exception answers
            500 ``server_error`` and is kept in :attr:`errors`.
        """
        public = False
        adapter = self.url_map.bind_to_environ(request.environ)
        shown = request.script_root + request.path  # /_mock/bots/1, as the client sent it
        try:
            self._check_token(request)
        except ControlError as exc:  # no route but a public one is revealed without the token
            from .dashboard.auth import public_rule, unauthorized

            if public_rule(adapter, request) is None:
                return unauthorized(request) or error_response(
                    exc.status, exc.error_code, exc.error, exc.members(), unauthorized=True
                )
            public = True
        try:
            rule, args = adapter.match(request.path, request.method, return_rule=True)
        except MethodNotAllowed as exc:
            allowed = ", ".join(exc.valid_methods or ())
            response = error_response(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed on {shown}; allowed: {allowed}",
            )
            response.headers["Allow"] = allowed
            return response
        except HTTPException:
            rule, args = None, {}
        if not isinstance(rule, ControlRule):
            routes = ", ".join(ep.label for ep in CONTROL_ENDPOINTS)
            return error_response(
                404,
                "not_found",
                f"no control endpoint {request.method} {shown}; the control routes are: {routes}",
            )
        try:
            return self.respond(rule.control.view, request, args, public=public)
        except Exception as exc:
            self.errors.append(exc)
            return error_response(
                500,
                "server_error",
                f"the control view raised {type(exc).__name__}: {exc} (a bug "
                "in pyrus-mock; the server keeps running)",
            )

    def authorized(self, request: Request) -> bool:
        """Whether ``request`` carries the admin token (Bearer or ``X-Pyrus-Mock-Admin``)."""
        try:
            self._check_token(request)
        except ControlError:
            return False
        return True

    @property
    def admin_token(self) -> str:
        """The admin token."""
        return self._token.decode("utf-8")

    def token_matches(self, presented: str) -> bool:
        """Whether ``presented`` is the admin token (constant time)."""
        return hmac.compare_digest(presented.encode("utf-8", "surrogateescape"), self._token)

    def _check_token(self, request: Request) -> None:
        header = request.headers.get("X-Pyrus-Mock-Admin")
        if header is None:
            scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
            header = value if scheme.lower() == "bearer" else None
        if header is None:  # the dashboard's cookie (pyrus_mock.control.dashboard.auth)
            from .dashboard.auth import cookie_token

            header = cookie_token(request)
        presented = (header or "").strip().encode("utf-8", "surrogateescape")
        if not presented:
            raise ControlError(
                401,
                "admin_token_required",
                "this is the fake's control API: send the admin token printed by "
                "`pyrus-mock serve` (also in STATE_DIR/admin-token) as "
                "'Authorization: Bearer <token>' or 'X-Pyrus-Mock-Admin: <token>'",
            )
        if not hmac.compare_digest(presented, self._token):
            raise ControlError(
                401,
                "invalid_admin_token",
                "the admin token is wrong; use the one `pyrus-mock serve` printed "
                "(also in STATE_DIR/admin-token)",
            )

    def respond(
        self, view: ControlView, request: Request, args: Mapping[str, Any], *, public: bool = False
    ) -> Response:
        """Check the admin token (unless ``public``), run ``view`` and render its JSON."""
        request.max_content_length = self.mock.settings.max_request_bytes
        try:
            if not public:
                self._check_token(request)
            result = view(ControlCall(self.mock, request, self.startup_settings), **args)
        except ControlError as exc:
            return error_response(
                exc.status, exc.error_code, exc.error, exc.members(), unauthorized=exc.status == 401
            )
        except UnknownEntity as exc:
            return error_response(404, "not_found", str(exc))
        except InvalidArgument as exc:  # BotUrlError included
            return error_response(400, "invalid_argument", str(exc), {"field": exc.argument})
        except CommentRejected as exc:
            violations = [violation_json(v) for v in exc.violations]
            return error_response(400, "comment_rejected", str(exc), {"violations": violations})
        except BotLimitReached as exc:
            return error_response(409, "bot_limit_reached", str(exc))
        except Refusal as exc:  # ApiError included
            failure = ApiError.from_refusal(exc)
            return error_response(
                int(failure.code or 400), failure.error_code, failure.error, failure.extra
            )
        except HTTPException as exc:  # e.g. a body over max_request_bytes
            code = exc.code or 400
            return error_response(code, f"http_{code}", exc.description or "")
        if isinstance(result, Response):
            return result
        return json_response(result, 200)
