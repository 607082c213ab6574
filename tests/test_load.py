"""``pyrus-mock load``: Locust users against a bot served here over TLS (loopback only).

Locust runs in subprocesses (gevent never patches this process); every run is bounded by
``--duration`` and the runner's own timeouts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, abort, request

from pyrus_mock.cli.commands import main
from pyrus_mock.cli.load import LoadOptions, collect
from pyrus_mock.cli.load.runner import _free_port

from ._bots import pyrus_signature_ok

KEY = "L" * 60
_EXAMPLES = Path(__file__).parent / "examples"


def planted_bot() -> Flask:
    """Crashes on amounts over 1000, replies an invalid comment for training expenses."""
    app = Flask(__name__)

    @app.post("/")
    def webhook() -> Any:
        signature = request.headers.get("X-Pyrus-Sig", "")
        if not pyrus_signature_ok(KEY, request.get_data(), signature, mode="lower"):
            abort(403)
        values = {f.get("code"): f.get("value") for f in request.get_json()["task"]["fields"]}
        if (values.get("u_amount") or 0) > 1000:
            raise RuntimeError("planted bug")
        if values.get("u_purpose") == "training":
            return {"field_updates": [{"code": "u_no_such_field", "value": "x"}]}
        return {"approval_choice": "approved", "text": "ok"}

    return app


def flask_example_bot() -> Flask:
    sys.path.insert(0, str(_EXAMPLES))
    try:
        from flask_bot import create_app
    finally:
        sys.path.remove(str(_EXAMPLES))
    return create_app(KEY)


def test_two_local_workers_sustain_the_flask_example_bot(pyrus_mock, bot_server, capsys):
    url = bot_server(flask_example_bot())
    # --ca-file, as check/record/replay spell it (the test of workers below uses --ca).
    argv = ["load", url, "--security-key", KEY, "--ca-file", pyrus_mock.ca_path, "--users", "4",
            "--duration", "2", "--workers", "2", "--timeout", "10"]  # fmt: skip
    status = main(argv)
    out = capsys.readouterr().out
    assert status == 0, out
    assert "4 users, rate unthrottled, 2 workers:" in out
    assert "0 failed, 0 invalid replies" in out
    for figure in ("latency p50 ", " p95 ", " p99 "):
        assert figure in out
    calls = int(out.split(" calls in ")[0].rsplit(" ", 1)[1])
    assert calls > 0


def test_error_kinds_retries_and_invalid_replies_are_reported(pyrus_mock, bot_server):
    url = bot_server(planted_bot())
    options = LoadOptions(url, KEY, users=3, rate=60, duration=3, ca=pyrus_mock.ca_path,
                          timeout=10, retry_delays=(0.2, 0.4))  # fmt: skip
    report = collect(options)
    assert report is not None
    assert not report.passed
    assert report.errors.keys() >= {"HTTP 500", "invalid reply: invalid_field_code"}
    assert report.invalid_replies == report.errors["invalid reply: invalid_field_code"] > 0
    # Failed calls are retried with the same bytes, as Pyrus does: attempts 2 and 3 show up.
    assert "retry 2/3" in report.by_name
    assert report.by_name["retry 2/3"]["failures"] == report.by_name["retry 2/3"]["requests"]
    assert report.by_name["delivery"]["requests"] > report.by_name["retry 2/3"]["requests"]
    assert set(report.latency_ms) >= {"p50", "p95", "p99"}
    text = str(report)
    assert "invalid reply: invalid_field_code" in text
    assert "retry 2/3" in text


def test_certificates_are_verified(pyrus_mock, bot_server):
    url = bot_server(flask_example_bot())
    # No --ca: requests' CA bundle does not know the fake's CA, so no call gets through.
    report = collect(LoadOptions(url, KEY, users=1, duration=1, timeout=5, retry_delays=()))
    assert report is not None
    assert report.requests > 0
    assert set(report.errors) == {"no answer: TLS error"}


def test_a_master_and_two_workers_started_as_on_other_machines(pyrus_mock, bot_server, tmp_path):
    url = bot_server(flask_example_bot())
    port = _free_port("127.0.0.1")
    env = {**os.environ, "PYRUS_SECURITY_KEY": KEY}
    cli = [sys.executable, "-m", "pyrus_mock"]
    common = ["--ca", pyrus_mock.ca_path, "--master-port", str(port)]
    master = subprocess.Popen(
        [*cli, "load", url, *common, "--master", "--workers", "2", "--users", "4",
         "--duration", "2", "--worker-wait", "30", "--timeout", "10"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    workers = [
        subprocess.Popen(
            [*cli, "load", url, *common, "--worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        out, _ = master.communicate(timeout=120)
        for worker in workers:
            assert worker.wait(timeout=60) == 0
    finally:
        for proc in [master, *workers]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert master.returncode == 0, out
    assert f"Locust master on 127.0.0.1:{port}" in out
    assert "2 workers:" in out
    assert "0 failed, 0 invalid replies" in out


def test_locust_never_patches_the_calling_process() -> None:
    assert "gevent" not in sys.modules or not __import__("gevent.monkey").monkey.is_module_patched(
        "socket"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["load", "https://127.0.0.1:9/"], "--security-key is required"),
        (["load", "http://127.0.0.1:9/", "--security-key", "k"], "https://"),
        (
            ["load", "https://127.0.0.1:9/", "--security-key", "k", "--ca", "/nope.pem"],
            "does not exist",
        ),
        (
            ["load", "https://127.0.0.1:9/", "--security-key", "k", "--ca-file", "/nope.pem"],
            "does not exist",
        ),
        (["load", "https://127.0.0.1:9/", "--security-key", "k", "--master"], "--workers"),
        (["load", "https://127.0.0.1:9/", "--users", "0"], "at least 1"),
        (["load", "https://127.0.0.1:9/", "--retry-delays", "a,b"], "61,122"),
        (["load", "https://127.0.0.1:9/", "--master", "--worker"], "not allowed"),
    ],
)
def test_usage_errors_are_one_line(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("PYRUS_SECURITY_KEY", raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1


def test_the_report_counts_error_kinds_and_fails_on_crashed_users() -> None:
    from pyrus_mock.cli.load.report import LoadReport, _error_text

    assert _error_text("CatchResponseError('HTTP 500')") == "HTTP 500"
    assert _error_text("ConnectionError(...)") == "ConnectionError(...)"
    latency = {"p50": 2.0, "p95": 9.0, "p99": 12.0, "avg": 3.1, "max": 20.0}
    entry = {"requests": 10, "failures": 3, "rps": 5.0, "latency_ms": latency}
    data = {
        "workers": 2, "duration_s": 2.0, "total": entry, "by_name": {"delivery": entry},
        "errors": [{"name": "delivery", "error": "HTTP 500", "count": 2},
                   {"name": "delivery", "error": "invalid reply: text_missing", "count": 1}],
        "exceptions": [],
    }  # fmt: skip
    report = LoadReport("https://bot.example/", 4, 0.0, 2, data)
    assert report.errors == {"HTTP 500": 2, "invalid reply: text_missing": 1}
    assert report.invalid_replies == 1
    assert not report.passed
    assert "p99 12 ms" in report.summary()
    clean = {**data, "total": {**entry, "failures": 0}, "errors": []}
    assert LoadReport("https://bot.example/", 4, 0.0, 2, clean).passed
    crashed = {**clean, "exceptions": [{"message": "KeyError('x')", "count": 3, "traceback": ""}]}
    report = LoadReport("https://bot.example/", 4, 0.0, 2, crashed)
    assert not report.passed
    assert "the Locust user raised (3x): KeyError('x')" in str(report)


def test_refused_calls_point_at_the_security_key() -> None:
    from pyrus_mock.cli.load.report import LoadReport

    latency = {"p50": 2.0, "p95": 9.0, "p99": 12.0, "avg": 3.1, "max": 20.0}
    entry = {"requests": 10, "failures": 10, "rps": 5.0, "latency_ms": latency}
    data = {
        "workers": 0, "duration_s": 2.0, "total": entry, "by_name": {"delivery": entry},
        "errors": [{"name": "delivery", "error": "HTTP 403", "count": 10}], "exceptions": [],
    }  # fmt: skip
    text = str(LoadReport("https://bot.example/", 1, 0.0, 0, data))
    assert "    10  HTTP 403" in text
    assert "check that --security-key" in text  # what to do next
    data["errors"] = [{"name": "delivery", "error": "HTTP 500", "count": 10}]
    assert "--security-key" not in str(LoadReport("https://bot.example/", 1, 0.0, 0, data))
