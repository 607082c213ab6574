"""The example bot shipped in ``pyrus_mock/examples/bot.py`` (it is what ``demo`` runs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from pyrus_mock import PyrusMock
from pyrus_mock.delivery.dispatch import sign
from pyrus_mock.examples import ExampleBot
from pyrus_mock.examples.bot import field_value

from ._tls_helpers import refused_port

KEY = "k" * 96


@pytest.fixture
def fake() -> Iterator[PyrusMock]:
    mock = PyrusMock()
    mock.start()
    yield mock
    mock.close()


def _form(fake: PyrusMock, bot: Any) -> Any:
    return fake.add_form(
        "Expense report",
        fields=[
            {"name": "Amount", "type": "money", "code": "u_amount"},
            {"name": "Bot note", "type": "text", "code": "u_bot_note"},
        ],
        steps=[{"name": "Bot check", "approvers": [bot]}, {"name": "Accounting"}],
    )


def _note(fake: PyrusMock, task_id: int) -> Any:
    form = fake._backend.find_form(fake.task(task_id).form_id or 0)
    assert form is not None
    by_code = {f.code: f.id for f in form.fields}
    return fake.task(task_id).values.get(by_code["u_bot_note"])


@pytest.mark.parametrize(
    ("amount", "choice", "prefix"),
    [pytest.param(120.5, "approved", "Approved", id="within"),
     pytest.param(5000, "rejected", "Rejected", id="over")],
)  # fmt: skip
def test_bot_reads_the_task_back_fills_a_field_and_decides(
    fake: PyrusMock, amount: float, choice: str, prefix: str
) -> None:
    app = ExampleBot(api_url=fake.api_url, ssl_context=fake.ssl_context)
    with fake.serve_bot(app) as url:
        bot = fake.add_bot("Expense bot", url)
        app.security_key = bot.security_key
        task = fake.add_task(form=_form(fake, bot), fields={"u_amount": amount})
    delivery = fake.deliveries[0]
    assert delivery.ok, delivery.summary()
    assert delivery.reply["approval_choice"] == choice
    assert delivery.reply["text"].startswith(prefix)
    assert task.approvals[0][0].choice == choice
    assert "the limit of 1000.00" in _note(fake, task.id)
    calls = [c for c in fake._backend.api_calls if c.person_id == bot.id]
    assert [(c.method, c.path, c.status) for c in calls] == [("GET", f"/v4/tasks/{task.id}", 200)]


def test_bot_refuses_a_wrong_signature_and_follows_a_new_key(fake: PyrusMock) -> None:
    app = ExampleBot(api_url=fake.api_url, ssl_context=fake.ssl_context)
    with fake.serve_bot(app) as url:
        bot = fake.add_bot("Expense bot", url)
        app.security_key = bot.security_key
        form = _form(fake, bot)
        new_key = bot.reset_security_key()
        fake.add_task(form=form, fields={"u_amount": 1})
        delivery = fake.deliveries[-1]
        assert delivery.attempts[0].status == 403
        assert delivery.state == "pending_retry"
        assert not [c for c in fake._backend.api_calls if c.person_id == bot.id]
        app.security_key = new_key
        fake.clock.advance(61)  # type: ignore[attr-defined]
    assert delivery.state == "delivered"
    assert delivery.attempts[1].request_headers["X-Pyrus-Retry"] == "2/3"


def test_the_example_bot_passes_the_conformance_checks(fake: PyrusMock) -> None:
    app = ExampleBot(api_url=fake.api_url, ssl_context=fake.ssl_context)
    with fake.serve_bot(app) as url:
        bot = fake.add_bot("Expense bot", url)
        app.security_key = bot.security_key
        report = fake.check_bot(bot, on_key_reset=lambda key: setattr(app, "security_key", key))
    assert report.passed, str(report)
    assert report["key_reset"].status == "pass"


def _signed_call(key: str, payload: dict[str, Any], *, case: str = "upper") -> Any:
    body = json.dumps(payload).encode()
    return body, {"X-Pyrus-Sig": sign(key, body, case), "Content-Type": "application/json"}


@pytest.mark.parametrize(
    "signature",
    [pytest.param(None, id="missing"), pytest.param("", id="empty"),
     pytest.param("0" * 40, id="wrong")],
)  # fmt: skip
def test_bad_signatures_are_refused_with_403(signature: str | None) -> None:
    client = Client(ExampleBot(KEY))
    headers = {} if signature is None else {"X-Pyrus-Sig": signature}
    response = client.post("/", data=b'{"task_id": 1}', headers=headers)
    assert response.status_code == 403
    assert response.json == {"error": "bad X-Pyrus-Sig"}


def test_a_bot_without_a_key_refuses_everything() -> None:
    body, headers = _signed_call("", {"task_id": 1})
    assert Client(ExampleBot()).post("/", data=body, headers=headers).status_code == 403


def test_lower_case_signatures_are_accepted_but_api_failure_answers_503() -> None:
    api = f"https://127.0.0.1:{refused_port()}/v4"
    body, headers = _signed_call(KEY, {"task_id": 7, "access_token": "t"}, case="lower")
    response = Client(ExampleBot(KEY, api_url=api, timeout=2)).post("/", data=body, headers=headers)
    # The signature verified (not 403); the API was unreachable, so Pyrus should retry.
    assert response.status_code == 503
    assert "error" in response.json


def test_decide_without_an_amount_leaves_the_approval_to_a_person() -> None:
    fields = [{"code": "u_amount", "type": "money"}, {"code": "u_bot_note", "type": "text"}]
    reply = ExampleBot(KEY).decide({"fields": fields})
    assert "approval_choice" not in reply
    assert reply["field_updates"][0]["code"] == "u_bot_note"


def test_decide_writes_no_field_the_form_lacks() -> None:
    reply = ExampleBot(KEY).decide({"fields": [{"code": "u_amount", "value": 5}]})
    assert reply == {
        "text": "Approved: Amount 5.00 is within the limit of 1000.00.",
        "approval_choice": "approved",
    }


def test_settings_are_normalised() -> None:
    bot = ExampleBot(KEY, api_url="https://example.invalid/v4", limit=10)
    assert bot.api_url == "https://example.invalid/v4/"
    bot.security_key = "new"
    assert bot.security_key == "new"
    assert field_value({"fields": [{"code": "x", "value": 3}]}, "x") == 3
    assert field_value({}, "x") is None
