"""Member administration: ``POST /members``, ``PUT|DELETE /members/{id}``,
``POST /members/bulk``, ``PUT /members/{id}/avatar``.

Through the official Python client (``pyrus-api``: ``create_member``, ``update_member``,
``set_avatar``) and as raw requests shaped like the C# client's for what only it has
(``PyrusClient.cs`` DeleteMember: no body; UpdateMembers: ``Requests/ChangeMembersRequest.cs``,
whose members carry no JSON names and so go out in PascalCase).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyrus import client
from pyrus.models.requests import CreateMemberRequest, UpdateMemberRequest

from pyrus_mock import PyrusMock

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


def test_create_member_who_can_then_log_in(world: World, admin_api: client.PyrusAPI) -> None:
    department = world.mock.add_department("Sales")
    made = admin_api.create_member(
        CreateMemberRequest(
            first_name="Nina",
            last_name="New",
            email="nina@example.com",
            position="Clerk",
            department_id=department.id,
            phone="+1 555",
        )
    )
    assert made.error_code is None, made.error
    assert (made.first_name, made.email, made.type) == ("Nina", "nina@example.com", "user")
    assert (made.department_id, made.department_name) == (department.id, "Sales")
    assert world.ok("GET", f"/v4/members/{made.id}")["position"] == "Clerk"
    key = world.mock._backend.user_key(made.id)
    nina = client.PyrusAPI(login="nina@example.com", security_key=key)
    assert nina.get_profile().person_id == made.id


def test_create_member_refusals(world: World, admin_api: client.PyrusAPI) -> None:
    taken = admin_api.create_member(CreateMemberRequest(first_name="X", email=world.author.email))
    assert taken.error_code == "person_email_already_in_use"
    bad = admin_api.create_member(CreateMemberRequest(first_name="X", email="not-an-email"))
    assert bad.error_code == "incorrect_email_format"
    nameless = admin_api.create_member(CreateMemberRequest(email="a@example.com"))
    assert nameless.error_code == "required_parameter_missing"
    no_dept = admin_api.create_member(
        CreateMemberRequest(first_name="X", email="b@example.com", department_id=4242)
    )
    assert no_dept.error_code == "invalid_department"
    refused = _login(world, "manager").create_member(
        CreateMemberRequest(first_name="X", email="c@example.com")
    )
    assert refused.error_code == "access_denied"
    assert "MANAGE_PERSONS_IN_ORGANIZATION" in refused.error


def test_update_member(world: World, admin_api: client.PyrusAPI) -> None:
    reply = admin_api.update_member(
        world.author.id, UpdateMemberRequest(last_name="Writer", mobile_phone="+2 777")
    )
    assert reply.error_code is None, reply.error
    assert reply.last_name == "Writer"
    assert reply.original_response["mobile_phone"] == "+2 777"
    assert world.author.name == "Ann Writer"
    assert admin_api.update_member(999999, UpdateMemberRequest(position="x")).error_code == (
        "access_denied_person"
    )
    bot = admin_api.update_member(world.bot.id, UpdateMemberRequest(position="x"))
    assert bot.error_code == "invalid_person_id"


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_set_avatar(world: World, admin_api: client.PyrusAPI, tmp_path: Path) -> None:
    picture = tmp_path / "me.png"
    picture.write_bytes(b"\x89PNG fake")
    author_api = _login(world, "author")
    uploaded = author_api.upload_file(str(picture))
    reply = author_api.set_avatar(world.author.id, uploaded.guid)  # one's own: no right needed
    assert reply.error_code is None, reply.error
    record = world.mock._backend.find_file_by_guid(uploaded.guid)
    assert record is not None
    assert reply.avatar_id == record.id
    assert world.author.avatar_id == record.id
    assert author_api.set_avatar(world.outsider.id, uploaded.guid).error_code == "access_denied"
    other = admin_api.set_avatar(world.outsider.id, uploaded.guid, external_avatar_id=77)
    assert (other.avatar_id, other.external_avatar_id) == (record.id, 77)
    unknown = admin_api.set_avatar(world.outsider.id, "00000000-0000-4000-8000-000000000000")
    assert unknown.error_code == "unrecognized_attachment_id"


# -- raw requests, C# shapes ---------------------------------------------------------------------


def test_ban_and_unban_block_the_members_tokens(world: World) -> None:
    world.token("author")
    world.ok("PUT", f"/v4/members/{world.author.id}", who="admin", json_body={"banned": True})
    world.fail("GET", "/v4/profile", 401, "account_blocked", who="author")
    world.ok("PUT", f"/v4/members/{world.author.id}", who="admin", json_body={"banned": False})
    world.ok("GET", "/v4/profile", who="author")


def test_update_member_department_and_rights(world: World) -> None:
    sales = world.mock.add_department("Sales")
    path = f"/v4/members/{world.outsider.id}"
    body = world.ok(
        "PUT", path, who="admin", json_body={"department_id": sales.id, "rights": 2, "email": None}
    )
    assert (body["department_name"], body["rights"]) == ("Sales", 2)
    world.ok("GET", f"/v4/tasks/{world.task.id}", who="outsider")  # now a Supervisor
    dropped = world.ok("PUT", path, who="admin", json_body={"drop_department": True})
    assert "department_id" not in dropped
    world.fail(
        "PUT",
        path,
        400,
        "person_email_already_in_use",
        who="admin",
        json_body={"email": world.author.email.upper()},
    )
    world.fail(
        "PUT",
        path,
        400,
        "required_parameter_missing",
        who="admin",
        json_body={"first_name": "", "last_name": ""},
    )
    world.fail("PUT", path, 400, "invalid_department", who="admin", json_body={"department_id": 1})
    world.fail("PUT", path, 400, "invalid_json", who="admin", json_body={"rights": 2**40})


def test_delete_member_fires(world: World) -> None:
    """C# DeleteMember(memberId): ``DELETE /members/{id}`` without a body."""
    world.token("outsider")
    body = world.ok("DELETE", f"/v4/members/{world.outsider.id}", who="admin")
    assert body["fired"] is True
    world.fail("GET", "/v4/profile", 401, "revoked_token", who="outsider")
    everyone = world.ok("GET", "/v4/members?include_fired=true")["members"]
    assert [m["id"] for m in everyone if m["fired"]] == [world.outsider.id]
    listed = [m["id"] for m in world.ok("GET", "/v4/members")["members"]]
    assert world.outsider.id not in listed  # fired people only with include_fired
    world.fail("DELETE", f"/v4/members/{world.admin.id}", 400, "cannot_be_fired", who="admin")
    world.fail("DELETE", f"/v4/members/{world.bot.id}", 400, "invalid_person_id", who="admin")
    world.fail("DELETE", "/v4/members/999999", 403, "access_denied_person", who="admin")
    world.fail("DELETE", f"/v4/members/{world.author.id}", 403, "access_denied", who="supervisor")


