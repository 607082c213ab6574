"""Signed task delivery to bots over real TLS (issue 4)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from pyrus_mock import BotUrlError, PyrusMock, RealClock
from pyrus_mock.delivery.dispatch import sign

from ._bots import RecordingBot, pyrus_signature_ok


@pytest.fixture
def fake() -> Iterator[PyrusMock]:
    mock = PyrusMock()
    yield mock
    mock.close()


def _form(fake: PyrusMock, *approvers: object) -> object:
    return fake.add_form(
        "Expense",
        fields=[
            {"name": "Amount", "type": "money", "code": "u_amount"},
            {"name": "Comment", "type": "text", "code": "u_note"},
        ],
        steps=[{"name": f"Step {i + 1}", "approvers": [a]} for i, a in enumerate(approvers)],
    )


@pytest.mark.parametrize("mode", ["upper", "lower"])
def test_delivery_is_signed_and_reply_applied(fake: PyrusMock, mode: str) -> None:
    bot_app = RecordingBot(reply={"text": "seen", "approval_choice": "approved"}, verify=mode)
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Approver", url, settings='{"x": 1}')
        bot_app.key = bot.security_key
        form = _form(fake, bot)
        task = fake.add_task(form=form, text="please approve", fields={"u_amount": 10})
        # auto-delivery: the task reached the bot's step
        assert len(fake.deliveries) == 1
        delivery = fake.deliveries[0]
    assert delivery.ok, delivery.summary()
    assert delivery.state == "delivered"
    headers, body = bot_app.calls[0]
    assert headers["X-Pyrus-Sig"] == sign(bot.security_key, body).upper()
    assert pyrus_signature_ok(bot.security_key, body, headers["X-Pyrus-Sig"], mode="upper")
    assert headers["X-Pyrus-Retry"] == "1/3"
    assert headers["User-Agent"] == "Pyrus-Bot-4"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert "Authorization" not in headers
    assert body == delivery.attempts[0].body == delivery.body
    payload = json.loads(body)
    assert payload["event"] == "comment"
    assert payload["task_id"] == task.id == payload["task"]["id"]
    assert payload["user_id"] == bot.id
    assert payload["bot_settings"] == '{"x": 1}'
    assert payload["access_token"]
    # the reply was applied as the bot's comment, and the one-step form finished
    assert delivery.comment is not None
    assert delivery.comment.author_id == bot.id
    assert task.comments[-1].text == "seen"
    assert task.approvals[0][0].choice == "approved"


def test_body_is_compact_utf8_and_signed_bytes_are_sent(fake: PyrusMock) -> None:
    bot_app = RecordingBot(verify=None)
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        task = fake.add_task(text="Привет мир", responsible=bot)
    _, body = bot_app.calls[0]
    assert "Привет".encode() in body
    assert b"\\u" not in body
    assert b": " not in body
    assert b", " not in body
    assert fake.deliveries[0].attempts[0].signature == sign(bot.security_key, body)
    assert json.loads(body)["task"]["text"] == task.text


def test_lower_case_signature_setting() -> None:
    bot_app = RecordingBot(verify="upper")
    with PyrusMock(signature_case="lower") as fake, fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        bot_app.key = bot.security_key
        fake.add_task(text="t", responsible=bot)
        # a bot comparing upper-case hex exactly refuses lower-case signatures
        delivery = fake.deliveries[0]
        assert delivery.state == "pending_retry"
        assert delivery.attempts[0].signature == delivery.attempts[0].signature.lower()
        fake.clock.advance(200)


def test_invalid_reply_is_recorded_not_applied(fake: PyrusMock) -> None:
    reply = {"text": "a", "formatted_text": "<b>a</b>", "bogus": 1}
    bot_app = RecordingBot(reply=reply, verify=None)
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        task = fake.add_task(text="t", responsible=bot)
    delivery = fake.deliveries[0]
    assert delivery.state == "delivered"
    assert not delivery.ok
    assert delivery.comment is None
    assert delivery.reply == reply
    codes = {(v.error_code, v.severity) for v in delivery.violations}
    assert ("both_text_and_formatted_text_specified", "error") in codes
    assert any(v.severity == "warning" and v.path == "/bogus" for v in delivery.violations)
    assert [c.author_id for c in task.comments] == [task.author_id], "the creation comment only"


@pytest.mark.parametrize(
    ("raw", "warned"),
    [(b"", False), (b"{}", False), (b"Success", True), (b"[1, 2]", True)],
    ids=["empty", "empty-object", "not-json", "json-list"],
)
def test_reply_bodies_that_apply_nothing(fake: PyrusMock, raw: bytes, warned: bool) -> None:
    bot_app = RecordingBot(reply=raw, verify=None)
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        task = fake.add_task(text="t", responsible=bot)
    delivery = fake.deliveries[0]
    assert delivery.ok
    assert [c.author_id for c in task.comments] == [task.author_id], "the creation comment only"
    assert bool(delivery.violations) is warned
    assert all(v.severity == "warning" for v in delivery.violations)


def test_send_only_last_comment(fake: PyrusMock) -> None:
    bot_app = RecordingBot(verify=None)
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url, send_only_last_comment=True)
        user = fake.add_user("Ann", "Lee")
        task = fake.add_task(text="t", responsible=bot, author=user)
        fake._backend.comment(task, {"text": "one"}, user)
        fake._backend.comment(task, {"text": "two"}, user)
    payload = json.loads(bot_app.calls[-1][1])
    assert [c["text"] for c in payload["task"]["comments"]] == ["two"]
    bot.update(send_only_last_comment=False)
    assert bot.send_only_last_comment is False


def test_http_urls_are_refused_with_a_reason(fake: PyrusMock) -> None:
    with pytest.raises(BotUrlError, match="HTTPS only"):
        fake.add_bot("Bot", "http://localhost:8080/hook")
    bot = fake.add_bot("Bot", "https://localhost:1/hook")
    with pytest.raises(BotUrlError, match="https://"):
        bot.update(url="ftp://example.org")
    assert bot.url == "https://localhost:1/hook"


def test_generated_credentials(fake: PyrusMock) -> None:
    import re

    bot = fake.add_bot("Bot", "https://localhost:1/")
    other = fake.add_bot("Bot 2", "https://localhost:1/")
    assert re.fullmatch(
        r"bot@[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", bot.login
    )
    assert re.fullmatch(r"[A-Za-z0-9~-]{96}", bot.security_key)
    assert bot.security_key != other.security_key
    assert re.fullmatch(r"[0-9a-f-]{36}", bot.client_id)
    assert bot.person.type == "bot"
    assert bot.person.email == bot.login
    old = bot.security_key
    new = bot.reset_security_key()
    assert new == bot.security_key != old


def test_retries_follow_the_schedule_on_the_virtual_clock(fake: PyrusMock) -> None:
    bot_app = RecordingBot(status=500, verify=None)
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        fake.add_task(text="t", responsible=bot)
        delivery = fake.deliveries[0]
        assert delivery.state == "pending_retry"
        assert delivery.attempts[0].error_kind == "http_status"
        fake.clock.advance(60)
        assert len(delivery.attempts) == 1
        fake.clock.advance(1)
        assert len(delivery.attempts) == 2
        assert delivery.attempts[1].request_headers["X-Pyrus-Retry"] == "2/3"
        assert (
            delivery.attempts[1].sent_at.timestamp() - delivery.attempts[0].sent_at.timestamp()
            == 61
        )
        fake.clock.advance(61)
        assert len(delivery.attempts) == 3
        assert delivery.attempts[2].request_headers["X-Pyrus-Retry"] == "3/3"
        assert (
            delivery.attempts[2].sent_at.timestamp() - delivery.attempts[0].sent_at.timestamp()
            == 122
        )
        assert delivery.state == "exhausted"
        assert not delivery.ok
        fake.clock.advance(1000)
        assert len(delivery.attempts) == 3
    assert len(bot_app.calls) == 3


def test_retries_count_from_the_exact_time_of_the_first_attempt(fake: PyrusMock) -> None:
    """Timestamps carry whole seconds, the schedule does not: a first attempt at t+0.9 s is
    retried at t+61.9 s, never earlier."""
    bot_app = RecordingBot(status=500, verify=None)
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        fake.clock.advance(0.9)
        start = fake.clock.time()
        fake.add_task(text="t", responsible=bot)
        delivery = fake.deliveries[0]
        assert delivery.first_attempt_at == start
        assert delivery.next_attempt_at == start + 61
        fake.clock.advance(60.95)  # 60.95 s after the first attempt: not yet
        assert len(delivery.attempts) == 1
        fake.clock.advance(0.05)
        assert len(delivery.attempts) == 2


def test_a_delivery_keeps_the_schedule_it_started_with(fake: PyrusMock) -> None:
    """Changing retry_delays while a retry is pending affects new deliveries only."""
    bot_app = RecordingBot(status=500, verify=None)
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        fake.add_task(text="t", responsible=bot)
        old = fake.deliveries[0]
        fake.settings = fake.settings.replace(retry_delays=(5.0,))
        fake.clock.advance(61)  # the old schedule: attempt 2 at 61 s, 3 at 122 s
        assert [a.request_headers["X-Pyrus-Retry"] for a in old.attempts] == ["1/3", "2/3"]
        fake.add_task(text="u", responsible=bot)
        new = fake.deliveries[-1]
        assert new.max_attempts == 2
        fake.clock.advance(61)
        assert old.state == new.state == "exhausted"
        assert len(old.attempts) == 3
        assert [a.request_headers["X-Pyrus-Retry"] for a in new.attempts] == ["1/2", "2/2"]


def test_explicit_deliver_without_auto_routing() -> None:
    bot_app = RecordingBot(verify=None)
    with PyrusMock(auto_deliver=False) as fake, fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        task = fake.add_task(text="t", responsible=bot)
        assert fake.deliveries == []
        delivery = fake.deliver(task, to=bot)
        assert delivery.ok
        assert fake.deliveries == [delivery]


def test_lifecycle_disabled_blocked_deleted_skip(fake: PyrusMock) -> None:
    bot_app = RecordingBot(verify=None)
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        task = fake.add_task(text="t")
        bot.disable()
        assert fake.deliver(task, to=bot).state == "skipped"
        bot.enable()
        assert fake.deliver(task, to=bot).state == "delivered"
        bot.block()
        skipped = fake.deliver(task, to=bot)
        assert skipped.state == "skipped"
        assert "blocked" in skipped.skipped_reason
        bot.restore()
        assert fake.deliver(task, to=bot).state == "delivered"
        bot.delete()
        assert fake.deliver(task, to=bot).state == "skipped"
        assert bot.person.fired
    assert len(bot_app.calls) == 2


def test_three_step_form_completes_by_routing_alone(fake: PyrusMock) -> None:
    first = RecordingBot(reply={"approval_choice": "approved", "text": "ok 1"}, verify=None)
    second = RecordingBot(reply={"approval_choice": "approved", "text": "ok 2"}, verify=None)
    with fake.serve_bot(first) as url1, fake.serve_bot(second) as url2:
        bot1 = fake.add_bot("First", url1)
        bot2 = fake.add_bot("Second", url2)
        boss = fake.add_user("Boss", "Person")
        form = _form(fake, bot1, bot2, boss)
        task = fake.add_task(form=form, text="route me")
    assert [d.bot_id for d in fake.deliveries] == [bot1.id, bot2.id]
    assert all(d.ok for d in fake.deliveries)
    assert task.current_step == 3
    assert [a.choice for a in task.approvals[0]] == ["approved"]
    assert [a.choice for a in task.approvals[1]] == ["approved"]
    assert not task.is_closed


def test_a_bot_is_not_called_for_its_own_comment_and_chains_stop() -> None:
    # Two bots that keep reassigning the task to each other would loop forever.
    with PyrusMock(max_chain_depth=4) as fake:
        holder: dict[str, int] = {}
        a_app = RecordingBot(reply=lambda p: {"reassign_to": {"id": holder["b"]}}, verify=None)
        b_app = RecordingBot(reply=lambda p: {"reassign_to": {"id": holder["a"]}}, verify=None)
        with fake.serve_bot(a_app) as url_a, fake.serve_bot(b_app) as url_b:
            a = fake.add_bot("A", url_a)
            b = fake.add_bot("B", url_b)
            holder.update(a=a.id, b=b.id)
            fake.add_task(text="ping", responsible=a)
        kinds = [d.trigger for d in fake.deliveries]
        assert kinds[-1] == "chain"
        assert fake.deliveries[-1].violations[0].error_code == "chain_too_deep"
        assert len(fake.deliveries) == 5


def test_concurrent_deliveries_and_api_calls_keep_state_consistent() -> None:
    import threading

    import requests

    bot_app = RecordingBot(reply={"text": "ok"}, verify=None)
    with PyrusMock(auto_deliver=False) as fake, fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        user = fake.add_user("Ann", "Lee")
        token = fake._backend.accounts.issue_token(user.id).value
        tasks = [fake.add_task(text=f"t{i}", author=user) for i in range(4)]
        errors: list[BaseException] = []

        def deliver_many(n: int) -> None:
            try:
                for i in range(25):
                    fake.deliver(tasks[(n + i) % 4], to=bot)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        def comment_many() -> None:
            with requests.Session() as session:
                for i in range(20):
                    reply = session.post(
                        f"{fake.api_url}tasks/{tasks[i % 4].id}/comments",
                        json={"text": f"api {i}"},
                        headers={"Authorization": f"Bearer {token}"},
                        verify=fake.ca_path,
                        timeout=10,
                    )
                    if reply.status_code != 200:  # pragma: no cover - reported below
                        errors.append(AssertionError(reply.text))

        threads = [threading.Thread(target=deliver_many, args=(n,)) for n in range(8)]
        threads.append(threading.Thread(target=comment_many))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        deliveries = fake.deliveries
        assert len(deliveries) == 200
        assert sorted(d.id for d in deliveries) == list(range(1, 201))
        assert all(d.ok for d in deliveries)
        comments = [c for t in tasks for c in t.comments]
        assert len(comments) == 4 + 220  # each task's creation comment, then the new ones
        assert len({c.id for c in comments}) == 4 + 220


def test_a_form_held_by_bots_closes_by_routing_alone(fake: PyrusMock) -> None:
    apps = [RecordingBot(reply={"approval_choice": "approved"}, verify=None) for _ in range(3)]
    with (
        fake.serve_bot(apps[0]) as u1,
        fake.serve_bot(apps[1]) as u2,
        fake.serve_bot(apps[2]) as u3,
    ):
        bots = [fake.add_bot(f"Bot {i}", url) for i, url in enumerate((u1, u2, u3))]
        task = fake.add_task(form=_form(fake, *bots), text="all bots")
    assert [d.bot_id for d in fake.deliveries] == [b.id for b in bots]
    assert [d.trigger for d in fake.deliveries] == ["created", "approval_step", "approval_step"]
    assert task.is_closed
    created, *replies = task.comments
    assert created.author_id == task.author_id
    assert [c.changed_step for c in replies][:2] == [2, 3]


def test_reset_cancels_pending_retries_on_a_real_clock() -> None:
    clock = RealClock()
    fake = PyrusMock(clock=clock, retry_delays=(30.0, 60.0))
    bot_app = RecordingBot(status=500, verify=None)
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        fake.deliver(fake.add_task(text="old"), to=bot)
        [retry] = clock.pending()
        fake.reset()
        # the retry was cancelled with the delivery it belonged to: it will never run
        assert retry.cancelled
        assert clock.pending() == []
        retry.run()  # even when its time comes, it does nothing
        assert len(bot_app.calls) == 1
        assert fake.deliveries == []
    fake.close()
