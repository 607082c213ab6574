"""POST /tasks with fill_defaults: the form's default values, through the official client too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyrus import client
from pyrus.models.entities import FormField
from pyrus.models.requests import CreateTaskRequest

from pyrus_mock import PyrusMock
from pyrus_mock.domain.errors import InvalidArgument
from pyrus_mock.domain.model import Form

from ._api_helpers import World, open_world

pytestmark = pytest.mark.filterwarnings("ignore:keys will default to True:DeprecationWarning")


@pytest.fixture
def world() -> Iterator[World]:
    with open_world() as world:
        yield world


@pytest.fixture
def trip(world: World) -> Form:
    return world.mock.add_form(
        "Trip",
        [
            {"name": "City", "type": "text", "code": "u_city", "default": "Paris"},
            {"name": "Days", "type": "number", "default": 3},
            {"name": "Note", "type": "text"},
            {"name": "Urgent", "type": "checkmark", "default": "unchecked"},
            {"name": "Who", "type": "person", "default": {"id": world.author.id}},
        ],
    )


def _values(task: dict[str, Any]) -> dict[str, Any]:
    return {f["name"]: f.get("value") for f in task["fields"]}


def test_fill_defaults_writes_the_defaults_of_unnamed_fields(world: World, trip: Form) -> None:
    form = trip
    task = world.ok(
        "POST",
        "/v4/tasks",
        json_body={
            "form_id": form.id,
            "fill_defaults": True,
            "fields": [{"code": "u_city", "value": "Rome"}, {"name": "Note", "value": "n"}],
        },
    )["task"]
    values = _values(task)
    assert values["City"] == "Rome", "a given value wins over the default"
    assert values["Days"] == 3
    assert values["Note"] == "n"
    assert values["Urgent"] == "unchecked"
    assert values["Who"]["id"] == world.author.id


def test_without_fill_defaults_fields_stay_empty(world: World, trip: Form) -> None:
    form = trip
    for extra in ({}, {"fill_defaults": False}):  # the C# client always sends the flag
        task = world.ok("POST", "/v4/tasks", json_body={"form_id": form.id, **extra})["task"]
        assert all(value is None for value in _values(task).values()), task["fields"]
    world.fail(
        "POST", "/v4/tasks", 400, "invalid_json", json_body={"form_id": form.id, "fill_defaults": 1}
    )


def test_official_client_fill_defaults(world: World, trip: Form) -> None:
    form = trip
    with world.mock.intercept():
        api = client.PyrusAPI(login=world.bot.login, security_key=world.bot.security_key)
        reply = api.create_task(
            CreateTaskRequest(
                form_id=form.id,
                fill_defaults=True,
                fields=[FormField(name="Days", value=5)],
            )
        )
    assert reply.error is None, reply.error
    by_name = {f.name: f.value for f in reply.task.fields}
    assert (by_name["City"], by_name["Days"]) == ("Paris", 5)


@pytest.mark.parametrize(
    ("spec", "what"),
    [
        ({"name": "S", "type": "step", "default": 1}, "a step field"),
        (
            {
                "name": "T",
                "type": "table",
                "columns": [{"name": "C", "type": "text", "default": "x"}],
            },
            "in a table",
        ),
    ],
)
def test_defaults_only_on_writable_fields(spec: dict[str, object], what: str) -> None:
    mock = PyrusMock()
    try:
        with pytest.raises(InvalidArgument, match=what):
            mock.add_form("Bad", [spec])
    finally:
        mock.close()


def test_a_default_the_engine_refuses_is_reported_on_use(world: World) -> None:
    form = world.mock.add_form("Odd", [{"name": "N", "type": "number", "default": "many"}])
    body = world.fail(
        "POST",
        "/v4/tasks",
        400,
        "invalid_value_format",
        json_body={"form_id": form.id, "fill_defaults": True},
    )
    assert "N" in body["error"] or str(form.fields[0].id) in body["error"]
