"""Telephony integration endpoints, with the bodies the C# client sends
(``PyrusClient.RegisterCallAsync`` with ``Requests/CallRequest.cs`` and
``AttachCallRecordAsync`` with ``Requests/AttachCallRecordRequest.cs``: Newtonsoft drops null
members, ``mappings`` defaults to ``[]`` and ``task_id`` to ``0``). The official Python client
has no such methods."""

from __future__ import annotations

import pytest

from pyrus_mock import InvalidArgument

from ._api_helpers import World, make_world, upload_data


def _register(world: World, **extra: object) -> int:
    body = {"account_id": "tel-1", "from_number": "+7001", "to_number": "+7002", "mappings": []}
    body.update(extra)
    reply = world.ok("POST", "/v4/integrations/call", json_body=body)
    assert set(reply) == {"task_id"}
    return int(reply["task_id"])


def _upload(world: World, name: str = "call.mp3") -> str:
    reply = world.ok("POST", "/v4/files/upload", data=upload_data("file", b"RIFF audio"))
    guid = str(reply["guid"])
    world.mock._backend.find_file_by_guid(guid).name = name  # type: ignore[union-attr]
    return guid


def test_a_call_becomes_a_task_on_the_integration_form() -> None:
    world = make_world()
    task_id = _register(
        world,
        internal_number="12",
        external_id="ext-9",
        mappings=[{"code": "u_note", "value": "Caller asks about invoice"}],
    )
    task = world.mock.task(task_id)
    assert task.form_id == world.form.id
    assert task.author_id == world.bot.id
    reply = world.ok("GET", f"/v4/tasks/{task_id}")
    fields = {f["code"]: f.get("value") for f in reply["task"]["fields"]}
    assert fields["u_note"] == "Caller asks about invoice"
    (record,) = [c for c in world.mock._backend.extra.calls if c.task_id == task_id]
    assert (record.from_number, record.to_number, record.internal_number, record.external_id) == (
        "+7001",
        "+7002",
        "12",
        "ext-9",
    )


@pytest.mark.parametrize("how", ["task_id", "external_id", "numbers"])
def test_attach_a_record_by_each_way_of_naming_the_call(how: str) -> None:
    world = make_world()
    task_id = _register(world, external_id="ext-1")
    guid = _upload(world)
    body: dict[str, object] = {"record_file": guid, "task_id": 0, "mappings": []}
    if how == "task_id":
        body["task_id"] = task_id
    elif how == "external_id":
        body["external_id"] = "ext-1"
    else:
        body.update(from_number="+7001", to_number="+7002")
    body["mappings"] = [{"code": "u_note", "value": "Recorded"}]
    assert world.ok("POST", "/v4/integrations/attachcallrecord", json_body=body) == {}
    task = world.ok("GET", f"/v4/tasks/{task_id}")["task"]
    last = task["comments"][-1]
    assert last["author"]["id"] == world.bot.id
    assert [a["name"] for a in last["attachments"]] == ["call.mp3"]
    assert {f["code"]: f.get("value") for f in task["fields"]}["u_note"] == "Recorded"
    (record,) = [c for c in world.mock._backend.extra.calls if c.task_id == task_id]
    assert len(record.record_file_ids) == 1


def test_the_newest_call_between_two_numbers_gets_the_record() -> None:
    world = make_world()
    _register(world)
    newer = _register(world)
    guid = _upload(world)
    body = {"record_file": guid, "from_number": "+7001", "to_number": "+7002", "task_id": 0}
    world.ok("POST", "/v4/integrations/attachcallrecord", json_body=body)
    assert world.mock.task(newer).comments[-1].attachments


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"from_number": "1", "to_number": "2"}, "required_parameter_missing"),
        ({"account_id": "tel-1", "to_number": "2"}, "required_parameter_missing"),
        ({"account_id": "nope", "from_number": "1", "to_number": "2"}, "unrecognized_account_id"),
        (
            {
                "account_id": "tel-1",
                "from_number": "1",
                "to_number": "2",
                "mappings": [{"code": "u_missing", "value": "x"}],
            },
            "invalid_field_mapping_code",
        ),
        (
            {"account_id": "tel-1", "from_number": "1", "to_number": "2", "mappings": ["x"]},
            "invalid_json",
        ),
        (
            {
                "account_id": "tel-1",
                "from_number": "1",
                "to_number": "2",
                "mappings": [{"code": "u_amount", "value": "lots"}],
            },
            "invalid_value_format",
        ),
    ],
)
def test_register_call_refusals(body: dict[str, object], code: str) -> None:
    world = make_world()
    before = len(world.mock._backend.tasks())
    reply = world.fail("POST", "/v4/integrations/call", 400, code, json_body=body)
    assert reply["error"]
    assert len(world.mock._backend.tasks()) == before
    assert len(world.mock._backend.extra.calls) == 1  # only the one make_world seeded


def test_attach_refusals() -> None:
    world = make_world()
    guid = _upload(world)
    url = "/v4/integrations/attachcallrecord"
    world.fail("POST", url, 400, "required_parameter_missing", json_body={"task_id": 0})
    world.fail(
        "POST", url, 400, "unrecognized_attachment_id", json_body={"record_file": "x", "task_id": 1}
    )
    world.fail("POST", url, 400, "required_parameter_missing", json_body={"record_file": guid})
    for naming in (
        {"task_id": 999},
        {"external_id": "nope"},
        {"from_number": "1", "to_number": "2"},
    ):
        world.fail(
            "POST", url, 400, "unrecognized_call_id", json_body={"record_file": guid, **naming}
        )
    body = world.fail(
        "POST",
        url,
        400,
        "invalid_json",
        json_body={"record_file": guid, "external_id": "call-1", "mappings": [{"code": 5}]},
    )
    assert "/mappings/0/code" in body["error"]


def test_the_builder_checks_its_form() -> None:
    world = make_world()
    with pytest.raises(InvalidArgument, match="form"):
        world.mock.add_call_integration("tel-2", 424242)
    with pytest.raises(InvalidArgument, match="account_id"):
        world.mock.add_call_integration("", world.form)
