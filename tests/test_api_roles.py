"""Roles: ``/roles``, ``/roles/{id}``, ``/roles/bulk``.

Through the official Python client (``pyrus-api``) where it has the method, and as raw requests
shaped like the C# client's (``PyrusClient.cs`` CreateRoles/UpdateRoles/DeleteRoles,
``Requests/CreateRoleRequest.cs``, ``UpdateRoleRequest.cs``, ``DeleteRoleRequest.cs``)
for the bulk variants, which only it has.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyrus import client
from pyrus.models.requests import CreateRoleRequest, DeleteRoleRequest, UpdateRoleRequest

from ._api_helpers import World, open_world

pytestmark = pytest.mark.filterwarnings("ignore:keys will default to True:DeprecationWarning")


@pytest.fixture
def world() -> Iterator[World]:
    with open_world(intercept=True) as world:
        yield world


def _login(world: World, who: str) -> client.PyrusAPI:
    person = getattr(world, who)
    return client.PyrusAPI(login=person.email, security_key=world.mock._backend.user_key(person.id))


@pytest.fixture
def admin_api(world: World) -> client.PyrusAPI:
    return _login(world, "admin")


# -- the official Python client ------------------------------------------------------------------


def test_create_get_and_list_roles(world: World, admin_api: client.PyrusAPI) -> None:
    made = admin_api.create_role(CreateRoleRequest("Cashiers", [world.author.id]))
    assert made.error_code is None, made.error
    assert (made.name, made.member_ids, made.banned, made.fired) == (
        "Cashiers",
        [world.author.id],
        False,
        False,
    )
    role = world.mock._backend.org.find_role(made.id)
    assert role is not None
    assert role.type == "role"
    got = admin_api.get_role(made.id)
    assert (got.id, got.name, got.member_ids) == (made.id, "Cashiers", [world.author.id])
    listed = admin_api.get_roles()
    assert [(r.id, r.name) for r in listed.roles] == [(made.id, "Cashiers")]


def test_update_role_renames_bans_and_adds_members(
    world: World, admin_api: client.PyrusAPI
) -> None:
    role = world.mock.add_role("Desk", [world.author])
    reply = admin_api.update_role(
        role.id,
        UpdateRoleRequest(name="Front desk", added_members=[world.outsider.id], banned=True),
    )
    assert reply.error_code is None, reply.error
    assert (reply.name, reply.banned) == ("Front desk", True)
    assert reply.member_ids == [world.author.id, world.outsider.id]
    assert role.member_ids == [world.author.id, world.outsider.id]


def test_the_python_clients_misspelt_removal_is_ignored(
    world: World, admin_api: client.PyrusAPI
) -> None:
    # pyrus-api sends removals as "memebr_remove" (sic): an unknown member, ignored like Pyrus.
    role = world.mock.add_role("Desk", [world.author])
    reply = admin_api.update_role(role.id, UpdateRoleRequest(removed_members=[world.author.id]))
    assert reply.member_ids == [world.author.id]


def test_delete_role(world: World, admin_api: client.PyrusAPI) -> None:
    role = world.mock.add_role("Old", [world.author])
    reply = admin_api.delete_role(role.id, DeleteRoleRequest(task_receiver_id=world.author.id))
    assert reply.error_code is None, reply.error
    assert reply.fired is True
    assert admin_api.get_roles().roles == []
    assert world.ok("GET", "/v4/roles?include_fired=True")["roles"][0]["id"] == role.id


def test_role_errors_through_the_client(world: World, admin_api: client.PyrusAPI) -> None:
    assert admin_api.get_role(999999).error_code == "access_denied_person"
    assert admin_api.get_role(world.author.id).error_code == "access_denied_person"
    bad_member = admin_api.create_role(CreateRoleRequest("X", [424242]))
    assert bad_member.error_code == "invalid_person_id"
    assert "/member_add/0" in bad_member.error
    plain = _login(world, "author")
    refused = plain.create_role(CreateRoleRequest("X"))
    assert refused.error_code == "access_denied"
    assert "MANAGE_ROLES" in refused.error
    assert plain.get_roles().error_code is None  # reading needs no right


# -- raw requests, C# shapes ---------------------------------------------------------------------


def test_update_role_removes_members(world: World) -> None:
    role = world.mock.add_role("Desk", [world.author, world.outsider])
    body = world.ok(
        "PUT",
        f"/v4/roles/{role.id}",
        who="admin",
        json_body={"id": role.id, "member_remove": [world.author.id], "external_id": "x1"},
    )
    assert body["member_ids"] == [world.outsider.id]
    assert body["external_id"] == "x1"


def test_bulk_create_update_delete(world: World) -> None:
    made = world.ok(
        "POST",
        "/v4/roles/bulk",
        who="admin",
        json_body=[{"name": "A", "member_add": [world.author.id]}, {"name": "B"}],
    )["roles"]
    assert [r["name"] for r in made] == ["A", "B"]
    ids = [r["id"] for r in made]
    changed = world.ok(
        "PUT",
        "/v4/roles/bulk",
        who="admin",
        json_body=[{"id": ids[0], "banned": True}, {"id": ids[1], "name": "Bee"}],
    )["roles"]
    assert [(r["name"], r["banned"]) for r in changed] == [("A", True), ("Bee", False)]
    gone = world.ok(
        "DELETE",
        "/v4/roles/bulk",
        who="admin",
        json_body=[{"id": ids[0], "task_receiver_id": 0}, {"id": ids[1], "task_receiver_id": 0}],
    )["roles"]
    assert [r["fired"] for r in gone] == [True, True]
    assert world.ok("GET", "/v4/roles")["roles"] == []


def test_a_refused_bulk_request_changes_nothing(world: World) -> None:
    role = world.mock.add_role("Keep", [world.author])
    body = world.fail(
        "PUT",
        "/v4/roles/bulk",
        400,
        "invalid_person_id",
        who="admin",
        json_body=[{"id": role.id, "name": "Changed"}, {"id": role.id, "member_add": [7]}],
    )
    assert "/1/member_add/0" in body["error"]
    assert role.first_name == "Keep"
    world.fail(
        "POST", "/v4/roles/bulk", 400, "required_parameter_missing", who="admin", json_body=[{}]
    )
    world.fail(
        "DELETE", "/v4/roles/bulk", 403, "access_denied_person", who="admin", json_body=[{"id": 9}]
    )
    assert len(world.mock._backend.org.roles()) == 1


def test_role_validation(world: World) -> None:
    role = world.mock.add_role("R")
    body = world.fail(
        "PUT",
        f"/v4/roles/{role.id}",
        400,
        "invalid_json",
        who="admin",
        json_body={"member_add": ["1"]},
    )
    assert "/member_add/0" in body["error"]
    world.fail(
        "PUT",
        f"/v4/roles/{role.id}",
        400,
        "required_parameter_missing",
        who="admin",
        json_body={"name": "  "},
    )
    world.fail(
        "PUT", "/v4/roles/999999", 403, "access_denied_person", who="admin", json_body={"name": "x"}
    )
    world.fail(
        "DELETE",
        f"/v4/roles/{role.id}",
        400,
        "invalid_person_id",
        who="admin",
        json_body={"task_receiver_id": 123456},
    )
    world.fail(
        "POST", "/v4/roles/bulk", 400, "invalid_json", who="admin", json_body={"name": "not a list"}
    )
    # a role cannot be a member of a role; a fired person cannot join
    world.fail(
        "POST",
        "/v4/roles",
        400,
        "invalid_person_id",
        who="admin",
        json_body={"name": "x", "member_add": [role.id]},
    )
    for path, method in (("/v4/roles/bulk", "PUT"), (f"/v4/roles/{role.id}", "DELETE")):
        world.fail(method, path, 403, "access_denied", who="manager", json_body=[])


def test_a_role_made_by_the_api_approves_through_its_members(world: World) -> None:
    made = world.ok(
        "POST",
        "/v4/roles",
        who="admin",
        json_body={"name": "Pay", "member_add": [world.outsider.id]},
    )
    mock = world.mock
    form = mock.add_form("Pay", [], steps=[{"name": "Approve", "approvers": [made["id"]]}])
    task = mock.add_task(form=form, author=world.author)
    token = mock._backend.accounts.issue_token(world.outsider.id).value
    response, body = world.call(
        "POST",
        f"/v4/tasks/{task.id}/comments",
        who=None,
        headers={"Authorization": f"Bearer {token}"},
        json_body={"approval_choice": "approved"},
    )
    assert response.status_code == 200, body
    assert task.approvals[0][0].choice == "approved"


def test_builders_check_their_arguments(world: World) -> None:
    from pyrus_mock import InvalidArgument

    with pytest.raises(InvalidArgument, match="name"):
        world.mock.add_role("")
    role = world.mock.add_role("Ext", external_id="e-1")
    assert world.ok("GET", f"/v4/roles/{role.id}")["external_id"] == "e-1"
