"""Form permissions: ``GET|POST /forms/{id}/permissions``, through the official Python client
(``get_form_permissions``, ``change_form_permissions``) and raw requests for the failing sides
(the C# client's ``Requests/ChangePermissionsRequest.cs`` shape is the same)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyrus import client
from pyrus.models.requests import ChangePermissionsRequest

from pyrus_mock import InvalidArgument

from ._api_helpers import World, open_world

pytestmark = pytest.mark.filterwarnings("ignore:keys will default to True:DeprecationWarning")


@pytest.fixture
def world() -> Iterator[World]:
    with open_world(intercept=True) as world:
        yield world


def _login(world: World, who: str) -> client.PyrusAPI:
    person = getattr(world, who)
    return client.PyrusAPI(login=person.email, security_key=world.mock._backend.user_key(person.id))


def test_change_and_read_through_the_client(world: World) -> None:
    api = _login(world, "manager")
    role = world.mock.add_role("Clerks", [world.outsider])
    assert api.get_form_permissions(world.form.id).permissions == {}
    changed = api.change_form_permissions(
        world.form.id,
        ChangePermissionsRequest({world.author.id: "manager", role.id: "member"}),
    )
    assert changed.error_code is None, changed.error
    assert changed.permissions == {world.author.id: "manager", role.id: "member"}
    dropped = api.change_form_permissions(
        world.form.id, ChangePermissionsRequest({role.id: "none"})
    )
    assert dropped.permissions == {world.author.id: "manager"}
    assert api.get_form_permissions(world.form.id).permissions == {world.author.id: "manager"}
    # the form's manager may now read and change them without the Configuration manager right
    author_api = _login(world, "author")
    assert author_api.get_form_permissions(world.form.id).permissions == {
        world.author.id: "manager"
    }


def test_refusals_through_the_client(world: World) -> None:
    api = _login(world, "manager")
    assert api.get_form_permissions(999999).error_code == "access_denied_form"
    outsider = _login(world, "outsider")
    assert outsider.get_form_permissions(world.form.id).error_code == "access_denied"
    refused = outsider.change_form_permissions(
        world.form.id, ChangePermissionsRequest({world.outsider.id: "administrator"})
    )
    assert refused.error_code == "access_denied"
    assert world.mock._backend.org.form_permissions(world.form.id) == {}
    world.mock.set_form_permissions(world.form, {world.outsider: "member"})
    assert outsider.get_form_permissions(world.form.id).error_code == "access_denied"


def test_bad_bodies_change_nothing(world: World) -> None:
    path = f"/v4/forms/{world.form.id}/permissions"
    author = str(world.author.id)
    cases = [
        ({"permissions": {author: "member", "x": "member"}}, "invalid_json", "/permissions/x"),
        ({"permissions": {author: "member", "5": 3}}, "invalid_json", "/permissions/5"),
        ({"permissions": {author: "owner"}}, "invalid_value_format", "owner"),
        ({"permissions": {author: "member", "424242": "member"}}, "invalid_person_id", "424242"),
        ({}, "required_parameter_missing", "/permissions"),
    ]
    for payload, code, said in cases:
        body = world.fail("POST", path, 400, code, who="manager", json_body=payload)
        assert said in body["error"]
    assert world.mock._backend.org.form_permissions(world.form.id) == {}


def test_set_form_permissions_builder(world: World) -> None:
    table = world.mock.set_form_permissions(world.form.id, {world.author: "administrator"})
    assert table == {world.author.id: "administrator"}
    with pytest.raises(InvalidArgument, match="owner"):
        world.mock.set_form_permissions(world.form, {world.author: "owner"})
    with pytest.raises(InvalidArgument, match="form"):
        world.mock.set_form_permissions(999, {})
