"""Bots management over the API: ``GET|POST /bots``, ``PUT|DELETE /bots/{id}`` (the bot
lifecycle as a whole is in ``test_bot_lifecycle.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client

from pyrus_mock import InvalidArgument, PyrusMock

from ._api_helpers import World, make_world


@pytest.fixture
def world() -> World:
    return make_world()


def test_bots_crud(world: World) -> None:
    bots = world.ok("GET", "/v4/bots", who="manager")["bots"]
    assert [b["id"] for b in bots] == [world.bot.id]
    assert "security_key" not in bots[0]
    created = world.ok(
        "POST",
        "/v4/bots",
        who="manager",
        json_body={"name": "Robo", "hook_url": "https://robo.example/hook", "external_id": "ext-1"},
    )
    assert created["name"] == "Robo"
    assert created["login"].startswith("bot@")
    assert (created["is_enabled"], created["fired"]) == (True, False)
    assert created["external_id"] == "ext-1"
    key = created["security_key"]
    assert len(key) == 96
    auth = world.ok(
        "POST", "/auth", who=None, json_body={"login": created["login"], "security_key": key}
    )
    assert auth["access_token"]

    changed = world.ok(
        "PUT",
        f"/v4/bots/{created['id']}",
        who="manager",
        json_body={
            "name": "Robo 2",
            "is_enabled": False,
            "bot_settings": '{"a": 1}',
            "rights": 10,
            "send_only_last_comment": True,
            "locale": "ru-RU",
            "time_zone_offset": 180,
            "description": "d",
            "unknown_member": 1,
        },
    )
    assert (changed["name"], changed["is_enabled"], changed["bot_settings"]) == (
        "Robo 2",
        False,
        '{"a": 1}',
    )
    assert (changed["rights"], changed["locale"], changed["time_zone_offset"]) == (10, "ru-RU", 180)
    assert "security_key" not in changed

    deleted = world.ok(
        "DELETE",
        f"/v4/bots/{created['id']}",
        who="manager",
        json_body={"task_receiver_id": world.manager.id},
    )
    assert deleted["fired"] is True
    live = world.ok("GET", "/v4/bots?include_fired=False", who="manager")["bots"]
    every = world.ok("GET", "/v4/bots?include_fired=True", who="manager")["bots"]
    assert created["id"] not in [b["id"] for b in live]
    assert created["id"] in [b["id"] for b in every]


def test_delete_bot_without_a_body(world: World) -> None:
    response, data = world.call("DELETE", f"/v4/bots/{world.bot.id}", who="manager")
    assert (response.status_code, data["fired"]) == (200, True)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        (
            "POST",
            "/v4/bots",
            {"name": "x", "hook_url": "http://plain.example/"},
            400,
            "invalid_value_format",
        ),
        ("POST", "/v4/bots", {"name": "  "}, 400, "invalid_value_format"),
        ("POST", "/v4/bots", {"hook_url": "https://a.example/"}, 400, "invalid_value_format"),
        ("PUT", "/v4/bots/{bot}", {"hook_url": "ftp://a.example/"}, 400, "invalid_value_format"),
        ("PUT", "/v4/bots/{bot}", {"rights": True}, 400, "invalid_json"),
        ("PUT", "/v4/bots/{bot}", {"rights": 10**30}, 400, "invalid_json"),
        ("PUT", "/v4/bots/{bot}", {"time_zone_offset": -(2**31) - 1}, 400, "invalid_json"),
        ("PUT", "/v4/bots/{bot}", {"rights": -1}, 400, "invalid_value_format"),  # all rights
        ("PUT", "/v4/bots/{bot}", {"time_zone_offset": 100_000}, 400, "invalid_value_format"),
        ("PUT", "/v4/bots/987654", {"name": "x"}, 400, "invalid_person_id"),
        ("DELETE", "/v4/bots/987654", {}, 400, "invalid_person_id"),
        ("DELETE", "/v4/bots/{bot}", {"task_receiver_id": 987654}, 400, "invalid_person_id"),
    ],
)
def test_bot_refusals(
    world: World, method: str, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    world.fail(method, path.format(bot=world.bot.id), status, code, who="manager", json_body=body)


def test_bot_limit() -> None:
    world = make_world(max_bots=1)
    world.fail(
        "POST",
        "/v4/bots",
        400,
        "limit_exceeded",
        who="manager",
        json_body={"name": "one too many"},
    )


def test_malformed_bot_url_through_the_api_is_a_400() -> None:
    fake = PyrusMock()
    admin = fake.add_user(rights=["configuration_manager"])
    client = Client(fake.app)
    reply = client.post(
        "/v4/bots",
        json={"name": "Bot", "hook_url": "https://a:99999/"},
        headers={"Authorization": f"Bearer {fake._backend.accounts.issue_token(admin.id).value}"},
    )
    assert reply.status_code == 400
    assert reply.get_json()["error_code"]
    fake.close()


def test_a_refused_bot_update_changes_nothing(world: World) -> None:
    """All members are checked before any is applied: a bad one leaves the good ones unset."""
    bot = world.mock._backend.accounts.bot(world.bot.id)
    before = (world.bot.name, bot.hook_url)
    world.fail(
        "PUT",
        f"/v4/bots/{world.bot.id}",
        400,
        "invalid_value_format",
        who="manager",
        json_body={"name": "Renamed", "hook_url": "https://new.example/", "rights": -1},
    )
    assert (world.bot.name, bot.hook_url) == before


@pytest.mark.parametrize(
    ("argument", "value", "allowed"),
    [
        ("rights", -1, "a mask of Rights flags"),
        ("rights", 2**40, "a mask of Rights flags"),
        ("time_zone_offset", 10**25, "minutes from UTC, -720 to 840"),
    ],
)
def test_add_bot_refuses_rights_and_offsets_no_client_can_read(
    argument: str, value: int, allowed: str
) -> None:
    with PyrusMock() as fake, pytest.raises(InvalidArgument, match=argument) as raised:
        fake.add_bot("Bot", "https://bot.example/", **{argument: value})
    assert allowed in str(raised.value)
    assert fake._backend.accounts.bots() == []
