"""Lists (projects): read, create, update, delete, the bulk forms, and the tasks of a list.

``get_lists`` and ``get_task_list`` go through the official Python client; the rest with raw
requests shaped as the C# client sends them (``PyrusClient.cs`` ``GetList(s)``, ``CreateList(s)``,
``UpdateList(s)``, ``DeleteList(s)``; ``Requests/CreateListRequest.cs``,
``Requests/UpdateListRequest.cs``, ``Requests/DeleteListRequest.cs``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyrus import client
from pyrus.models.requests import TaskListRequest

from pyrus_mock import PyrusMock
from pyrus_mock.domain.errors import InvalidArgument

from ._api_helpers import World, make_world

pytestmark = pytest.mark.filterwarnings("ignore:keys will default to True:DeprecationWarning")

#: What the C# client appends to every GET of lists.
CS_QUERY = "?with_forms=False&with_deleted=False"


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def api(world: World) -> Iterator[client.PyrusAPI]:
    with world.mock.intercept():
        yield client.PyrusAPI(login=world.author.email, security_key=_key(world, "author"))
    world.app.raise_errors()


def _key(world: World, who: str) -> str:
    return world.mock._backend.user_key(getattr(world, who).id)


# -- through the official Python client ------------------------------------------------------------


def test_python_get_lists_and_get_task_list(world: World, api: client.PyrusAPI) -> None:
    child = world.mock.add_list("Child", parent=world.lst)
    world.mock.add_list("Secret", private=True, managers=[world.outsider])
    lists = api.get_lists()
    assert lists.error_code is None, lists.error
    assert [(lst.id, lst.name) for lst in lists.lists] == [(world.lst.id, "Projects")]
    assert [(c.id, c.name) for c in lists.lists[0].children] == [(child.id, "Child")]
    tasks = api.get_task_list(world.lst.id, TaskListRequest(item_count=10))
    assert tasks.error_code is None, tasks.error
    assert [t.id for t in tasks.tasks] == [world.task.id]
    world.ok("DELETE", f"/v4/lists/{world.lst.id}", who="supervisor")
    assert api.get_lists().lists == []
    assert api.get_task_list(world.lst.id).error_code == "access_denied_project"


# -- raw requests, as the C# client sends them -----------------------------------------------------


def test_every_list_carries_the_fields_clients_read(world: World) -> None:
    """C#/TS ``PlainTaskList``: ``deleted``, ``list_type``, ``manager_ids``, ``version``."""
    world.mock.add_list("Child", parent=world.lst)
    lists = world.ok("GET", "/v4/lists" + CS_QUERY)["lists"]
    for lst in [lists[0], *lists[0]["children"]]:
        assert lst["deleted"] is False
        assert lst["list_type"] == "org_wide"
        assert lst["manager_ids"] == []
        assert lst["version"] == 1
        assert lst["is_private"] is False
    assert "parent_id" not in lists[0]
    assert lists[0]["children"][0]["parent_id"] == world.lst.id


def test_get_one_list_with_its_children(world: World) -> None:
    child = world.mock.add_list("Child", parent=world.lst)
    data = world.ok("GET", f"/v4/lists/{world.lst.id}" + CS_QUERY)
    assert (data["id"], data["name"], data["version"]) == (world.lst.id, "Projects", 1)
    assert [c["id"] for c in data["children"]] == [child.id]
    world.fail("GET", "/v4/lists/999999" + CS_QUERY, 403, "access_denied_project")
    world.fail("GET", f"/v4/lists/{world.lst.id}?with_deleted=maybe", 400, "invalid_value_format")