def test_bulk_in_the_csharp_shape(world: World) -> None:
    """C# UpdateMembers(ChangeMembersRequest): PascalCase members, ``null`` ones left out."""
    body = world.ok(
        "POST",
        "/v4/members/bulk",
        who="admin",
        json_body={
            "AddMembers": [{"first_name": "Bo", "email": "bo@example.com"}],
            "ChangeMembers": [{"id": world.author.id, "position": "Chief"}],
            "BanMembers": [{"email": world.supervisor.email}],
            "FireMembers": [{"id": world.outsider.id, "task_receiver_id": world.author.id}],
        },
    )
    members = body["members"]
    assert [m["first_name"] for m in members] == ["Bo", "Ann", "Sue", "Oscar"]
    assert members[1]["position"] == "Chief"
    assert (members[2]["banned"], members[3]["fired"]) == (True, True)
    assert world.mock._backend.find_person_by_email("bo@example.com") is not None


def test_a_refused_bulk_request_changes_nothing(world: World) -> None:
    body = world.fail(
        "POST",
        "/v4/members/bulk",
        400,
        "person_email_already_in_use",
        who="admin",
        json_body={
            "add_members": [
                {"first_name": "One", "email": "twin@example.com"},
                {"first_name": "Two", "email": "twin@example.com"},
            ],
        },
    )
    assert "/add_members/1/email" in body["error"]
    assert world.mock._backend.find_person_by_email("twin@example.com") is None
    world.fail(
        "POST",
        "/v4/members/bulk",
        400,
        "person_identity_missing",
        who="admin",
        json_body={
            "ChangeMembers": [{"position": "x"}],
            "AddMembers": [{"first_name": "Three", "email": "three@example.com"}],
        },
    )
    assert world.mock._backend.find_person_by_email("three@example.com") is None
    world.fail(
        "POST",
        "/v4/members/bulk",
        400,
        "invalid_json",
        who="admin",
        json_body={"FireMembers": ["x"]},
    )
    world.fail("POST", "/v4/members/bulk", 403, "access_denied", who="author", json_body={})


def test_parse_rights_accepts_a_single_name() -> None:
    fake = PyrusMock()
    assert fake.add_user(rights="supervisor").rights == 10
    fake.close()
