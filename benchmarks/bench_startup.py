"""Start-up: ``import pyrus_mock``, the first fake ready to serve, and stopping its server.

Each figure is the median over fresh Python processes (one untimed process first, so the
bytecode caches are written: ``PYTHONDONTWRITEBYTECODE`` is dropped from the children's
environment). Ours and the baseline alternate, so both see the same machine load.

* import: ``from pyrus_mock import PyrusMock`` (werkzeug included): the package loads its
  names on first use, so this is what a user's import costs. Baseline: ``import requests``.
* plugin discovery (context, no target): what pytest pays in every session where the package is
  installed: ``import pyrus_mock.pytest_plugin`` after ``import pytest``. Baseline: nothing
  (``import pytest`` alone is not counted).
* ready: ``PyrusMock()`` then ``start()``, right after the import: the CA and the server
  certificate are created (trustme is imported here), the API app is built, the HTTPS server
  listens. Baseline: the same work by hand after ``import werkzeug.serving``: ``trustme.CA()``,
  a server certificate and ``SSLContext``, ``make_server(..., ssl_context=ctx)`` and a thread
  running ``serve_forever``.
* stop: ``stop()`` of that server. Baseline: werkzeug's ``shutdown()`` + ``server_close()``
  (``serve_forever`` polls every 0.5 s).

Targets: import <= 150 ms; ready <= 50 ms; stop <= 50 ms. Import and ready are judged at this
run's machine speed (``_common.SpeedAdjusted``): against ``import requests`` taking 100 ms and the
hand-made "ready" 38 ms, their medians on the reference machine at its usual speed.

Run: ``python benchmarks/bench_startup.py`` (``--short`` for CI).
"""

from __future__ import annotations

import json
import subprocess
import sys

from _common import ROOT, Bench, Row, SpeedAdjusted, child_env, median

DISCOVERY = """
import time
import pytest
t = time.perf_counter()
import pyrus_mock.pytest_plugin
print(time.perf_counter() - t)
"""

OURS = """
import time
t0 = time.perf_counter()
from pyrus_mock import PyrusMock
t1 = time.perf_counter()
mock = PyrusMock()
mock.start()
t2 = time.perf_counter()
mock.stop()
t3 = time.perf_counter()
mock.close()
import json
print(json.dumps({"import": t1 - t0, "ready": t2 - t1, "stop": t3 - t2}))
"""

BASELINE = """
import time
t0 = time.perf_counter()
import requests
t1 = time.perf_counter()
import ssl, threading
import werkzeug.serving
t2 = time.perf_counter()
import trustme
ca = trustme.CA()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ca.issue_cert("localhost", "127.0.0.1").configure_cert(ctx)
server = werkzeug.serving.make_server("127.0.0.1", 0, lambda e, s: [], ssl_context=ctx)
thread = threading.Thread(target=server.serve_forever, daemon=True)
thread.start()
t3 = time.perf_counter()
server.shutdown()
server.server_close()
thread.join()
t4 = time.perf_counter()
import json
print(json.dumps({"import": t1 - t0, "ready": t3 - t2, "stop": t4 - t3}))
"""


def run_text(code: str) -> str:
    """Run ``code`` in a fresh interpreter and return what it printed."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=child_env(),
    ).stdout


def run(code: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=child_env(),
    ).stdout
    result: dict[str, float] = json.loads(out)
    return result


def main() -> int:
    bench = Bench("Start-up", __doc__)
    runs = bench.count(11, short=1)
    run(OURS), run(BASELINE)  # write bytecode caches, warm the page cache
    ours: list[dict[str, float]] = []
    base: list[dict[str, float]] = []
    bench.progress(f"{runs} fresh processes each")
    for _ in range(runs):
        ours.append(run(OURS))
        base.append(run(BASELINE))

    def figure(key: str, runs: list[dict[str, float]]) -> float:
        return median([r[key] for r in runs]) * 1000

    # The stop target is two thousand times what it takes: no speed adjustment needed.
    targets = {
        "import": SpeedAdjusted(150.0, reference_baseline=100.0),
        "ready": SpeedAdjusted(50.0, reference_baseline=38.0),
        "stop": 50.0,
    }
    labels = {
        "import": ("from pyrus_mock import PyrusMock", "baseline: import requests"),
        "ready": ("first PyrusMock() + start()", "baseline: CA + werkzeug make_server + thread"),
        "stop": ("server stop", "baseline: werkzeug shutdown + server_close"),
    }
    for key, limit in targets.items():
        mine, theirs = figure(key, ours), figure(key, base)
        spread = sorted(r[key] * 1000 for r in ours)
        note = f"{labels[key][1]}; ours min {spread[0]:.1f}, max {spread[-1]:.1f} ms"
        if isinstance(limit, SpeedAdjusted):
            bench.add(limit.judge(labels[key][0], mine, theirs, "ms", note))
        else:
            bench.add(
                Row(labels[key][0], mine, theirs, "ms", f"<= {limit:g} ms", mine <= limit, note)
            )
    discovery = median([float(run_text(DISCOVERY)) for _ in range(runs)]) * 1000
    bench.progress(
        f"plugin discovery (import pyrus_mock.pytest_plugin after pytest): {discovery:.1f} ms"
    )
    return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
