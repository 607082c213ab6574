"""A Flask bot that works the way Pyrus's Python sample does: lower-cased signature check,
reading the task back through the API with the call's access_token, replying with a comment."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import requests
from flask import Flask, Response, request

from pyrus_mock import PyrusMock


def make_flask_bot(keys: dict[str, str], api_url: str, ca_path: str) -> Flask:
    app = Flask("expense-bot")

    @app.post("/pyrus")
    def hook() -> Any:
        body = request.get_data()
        signature = request.headers.get("X-Pyrus-Sig", "")
        digest = hmac.new(keys["key"].encode(), body, hashlib.sha1).hexdigest()
        if not hmac.compare_digest(digest.lower(), signature.lower()):
            return Response("bad signature", status=403)
        call = request.get_json()
        # read the task back, as the official samples do, with the token from the call
        task = requests.get(
            f"{api_url}tasks/{call['task_id']}",
            headers={"Authorization": f"Bearer {call['access_token']}"},
            verify=ca_path,
            timeout=5,
        ).json()["task"]
        amount = next(f for f in task["fields"] if f.get("code") == "u_amount")["value"]
        choice = "approved" if amount <= 100 else "rejected"
        return {
            "text": f"amount {amount} {choice}",
            "approval_choice": choice,
            "field_updates": [{"code": "u_checked_by", "value": "expense-bot"}],
        }

    return app


def test_flask_bot_reads_back_and_approves() -> None:
    keys: dict[str, str] = {}
    with PyrusMock() as fake:
        app = make_flask_bot(keys, fake.api_url, fake.ca_path)
        with fake.serve_bot(app) as url:
            bot = fake.add_bot("Expense bot", url + "pyrus")
            keys["key"] = bot.security_key
            boss = fake.add_user("Boss", "Person")
            form = fake.add_form(
                "Expense",
                fields=[
                    {"name": "Amount", "type": "money", "code": "u_amount"},
                    {"name": "Checked by", "type": "text", "code": "u_checked_by"},
                ],
                steps=[{"name": "Check", "approvers": [bot]}, {"name": "Pay", "approvers": [boss]}],
            )
            small = fake.add_task(form=form, fields={"u_amount": 40})
            large = fake.add_task(form=form, fields={"u_amount": 400})
        assert [d.ok for d in fake.deliveries] == [True, True]
        # the bot read the task back through the API with the delivery's token
        reads = [c for c in fake._backend.api_calls if c.method == "GET" and "/tasks/" in c.path]
        assert [c.status for c in reads] == [200, 200]
        assert small.current_step == 2
        assert not small.is_closed
        assert large.is_closed
        assert large.approvals[0][0].choice == "rejected"
        for task in (small, large):
            values = {fd.code: task.values.get(fd.id) for fd in form.all_fields()}
            assert values["u_checked_by"] == "expense-bot"
            assert task.comments[-1].author_id == bot.id


def test_bot_server_takes_the_path_of_the_bots_route(
    pyrus_mock: PyrusMock, bot_server: Any
) -> None:
    app = Flask("routed")
    calls: list[str] = []

    @app.post("/pyrus/webhook")
    def webhook() -> Any:
        calls.append(request.path)
        return {"text": "routed"}

    url = bot_server(app, path="/pyrus/webhook")
    assert url.endswith("/pyrus/webhook")
    bot = pyrus_mock.add_bot("Routed", url)
    delivery = pyrus_mock.deliver(pyrus_mock.add_task(text="t"), to=bot)
    assert delivery.ok, delivery.summary()
    assert calls == ["/pyrus/webhook"]
