"""A web dashboard of the fake, served by the control plane at ``/_mock/ui/``.

``pyrus-mock serve`` (and ``PyrusMock.start(dashboard=True)``) serve server-rendered pages
(Jinja2 templates, one small script, no build step): the deliveries with every attempt, headers,
signature, reply and violations (their JSON paths highlighted in the reply), the tasks as Pyrus
shows them, the bots with their lifecycle and a key-reset button, the virtual clock with an
"advance" control, and the transcript. Pages follow the fake without a reload.

Log in with the admin token (a form at ``/_mock/ui/login``) or a one-time link
(``pyrus-mock serve`` prints one; :meth:`PyrusMock.dashboard_link
<pyrus_mock.PyrusMock.dashboard_link>` makes one). See :mod:`pyrus_mock.control.dashboard.auth`.
"""

from __future__ import annotations

__all__: list[str] = []
