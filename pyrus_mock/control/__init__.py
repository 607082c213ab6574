"""The control plane: the fake's own JSON API under ``/_mock/`` (not Pyrus API).

``pyrus-mock serve`` mounts it beside the Pyrus API with werkzeug's ``DispatcherMiddleware``
(:func:`with_control`), so that tests written in any language can drive the fake. It sits above
:class:`~pyrus_mock.PyrusMock` (its views act on one), and nothing below imports it.
"""

from __future__ import annotations

from .plane import CONTROL_ENDPOINTS, CONTROL_PREFIX, ControlEndpoint, ControlPlane, with_control

__all__ = ["CONTROL_ENDPOINTS", "CONTROL_PREFIX", "ControlEndpoint", "ControlPlane", "with_control"]