def test_create_update_delete(world: World) -> None:
    """``PUT /lists``, ``POST /lists/{id}``, ``DELETE /lists/{id}`` as C# ``CreateList``,
    ``UpdateList`` (its body repeats ``id``) and ``DeleteList``."""
    created = world.ok(
        "PUT",
        "/v4/lists",
        who="author",
        json_body={
            "name": "Launch",
            "parent_id": world.lst.id,
            "color": "#ff0000",
            "list_type": "private",
            "added_members": [world.outsider.id],
        },
    )
    assert created["manager_ids"] == [world.author.id]  # the creator manages it
    assert created["member_ids"] == [world.outsider.id]
    assert (created["parent_id"], created["list_type"], created["version"]) == (
        world.lst.id,
        "private",
        1,
    )
    list_id = created["id"]
    # A private list: its managers and members see it, others do not.
    world.ok("GET", f"/v4/lists/{list_id}", who="outsider")
    world.fail("GET", f"/v4/lists/{list_id}", 403, "access_denied_project", who="bot")
    updated = world.ok(
        "POST",
        f"/v4/lists/{list_id}",
        who="author",
        json_body={
            "id": list_id,
            "name": "Launch 2",
            "added_managers": [world.bot.id],
            "removed_members": [world.outsider.id],
        },
    )
    assert (updated["name"], updated["version"]) == ("Launch 2", 2)
    assert updated["manager_ids"] == [world.author.id, world.bot.id]
    assert updated["member_ids"] == []
    world.fail("GET", f"/v4/lists/{list_id}", 403, "access_denied_project", who="outsider")
    assert world.ok("DELETE", f"/v4/lists/{list_id}", who="bot") == {}
    world.fail("GET", f"/v4/lists/{list_id}", 403, "access_denied_project", who="author")
    gone = world.ok("GET", f"/v4/lists/{list_id}?with_deleted=True", who="author")
    assert (gone["deleted"], gone["version"]) == (True, 3)


def test_rights_to_change_a_list(world: World) -> None:
    url = f"/v4/lists/{world.lst.id}"
    body = world.fail("POST", url, 403, "access_denied_project", who="author", json_body={})
    assert "EDIT_ORGANIZATION_PROJECTS" in body["error"]
    world.fail("DELETE", url, 403, "access_denied_project", who="manager")
    assert world.ok("POST", url, who="supervisor", json_body={"name": "P"})["name"] == "P"
    managed = world.mock.add_list("Mine", managers=[world.author])
    world.ok("POST", f"/v4/lists/{managed.id}", who="author", json_body={"color": "blue"})
    world.fail("POST", "/v4/lists/999999", 403, "access_denied_project", json_body={})


def test_deleting_a_list_deletes_its_children_and_closes_it_to_tasks(world: World) -> None:
    child = world.mock.add_list("Child", parent=world.lst)
    world.ok("DELETE", f"/v4/lists/{world.lst.id}", who="supervisor")
    assert world.ok("GET", "/v4/lists")["lists"] == []
    every = world.ok("GET", "/v4/lists?with_forms=False&with_deleted=True")["lists"]
    assert [(lst["id"], lst["deleted"]) for lst in every] == [(world.lst.id, True)]
    assert [(c["id"], c["deleted"]) for c in every[0]["children"]] == [(child.id, True)]
    assert world.lst.id in world.mock.task(world.task.id).list_ids  # tasks keep naming it
    world.fail(
        "POST",
        "/v4/tasks",
        403,
        "access_denied_project",
        who="author",
        json_body={"text": "x", "list_ids": [world.lst.id]},
    )
    world.fail(
        "POST",
        f"/v4/lists/{world.lst.id}",
        403,
        "access_denied_project",
        who="supervisor",
        json_body={"name": "again"},
    )


@pytest.mark.parametrize(
    ("body", "code", "where"),
    [
        pytest.param({}, "required_parameter_missing", "/name", id="no-name"),
        pytest.param({"name": 5}, "invalid_json", "/name", id="name-type"),
        pytest.param({"name": "x", "list_type": "public"}, "invalid_value_format", "/list_type"),
        pytest.param({"name": "x", "parent_id": 999999}, "access_denied_project", "/parent_id"),
        pytest.param({"name": "x", "added_managers": [999999]}, "invalid_person_id", "/0"),
        pytest.param({"name": "x", "added_members": "me"}, "invalid_json", "/added_members"),
        pytest.param({"name": "x", "is_private": "no"}, "invalid_json", "/is_private"),
    ],
)
def test_create_refuses_bad_bodies(
    world: World, body: dict[str, Any], code: str, where: str
) -> None:
    count = len(world.mock._backend.lists())
    reply = world.call("PUT", "/v4/lists", who="author", json_body=body)[1]
    assert reply["error_code"] == code
    assert where in reply["error"]
    assert len(world.mock._backend.lists()) == count


