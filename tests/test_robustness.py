"""Bad input never crashes the fake or loses a record (review findings, kept as regressions)."""

from __future__ import annotations

import json
import math
import threading
from typing import Any

import pytest
from werkzeug.test import Client

from pyrus_mock import BotUrlError, InvalidArgument, PyrusMock, RealClock, VirtualClock
from pyrus_mock.server import TLSServer

from ._bots import RecordingBot
from ._tls_helpers import wsgi_reply

DEEP = b'{"text": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"


def test_deeply_nested_reply_is_a_recorded_warning() -> None:
    with PyrusMock() as fake, fake.serve_bot(wsgi_reply(body=DEEP)) as url:
        bot = fake.create_bot("Bot", url)
        delivery = fake.deliver(fake.create_task(text="t"), to=bot)
        assert delivery.state == "delivered"
        assert [v.error_code for v in delivery.violations] == ["invalid_json"]
        assert "nested" in delivery.violations[0].message or "not JSON" in (
            delivery.violations[0].message
        )
        assert "delivery #1" in fake.transcript()


def test_deeply_nested_error_body_does_not_break_the_transcript() -> None:
    with PyrusMock() as fake:
        app = wsgi_reply("500 Internal Server Error", DEEP)
        with fake.serve_bot(app) as url:
            bot = fake.create_bot("Bot", url)
            fake.deliver(fake.create_task(text="t"), to=bot)
        assert "attempt 1" in fake.transcript()
        assert fake.transcript_json()["deliveries"]
        fake.clock.advance(200)


def test_deeply_nested_api_body_answers_400_json() -> None:
    fake = PyrusMock()
    user = fake.add_user()
    task = fake.create_task(text="t", author=user)
    client = Client(fake.app)
    reply = client.post(
        f"/v4/tasks/{task.id}/comments",
        data=b"[" * 100_000,
        headers={"Authorization": f"Bearer {fake.backend.accounts.issue_token(user.id).value}"},
        content_type="application/json",
    )
    assert reply.status_code == 400
    assert reply.get_json()["error_code"] == "invalid_json"
    fake.close()


@pytest.mark.parametrize(
    "url",
    ["https://a:99999/", "https://[::1/", "https:///x", "https://exa mple.com/", "https://h:0/"],
)
def test_malformed_bot_urls_are_refused_up_front(url: str) -> None:
    fake = PyrusMock()
    with pytest.raises(BotUrlError):
        fake.create_bot("Bot", url)
    bot = fake.create_bot("Bot", "https://localhost:1/")
    with pytest.raises(BotUrlError):
        bot.update(url=url)
    fake.close()


def test_malformed_bot_url_through_the_api_is_a_400() -> None:
    fake = PyrusMock()
    admin = fake.add_user(rights=["configuration_manager"])
    client = Client(fake.app)
    reply = client.post(
        "/v4/bots",
        json={"name": "Bot", "hook_url": "https://a:99999/"},
        headers={"Authorization": f"Bearer {fake.backend.accounts.issue_token(admin.id).value}"},
    )
    assert reply.status_code == 400
    assert reply.get_json()["error_code"]
    fake.close()


@pytest.mark.parametrize("seconds", [math.nan, math.inf, 1e308, -1])
def test_virtual_clock_refuses_nonsense(seconds: float) -> None:
    clock = VirtualClock()
    before = clock.time()
    with pytest.raises(InvalidArgument, match="seconds"):
        clock.advance(seconds)
    assert clock.time() == before


def test_virtual_clock_never_moves_backwards_under_concurrent_advance() -> None:
    clock = VirtualClock()
    start = clock.time()
    entered, release = threading.Event(), threading.Event()

    def slow() -> None:
        entered.set()
        release.wait(5)

    clock.call_at(start + 0.5, slow)
    first = threading.Thread(target=clock.advance, args=(1,))
    first.start()
    assert entered.wait(5)
    second = threading.Thread(target=clock.advance, args=(100,))
    second.start()
    release.set()
    first.join(5)
    second.join(5)
    assert clock.time() == start + 101


def test_reset_cancels_pending_retries_on_a_real_clock() -> None:
    clock = RealClock()
    fake = PyrusMock(clock=clock, retry_delays=(30.0, 60.0))
    bot_app = RecordingBot(status=500, verify=None)
    with fake.serve_bot(bot_app) as url:
        bot = fake.create_bot("Bot", url)
        fake.deliver(fake.create_task(text="old"), to=bot)
        [retry] = clock.pending()
        fake.reset()
        # the retry was cancelled with the delivery it belonged to: it will never run
        assert retry.cancelled
        assert clock.pending() == []
        retry.run()  # even when its time comes, it does nothing
        assert len(bot_app.calls) == 1
        assert fake.deliveries == []
    fake.close()


def test_real_clock_survives_a_failing_callback() -> None:
    clock = RealClock()
    done = threading.Event()

    def boom() -> None:
        raise RuntimeError("boom")

    clock.call_at(clock.time(), boom)
    clock.call_at(clock.time() + 0.01, done.set)
    assert done.wait(5)
    assert [str(e) for e in clock.errors] == ["boom"]
    clock.close()


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
            bot = fake.create_bot("Bot", url)
            bot_app.key = "not the key yet"
            delivery = fake.deliver(fake.create_task(text="t"), to=bot)
            assert delivery.state == "pending_retry"
            bot_app.key = bot.reset_security_key()
            fake.clock.advance(61)
        assert delivery.state == "delivered"
        assert seen == [200]
        assert delivery.attempts[1].body == delivery.body != delivery.attempts[0].body
        assert json.loads(delivery.body)["access_token"] == delivery.access_token


