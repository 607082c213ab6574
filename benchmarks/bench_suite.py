"""Cost per test: a generated suite of 200 bot tests, run under pytest in a subprocess.

Three suites are written into a temporary directory, each in its own rootdir with a minimal
``pytest.ini`` (so this project's configuration does not apply), as 10 files of 20 tests:

* ours: each test uses the ``pyrus_mock`` and ``bot_server`` fixtures, serves a trivial WSGI
  bot that answers ``{"text": "ok"}``, creates the bot and a task the bot is responsible for
  (which delivers it), and asserts the one delivery is ok;
* baseline: each test uses pytest-httpserver over TLS (``httpserver_ssl_context`` overridden
  with a trustme certificate), registers a handler answering ``{"text": "ok"}``, and makes one
  ``requests.post(..., verify=ca_path)`` of a 500-byte JSON body;
* empty: 200 tests that do nothing (pytest's own cost, for context).

Each suite runs as ``python -m pytest -q -p no:cacheprovider DIR``; the wall time of the whole
process is measured (median of several runs, after one untimed run that writes bytecode).

Targets: ours <= 0.35x the baseline, and < 2 s in total; the 2 s is judged at this run's
machine speed (``_common.SpeedAdjusted``: the baseline suite takes 4.7 s on the reference machine
at its usual speed).

Run: ``python benchmarks/bench_suite.py`` (``--short`` for CI).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import Bench, Row, SpeedAdjusted, child_env, median

FILES = 10

#: The "< 2 s" of issue 7, against the baseline suite's 4.7 s on the reference machine.
TWO_SECONDS = SpeedAdjusted(2.0, reference_baseline=4.7)

OURS_HEADER = """
def ok_bot(environ, start_response):
    stream = environ["wsgi.input"]
    stream.read(int(environ.get("CONTENT_LENGTH") or 0))
    body = b'{"text":"ok"}'
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
"""

OURS_TEST = """

def test_bot___N__(pyrus_mock, bot_server):
    bot = pyrus_mock.add_bot("Bot", bot_server(ok_bot))
    task = pyrus_mock.add_task(text="hello __N__", responsible=bot)
    [delivery] = pyrus_mock.deliveries
    assert delivery.ok and task.comments[-1].text == "ok"
"""

BASELINE_CONFTEST = """
import ssl

import pytest
import trustme


@pytest.fixture(scope="session")
def ca():
    return trustme.CA()


@pytest.fixture(scope="session")
def httpserver_ssl_context(ca):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    return context


@pytest.fixture(scope="session")
def ca_path(ca, tmp_path_factory):
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)
"""

BASELINE_HEADER = """
import json

import requests

BODY = json.dumps({"event": "comment", "task_id": 1, "task": {"text": "x" * 400}}).encode()
"""

BASELINE_TEST = """

def test_bot___N__(httpserver, ca_path):
    httpserver.expect_request("/bot", method="POST").respond_with_json({"text": "ok"})
    reply = requests.post(httpserver.url_for("/bot"), data=BODY, verify=ca_path, timeout=10,
                          headers={"Content-Type": "application/json"})
    assert reply.json() == {"text": "ok"}
"""

EMPTY_TEST = """

def test_nothing___N__():
    pass
"""


def write_suite(root: Path, name: str, count: int, header: str, test: str, conftest: str) -> Path:
    suite = root / name
    suite.mkdir()
    (suite / "pytest.ini").write_text("[pytest]\n")
    if conftest:
        (suite / "conftest.py").write_text(conftest)
    per_file = max(1, count // FILES)
    n = 0
    for f in range(FILES):
        if n >= count:
            break
        body = [header]
        for _ in range(per_file if f < FILES - 1 else count - n):
            body.append(test.replace("__N__", str(n)))
            n += 1
        (suite / f"test_{name}_{f}.py").write_text("".join(body))
    return suite


def run_suite(suite: Path, count: int) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)],
        cwd=suite,
        capture_output=True,
        text=True,
        env=child_env(),
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or f"{count} passed" not in done.stdout:
        raise SystemExit(f"the {suite.name} suite failed:\n{done.stdout[-3000:]}{done.stderr}")
    return elapsed


def main() -> int:
    bench = Bench("Cost per test", __doc__)
    count = bench.count(200, short=10)
    runs = bench.count(5, short=1)
    with tempfile.TemporaryDirectory(prefix="pyrus-mock-bench-") as tmp:
        root = Path(tmp)
        suites = {
            "ours": write_suite(root, "ours", count, OURS_HEADER, OURS_TEST, ""),
            "baseline": write_suite(
                root, "baseline", count, BASELINE_HEADER, BASELINE_TEST, BASELINE_CONFTEST
            ),
            "empty": write_suite(root, "empty", count, "", EMPTY_TEST, ""),
        }
        times: dict[str, list[float]] = {name: [] for name in suites}
        for suite in suites.values():
            run_suite(suite, count)  # bytecode and assertion-rewrite caches
        bench.progress(f"{runs} runs of each suite of {count} tests")
        for _ in range(runs):
            for name, suite in suites.items():
                times[name].append(run_suite(suite, count))
    ours, base, empty = (median(times[name]) for name in ("ours", "baseline", "empty"))
    per_test = (ours - empty) / count * 1000
    base_per_test = (base - empty) / count * 1000
    within_2s = TWO_SECONDS.judge(
        f"{count} tests, wall (pytest process)",
        ours,
        base,
        "s",
        note=(
            f"empty suite of {count} tests: {empty:.2f} s; per test above empty: ours "
            f"{per_test:.2f} ms, baseline {base_per_test:.2f} ms"
        ),
    )
    within_2s.target = "<= 0.35x and < 2 s"
    within_2s.passed = within_2s.passed and ours <= 0.35 * base
    within_2s.adjusted = within_2s.adjusted and within_2s.passed
    bench.add(within_2s)
    bench.add(
        Row(
            "per test, above the empty suite",
            per_test,
            base_per_test,
            "ms",
            "(context)",
            True,
        )
    )
    return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
