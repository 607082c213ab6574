"""The fake Pyrus API v4 as one WSGI application (served over TLS or intercepted in-process).

``create_app(backend)`` builds it (:class:`pyrus_mock.api.app.PyrusApp`);
:mod:`pyrus_mock.api.routes` is the route table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..backend import PyrusBackend
    from .app import PyrusApp
    from .control import ControlPlane

__all__ = ["create_app"]


def create_app(backend: PyrusBackend, *, control: ControlPlane | None = None) -> PyrusApp:
    """The WSGI application serving the Pyrus API v4 from ``backend``.

    Imported lazily: :mod:`pyrus_mock.backend` imports :mod:`pyrus_mock.api.errors`, and the app
    imports the backend.

    Args:
        backend: the fake's state.
        control: also serve the control plane under ``/_mock/`` (``pyrus-mock serve``); without
            it those paths answer 404 like any unknown route.

    Returns:
        A thread-safe WSGI callable; see :class:`~pyrus_mock.api.app.PyrusApp`.
    """
    from .app import PyrusApp

    return PyrusApp(backend, control=control)
