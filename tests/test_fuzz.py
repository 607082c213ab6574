"""Fuzzing a bot with generated tasks: check_bot(bot, fuzz=N) and pyrus_mock.mock.fuzz.fuzz_bot."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

import pytest
from flask import Flask, abort, request

from pyrus_mock.mock.fuzz import fuzz_bot


def make_bot(bug: str = "amount") -> Flask:
    """A Flask bot with a planted bug: it crashes on amounts over 1000 (or a ``§`` in a note)."""
    app = Flask(__name__)
    app.config["KEY"] = ""

    @app.post("/")
    def webhook() -> Any:
        body = request.get_data()
        expected = hmac.new(app.config["KEY"].encode(), body, hashlib.sha1).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Pyrus-Sig", "").lower()):
            abort(403)
        task = request.get_json()["task"]
        values = {f.get("code"): f.get("value") for f in task.get("fields", [])}
        if bug == "amount" and (values.get("u_amount") or 0) > 1000:
            raise RuntimeError("planted bug: amounts over 1000 crash the bot")
        if bug == "char" and "§" in (values.get("u_note") or ""):
            raise RuntimeError("planted bug: a section sign crashes the bot")
        if bug == "reply" and values.get("u_note"):
            return {"field_updates": [{"code": "u_missing", "value": 1}]}
        return {"text": "ok"}

    return app


def _expense_bot(pyrus_mock: Any, bot_server: Any, bug: str) -> Any:
    app = make_bot(bug)
    bot = pyrus_mock.add_bot("Expenses", bot_server(app))
    app.config["KEY"] = bot.security_key
    pyrus_mock.add_form(
        "Expense",
        fields=[
            {"name": "Amount", "type": "money", "code": "u_amount"},
            {"name": "Note", "type": "text", "code": "u_note"},
            {"name": "Due", "type": "date", "code": "u_due"},
        ],
        steps=[{"name": "Check", "approvers": [bot]}],
    )
    return bot


def test_fuzzing_finds_the_planted_crash_and_shrinks_the_task(pyrus_mock, bot_server):
    bot = _expense_bot(pyrus_mock, bot_server, "amount")

    report = pyrus_mock.check_bot(bot, fuzz=60, fuzz_seed=0)

    assert not report.passed
    assert report["fuzz"].status == "fail"
    fuzz = report.fuzz
    [failure] = fuzz.failures
    assert failure.kind == "non_2xx"
    assert failure.reason.startswith("HTTP 500")
    # Shrunk: the one field that matters, at the smallest value that crashes, and no text.
    assert failure.task.fields == {"u_amount": 1001}
    assert failure.task.text == ""
    shown = str(report)
    assert "fields={'u_amount': 1001}" in shown
    assert "def test_bot_handles_fuzzed_task_non_2xx(pyrus_mock, bot_server):" in shown
    # The other checks ran too and passed.
    assert report["genuine_call"].status == "pass"


def test_the_printed_test_reproduces_the_failure(pyrus_mock, bot_server):
    bot = _expense_bot(pyrus_mock, bot_server, "char")
    report = fuzz_bot(pyrus_mock, bot, 80, seed=3)
    [failure] = report.failures
    assert failure.task.fields == {"u_note": "§"}

    # Replay the shrunk task as the printed test does: a real, applied delivery fails.
    form = pyrus_mock.forms()[-1]
    pyrus_mock.settings = pyrus_mock.settings.replace(retry_delays=())
    task = failure.task.create(pyrus_mock, form)
    [delivery] = [d for d in bot.deliveries if d.task_id == task.id]
    assert not delivery.ok
    assert delivery.last_attempt.status == 500


def test_an_invalid_reply_is_a_failure(pyrus_mock, bot_server):
    bot = _expense_bot(pyrus_mock, bot_server, "reply")
    report = fuzz_bot(pyrus_mock, bot, 40, seed=0)
    [failure] = report.failures
    assert failure.kind == "invalid_reply"
    assert "invalid_field_code" in failure.reason
    assert failure.task.fields.keys() == {"u_note"}


def test_a_correct_bot_passes(pyrus_mock, bot_server):
    bot = _expense_bot(pyrus_mock, bot_server, "none")
    report = fuzz_bot(pyrus_mock, bot, 30)
    assert report.passed, str(report)
    assert report.examples >= 30
    assert not pyrus_mock.deliveries  # observed only: nothing recorded, nothing applied


def test_a_bot_without_a_form_gets_generated_forms(pyrus_mock, bot_server):
    app = make_bot("none")
    bot = pyrus_mock.add_bot("Formless", bot_server(app))
    app.config["KEY"] = bot.security_key
    report = fuzz_bot(pyrus_mock, bot, 15)
    assert report.passed, str(report)
    assert len(pyrus_mock.forms()) >= 15


def test_generated_form_failures_print_the_form(pyrus_mock, bot_server):
    app = Flask(__name__)

    @app.post("/")
    def webhook() -> Any:
        return "", 500

    bot = pyrus_mock.add_bot("Broken", bot_server(app))
    report = fuzz_bot(pyrus_mock, bot, 5)
    [failure] = report.failures
    test = failure.to_test()
    assert "form = pyrus_mock.add_form(" in test
    assert '"approvers": [bot]' in test

    # The printed test runs as it is (given the app) and fails as the bot did.
    pyrus_mock.settings = pyrus_mock.settings.replace(retry_delays=())
    scope: dict[str, Any] = {"app": app}
    exec(compile(test, "<fuzz>", "exec"), scope)
    with pytest.raises(AssertionError, match="answered 500"):
        scope["test_bot_handles_fuzzed_task_non_2xx"](pyrus_mock, bot_server)


def test_fuzz_needs_a_positive_count(pyrus_mock, bot_server):
    bot = pyrus_mock.add_bot("Bot", bot_server(make_bot("none")))
    with pytest.raises(ValueError, match="at least 1"):
        fuzz_bot(pyrus_mock, bot, 0)
    bot.disable()
    with pytest.raises(ValueError, match="cannot be fuzzed: the bot is disabled"):
        fuzz_bot(pyrus_mock, bot, 5)


def test_check_command_fuzzes_a_bot_running_anywhere(capsys, tmp_path):
    from pyrus_mock import PyrusMock
    from pyrus_mock.cli.commands import main

    key = "K" * 40
    app = Flask(__name__)

    @app.post("/")
    def webhook() -> Any:
        body = request.get_data()
        expected = hmac.new(key.encode(), body, hashlib.sha1).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Pyrus-Sig", "").lower()):
            abort(403)
        for fd in request.get_json()["task"].get("fields", []):
            if fd["type"] in ("number", "money") and (fd.get("value") or 0) > 1000:
                raise RuntimeError("planted bug")
        return ""

    with PyrusMock() as elsewhere, elsewhere.serve_bot(app) as url:
        status = main(["check", url, "--security-key", key, "--ca-file", elsewhere.ca_path,
                       "--fuzz", "300", "--fuzz-seed", "1", "--timeout", "5"])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 1, out
    assert re.search(r"^\s+fuzz\s+FAIL\s", out, re.M), out
    assert re.search(r"fields=\{'u_(number|money)_\d+': 1001\}", out), out
    assert "def test_bot_handles_fuzzed_task_non_2xx(pyrus_mock, bot_server):" in out
    assert "form = pyrus_mock.add_form(" in out


def _hangs_up_on_big_amounts(sock: Any) -> None:
    """A bot at the socket level: reads the request; hangs up without an answer on amounts
    over 1000, answers 200 otherwise."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
    while len(body) < length:
        body += sock.recv(65536)
    fields = json.loads(body)["task"].get("fields", [])
    if any(f.get("code") == "u_amount" and (f.get("value") or 0) > 1000 for f in fields):
        return  # closed by RawServer: no HTTP answer at all
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def test_no_answer_is_a_failure(pyrus_mock):
    from ._tls_helpers import RawServer

    server = RawServer(_hangs_up_on_big_amounts, pyrus_mock.ca.server_context("127.0.0.1"))
    try:
        bot = pyrus_mock.add_bot("Hangs up", server.url)
        pyrus_mock.add_form(
            "Expense",
            fields=[{"name": "Amount", "type": "money", "code": "u_amount"},
                    {"name": "Note", "type": "text", "code": "u_note"}],
            steps=[{"name": "Check", "approvers": [bot]}],
        )  # fmt: skip
        report = fuzz_bot(pyrus_mock, bot, 60, latency_budget=5, seed=0)
    finally:
        server.close()
    [failure] = report.failures
    assert failure.kind == "no_answer"
    assert failure.task.fields == {"u_amount": 1001}
    assert report.failing_examples["no_answer"] >= 1


