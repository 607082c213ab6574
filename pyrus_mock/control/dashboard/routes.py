"""The dashboard's routes, added to the control plane's (and so to the one route table)."""

from __future__ import annotations

from ..plane import ControlEndpoint
from . import views

__all__ = ["DASHBOARD_ENDPOINTS"]

#: The dashboard's pages, below ``/_mock``; the login page and static files need no token.
DASHBOARD_ENDPOINTS: tuple[ControlEndpoint, ...] = (
    ControlEndpoint(("GET",), "/ui/", views.deliveries, "dashboard: deliveries (HTML)"),
    ControlEndpoint(("GET",), "/ui/deliveries/<int:delivery_id>", views.delivery,
                    "dashboard: one delivery (HTML)"),
    ControlEndpoint(("GET",), "/ui/tasks", views.tasks, "dashboard: tasks (HTML)"),
    ControlEndpoint(("GET",), "/ui/tasks/<int:task_id>", views.task, "dashboard: one task"),
    ControlEndpoint(("GET",), "/ui/bots", views.bots, "dashboard: bots (HTML)"),
    ControlEndpoint(("GET",), "/ui/transcript", views.transcript, "dashboard: transcript"),
    ControlEndpoint(("GET", "POST"), "/ui/login", views.login, "dashboard: log in",
                    public=True),
    ControlEndpoint(("GET",), "/ui/logout", views.logout, "dashboard: log out"),
    ControlEndpoint(("GET",), "/ui/static/<name>", views.static, "dashboard: script and style",
                    public=True),
)  # fmt: skip
