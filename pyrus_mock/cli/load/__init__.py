"""Load tests of a bot with Locust: signed deliveries (and Pyrus's retries) at a chosen rate.

``pyrus-mock load URL --security-key KEY --users N --rate R --duration S`` (``pip install
'pyrus-mock[load]'``) runs Locust (https://locust.io) users of :class:`~pyrus_mock.cli.load.
locustfile.PyrusDeliveryUser`: each sends the bot calls built and signed exactly as the fake's
deliveries (compact JSON of a task, a fresh ``access_token``, ``X-Pyrus-Sig``), retries a call
that failed with the same bytes and ``X-Pyrus-Retry: n/3`` after Pyrus's delays (61 s and
122 s, ``--retry-delays``), and validates every reply as a CreateComment for its task. The
report gives requests per second, p50/p95/p99 latency, error kinds, and invalid replies.

Locust runs in subprocesses (it patches the standard library with gevent, which must never
happen in the caller's process): one local process, or a Locust master with worker processes
(``--workers W`` on this machine; ``--master`` here and ``--worker --master-host H`` on other
machines). Modules: :mod:`.locustfile` (the Locust user, loaded by Locust only),
:mod:`.runner` (the processes), :mod:`.report` (the figures).
"""

from __future__ import annotations

from .report import LoadReport
from .runner import LoadOptions, collect, run_load

__all__ = ["LoadOptions", "LoadReport", "collect", "run_load"]
