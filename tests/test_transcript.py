"""The transcript: what the fake saw, in order, with secrets masked."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from pyrus_mock import PyrusMock
from pyrus_mock.domain.masking import mask

from ._bots import RecordingBot
from ._tls_helpers import refused_port

BotServer = Callable[..., str]


def _bot(pyrus_mock: PyrusMock, bot_server: BotServer, app: RecordingBot) -> Any:
    bot = pyrus_mock.add_bot("Echo", bot_server(app))
    app.key = bot.security_key
    return bot


def test_mask_keeps_the_last_four_characters() -> None:
    assert mask("abcdefgh") == "\u2026efgh"
    assert mask("abcd") == "\u2026"
    assert mask("") == ""


def test_an_empty_fake(pyrus_mock: PyrusMock) -> None:
    text = pyrus_mock.transcript()
    assert text == "clock 2026-01-05T09:00:00Z (virtual); 0 deliveries, 0 API calls"
    data = pyrus_mock.transcript_json()
    assert data["deliveries"] == []
    assert data["api_calls"] == []
    assert data["server_errors"] == []
    assert data["clock"] == {"now": "2026-01-05T09:00:00Z", "virtual": True, "pending": []}


def test_a_delivery_with_its_reply_and_api_calls(
    pyrus_mock: PyrusMock, bot_server: BotServer
) -> None:
    def reply(payload: dict[str, Any]) -> dict[str, Any]:
        got = requests.get(
            f"{pyrus_mock.api_url}tasks/{payload['task_id']}",
            headers={"Authorization": f"Bearer {payload['access_token']}"},
            verify=pyrus_mock.ca_path,
            timeout=10,
        )
        assert got.status_code == 200
        return {"text": "seen", "access_token": payload["access_token"]}  # a careless echo

    app = RecordingBot(reply=reply)
    bot = _bot(pyrus_mock, bot_server, app)
    task = pyrus_mock.add_task(text="hello", responsible=bot)
    delivery = pyrus_mock.deliveries[0]
    token, key = delivery.access_token, bot.security_key
    text = pyrus_mock.transcript()

    assert token not in text
    assert key not in text
    assert f"token {mask(token)}" in text
    assert f'"access_token": "{mask(token)}"' in text  # in the body and in the echoed reply
    assert f"key {mask(key)}" in text
    assert (
        f"delivery #1 of task {task.id} to bot {bot.id} 'Echo' (comment, created) at "
        "2026-01-05T09:00:00Z: delivered" in text
    )
    signature = delivery.attempts[0].signature
    assert signature not in text  # with the body, it would let anyone replay the delivery
    assert f"X-Pyrus-Sig: {mask(signature)}" in text
    assert "X-Pyrus-Retry: 1/3" in text
    assert f"body: {len(delivery.body)} bytes" in text
    assert '"text": "hello"' in text
    assert "-> HTTP 200 in " in text
    assert "API calls made back with this delivery's token:" in text
    assert f"GET /v4/tasks/{task.id} -> 200 person {bot.id} token {mask(token)}" in text
    assert "reply applied as comment" in text

    data = pyrus_mock.transcript_json()
    assert json.loads(json.dumps(data)) == data
    assert token not in json.dumps(data)
    assert key not in json.dumps(data)
    [entry] = data["deliveries"]
    [call] = entry["api_calls"]
    assert call["delivery_id"] == 1
    assert call["method"] == "GET"
    assert call["status"] == 200
    assert entry["attempts"][0]["api_calls"] == [call]
    assert entry["attempts"][0]["body"]["access_token"] == mask(token)
    assert entry["reply"]["access_token"] == mask(token)
    assert data["api_calls"] == [call]


def test_failures_pending_retries_and_other_api_calls(pyrus_mock: PyrusMock) -> None:
    bot = pyrus_mock.add_bot("Gone", f"https://127.0.0.1:{refused_port()}/")
    pyrus_mock.add_task(text="t", responsible=bot)
    user = pyrus_mock.add_user("Ann", "Lee")
    requests.get(
        pyrus_mock.api_url + "profile",
        headers={"Authorization": "Bearer not-a-token"},
        verify=pyrus_mock.ca_path,
        timeout=10,
    )
    text = pyrus_mock.transcript()
    assert ": pending_retry" in text
    assert "-> connection_refused: nothing is listening at" in text
    assert "pending: delivery #1 attempt 2 due 2026-01-05T09:01:01Z (in 61 s)" in text
    assert "pyrus_mock.clock.advance(61) runs these; a retry that fails again" in text
    assert "next attempt due 2026-01-05T09:01:01Z" in text
    assert "API calls not made with a delivery's token:" in text
    assert "GET /v4/profile -> 401 invalid_token token \u2026oken" in text
    assert pyrus_mock._backend.user_key(user.id) not in text
    pyrus_mock.clock.advance(122)  # exhaust the retries so strict mode is satisfied
    assert ": exhausted" in pyrus_mock.transcript()


def test_skipped_deliveries_and_violations(pyrus_mock: PyrusMock, bot_server: BotServer) -> None:
    app = RecordingBot(reply={"text": "a", "bogus": 1})
    bot = _bot(pyrus_mock, bot_server, app)
    pyrus_mock.add_task(text="t", responsible=bot)
    bot.disable()
    pyrus_mock.deliver(pyrus_mock._backend.tasks()[0], to=bot)
    text = pyrus_mock.transcript()
    assert "violations:\n    warning: /bogus: " in text
    assert "skipped (the bot is disabled)" in text
    assert "bot 1001 'Echo'" in text
    assert " disabled url https://127.0.0.1:" in text


def test_long_bodies_are_cut(pyrus_mock: PyrusMock, bot_server: BotServer) -> None:
    app = RecordingBot(reply=b"x" * 5000)
    bot = _bot(pyrus_mock, bot_server, app)
    user = pyrus_mock.add_user("Ann", "Lee")
    task = pyrus_mock.add_task(text="t", author=user)
    for number in range(30):
        pyrus_mock._backend.comment(task, {"text": f"comment {number}"}, user)
    pyrus_mock.deliver(task, to=bot)
    text = pyrus_mock.transcript()
    assert "more lines)" in text
    assert "(5000 bytes in all)" in text
    assert len(text) < 20_000


@pytest.mark.pyrus_allow_violations
def test_server_errors_are_listed(pyrus_mock: PyrusMock, bot_server: BotServer) -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> Any:
        raise RuntimeError("the bot broke")

    bot = pyrus_mock.add_bot("Broken", bot_server(broken))
    pyrus_mock.add_task(text="t", responsible=bot)
    text = pyrus_mock.transcript()
    assert "errors raised in server threads:\n  bot: RuntimeError: the bot broke" in text
    assert "-> HTTP 500 (http_status: " in text
    pyrus_mock.clock.advance(122)
