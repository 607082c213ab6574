"""The directory: ``GET /members``, ``GET /members/{id}``, ``GET /profile``, ``GET /contacts``,
``GET /inbox``."""

from __future__ import annotations

import pytest

from ._api_helpers import World, make_world


@pytest.fixture
def world() -> World:
    return make_world()


def test_members(world: World) -> None:
    members = world.ok("GET", "/v4/members")["members"]
    by_id = {m["id"]: m for m in members}
    assert by_id[world.bot.id]["type"] == "bot"
    assert by_id[world.bot.id]["last_name"] == ""
    assert by_id[world.manager.id]["rights"] == 1600
    world.bot.delete()
    members = world.ok("GET", "/v4/members?include_fired=True", who="author")["members"]
    assert {m["id"]: m for m in members}[world.bot.id]["fired"] is True
    member = world.ok("GET", f"/v4/members/{world.author.id}", who="author")
    assert (member["first_name"], member["email"]) == ("Ann", world.author.email)


def test_roles_are_not_members(world: World) -> None:
    role = world.mock.add_role("Accountants", [world.author])
    world.fail("GET", f"/v4/members/{role.id}", 403, "access_denied_person")
    profile = world.ok("GET", "/v4/profile")
    assert profile["organization"]["roles"] == [
        {
            "id": role.id,
            "name": "Accountants",
            "banned": False,
            "fired": False,
            "member_ids": [world.author.id],
        }
    ]


def test_profile(world: World) -> None:
    profile = world.ok("GET", "/v4/profile?withinactive=False")
    assert profile["person_id"] == world.bot.id
    assert profile["email"] == world.bot.login
    assert profile["organization_id"] == world.mock._backend.organisation.id
    assert profile["locale"] == "en-US"
    ids = [p["id"] for p in profile["organization"]["persons"]]
    assert world.author.id in ids
    world.mock.add_bot("Gone", "https://gone.invalid/").delete()
    active = world.ok("GET", "/v4/profile")["organization"]["persons"]
    every = world.ok("GET", "/v4/profile?include_inactive=True")["organization"]["persons"]
    assert len(every) == len(active) + 1
    world.fail("GET", "/v4/profile?withinactive=perhaps", 400, "invalid_value_format")


def test_contacts(world: World) -> None:
    orgs = world.ok("GET", "/v4/contacts?include_inactive=False")["organizations"]
    assert [o["organization_id"] for o in orgs] == [world.mock._backend.organisation.id]


def test_inbox(world: World) -> None:
    inbox = world.ok("GET", "/v4/inbox?item_count=50&group_item_count=50")
    assert [t["id"] for t in inbox["tasks"]] == [world.task.id]
    assert inbox["has_more"] is False
    assert world.ok("GET", "/v4/inbox", who="outsider")["tasks"] == []
    world.mock.add_task(text="second", author=world.author, responsible=world.bot)
    inbox = world.ok("GET", "/v4/inbox?item_count=1")
    assert (len(inbox["tasks"]), inbox["has_more"]) == (1, True)
    world.fail("GET", "/v4/inbox?item_count=many", 400, "invalid_value_format")
