"""Announcements through the official Python client (``get_announcements``,
``get_announcement``, ``create_announcement``, ``comment_announcement``), both ways a test
reaches the fake, and their failing sides."""

from __future__ import annotations

import re

import pytest
from pyrus.models.requests import AnnouncementCommentRequest, CreateAnnouncementRequest

from pyrus_mock import InvalidArgument

from ._api_helpers import World, make_world
from ._official_helpers import official, world

__all__ = ["world"]  # the fixture

pytestmark = pytest.mark.filterwarnings("ignore:keys will default to True:DeprecationWarning")

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def test_the_seeded_announcement_is_listed_and_read(world: World) -> None:
    api = official(world)
    listed = api.get_announcements()
    assert listed.error_code is None, listed.error
    assert [a.id for a in listed.announcements] == [world.announcement.id]
    one = api.get_announcement(world.announcement.id)
    assert one.error_code is None, one.error
    assert one.announcement.text == "Office closed on Friday"
    assert one.announcement.author.id == world.author.id
    assert one.announcement.create_date.tzinfo is not None


def test_create_comment_and_read_back_newest_first(world: World) -> None:
    api = official(world, "author")
    # (uploaded through the backend: the client's upload_file leaves its file open)
    guid = world.mock._backend.upload("menu.txt", b"soup", world.author.id).guid
    made = api.create_announcement(CreateAnnouncementRequest(text="Lunch at 1", attachments=[guid]))
    assert made.error_code is None, made.error
    created = made.announcement
    assert created.text == "Lunch at 1"
    assert created.author.id == world.author.id
    assert [f.name for f in created.attachments] == ["menu.txt"]

    bot = official(world)  # another member comments and may download the attachment
    answered = bot.comment_announcement(created.id, AnnouncementCommentRequest(text="Coming"))
    assert answered.error_code is None, answered.error
    assert [(c.text, c.author.id) for c in answered.announcement.comments] == [
        ("Coming", world.bot.id)
    ]
    assert bot.download_file(created.attachments[0].id).raw_file == b"soup"

    newest = bot.get_announcements(item_count=1).announcements
    assert [a.id for a in newest] == [created.id]
    both = bot.get_announcements().announcements
    assert [a.id for a in both] == [created.id, world.announcement.id]


def test_wire_shape(world: World) -> None:
    body = world.ok("GET", f"/v4/announcements/{world.announcement.id}")
    data = body["announcement"]
    assert set(data) == {"id", "text", "create_date", "last_modified_date", "author"}
    assert TIMESTAMP.fullmatch(data["create_date"])
    world.ok("POST", f"/v4/announcements/{world.announcement.id}/comments", json_body={"text": "x"})
    data = world.ok("GET", f"/v4/announcements/{world.announcement.id}")["announcement"]
    (comment,) = data["comments"]
    assert set(comment) == {"id", "text", "create_date", "author"}
    assert TIMESTAMP.fullmatch(comment["create_date"])


def test_failing_sides(world: World) -> None:
    api = official(world)
    assert api.get_announcement(999999).error_code == "access_denied"
    reply = api.comment_announcement(999999, AnnouncementCommentRequest(text="x"))
    assert reply.error_code == "access_denied"
    assert api.create_announcement(CreateAnnouncementRequest()).error_code == "text_missing"
    empty = api.comment_announcement(world.announcement.id, AnnouncementCommentRequest())
    assert empty.error_code == "text_missing"
    bad_file = api.create_announcement(CreateAnnouncementRequest(text="x", attachments=["nope"]))
    assert bad_file.error_code == "unrecognized_attachment_id"
    assert len(world.mock._backend.extra.announcements) == 1


@pytest.mark.parametrize("count", ["0", "10001", "many"])
def test_item_count_outside_the_clients_range(count: str) -> None:
    world = make_world()
    world.fail("GET", f"/v4/announcements?item_count={count}", 400, "invalid_value_format")


def test_wrong_member_type_names_the_member() -> None:
    world = make_world()
    body = world.fail("POST", "/v4/announcements", 400, "invalid_json", json_body={"text": 5})
    assert "/text" in body["error"]
    body = world.fail(
        "POST",
        f"/v4/announcements/{world.announcement.id}/comments",
        400,
        "invalid_json",
        json_body={"text": "x", "attachments": [5]},
    )
    assert "/attachments/0" in body["error"]


def test_builder_refuses_what_it_cannot_build() -> None:
    world = make_world()
    with pytest.raises(InvalidArgument, match="text"):
        world.mock.add_announcement("")
    with pytest.raises(InvalidArgument, match="comments"):
        world.mock.add_announcement("x", comments=[(424242, "hi")])
    made = world.mock.add_announcement("x", comments=["first", (world.bot, "second")])
    assert [c.author_id for c in made.comments] == [made.author_id, world.bot.id]
