"""The org chart and ``GET /profile/identity``: only the C# client has them, so these are raw
requests shaped like ``PyrusClient.cs`` sends them (GetOrgChart; CreateDepartment(s):
``PUT /orgchart[/bulk]``; UpdateDepartment(s): ``POST /orgchart/{id}`` and
``POST /orgchart/bulk``; DeleteDepartment: ``DELETE /orgchart/{id}`` without a body;
DeleteDepartments: ``DELETE /orgchart/bulk`` with ``[{id}]``; GetIdentity), with the members
of ``Requests/CreateDepartmentRequest.cs``, ``UpdateDepartmentRequest.cs`` (``remove_manager``
always sent) and ``DeleteDepartmentRequest.cs``.
"""

from __future__ import annotations

import pytest

from pyrus_mock import InvalidArgument

from ._api_helpers import World, make_world


@pytest.fixture
def world() -> World:
    return make_world()


def test_identity(world: World) -> None:
    org = world.mock._backend.organisation.id
    assert world.ok("GET", "/v4/profile/identity", who="author") == {
        "email": world.author.email,
        "organization_id": org,
    }
    assert world.ok("GET", "/v4/profile/identity")["email"] == world.bot.login


def test_create_read_update_delete(world: World) -> None:
    top = world.ok(
        "PUT",
        "/v4/orgchart",
        who="admin",
        json_body={"department_name": "HQ", "manager_id": world.author.id, "external_id": 9},
    )
    assert top == {
        "id": top["id"],
        "department_name": "HQ",
        "manager_id": world.author.id,
        "external_id": 9,
    }
    sales = world.ok(
        "PUT",
        "/v4/orgchart",
        who="admin",
        json_body={"department_name": "Sales", "parent_id": top["id"]},
    )
    assert world.ok("GET", "/v4/orgchart", who="author")["departments"] == [top, sales]
    world.ok(
        "PUT",
        f"/v4/members/{world.outsider.id}",
        who="admin",
        json_body={"department_id": sales["id"]},
    )
    renamed = world.ok(
        "POST",
        f"/v4/orgchart/{sales['id']}",
        who="admin",
        json_body={"id": sales["id"], "remove_manager": False, "department_name": "Sales EU"},
    )
    assert renamed["department_name"] == "Sales EU"
    assert world.ok("GET", f"/v4/members/{world.outsider.id}")["department_name"] == "Sales EU"
    unmanaged = world.ok(
        "POST", f"/v4/orgchart/{top['id']}", who="admin", json_body={"remove_manager": True}
    )
    assert "manager_id" not in unmanaged
    body = world.fail("DELETE", f"/v4/orgchart/{top['id']}", 400, "invalid_department", who="admin")
    assert "sub-departments" in body["error"]
    assert world.ok("DELETE", f"/v4/orgchart/{sales['id']}", who="admin") == {}
    member = world.ok("GET", f"/v4/members/{world.outsider.id}")
    assert "department_id" not in member
    assert "department_name" not in member
    assert [d["id"] for d in world.ok("GET", "/v4/orgchart")["departments"]] == [top["id"]]


def test_bulk(world: World) -> None:
    made = world.ok(
        "PUT",
        "/v4/orgchart/bulk",
        who="admin",
        json_body=[{"department_name": "A"}, {"department_name": "B"}],
    )["departments"]
    a, b = made[0]["id"], made[1]["id"]
    moved = world.ok(
        "POST",
        "/v4/orgchart/bulk",
        who="admin",
        json_body=[{"id": b, "parent_id": a, "remove_manager": False}],
    )["departments"]
    assert moved[0]["parent_id"] == a
    # a parent and its child together: allowed
    assert (
        world.ok("DELETE", "/v4/orgchart/bulk", who="admin", json_body=[{"id": a}, {"id": b}]) == {}
    )
    assert world.ok("GET", "/v4/orgchart")["departments"] == []


def test_refusals_change_nothing(world: World) -> None:
    a = world.mock.add_department("A")
    b = world.mock.add_department("B", parent=a)
    body = world.fail(
        "POST",
        "/v4/orgchart/bulk",
        400,
        "invalid_department",
        who="admin",
        json_body=[{"id": b.id, "department_name": "B2"}, {"id": a.id, "parent_id": b.id}],
    )
    assert "/1/parent_id" in body["error"]
    assert (b.name, a.parent_id) == ("B", None)
    world.fail(
        "POST",
        f"/v4/orgchart/{a.id}",
        400,
        "invalid_department",
        who="admin",
        json_body={"parent_id": a.id},
    )
    world.fail(
        "POST",
        "/v4/orgchart/4242",
        400,
        "invalid_department",
        who="admin",
        json_body={"department_name": "x"},
    )
    world.fail(
        "PUT",
        "/v4/orgchart",
        400,
        "required_parameter_missing",
        who="admin",
        json_body={"parent_id": a.id},
    )
    world.fail(
        "PUT",
        "/v4/orgchart",
        400,
        "invalid_department",
        who="admin",
        json_body={"department_name": "x", "parent_id": 4242},
    )
    world.fail(
        "PUT",
        "/v4/orgchart",
        400,
        "invalid_person_id",
        who="admin",
        json_body={"department_name": "x", "manager_id": 4242},
    )
    world.fail(
        "PUT",
        "/v4/orgchart/bulk",
        400,
        "invalid_json",
        who="admin",
        json_body=[{"department_name": "ok"}, {"department_name": 5}],
    )
    world.fail(
        "DELETE",
        "/v4/orgchart/bulk",
        400,
        "invalid_department",
        who="admin",
        json_body=[{"id": b.id}, {"id": 4242}],
    )
    assert len(world.mock._backend.org.departments()) == 2
    world.fail(
        "PUT",
        "/v4/orgchart",
        403,
        "access_denied",
        who="manager",
        json_body={"department_name": "x"},
    )
    world.fail("DELETE", f"/v4/orgchart/{b.id}", 403, "access_denied", who="author")


def test_add_department_builder(world: World) -> None:
    mock = world.mock
    hq = mock.add_department("HQ", manager=world.author, members=[world.outsider])
    assert world.outsider.department_id == hq.id
    assert world.ok("GET", f"/v4/members/{world.outsider.id}")["department_name"] == "HQ"
    with pytest.raises(InvalidArgument, match="parent"):
        mock.add_department("Lost", parent=4242)
    with pytest.raises(InvalidArgument, match="name"):
        mock.add_department("  ")
