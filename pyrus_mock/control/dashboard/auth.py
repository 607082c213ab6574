"""Who may see the dashboard: the admin token, carried by a cookie after logging in.

A browser cannot send ``Authorization: Bearer``, so the dashboard logs in once, with the admin
token typed into a form (``/_mock/ui/login``) or a one-time link (``?code=...``, printed by
``pyrus-mock serve`` and given by :meth:`PyrusMock.dashboard_link
<pyrus_mock.PyrusMock.dashboard_link>`); the answer sets the cookie :data:`COOKIE`, which the
control plane then accepts like the header. The cookie is ``HttpOnly``, ``Secure`` and
``SameSite=Strict``, and a request that changes state (not GET or HEAD) authenticated by it
alone must also carry the header ``X-Pyrus-Mock-UI: 1``, which another site cannot add without
a CORS preflight the fake never grants.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from ...mock.fake import PyrusMock
    from ..plane import ControlPlane, ControlRule

__all__ = [
    "COOKIE",
    "UI_HEADER",
    "UI_PREFIX",
    "LoginCodes",
    "control_plane",
    "cookie_token",
    "dashboard_link",
    "public_rule",
    "set_login_cookie",
    "unauthorized",
    "with_dashboard",
]

#: The cookie holding the admin token once logged in.
COOKIE = "pyrus_mock_admin"
#: The header the dashboard's scripts send with every call that changes state.
UI_HEADER = "X-Pyrus-Mock-UI"
#: Where the dashboard lives.
UI_PREFIX = "/_mock/ui"

_SAFE_METHODS = frozenset({"GET", "HEAD"})


class LoginCodes:
    """One-time login codes: each logs one browser in, once, within ``lifetime`` seconds.

    Args:
        lifetime: seconds (wall time) a code stays valid.
    """

    def __init__(self, lifetime: float = 600.0) -> None:
        self.lifetime = lifetime
        self._codes: dict[str, float] = {}
        self._lock = threading.Lock()

    def new(self) -> str:
        """A fresh code."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = time.monotonic() + self.lifetime
        return code

    def use(self, code: str) -> bool:
        """Whether ``code`` is valid; it is spent either way."""
        with self._lock:
            expires = self._codes.pop(code, None)
        return expires is not None and time.monotonic() < expires


def cookie_token(request: Request) -> str | None:
    """The admin token from the dashboard's cookie, or None.

    A state-changing request (not GET or HEAD) counts only with the ``X-Pyrus-Mock-UI`` header
    too (against cross-site requests).
    """
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    if request.method not in _SAFE_METHODS and request.headers.get(UI_HEADER) != "1":
        return None
    return value


def set_login_cookie(response: Response, token: str) -> Response:
    """Log the browser in: the cookie for every control path, for this browser session."""
    response.set_cookie(COOKIE, token, path="/_mock", secure=True, httponly=True, samesite="Strict")
    return response


def public_rule(adapter: MapAdapter, request: Request) -> ControlRule | None:
    """The control rule of ``request`` when it is served without the token, else None."""
    from ..plane import ControlRule

    try:
        rule, _ = adapter.match(request.path, request.method, return_rule=True)
    except HTTPException:
        return None
    if isinstance(rule, ControlRule) and rule.control.public:
        return rule
    return None


def unauthorized(request: Request) -> Response | None:
    """A browser asking for a dashboard page without the token goes to the login page."""
    path = request.script_root + request.path  # the plane is mounted at /_mock
    if request.method == "GET" and (path == UI_PREFIX or path.startswith(UI_PREFIX + "/")):
        return redirect(UI_PREFIX + "/login", 303)
    return None


def with_dashboard(
    mock: PyrusMock, mounts: Mapping[str, WSGIApplication] | None
) -> dict[str, WSGIApplication]:
    """``mounts`` with a control plane at ``/_mock`` (``PyrusMock.start(dashboard=True)``).

    A plane already in ``mounts`` is kept; otherwise one is made behind a fresh admin token,
    once per fake (a second ``start(dashboard=True)`` mounts the same one).
    """
    from ..plane import CONTROL_PREFIX, ControlPlane

    chosen = dict(mounts or {})
    if not any(isinstance(app, ControlPlane) for app in chosen.values()):
        if mock._dashboard_plane is None:
            mock._dashboard_plane = ControlPlane(mock, secrets.token_urlsafe(32))
        chosen.setdefault(CONTROL_PREFIX, mock._dashboard_plane)
    return chosen


def control_plane(mock: PyrusMock) -> ControlPlane | None:
    """The control plane mounted on ``mock``'s running server, or None."""
    from ..plane import ControlPlane

    if mock._server is None:
        return None
    for _, app in mock._started_with[3]:
        if isinstance(app, ControlPlane):
            return app
    return None


def dashboard_link(mock: PyrusMock) -> str:
    """A one-time login link to the dashboard of ``mock``'s running server."""
    plane = control_plane(mock)
    if plane is None:
        from ...domain.errors import PyrusMockError

        raise PyrusMockError(
            "the dashboard is not served: start the fake with start(dashboard=True) (or run "
            "`pyrus-mock serve`), then ask for dashboard_link()"
        )
    return f"{mock.base_url}{UI_PREFIX}/login?code={plane.login_codes.new()}"