def test_huge_integers_are_refused() -> None:
    fake = PyrusMock()
    user = fake.add_user()
    task = fake.create_task(text="t", author=user)
    with pytest.raises(Exception, match="spent_minutes"):
        fake.backend.comment(task, {"text": "x", "spent_minutes": 10**23}, user)
    fake.close()


@pytest.mark.parametrize("action", ["delete", "block", "disable"])
def test_check_bot_refuses_bots_pyrus_would_not_call(action: str) -> None:
    with PyrusMock() as fake:
        bot = fake.create_bot("Bot", "https://localhost:1/")
        getattr(bot, action)()
        with pytest.raises(InvalidArgument, match="never calls"):
            fake.check_bot(bot)


def test_parse_rights_accepts_a_single_name() -> None:
    fake = PyrusMock()
    assert fake.add_user(rights="supervisor").rights == 10
    fake.close()


def test_tls_server_records_app_errors_not_client_garbage() -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise RuntimeError("bug in the bot")

    fake = PyrusMock()
    server = TLSServer(broken, fake.ca.server_context()).start()
    bot = fake.create_bot("Bot", server.url + "/")
    delivery = fake.deliver(fake.create_task(text="t"), to=bot)
    assert delivery.attempts[0].status == 500
    server.stop()
    assert [str(e) for e in server.errors] == ["bug in the bot"]
    fake.close()


def test_a_delivered_token_reaches_its_task_and_files_only() -> None:
    with PyrusMock() as fake, fake.serve_bot(wsgi_reply()) as url:
        ann = fake.add_user("Ann", "Lee")
        bot = fake.create_bot("Bot", url)  # holds no role on the task: an explicit delivery
        task = fake.create_task(text="with a file", author=ann)
        other = fake.create_task(text="not delivered", author=ann)
        mine = fake.backend.upload("a.txt", b"hello", ann.id)
        theirs = fake.backend.upload("b.txt", b"secret", ann.id)
        fake.backend.comment(task, {"text": "see file", "attachments": [mine.guid]}, ann)
        fake.backend.comment(other, {"text": "see file", "attachments": [theirs.guid]}, ann)
        delivery = fake.deliver(task, to=bot)
        client = Client(fake.app)
        headers = {"Authorization": f"Bearer {delivery.access_token}"}
        assert client.get(f"/v4/tasks/{task.id}", headers=headers).status_code == 200
        got = client.get(f"/v4/files/download/{mine.id}", headers=headers)
        assert (got.status_code, got.data) == (200, b"hello")
        assert client.get(f"/v4/tasks/{other.id}", headers=headers).status_code == 403
        refused = client.get(f"/v4/files/download/{theirs.id}", headers=headers)
        assert refused.get_json()["error_code"] == "access_denied_file"
        # an ordinary token of the same bot sees neither
        plain = {"Authorization": f"Bearer {bot.token()}"}
        assert client.get(f"/v4/tasks/{task.id}", headers=plain).status_code == 403


@pytest.mark.parametrize("host", ["", "bad host", "exämple", "a/b"])
def test_auth_urls_stay_well_formed_with_a_forged_host(host: str) -> None:
    from urllib.parse import urlsplit

    fake = PyrusMock()
    bot = fake.create_bot("Bot", "https://localhost:1/")
    reply = Client(fake.app).post(
        "/api/v4/auth",
        json={"login": bot.login, "security_key": bot.security_key},
        headers={"Host": host},
    )
    assert reply.status_code == 200
    for key in ("api_url", "files_url"):
        assert urlsplit(reply.get_json()[key]).hostname, reply.get_json()
    fake.close()


@pytest.mark.parametrize(
    "bad",
    [
        {"on_rejection": "bogus"},
        {"auto_deliver": "yes"},
        {"rate_limit": 0},
        {"token_lifetime": math.nan},
        {"retry_delays": (61, math.inf)},
    ],
)
def test_settings_are_validated_however_they_are_built(bad: dict[str, Any]) -> None:
    from pyrus_mock import Settings

    name = next(iter(bad))
    with pytest.raises(InvalidArgument, match=name):
        Settings(**bad)
    with pytest.raises(InvalidArgument, match=name):
        PyrusMock(**bad)


def test_real_clock_runs_a_callback_beside_a_slow_one_and_close_waits() -> None:
    """A retry to a bot that hangs must not hold back another bot's retry (D5 schedule)."""
    clock = RealClock()
    release, slow_started, fast_done = threading.Event(), threading.Event(), threading.Event()

    def slow() -> None:
        slow_started.set()
        release.wait(10)

    now = clock.time()
    clock.call_at(now, slow, "slow")
    clock.call_at(now + 0.01, fast_done.set, "fast")
    assert slow_started.wait(5)
    assert fast_done.wait(5)  # ran while "slow" was still running
    assert not release.is_set()
    release.set()
    clock.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("pyrus-mock-clock")]
