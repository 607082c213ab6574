"""Checking a bot that needs its own form: saved Pyrus JSON (``GET /forms/{id}``,
``GET /tasks/{id}``) and the bot's settings, through ``check_bot`` and ``pyrus-mock check``."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from werkzeug.test import Client

from pyrus_mock import PyrusMock, Rights
from pyrus_mock.cli.commands import main
from pyrus_mock.mock.saved import SavedJsonError, load_form, load_task
from pyrus_mock.transport.server import TLSServer
from pyrus_mock.transport.tls import CertificateAuthority

from ._bots import pyrus_signature_ok

KEY = "K" * 90 + "s3cr3t"
SETTINGS = '{"mode": "strict", "ответ": "да"}'

#: What real Pyrus answers GET /forms/4242 (trimmed), extra keys included.
FORM: dict[str, Any] = {
    "id": 4242,
    "name": "Invoices",
    "steps": {"1": "Bot", "2": "Accounting"},
    "print_forms": [{"print_form_id": 1, "print_form_name": "Invoice"}],
    "folder": ["Finance"],
    "deleted_or_closed": False,
    "fields": [
        {"id": 7, "type": "text", "name": "Invoice", "tooltip": "No.",
         "info": {"code": "u_invoice", "required_step": 1}},
        {"id": 8, "type": "text", "name": "Status", "info": {"code": "u_status"}},
        {"id": 9, "type": "catalog", "name": "Vendor",
         "info": {"catalog_id": 555, "multiple_choice": False}},
        {"id": 10, "type": "table", "name": "Lines", "info": {"columns": [
            {"id": 11, "type": "text", "name": "Item", "info": {}},
            {"id": 12, "type": "money", "name": "Sum", "info": {"decimal_places": 2}},
        ]}},
        {"id": 13, "type": "multiple_choice", "name": "Kind", "info": {"options": [
            {"choice_id": 1, "choice_value": "Goods", "fields": [
                {"id": 14, "type": "text", "name": "Warehouse", "info": {}}]},
            {"choice_id": 2, "choice_value": "Services"},
        ]}},
        {"id": 15, "type": "step", "name": "Step", "info": {}},
    ],
}  # fmt: skip

#: What real Pyrus answers GET /tasks/99887766 for a task of that form.
TASK: dict[str, Any] = {
    "task": {
        "id": 99887766,
        "form_id": 4242,
        "current_step": 1,
        "text": "Invoice from Acme",
        "create_date": "2026-01-10T09:00:00Z",
        "author": {"id": 5, "first_name": "Real", "last_name": "Person", "type": "user"},
        "approvals": [[{"person": {"id": 77}, "approval_choice": "waiting"}], []],
        "comments": [{"id": 1, "text": "Invoice from Acme", "author": {"id": 5}}],
        "fields": [
            {"id": 7, "type": "text", "name": "Invoice", "value": "INV-1"},
            {"id": 9, "type": "catalog", "name": "Vendor", "value": {
                "item_id": 123, "item_ids": [123], "headers": ["Name", "INN"],
                "values": ["Acme", "7701"], "rows": [["Acme", "7701"]]}},
            {"id": 10, "type": "table", "name": "Lines", "value": [
                {"row_id": 0, "position": 1, "cells": [
                    {"id": 11, "type": "text", "name": "Item", "value": "Paper"},
                    {"id": 12, "type": "money", "name": "Sum", "value": 12.5}]}]},
            {"id": 13, "type": "multiple_choice", "name": "Kind", "value": {
                "choice_ids": [1], "choice_names": ["Goods"], "choice_id": 1,
                "fields": [{"id": 14, "type": "text", "name": "Warehouse", "value": "North",
                            "parent_id": 13}]}},
            {"id": 15, "type": "step", "name": "Step", "value": 1},
        ],
    }
}  # fmt: skip


def signed_bot(
    name: str, key: str, seen: list[dict[str, Any]], answer: Callable[[dict[str, Any]], Any]
) -> Flask:
    """A Flask bot at ``/hook`` that refuses a bad signature with 403, keeps each payload in
    ``seen`` and replies with ``answer(payload)``."""
    app = Flask(name)

    @app.post("/hook")
    def hook() -> Any:
        body = request.get_data()
        if not pyrus_signature_ok(key, body, request.headers.get("X-Pyrus-Sig", "")):
            return "bad signature", 403
        payload = json.loads(body)
        seen.append(payload)
        return answer(payload)

    return app


def invoice_bot(key: str, seen: list[dict[str, Any]]) -> Flask:
    """A Flask bot that only handles invoices: form 4242 with field u_invoice filled, and its
    settings; anything else is refused with 422. It replies by setting field 8 (u_status)."""

    def answer(payload: dict[str, Any]) -> Any:
        task = payload["task"]
        fields = {f["name"]: f.get("value") for f in task.get("fields", [])}
        if task.get("form_id") != 4242 or not fields.get("Invoice"):
            return {"error": "not an invoice task"}, 422
        if json.loads(payload.get("bot_settings") or "{}").get("mode") != "strict":
            return {"error": "missing bot settings"}, 422
        return {"text": f"Invoice {fields['Invoice']} seen", "field_updates": [
            {"id": 8, "value": "checked"}]}  # fmt: skip

    return signed_bot("invoice_bot", key, seen, answer)


@pytest.fixture
def bot_ca() -> Iterator[CertificateAuthority]:
    ca = CertificateAuthority()
    yield ca
    ca.close()


def _rows(out: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+([a-z_]+)\s+(pass|FAIL|skip)\s", out, re.MULTILINE))


def _write(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


# -- pyrus-mock check ------------------------------------------------------------------------------


def test_check_with_form_task_and_settings_passes_a_bot_that_needs_them(
    capsys: pytest.CaptureFixture[str], bot_ca: CertificateAuthority, tmp_path: Path
) -> None:
    seen: list[dict[str, Any]] = []
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(SETTINGS, encoding="utf-8")
    form, task = _write(tmp_path / "form.json", FORM), _write(tmp_path / "task.json", TASK)
    context = bot_ca.server_context("localhost", "127.0.0.1")
    with TLSServer(invoice_bot(KEY, seen), context) as server:
        base = ["check", server.url + "/hook", "--security-key", KEY, "--ca-file",
                bot_ca.ca_path, "--timeout", "5"]  # fmt: skip
        refused = main(base)
        out_refused = capsys.readouterr().out
        form_only = main([*base, "--form", form, "--bot-settings", SETTINGS])
        out_form_only = capsys.readouterr().out
        seen.clear()
        status = main(
            [*base, "--form", form, "--task", task, "--bot-settings", f"@{settings_file}"]
        )
        out, err = capsys.readouterr()
        server.raise_errors()
    assert (refused, _rows(out_refused)["genuine_call"]) == (1, "FAIL")
    assert "HTTP 422" in out_refused
    assert (form_only, _rows(out_form_only)["genuine_call"]) == (1, "FAIL")  # no invoice value
    assert status == 0, out + err
    rows = _rows(out)
    assert rows.pop("key_reset") == "skip"
    assert set(rows.values()) == {"pass"}, out
    payload = seen[0]
    assert payload["bot_settings"] == SETTINGS
    sent = payload["task"]
    assert (sent["form_id"], sent["current_step"], sent["text"]) == (4242, 1, "Invoice from Acme")
    by_id = {f["id"]: f for f in sent["fields"]}
    assert by_id[7] == {"id": 7, "type": "text", "name": "Invoice", "code": "u_invoice",
                        "value": "INV-1"}  # fmt: skip
    assert by_id[9]["value"]["rows"] == [["Acme", "7701"]]
    assert by_id[9]["value"]["headers"] == ["Name", "INN"]
    cells = by_id[10]["value"][0]["cells"]
    assert [(c["id"], c["value"]) for c in cells] == [(11, "Paper"), (12, 12.5)]
    assert by_id[13]["value"]["choice_ids"] == [1]
    assert by_id[13]["value"]["fields"][0]["value"] == "North"
    assert by_id[15]["value"] == 1
    approvers = [a["person"]["id"] for a in sent["approvals"][0]]
    assert approvers == [payload["user_id"]]  # the bot approves the current step


#: What real Pyrus answers GET /tasks/{id} for a simple task (no form), trimmed.
SIMPLE_TASK: dict[str, Any] = {
    "task": {
        "id": 11223344,
        "text": "Send the contract to Acme",
        "subject": "Contract",
        "create_date": "2026-01-10T09:00:00Z",
        "author": {"id": 5, "first_name": "Real", "last_name": "Person", "type": "user"},
        "responsible": {"id": 77, "first_name": "Bot", "last_name": "", "type": "bot"},
        "comments": [{"id": 1, "text": "Send the contract to Acme", "author": {"id": 5}}],
    }
}


def test_check_with_a_simple_task_alone_sends_that_task_to_the_bot(
    capsys: pytest.CaptureFixture[str], bot_ca: CertificateAuthority, tmp_path: Path
) -> None:
    """A simple task needs no --form: the calls carry its text and subject, the bot is its
    responsible; a bot that only handles such tasks passes."""
    seen: list[dict[str, Any]] = []

    def answer(payload: dict[str, Any]) -> Any:
        task = payload["task"]
        if "form_id" in task or task["responsible"]["id"] != payload["user_id"]:
            return {"error": "not my simple task"}, 422
        return {"text": f"Done: {task['subject']}"}

    app = signed_bot("simple_bot", KEY, seen, answer)
    task_file = _write(tmp_path / "simple.json", SIMPLE_TASK)
    with TLSServer(app, bot_ca.server_context("localhost", "127.0.0.1")) as server:
        status = main(["check", server.url + "/hook", "--security-key", KEY, "--ca-file",
                       bot_ca.ca_path, "--timeout", "5", "--task", task_file])  # fmt: skip
        out, err = capsys.readouterr()
        server.raise_errors()
    assert status == 0, out + err
    rows = _rows(out)
    assert rows.pop("key_reset") == "skip"
    assert set(rows.values()) == {"pass"}, out
    sent = seen[0]["task"]
    assert (sent["text"], sent["subject"]) == ("Send the contract to Acme", "Contract")


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        pytest.param(["--form", "{missing}"], "--form '{missing}': cannot read it (No such file",
                     id="missing-file"),
        pytest.param(["--form", "{notjson}"], "--form '{notjson}' is not JSON (Expecting",
                     id="not-json"),
        pytest.param(["--form", "{list}"], "--form '{list}': expected the JSON object of GET "
                     "/forms/{{id}}, got a list", id="form-not-object"),
        pytest.param(["--form", "{badtype}"], "--form '{badtype}': fields[1].type: \"texty\" is "
                     "not a Pyrus field type", id="bad-field-type"),
        pytest.param(["--form", "{noid}"], "--form '{noid}': id: expected the form's id",
                     id="form-without-id"),
        pytest.param(["--form", "{form}", "--task", "{otherform}"], "--task '{otherform}': "
                     "form_id is 99, but the form is 4242", id="task-of-another-form"),
        pytest.param(["--form", "{form}", "--task", "{unknownfield}"], "--task '{unknownfield}': "
                     "fields[0]: field 404 (\"Ghost\") is not a field of form 4242",
                     id="task-field-not-in-form"),
        pytest.param(["--form", "{form}", "--task", "{badvalue}"], "--task '{badvalue}': "
                     "/fields/12", id="value-the-form-refuses"),
        pytest.param(["--form", "{form}", "--task", "{badstep}"], "--task '{badstep}': "
                     "current_step 7 is not a step of form 4242 (steps 1, 2)", id="bad-step"),
        pytest.param(["--task", "{task}"], "--task '{task}' is a task of form 4242: it needs "
                     "--form FILE.json, that form as GET /forms/4242", id="form-task-alone"),
        pytest.param(["--task", "{fieldsonly}"], "--task '{fieldsonly}': it has fields but no "
                     "form_id", id="fields-without-form"),
        pytest.param(["--bot-settings", "@{missing}"], "--bot-settings @{missing}: cannot read it",
                     id="settings-file-missing"),
    ],
)  # fmt: skip
def test_bad_saved_json_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], problem: str
) -> None:
    bad_type = copy.deepcopy(FORM)
    bad_type["fields"][1]["type"] = "texty"
    no_id = {k: v for k, v in FORM.items() if k != "id"}
    other = copy.deepcopy(TASK)
    other["task"]["form_id"] = 99
    unknown = copy.deepcopy(TASK)
    unknown["task"]["fields"] = [{"id": 404, "type": "text", "name": "Ghost", "value": "x"}]
    bad_value = copy.deepcopy(TASK)
    bad_value["task"]["fields"] = [{"id": 12, "type": "money", "name": "Sum", "value": "lots"}]
    bad_step = copy.deepcopy(TASK)
    bad_step["task"]["current_step"] = 7
    (tmp_path / "notjson.json").write_text("{oops", encoding="utf-8")
    files = {
        "missing": str(tmp_path / "missing.json"),
        "notjson": str(tmp_path / "notjson.json"),
        "list": _write(tmp_path / "list.json", [FORM]),
        "badtype": _write(tmp_path / "badtype.json", bad_type),
        "noid": _write(tmp_path / "noid.json", no_id),
        "form": _write(tmp_path / "form.json", FORM),
        "task": _write(tmp_path / "task.json", TASK),
        "otherform": _write(tmp_path / "other.json", other),
        "unknownfield": _write(tmp_path / "unknown.json", unknown),
        "badvalue": _write(tmp_path / "badvalue.json", bad_value),
        "badstep": _write(tmp_path / "badstep.json", bad_step),
        "fieldsonly": _write(
            tmp_path / "fieldsonly.json", {"task": {"text": "t", "fields": TASK["task"]["fields"]}}
        ),
    }
    argv = [a.format(**files) for a in args]
    status = main(["check", "https://127.0.0.1:9/hook", "--security-key", KEY, *argv])
    out, err = capsys.readouterr()
    assert status == 2, out + err
    assert err.count("\n") == 1, err
    assert err.startswith("pyrus-mock check: error: "), err
    assert problem.format(**files) in err, err


# -- the library -----------------------------------------------------------------------------------


def test_check_bot_takes_saved_json_and_bot_settings() -> None:
    seen: list[dict[str, Any]] = []
    with PyrusMock() as fake, fake.serve_bot(invoice_bot(KEY, seen)) as url:
        bot = fake.add_bot("Invoices", url.rstrip("/") + "/hook", security_key=KEY)
        refused = fake.check_bot(bot, latency_budget=5)
        assert not refused.passed
        assert refused["genuine_call"].status == "fail"
        report = fake.check_bot(bot, form=FORM, task=TASK, bot_settings=SETTINGS, latency_budget=5)
        report.assert_passed()
        assert report["reply_contract"].status == "pass"  # field 8 exists: the ids were kept
        assert bot.settings == SETTINGS
        with pytest.raises(SavedJsonError, match=r"^form: the fake already has a form 4242"):
            fake.check_bot(bot, form=FORM)
        # The form is there now: a saved task alone finds it.
        fake.check_bot(bot, task=TASK, latency_budget=5).assert_passed()
        other = copy.deepcopy(TASK)
        other["task"]["form_id"] = 5
        with pytest.raises(SavedJsonError, match=r"^task: its form 5 is not in the fake"):
            fake.check_bot(bot, task=other)
        assert fake._dispatcher.deliveries == []  # the checks call the bot; nothing is delivered
    assert seen[-1]["task"]["form_id"] == 4242


def test_a_form_round_trips_through_saved_json() -> None:
    """A form and task of one fake, saved as its API answers them, load into another the same."""
    source = PyrusMock()
    author = source.add_user("Ann", "Author", email="ann@example.com")
    approver = source.add_user("Bob", "Boss")
    catalog = source.add_catalog("Colours", ["Name", "Code"], [["Red", "r"], ["Blue", "b"]])
    form = source.add_form(
        "Rich",
        [
            {"name": "Amount", "type": "money", "code": "u_amount", "required": True},
            {"name": "Head", "type": "title", "fields": [{"name": "Inner", "type": "text"}]},
            {"name": "Colour", "type": "catalog", "catalog": catalog},
            {"name": "Who", "type": "person"},
            {"name": "Scan", "type": "file"},
            {"name": "Due", "type": "due_date"},
            {"name": "Hint", "type": "note", "text": "Fill it in"},
        ],
        steps=[{"name": "One", "approvers": [approver]}, "Two", "Three"],
    )
    upload = source._backend.files.upload("scan.pdf", b"%PDF", author.id)
    task = source.add_task(form=form, author=author, text="Buy paint", fields={
        "u_amount": 10.5, "Inner": "inside", "Colour": {"item_names": ["Blue"]},
        "Who": {"id": author.id}, "Scan": [{"guid": upload.guid}], "Due": "2026-03-01",
    })  # fmt: skip
    form_json, task_json = (
        _get(source, f"/v4/forms/{form.id}"),
        _get(source, f"/v4/tasks/{task.id}"),
    )
    task_json["task"]["current_step"] = 2

    target = PyrusMock()
    bot = target.add_bot("Bot", "https://bot.invalid/hook")
    loaded = load_form(target, form_json, task=task_json)
    assert _get(target, f"/v4/forms/{loaded.id}") == form_json
    copied = load_task(target, task_json, form=loaded, approver=bot)
    again = _get(target, f"/v4/tasks/{copied.id}")["task"]
    assert again["current_step"] == 2
    assert [a["person"]["id"] for a in again["approvals"][1]] == [bot.id]
    before = {f["name"]: f.get("value") for f in task_json["task"]["fields"]}
    after = {f["name"]: f.get("value") for f in again["fields"]}
    for name in ("Amount", "Head", "Due", "Hint"):
        assert after[name] == before[name], name
    assert after["Colour"]["rows"] == before["Colour"]["rows"] == [["Blue", "b"]]
    assert after["Who"]["email"] == "ann@example.com"
    assert [f["name"] for f in after["Scan"]] == ["scan.pdf"]
    with pytest.raises(SavedJsonError, match=r"^task: form_id is \d+, but the form is 4242"):
        load_task(target, task_json, form=load_form(target, FORM))


def _get(fake: PyrusMock, path: str) -> Any:
    reader = fake.add_user("Sue", "Visor", rights=Rights.SUPERVISOR)
    token = fake._backend.accounts.issue_token(reader.id).value
    reply = Client(fake.app).get(path, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return reply.get_json()


@pytest.mark.parametrize("where", ["nested", "flat", "both"])
def test_children_of_a_choice_load_nested_flat_or_both(where: str) -> None:
    saved = copy.deepcopy(TASK)
    fields = saved["task"]["fields"]
    kind = next(f for f in fields if f["id"] == 13)
    child = kind["value"]["fields"][0]
    if where != "nested":
        fields.append(dict(child))
    if where == "flat":
        del kind["value"]["fields"]
    fake = PyrusMock()
    task = load_task(fake, saved, form=load_form(fake, FORM, task=saved))
    reply = _get(fake, f"/v4/tasks/{task.id}")["task"]
    (kind_now,) = [f for f in reply["fields"] if f["id"] == 13]
    assert kind_now["value"]["fields"][0]["value"] == "North"
