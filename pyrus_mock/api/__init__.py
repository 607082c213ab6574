"""The fake Pyrus API v4 as one WSGI application (served over TLS or intercepted in-process).

``create_app(backend)`` builds it (:class:`pyrus_mock.api.app.PyrusApp`);
:mod:`pyrus_mock.api.routes` is the route table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..state.backend import PyrusBackend
    from .app import PyrusApp

__all__ = ["create_app"]


def create_app(backend: PyrusBackend) -> PyrusApp:
    """The WSGI application serving the Pyrus API v4 from ``backend``.

    The control plane (``/_mock/``, :mod:`pyrus_mock.control`) is a separate WSGI app mounted
    beside this one by whoever serves both (``pyrus-mock serve``).

    Args:
        backend: the fake's state.

    Returns:
        A thread-safe WSGI callable; see :class:`~pyrus_mock.api.app.PyrusApp`.
    """
    from .app import PyrusApp

    return PyrusApp(backend)
