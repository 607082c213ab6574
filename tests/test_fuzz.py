"""Fuzzing a bot with generated tasks: check_bot(bot, fuzz=N) and pyrus_mock.mock.fuzz.fuzz_bot."""

from __future__ import annotations

import json
import re
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, abort, request

from pyrus_mock.mock.fuzz import fuzz_bot

from ._bots import pyrus_signature_ok

_EXAMPLES = Path(__file__).parent / "examples"


def _verify(key: str) -> None:
    """Answer 403 unless the request carries Pyrus's signature made with ``key``."""
    signature = request.headers.get("X-Pyrus-Sig", "")
    if not pyrus_signature_ok(key, request.get_data(), signature, mode="lower"):
        abort(403)


def make_bot(bug: str = "amount") -> Flask:
    """A Flask bot with a planted bug: it crashes on amounts over 1000 (or a ``§`` in a note)."""
    app = Flask(__name__)
    app.config["KEY"] = ""

    @app.post("/")
    def webhook() -> Any:
        _verify(app.config["KEY"])
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


def _run_printed(test: str, name: str, make_app: Any, give_key: Any) -> None:
    """Run the printed ``test`` as a user would after pasting it: in a fresh fake, the bot
    served over HTTPS, ``make_app``/``give_key`` standing for the user's code. The test's
    AssertionError propagates."""
    from pyrus_mock import PyrusMock

    scope: dict[str, Any] = {"make_app": make_app, "give_key": give_key}
    exec(compile(test, "<printed test>", "exec"), scope)
    with PyrusMock() as fresh, ExitStack() as servers:
        fresh.settings = fresh.settings.replace(retry_delays=())
        scope[name](fresh, lambda app: servers.enter_context(fresh.serve_bot(app)))


def _set_key(app: Flask, key: str) -> None:
    app.config["KEY"] = key


def test_the_printed_test_reproduces_the_failure(pyrus_mock, bot_server):
    bot = _expense_bot(pyrus_mock, bot_server, "char")
    report = fuzz_bot(pyrus_mock, bot, 80, seed=3)
    [failure] = report.failures
    assert failure.task.fields == {"u_note": "§"}
    test = failure.to_test()
    # A complete test: the bot's own form created (its field ids and codes), the bot given
    # its key, no placeholder but make_app()/give_key().
    assert "form = pyrus_mock.add_form(" in test
    assert "'code': 'u_note'" in test
    assert "give_key(app, bot.security_key)" in test
    assert "..." not in test

    # Pasted next to the bot (which checks signatures): it fails as the fuzzed bot did.
    with pytest.raises(AssertionError, match="answered 500"):
        _run_printed(test, "test_bot_handles_fuzzed_task_non_2xx", lambda: make_bot("char"),
                     _set_key)  # fmt: skip
    # After the fix it passes (and the bot did check the signature: a wrong key is a 403).
    _run_printed(test, "test_bot_handles_fuzzed_task_non_2xx", lambda: make_bot("none"),
                 _set_key)  # fmt: skip
    with pytest.raises(AssertionError, match="answered 403"):
        _run_printed(test, "test_bot_handles_fuzzed_task_non_2xx", lambda: make_bot("none"),
                     lambda app, key: _set_key(app, "not the key"))  # fmt: skip


def _readme_bot_with_a_bug() -> Flask:
    """The README's example bot (tests/examples/flask_bot.py), with a planted bug that bites
    only after its signature check passed: amounts over 1000 crash it."""
    sys.path.insert(0, str(_EXAMPLES))
    try:
        from flask_bot import create_app
    finally:
        sys.path.remove(str(_EXAMPLES))
    app = create_app()

    @app.after_request
    def crash_on_big_amounts(response: Any) -> Any:
        fields = request.get_json()["task"].get("fields", [])
        if response.status_code == 200 and any(
            f.get("code") == "u_amount" and (f.get("value") or 0) > 1000 for f in fields
        ):
            raise RuntimeError("planted bug: amounts over 1000 crash the bot")
        return response

    return app


def _give_readme_key(app: Flask, key: str) -> None:
    app.config["PYRUS_SECURITY_KEY"] = key


