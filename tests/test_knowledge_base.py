"""The knowledge base through the official Python client's seven methods, both ways a test
reaches the fake, with access levels and the failing sides."""

from __future__ import annotations

import re

import pytest
from pyrus.models.requests import (
    CreateKnowledgeBaseEntityRequest,
    UpdateKnowledgeBaseEntityRequest,
    UpdateKnowledgeBasePermissionsRequest,
)

from pyrus_mock import InvalidArgument

from ._api_helpers import World, make_world
from ._official_helpers import official, world

__all__ = ["world"]  # the fixture

pytestmark = pytest.mark.filterwarnings("ignore:keys will default to True:DeprecationWarning")

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def test_create_read_update_move_delete(world: World) -> None:
    api = official(world)
    topic = api.create_knowledge_base_entity(
        CreateKnowledgeBaseEntityRequest("topic", "Onboarding")
    )
    assert topic.error_code is None, topic.error
    assert (topic.type, topic.title, topic.version, topic.access_right) == (
        "topic",
        "Onboarding",
        1,
        "write",
    )
    assert topic.author.id == world.bot.id
    assert TIMESTAMP.fullmatch(topic.created_at)
    article = api.create_knowledge_base_entity(
        CreateKnowledgeBaseEntityRequest("article", "Day one", "Bring ID.", topic.id)
    )
    assert article.error_code is None, article.error
    assert (article.parent_topic_id, article.body) == (topic.id, "Bring ID.")

    read = api.get_knowledge_base_entity(article.id)
    assert (read.title, read.body, read.is_open_for_organization) == ("Day one", "Bring ID.", True)

    changed = api.update_knowledge_base_entity(
        article.id, UpdateKnowledgeBaseEntityRequest(title="First day")
    )
    assert (changed.title, changed.body, changed.version) == ("First day", "Bring ID.", 2)
    assert changed.parent_topic_id == topic.id  # not moved without parent_topic_id_changed

    moved = api.update_knowledge_base_entity(
        article.id, UpdateKnowledgeBaseEntityRequest(parent_topic_id_changed=True)
    )
    assert (moved.parent_topic_id, moved.version) == (None, 3)

    gone = api.delete_knowledge_base_entity(article.id)
    assert gone.deleted is True
    assert api.get_knowledge_base_entity(article.id).error_code == "knowledge_base_not_found"


def test_structure_nests_to_the_depth_asked(world: World) -> None:
    mock = world.mock
    inner = mock.add_kb_entity("topic", "Travel", parent=world.topic, author=world.author)
    deep = mock.add_kb_entity("article", "Per diem", "50", parent=inner, author=world.author)
    api = official(world)
    whole = api.get_knowledge_base_structure()
    assert whole.error_code is None, whole.error
    (root,) = whole.items
    assert (root.id, root.type) == (world.topic.id, "topic")
    titles = sorted(child.title for child in root.children)
    assert titles == ["Expenses", "Travel"]
    travel = next(child for child in root.children if child.id == inner.id)
    assert [c.id for c in travel.children] == [deep.id]

    shallow = api.get_knowledge_base_structure(depth=1)
    assert shallow.depth == 1
    assert shallow.items[0].children is None

    below = api.get_knowledge_base_structure(parent_topic_id=inner.id)
    assert below.parent_topic_id == inner.id
    assert [i.id for i in below.items] == [deep.id]

    not_topic = api.get_knowledge_base_structure(parent_topic_id=world.article.id)
    assert not_topic.error_code == "knowledge_base_invalid_parent"
    assert api.get_knowledge_base_structure(depth=0).error_code == "knowledge_base_invalid_request"