def test_check_command_fuzzes_the_saved_form_it_is_given(capsys, tmp_path):
    from pyrus_mock import PyrusMock
    from pyrus_mock.cli.commands import main

    key = "F" * 40
    form = {"id": 4242, "name": "Expense", "steps": {"1": "Bot", "2": "Accounting"}, "fields": [
        {"id": 7, "type": "money", "name": "Amount", "info": {"code": "u_amount"}},
        {"id": 8, "type": "text", "name": "Note", "info": {"code": "u_note"}},
    ]}  # fmt: skip
    form_file = tmp_path / "form.json"
    form_file.write_text(json.dumps(form), encoding="utf-8")
    app = Flask(__name__)

    @app.post("/")
    def webhook() -> Any:
        body = request.get_data()
        expected = hmac.new(key.encode(), body, hashlib.sha1).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Pyrus-Sig", "").lower()):
            abort(403)
        values = {f["id"]: f.get("value") for f in request.get_json()["task"].get("fields", [])}
        if (values.get(7) or 0) > 1000:
            raise RuntimeError("planted bug")
        return {"approval_choice": "approved"}  # valid: the bot approves step 1

    with PyrusMock() as elsewhere, elsewhere.serve_bot(app) as url:
        status = main(["check", url, "--security-key", key, "--ca-file", elsewhere.ca_path,
                       "--form", str(form_file), "--fuzz", "60", "--fuzz-seed", "0"])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 1, out
    assert "fuzz: 60 tasks of form 'Expense' (id 4242)" in out
    assert "fields={'u_amount': 1001}" in out
    assert "approvals=[[bot]]," in out
    assert re.search(r"^\s+reply_contract\s+pass\s", out, re.M), out
