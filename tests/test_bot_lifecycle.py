"""Key reset (D7) and the bot lifecycle (D8), seen through the Python API and the HTTP API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pyrus_mock import PyrusMock
from pyrus_mock.delivery.dispatch import sign

from ._bots import RecordingBot


@pytest.fixture
def fake() -> Iterator[PyrusMock]:
    with PyrusMock() as mock:
        yield mock


def auth(fake: PyrusMock, login: str, key: str) -> requests.Response:
    # per-call verify= is honoured even when REQUESTS_CA_BUNDLE is set
    return requests.post(
        fake.auth_url, json={"login": login, "security_key": key}, verify=fake.ca_path, timeout=5
    )


def api(fake: PyrusMock, method: str, path: str, token: str, **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(
        method, fake.api_url + path, headers=headers, verify=fake.ca_path, timeout=5, **kw
    )


def test_key_reset_end_to_end(fake: PyrusMock) -> None:
    bot_app = RecordingBot(verify="upper")
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        bot_app.key = old_key = bot.security_key
        reply = auth(fake, bot.login, old_key)
        assert reply.status_code == 200
        old_token = reply.json()["access_token"]

        new_key = bot.reset_security_key()
        assert new_key != old_key

        # an attacker holding the old key cannot get a token any more
        attacker = auth(fake, bot.login, old_key)
        assert attacker.status_code == 401
        assert attacker.json()["error_code"] == "invalid_credentials"
        assert auth(fake, bot.login, new_key).status_code == 200
        # "previously configured bots continue to operate": old tokens still work
        assert api(fake, "GET", "profile", old_token).status_code == 200

        # the bot still verifies with the old key: it refuses the call, which waits for a retry
        task = fake.add_task(text="after the reset")
        delivery = fake.deliver(task, to=bot)
        first = delivery.attempts[0]
        assert first.status == 403
        assert first.error_kind == "http_status"
        assert first.signature == sign(new_key, delivery.body).upper()
        assert delivery.state == "pending_retry"

        bot_app.key = new_key  # the bot is given the new key
        fake.clock.advance(61)
        assert delivery.state == "delivered"
        second = delivery.attempts[1]
        assert second.request_headers["X-Pyrus-Retry"] == "2/3"
        assert second.status == 200
        assert second.body == first.body
        assert delivery.ok


def test_revoke_tokens_on_reset_setting() -> None:
    with PyrusMock(revoke_tokens_on_reset=True) as fake:
        bot = fake.add_bot("Bot", "https://localhost:1/")
        token = auth(fake, bot.login, bot.security_key).json()["access_token"]
        bot.reset_security_key()
        reply = api(fake, "GET", "profile", token)
        assert reply.status_code == 401
        assert reply.json()["error_code"] == "revoked_token"
        fresh = auth(fake, bot.login, bot.security_key).json()["access_token"]
        assert api(fake, "GET", "profile", fresh).status_code == 200


def test_disabled_bot_gets_no_deliveries_but_auth_works(fake: PyrusMock) -> None:
    bot_app = RecordingBot(verify=None)
    admin = fake.add_user("Ada", "Admin", rights=["configuration_manager"])
    admin_token = fake._backend.accounts.issue_token(admin.id).value
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        reply = api(fake, "PUT", f"bots/{bot.id}", admin_token, json={"is_enabled": False})
        assert reply.status_code == 200, reply.text
        assert reply.json()["is_enabled"] is False
        assert bot.enabled is False
        fake.add_task(text="t", responsible=bot)
        assert [d.state for d in fake.deliveries] == ["skipped"]
        assert "disabled" in fake.deliveries[0].skipped_reason
        token = auth(fake, bot.login, bot.security_key).json()["access_token"]
        assert api(fake, "GET", "profile", token).status_code == 200
        bot.enable()
        fake.add_task(text="t2", responsible=bot)
        assert fake.deliveries[-1].state == "delivered"
    assert len(bot_app.calls) == 1


def test_blocked_then_restored(fake: PyrusMock) -> None:
    bot = fake.add_bot("Bot", "https://localhost:1/", settings="s")
    key, url = bot.security_key, bot.url
    token = auth(fake, bot.login, key).json()["access_token"]
    bot.block()
    for reply in (auth(fake, bot.login, key), api(fake, "GET", "profile", token)):
        assert reply.status_code == 401
        assert reply.json()["error_code"] == "account_blocked"
    assert fake.deliver(fake.add_task(text="t"), to=bot).state == "skipped"
    bot.restore()
    assert (bot.security_key, bot.url, bot.settings) == (key, url, "s")
    assert api(fake, "GET", "profile", token).status_code == 200
    assert auth(fake, bot.login, key).status_code == 200


@pytest.mark.parametrize("via", ["python", "http"])
def test_deleted_bot(fake: PyrusMock, via: str) -> None:
    admin = fake.add_user("Ada", "Admin", rights=["configuration_manager"])
    admin_token = fake._backend.accounts.issue_token(admin.id).value
    bot = fake.add_bot("Bot", "https://localhost:1/")
    token = auth(fake, bot.login, bot.security_key).json()["access_token"]
    if via == "python":
        bot.delete()
    else:
        reply = api(
            fake, "DELETE", f"bots/{bot.id}", admin_token, json={"task_receiver_id": admin.id}
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["fired"] is True
    assert bot.deleted
    assert api(fake, "GET", "profile", token).json()["error_code"] == "revoked_token"
    assert auth(fake, bot.login, bot.security_key).json()["error_code"] == "invalid_credentials"
    assert fake.deliver(fake.add_task(text="t"), to=bot).state == "skipped"
    members = api(fake, "GET", "members", admin_token).json()["members"]
    assert bot.id not in [m["id"] for m in members], "fired members only on request"
    members = api(fake, "GET", "members", admin_token, params={"include_fired": "True"}).json()
    me = next(m for m in members["members"] if m["id"] == bot.id)
    assert me["fired"] is True
    listed = api(fake, "GET", "bots", admin_token, params={"include_fired": "True"}).json()
    assert any(b["id"] == bot.id and b["fired"] for b in listed["bots"])
    bot.restore()
    assert auth(fake, bot.login, bot.security_key).status_code == 200


def test_bot_is_a_member_of_type_bot(fake: PyrusMock) -> None:
    bot = fake.add_bot("Helper", "https://localhost:1/")
    token = bot.token()
    me = api(fake, "GET", f"members/{bot.id}", token).json()
    assert me["type"] == "bot"
    assert me["email"] == bot.login
    assert me["first_name"] == "Helper"


def test_retry_after_key_reset_carries_a_working_token() -> None:
    with PyrusMock(revoke_tokens_on_reset=True) as fake:
        seen: list[int] = []

        def reply(payload: dict[str, Any]) -> None:
            import requests

            got = requests.get(
                f"{fake.api_url}tasks/{payload['task_id']}",
                headers={"Authorization": f"Bearer {payload['access_token']}"},
                verify=fake.ca_path,
                timeout=5,
            )
            seen.append(got.status_code)

        bot_app = RecordingBot(reply=reply, verify="upper")
        with fake.serve_bot(bot_app) as url:
            bot = fake.add_bot("Bot", url)
            bot_app.key = "not the key yet"
            delivery = fake.deliver(fake.add_task(text="t"), to=bot)
            assert delivery.state == "pending_retry"
            bot_app.key = bot.reset_security_key()
            fake.clock.advance(61)
        assert delivery.state == "delivered"
        assert seen == [200]
        assert delivery.attempts[1].body == delivery.body != delivery.attempts[0].body
        assert json.loads(delivery.body)["access_token"] == delivery.access_token