def test_the_printed_test_reproduces_the_readme_bot_failure(pyrus_mock, bot_server):
    app = _readme_bot_with_a_bug()
    bot = pyrus_mock.add_bot("Approver", bot_server(app))
    _give_readme_key(app, bot.security_key)
    boss = pyrus_mock.add_user("Ann", "Boss")
    pyrus_mock.add_form(
        "Expense",
        fields=[{"name": "Amount", "type": "money", "code": "u_amount"}],
        steps=[{"name": "Check", "approvers": [bot]}, {"name": "Pay", "approvers": [boss]}],
    )
    report = pyrus_mock.check_bot(bot, fuzz=60, fuzz_seed=0)
    [failure] = report.fuzz.failures
    assert failure.task.fields == {"u_amount": 1001}
    test = failure.to_test()
    assert test in str(report)

    with pytest.raises(AssertionError, match="answered 500"):
        _run_printed(test, "test_bot_handles_fuzzed_task_non_2xx", _readme_bot_with_a_bug,
                     _give_readme_key)  # fmt: skip


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
    with pytest.raises(AssertionError, match="answered 500"):
        _run_printed(test, "test_bot_handles_fuzzed_task_non_2xx", lambda: app,
                     lambda app, key: None)  # fmt: skip


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
        _verify(key)
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
        _verify(key)
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


def test_the_strategies_docstring_pattern_draws_with_fixtures(pyrus_mock, bot_server):
    """pyrus_mock.strategies' usage example: strategies that need the fake are drawn inside
    the test (st.data()), since fixtures do not exist when @given is applied."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from pyrus_mock import strategies as ps

    app = make_bot("none")
    bot = pyrus_mock.add_bot("Expenses", bot_server(app))
    app.config["KEY"] = bot.security_key
    form = pyrus_mock.add_form("Expense", fields=[{"name": "Note", "type": "text",
                                                  "code": "u_note"}],
                               steps=[{"name": "Check", "approvers": [bot]}])  # fmt: skip

    @settings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def test_any_task(data: st.DataObject) -> None:
        spec = data.draw(ps.task_specs(pyrus_mock, form))
        task = spec.create(pyrus_mock, form)
        [delivery] = [d for d in bot.deliveries if d.task_id == task.id]
        assert delivery.ok, delivery.summary()

    test_any_task()
    assert len(bot.deliveries) >= 5


def _shape(fields: list[Any], catalogs: dict[int, Any]) -> list[Any]:
    """What a bot sees of field definitions: ids, types, names, codes, settings, options,
    the catalog's name and rows (catalog ids differ between fakes)."""
    out = []
    for fd in fields:
        catalog = catalogs[fd.catalog_id] if fd.catalog_id else None
        out.append((
            fd.id, fd.type, fd.name, fd.code, fd.required_step, fd.immutable_step,
            fd.decimal_places, fd.multiline, fd.text, fd.multiple,
            catalog and (catalog.name, [i.values for i in catalog.items]),
            [(o.id, o.value, _shape(o.fields, catalogs)) for o in fd.options],
            _shape(fd.columns, catalogs), _shape(fd.children, catalogs),
        ))  # fmt: skip
    return out


def test_the_printed_form_recreates_the_bots_form(pyrus_mock):
    from pyrus_mock import PyrusMock
    from pyrus_mock.mock.fuzz_source import form_spec_of

    bot = pyrus_mock.add_bot("Bot", "https://127.0.0.1:9/")
    shops = pyrus_mock.add_catalog("Shops", ["Name", "City"], [["Aldi", "Köln"], ["Lidl", "Ulm"]])
    form = pyrus_mock.add_form(
        "Purchase",
        fields=[
            {"id": 7, "name": "Amount", "type": "money", "decimal_places": 2, "required": True},
            {"name": "Shop", "type": "catalog", "catalog": shops, "code": "u_shop"},
            {"name": "Kind", "type": "multiple_choice", "code": "u_kind", "options": [
                {"choice_id": 3, "choice_value": "Food",
                 "fields": [{"name": "Fresh", "type": "checkmark", "code": "u_fresh"}]},
                "Other"]},
            {"name": "Items", "type": "table", "code": "u_items", "columns": [
                {"name": "Item", "type": "text", "code": "u_item"},
                {"name": "Where", "type": "catalog", "catalog": shops}]},
            {"name": "Details", "type": "title", "fields": [
                {"name": "Why", "type": "text", "multiline": True, "read_only": True}]},
            {"name": "Hint", "type": "note", "text": "Keep the receipt"},
        ],
        steps=[{"name": "Check", "approvers": [bot]}, "Pay"],
    )  # fmt: skip
    source = form_spec_of(pyrus_mock, form).to_python()

    with PyrusMock() as fresh:
        copy_bot = fresh.add_bot("Bot", "https://127.0.0.1:9/")
        exec(compile(source, "<printed form>", "exec"), {"pyrus_mock": fresh, "bot": copy_bot})
        [copy] = fresh.forms()
        by_id = {c.id: c for c in fresh.catalogs()}
        assert _shape(copy.fields, by_id) == _shape(form.fields, {shops.id: shops})
        assert [(s.number, s.name) for s in copy.steps] == [(1, "Check"), (2, "Pay")]
        assert copy.steps[0].approver_ids == [copy_bot.id]
    assert source.count("add_catalog(") == 1  # one catalog, used by two fields
