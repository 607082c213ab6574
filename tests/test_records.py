"""Bounded records: the API log and the deliveries keep the newest, count the dropped ones, and
transcripts stay small however large the bodies bots send."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import Client

from pyrus_mock import PyrusMock
from pyrus_mock.control import with_control
from pyrus_mock.domain.masking import mask

from ._api_helpers import make_world
from ._bots import RecordingBot
from ._tls_helpers import refused_port

MB = 1024 * 1024


def test_the_api_log_keeps_the_newest_calls_and_counts_the_dropped_ones() -> None:
    world = make_world(max_api_calls_recorded=3)
    backend = world.mock._backend
    mark = backend.api_calls_total
    for number in range(5):
        world.fail("GET", f"/v4/profile?n={number}", 401, "token_not_specified", who=None)

    assert [c.path for c in backend.api_calls] == [f"/v4/profile?n={n}" for n in (2, 3, 4)]
    assert backend.api_calls_dropped == world.mock.api_calls_dropped == 2
    assert backend.api_calls_total == mark + 5
    assert [c.path for c in backend.api_calls_since(mark + 3)] == ["/v4/profile?n=3",
                                                                   "/v4/profile?n=4"]  # fmt: skip
    assert len(backend.api_calls_since(mark)) == 3  # only what is still kept
    assert world.mock.transcript_json()["dropped"] == {"deliveries": 0, "api_calls": 2}
    assert (
        "older records dropped: 0 deliveries (setting max_deliveries_recorded), 2 API calls "
        "(setting max_api_calls_recorded)" in world.mock.transcript()
    )

    world.mock.reset()
    assert backend.api_calls == []
    assert backend.api_calls_dropped == 0


def test_long_unknown_urls_are_cut_in_the_log() -> None:
    world = make_world()
    path = "/v4/" + "x" * 100_000
    world.fail("GET", path, 404, "not_found", who=None)
    world.fail("GET", "/v4/profile?q=" + "y" * 50_000, 401, "token_not_specified", who=None)

    long_404, long_query = world.mock._backend.api_calls[-2:]
    assert long_404.path == path[:256] + "... (100004 chars in all)"
    assert long_query.path.startswith("/v4/profile?q=yyy")
    assert long_query.path.endswith("... (50014 chars in all)")
    assert len(long_query.path) < 300


def test_secret_query_parameters_are_masked_in_the_log() -> None:
    world = make_world()
    token = world.token("bot")
    world.call("GET", f"/v4/profile?access_token={token}&x=1", who=None)
    [call] = world.mock._backend.api_calls[-1:]
    assert token not in call.path
    assert call.path == f"/v4/profile?access_token={mask(token)}&x=1"


def test_deliveries_keep_the_newest_and_count_the_dropped_ones() -> None:
    with PyrusMock(max_deliveries_recorded=2, auto_deliver=False) as mock:
        bot = mock.add_bot("Paused", "https://bot.invalid/hook")
        task = mock.add_task(text="t")
        bot.disable()
        for _ in range(5):
            mock.deliver(task, bot)

        assert [d.id for d in mock.deliveries] == [4, 5]
        assert [d.id for d in bot.deliveries] == [4, 5]
        assert mock.deliveries_dropped == 3
        assert mock.transcript_json()["dropped"] == {"deliveries": 3, "api_calls": 0}
        assert "older records dropped: 3 deliveries" in mock.transcript()

        client = Client(with_control(mock, "t" * 40))
        auth = {"Authorization": "Bearer " + "t" * 40}
        listed = client.get("/_mock/deliveries", headers=auth)
        assert listed.status_code == 200
        assert [d["id"] for d in listed.get_json()["deliveries"]] == [4, 5]
        assert listed.get_json()["dropped"] == 3
        gone = client.get("/_mock/deliveries/1", headers=auth)
        assert gone.status_code == 404
        assert "delivery 1 was dropped" in gone.get_json()["error"]
        assert "max_deliveries_recorded" in gone.get_json()["error"]
        assert client.get("/_mock/deliveries/9", headers=auth).status_code == 404

        mock.reset()
        assert mock.deliveries == []
        assert mock.deliveries_dropped == 0


def test_a_dropped_delivery_still_retries_and_the_control_plane_counts_it() -> None:
    with PyrusMock(max_deliveries_recorded=1, auto_deliver=False) as mock:
        gone = mock.add_bot("Gone", f"https://127.0.0.1:{refused_port()}/")
        paused = mock.add_bot("Paused", "https://bot.invalid/hook")
        paused.disable()
        task = mock.add_task(text="t")
        first = mock.deliver(task, gone)
        mock.deliver(task, paused)  # pushes the first one out of the record
        assert mock.deliveries_dropped == 1

        client = Client(with_control(mock, "t" * 40))
        reply = client.post(
            "/_mock/clock/advance",
            data=json.dumps({"seconds": 61}),
            headers={"Authorization": "Bearer " + "t" * 40},
            content_type="application/json",
        )
        assert reply.status_code == 200, reply.get_data(as_text=True)
        assert reply.get_json()["attempts_made"] == 1
        assert reply.get_json()["new_deliveries"] == 0
        assert len(first.attempts) == 2
        mock.clock.advance(61)
        assert first.state == "exhausted"


def _big_reply(payload: dict[str, Any]) -> bytes:
    # A careless bot: the token first, then a megabyte of text.
    return json.dumps({"access_token": payload["access_token"], "text": "x" * MB}).encode()


def test_a_megabyte_reply_over_twenty_deliveries_gives_a_small_report() -> None:
    with PyrusMock(auto_deliver=False) as mock:
        app = RecordingBot(reply=_big_reply, verify=None)
        with mock.serve_bot(app) as url:
            bot = mock.add_bot("Verbose", url)
            task = mock.add_task(text="t")
            for _ in range(20):
                mock.deliver(task, bot)
        deliveries = mock.deliveries
        assert all(len(d.attempts[0].reply_body) > MB for d in deliveries)
        text = mock.transcript()
        data = json.dumps(mock.transcript_json(), ensure_ascii=False)

    size = len(deliveries[0].attempts[0].reply_body)
    assert len(text.encode()) < 200_000
    assert len(data.encode()) < 200_000
    assert text.count(f"\u2026 ({size} bytes in all)") == 20
    assert f"reply: {size} bytes" in text
    assert "max_text_length_exceeded" in text  # a megabyte of text is refused
    for delivery in deliveries:
        assert delivery.access_token not in text
        assert delivery.access_token not in data
    assert bot.security_key not in text
    assert f'"access_token": "{mask(deliveries[0].access_token)}"' in text


def test_the_text_transcript_shows_the_newest_deliveries_only() -> None:
    with PyrusMock(auto_deliver=False) as mock:
        bot = mock.add_bot("Paused", "https://bot.invalid/hook")
        task = mock.add_task(text="t")
        bot.disable()
        for _ in range(105):
            mock.deliver(task, bot)
        text = mock.transcript()
    assert "5 older deliveries not shown (transcript_json() has them all)" in text
    assert "delivery #5 " not in text
    assert "delivery #6 " in text
    assert "delivery #105 " in text


def test_comment_text_longer_than_the_limit_is_refused() -> None:
    world = make_world(max_comment_text_length=10)
    path = f"/v4/tasks/{world.simple_task.id}/comments"
    world.ok("POST", path, who="author", json_body={"text": "x" * 10})
    kept = len(world.simple_task.comments)  # the creation comment and the one above
    for key in ("text", "formatted_text"):
        body = world.fail(
            "POST", path, 400, "max_text_length_exceeded", who="author",
            json_body={key: "y" * 11},
        )  # fmt: skip
        assert "at most 10 characters (setting max_comment_text_length), got 11" in body["error"]
        assert "yyyyyyyyyyy" not in body["error"]
    body = world.fail("POST", "/v4/tasks", 400, "max_text_length_exceeded", who="author",
                      json_body={"text": "z" * 11})  # fmt: skip
    assert "text is at most 10 characters" in body["error"]
    assert len(world.simple_task.comments) == kept


def test_the_default_comment_text_limit() -> None:
    world = make_world()
    path = f"/v4/tasks/{world.simple_task.id}/comments"
    world.ok("POST", path, who="author", json_body={"text": "x" * 100_000})
    world.fail("POST", path, 400, "max_text_length_exceeded", who="author",
               json_body={"text": "x" * 100_001})  # fmt: skip