def test_csharp_bulk_create_update_delete(world: World) -> None:
    """``PUT|POST|DELETE /lists/bulk`` as C# ``CreateLists``, ``UpdateLists``, ``DeleteLists``."""
    created = world.ok(
        "PUT", "/v4/lists/bulk", who="author", json_body=[{"name": "A"}, {"name": "B"}]
    )["lists"]
    assert [lst["name"] for lst in created] == ["A", "B"]
    ids = [lst["id"] for lst in created]
    updated = world.ok(
        "POST",
        "/v4/lists/bulk",
        who="author",
        json_body=[{"id": ids[0], "name": "A2"}, {"id": ids[1], "color": "red"}],
    )["lists"]
    assert [(lst["name"], lst["version"]) for lst in updated] == [("A2", 2), ("B", 2)]
    body = [{"id": ids[0]}, {"id": ids[1]}]
    assert world.ok("DELETE", "/v4/lists/bulk", who="author", json_body=body) == {}
    names = [lst["name"] for lst in world.ok("GET", "/v4/lists", who="author")["lists"]]
    assert names == ["Projects"]


def test_bulk_changes_are_all_or_nothing(world: World) -> None:
    mine = world.mock.add_list("Mine", managers=[world.author])
    reply = world.fail(
        "POST",
        "/v4/lists/bulk",
        403,
        "access_denied_project",
        who="author",
        json_body=[{"id": mine.id, "name": "Renamed"}, {"id": world.lst.id, "name": "No"}],
    )
    assert reply["error"].startswith("/1/id")
    assert (mine.name, mine.version) == ("Mine", 1)
    world.fail(
        "DELETE",
        "/v4/lists/bulk",
        403,
        "access_denied_project",
        who="author",
        json_body=[{"id": mine.id}, {"id": 999999}],
    )
    assert mine.deleted is False
    world.fail(
        "PUT",
        "/v4/lists/bulk",
        400,
        "required_parameter_missing",
        who="author",
        json_body=[{"name": "ok"}, {"color": "red"}],
    )
    assert [lst.name for lst in world.mock._backend.lists()] == ["Projects", "Mine"]
    world.fail(
        "POST",
        "/v4/lists/bulk",
        400,
        "invalid_value_format",
        who="author",
        json_body=[{"id": mine.id}, {"id": mine.id}],
    )
    world.fail("DELETE", "/v4/lists/bulk", 400, "required_parameter_missing", json_body=[{}])


def test_update_body_id_must_match_the_path(world: World) -> None:
    url = f"/v4/lists/{world.lst.id}"
    body = world.fail(
        "POST", url, 400, "invalid_value_format", who="supervisor", json_body={"id": 42}
    )
    assert "/id" in body["error"]


def test_add_list_builder_checks_its_arguments() -> None:
    with PyrusMock() as mock:
        with pytest.raises(InvalidArgument, match="parent"):
            mock.add_list("X", parent=999999)
        with pytest.raises(InvalidArgument, match="managers"):
            mock.add_list("X", managers=[999999])
        private = mock.add_list("P", private=True)
        assert (private.list_type, private.is_private) == ("private", True)


# -- the tree and the tasks of a list, with raw requests -------------------------------------------


def test_lists(world: World) -> None:
    child = world.mock._backend.add_list("Child", parent_id=world.lst.id)
    lists = world.ok("GET", "/v4/lists")["lists"]
    assert [(lst["id"], lst["name"]) for lst in lists] == [(world.lst.id, "Projects")]
    assert [(c["id"], c["name"], c["parent_id"]) for c in lists[0]["children"]] == [
        (child.id, "Child", world.lst.id)
    ]
    tasks = world.ok("GET", f"/v4/lists/{world.lst.id}/tasks", who="author")
    assert [t["id"] for t in tasks["tasks"]] == [world.task.id]
    assert world.ok("GET", f"/v4/lists/{world.lst.id}/tasks", who="outsider")["tasks"] == []
    world.mock._backend.comment(world.task, {"action": "finished"}, world.author)
    assert (
        world.ok("POST", f"/v4/lists/{world.lst.id}/tasks", who="author", json_body={})["tasks"]
        == []
    )
    archived = world.ok(
        "POST", f"/v4/lists/{world.lst.id}/tasks", who="author", json_body={"include_archived": "y"}
    )
    assert [t["id"] for t in archived["tasks"]] == [world.task.id]
