"""Contract fidelity: every value the fake sends is one the official clients read.

Each behaviour is checked twice where it matters: on the JSON itself, and through the official
Python client (``pyrus-api``, unmodified) parsing the reply, over ``intercept()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pyrus import client

from ._api_helpers import World, open_world

# The client serialises requests with jsonpickle, which warns about a future default.
pytestmark = pytest.mark.filterwarnings("ignore:keys will default to True:DeprecationWarning")


@pytest.fixture
def world() -> Iterator[World]:
    with open_world(intercept=True) as world:
        yield world


@pytest.fixture
def api(world: World) -> client.PyrusAPI:
    return client.PyrusAPI(login=world.bot.login, security_key=world.bot.security_key)


# -- GET /inbox: task_groups, item_count, group_item_count ----------------------------------------


def _grouped_world(world: World) -> tuple[int, list[int]]:
    """A grouped form with three tasks waiting for the bot; its id and the task ids."""
    grouped = world.mock.add_form(
        "Leave",
        [{"name": "Days", "type": "number"}],
        steps=[{"name": "OK", "approvers": [world.bot]}],
        inbox_group=True,
    )
    ids = [
        world.mock.add_task(form=grouped, fields={"Days": n}, author=world.author).id
        for n in (1, 2, 3)
    ]
    return grouped.id, ids


def test_inbox_groups_tasks_of_grouped_forms(world: World) -> None:
    form_id, ids = _grouped_world(world)
    inbox = world.ok("GET", "/v4/inbox")
    assert [t["id"] for t in inbox["tasks"]] == [world.task.id], "grouped tasks are not loose"
    assert inbox["has_more"] is False
    [group] = inbox["task_groups"]
    assert (group["id"], group["name"], group["has_more"]) == (form_id, "Leave", False)
    assert [t["id"] for t in group["tasks"]] == ids
    assert set(group["tasks"][0]) >= {"id", "create_date", "author"}, "TaskHeaders"
    limited = world.ok("GET", "/v4/inbox?item_count=50&group_item_count=2")
    [group] = limited["task_groups"]
    assert ([t["id"] for t in group["tasks"]], group["has_more"]) == (ids[:2], True)
    world.fail("GET", "/v4/inbox?group_item_count=two", 400, "invalid_value_format")


def test_inbox_without_groups_has_an_empty_list(world: World) -> None:
    assert world.ok("GET", "/v4/inbox", who="outsider") == {
        "tasks": [],
        "has_more": False,
        "task_groups": [],
    }


def test_official_client_reads_task_groups(world: World, api: client.PyrusAPI) -> None:
    form_id, ids = _grouped_world(world)
    inbox = api.get_inbox(tasks_count=1, group_tasks_count=1)
    assert inbox.error is None
    assert [t.id for t in inbox.tasks] == [world.task.id]
    [group] = inbox.task_groups
    assert (group.id, group.name, group.has_more) == (form_id, "Leave", True)
    assert [t.id for t in group.tasks] == ids[:1]


# -- GET /members: include_fired -------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["True", "true"], ids=["csharp", "typescript"])
def test_members_list_fired_persons_only_when_asked(world: World, flag: str) -> None:
    gone = world.mock.add_bot("Gone", "https://gone.invalid/hook")
    gone.delete()
    ids = [m["id"] for m in world.ok("GET", "/v4/members", who="author")["members"]]
    assert gone.id not in ids
    assert world.bot.id in ids
    ids = [m["id"] for m in world.ok("GET", "/v4/members?include_fired=False")["members"]]
    assert gone.id not in ids
    members = world.ok("GET", f"/v4/members?include_fired={flag}")["members"]
    assert {m["id"]: m["fired"] for m in members}[gone.id] is True
    world.fail("GET", "/v4/members?include_fired=maybe", 400, "invalid_value_format")


def test_official_client_members_leave_out_deleted_bots(world: World, api: client.PyrusAPI) -> None:
    gone = world.mock.add_bot("Gone", "https://gone.invalid/hook")
    gone.delete()
    members = api.get_members().members
    assert gone.id not in [m.id for m in members]
    assert world.bot.id in [m.id for m in members]


# -- project field values --------------------------------------------------------------------------


def _project_task(world: World) -> tuple[int, int, int]:
    """A form with a project field, a task in a nested list; (task id, child id, field id)."""
    form = world.mock.add_form(
        "Order", [{"name": "Project", "type": "project"}, {"name": "Note", "type": "text"}]
    )
    child = world.mock._backend.add_list("Sub", parent_id=world.lst.id)
    task = world.mock.add_task(form=form, fields={"Note": "x"}, author=world.author)
    world.mock._backend.comment(task, {"added_list_ids": [child.id]}, world.author)
    field_id = next(f.id for f in form.fields if f.type == "project")
    return task.id, child.id, field_id


def test_project_field_carries_the_tasks_lists(world: World) -> None:
    task_id, child_id, field_id = _project_task(world)
    fields = world.ok("GET", f"/v4/tasks/{task_id}", who="author")["task"]["fields"]
    project = next(f for f in fields if f["id"] == field_id)
    assert project["type"] == "project"
    assert project["value"] == {
        "projects": [
            {"id": child_id, "name": "Sub", "parent": {"id": world.lst.id, "name": "Projects"}}
        ]
    }
    world.mock._backend.comment(
        world.mock._backend.find_task(task_id), {"removed_list_ids": [child_id]}, world.author
    )
    fields = world.ok("GET", f"/v4/tasks/{task_id}", who="author")["task"]["fields"]
    assert "value" not in next(f for f in fields if f["id"] == field_id), "no list, no value"


def test_project_field_is_read_only(world: World) -> None:
    task_id, child_id, field_id = _project_task(world)
    update = {"field_updates": [{"id": field_id, "value": {"projects": [{"id": child_id}]}}]}
    world.fail(
        "POST",
        f"/v4/tasks/{task_id}/comments",
        400,
        "unable_to_edit_field",
        json_body=update,
        who="author",
    )


def test_official_client_reads_project_values(world: World, api: client.PyrusAPI) -> None:
    from pyrus.models import entities

    task_id, child_id, field_id = _project_task(world)
    world.mock._backend.comment(
        world.mock._backend.find_task(task_id),
        {"participants_added": [{"id": world.bot.id}]},
        world.author,
    )
    task = api.get_task(task_id).task
    [field] = [f for f in task.flat_fields if f.id == field_id]
    assert isinstance(field.value, entities.Projects)
    [project] = field.value.projects
    assert (project.id, project.name) == (child_id, "Sub")
    assert (project.parent.id, project.parent.name) == (world.lst.id, "Projects")


# -- bot_settings: always present unless omit_empty_bot_settings ----------------------------------


def _payload(world: World, bot_id: int) -> dict[str, object]:
    mock = world.mock
    body, _ = mock._dispatcher.build_body(
        world.task, mock._backend.accounts.bot(bot_id), token=False
    )
    return dict(json.loads(body))


def test_bot_settings_always_present(world: World) -> None:
    plain = world.mock.add_bot("Plain", "https://plain.invalid/hook")
    tuned = world.mock.add_bot("Tuned", "https://tuned.invalid/hook", settings='{"k": 1}')
    assert _payload(world, plain.id)["bot_settings"] == ""
    assert _payload(world, tuned.id)["bot_settings"] == '{"k": 1}'
    bots = {b["id"]: b for b in world.ok("GET", "/v4/bots", who="manager")["bots"]}
    assert bots[plain.id]["bot_settings"] == ""
    assert bots[tuned.id]["bot_settings"] == '{"k": 1}'
    changed = world.ok("PUT", f"/v4/bots/{tuned.id}", who="manager", json_body={"bot_settings": ""})
    assert changed["bot_settings"] == ""
    assert _payload(world, tuned.id)["bot_settings"] == ""


def test_omit_empty_bot_settings_setting(world: World) -> None:
    world.mock.settings = world.mock.settings.replace(omit_empty_bot_settings=True)
    plain = world.mock.add_bot("Plain", "https://plain.invalid/hook")
    tuned = world.mock.add_bot("Tuned", "https://tuned.invalid/hook", settings="s")
    assert "bot_settings" not in _payload(world, plain.id)
    assert _payload(world, tuned.id)["bot_settings"] == "s"
    bots = {b["id"]: b for b in world.ok("GET", "/v4/bots", who="manager")["bots"]}
    assert "bot_settings" not in bots[plain.id]
    assert bots[tuned.id]["bot_settings"] == "s"


def test_control_plane_forms_take_inbox_group_defaults_and_step_deadlines() -> None:
    from werkzeug.test import Client

    from pyrus_mock import PyrusMock
    from pyrus_mock.control import with_control

    mock = PyrusMock()
    try:
        token = "t" * 32
        app = with_control(mock, token)
        reply = Client(app).post(
            "/_mock/forms",
            json={
                "name": "Leave",
                "fields": [{"name": "Days", "type": "number", "default": 2}],
                "steps": [{"name": "OK", "due_minutes": 30}],
                "inbox_group": True,
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert reply.status_code == 200, reply.get_data()
        form = mock._backend.find_form(reply.get_json()["id"])
        assert form is not None
        assert form.inbox_group is True
        assert form.fields[0].default == 2
        assert form.steps[0].due_minutes == 30
        assert "default" not in json.dumps(reply.get_json()), "the fake's own member stays inside"
    finally:
        mock.close()