def test_permissions_decide_who_reads_and_writes(world: World) -> None:
    author = official(world, "author")
    outsider = official(world, "outsider")
    # Open to the organisation by default: everyone reads, only the author writes.
    perms = author.get_knowledge_base_permissions(world.article.id)
    assert (perms.global_permission, perms.inherit, perms.readers) == ("read", True, None)
    assert outsider.get_knowledge_base_entity(world.article.id).access_right == "read"
    refused = outsider.update_knowledge_base_entity(
        world.article.id, UpdateKnowledgeBaseEntityRequest(title="Hacked")
    )
    assert refused.error_code == "knowledge_base_access_denied"

    closed = author.update_knowledge_base_permissions(
        world.article.id,
        UpdateKnowledgeBasePermissionsRequest(inherit=False, editors=[world.outsider.id]),
    )
    assert closed.error_code is None, closed.error
    assert (closed.global_permission, closed.inherit) == ("none", False)
    assert [p.id for p in closed.editors] == [world.outsider.id]
    assert (
        outsider.update_knowledge_base_entity(
            world.article.id, UpdateKnowledgeBaseEntityRequest(title="Costs")
        ).version
        == 2
    )

    bot = official(world)  # no longer open to the organisation
    assert bot.get_knowledge_base_entity(world.article.id).error_code == (
        "knowledge_base_access_denied"
    )
    hidden = bot.get_knowledge_base_structure().items[0]
    assert hidden.children is None
    assert bot.delete_knowledge_base_entity(world.topic.id, True).error_code == (
        "knowledge_base_access_denied"
    )


def test_failing_sides(world: World) -> None:
    api = official(world, "author")
    create = api.create_knowledge_base_entity
    assert create(CreateKnowledgeBaseEntityRequest("page", "x")).error_code == (
        "knowledge_base_invalid_request"
    )
    assert create(CreateKnowledgeBaseEntityRequest("topic", " ")).error_code == (
        "knowledge_base_title_required"
    )
    assert create(CreateKnowledgeBaseEntityRequest("article", "No body")).error_code == (
        "knowledge_base_body_required"
    )
    assert create(
        CreateKnowledgeBaseEntityRequest("article", "x", "y", world.article.id)
    ).error_code == ("knowledge_base_invalid_parent")
    assert create(CreateKnowledgeBaseEntityRequest("topic", "x", None, "nope")).error_code == (
        "knowledge_base_invalid_parent"
    )
    into_itself = api.update_knowledge_base_entity(
        world.topic.id,
        UpdateKnowledgeBaseEntityRequest(
            parent_topic_id=world.topic.id, parent_topic_id_changed=True
        ),
    )
    assert into_itself.error_code == "knowledge_base_invalid_parent"
    # A topic with entities needs delete_with_children.
    assert api.delete_knowledge_base_entity(world.topic.id).error_code == (
        "knowledge_base_invalid_request"
    )
    assert api.get_knowledge_base_entity(world.article.id).error_code is None
    assert api.delete_knowledge_base_entity(world.topic.id, True).deleted is True
    assert world.mock._backend.extra.kb == {}
    for reply in (
        api.get_knowledge_base_entity("missing"),
        api.get_knowledge_base_permissions("missing"),
        api.update_knowledge_base_permissions("missing", UpdateKnowledgeBasePermissionsRequest()),
    ):
        assert reply.error_code == "knowledge_base_not_found"


def test_wire_errors_name_the_member() -> None:
    world = make_world()
    body = world.fail(
        "POST", "/v4/knowledgebase", 400, "invalid_json", json_body={"type": 1, "title": "t"}
    )
    assert "/type" in body["error"]
    body = world.fail(
        "PUT",
        f"/v4/knowledgebase/{world.article.id}/permissions",
        400,
        "invalid_person_id",
        who="author",
        json_body={"readers": [world.author.id, 424242]},
    )
    assert "/readers/1" in body["error"]
    world.fail("GET", "/v4/knowledgebase/missing", 404, "knowledge_base_not_found")


def test_builder_checks() -> None:
    world = make_world()
    with pytest.raises(InvalidArgument, match="type"):
        world.mock.add_kb_entity("page", "x")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="parent"):
        world.mock.add_kb_entity("article", "x", "y", parent=world.article)
    with pytest.raises(InvalidArgument, match="readers"):
        world.mock.add_kb_entity("topic", "x", readers=[424242])
