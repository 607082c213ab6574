"""Serialised tasks, after comments that touch many field types, parse with the official client.

The official Python client (``pyrus-api``) builds its objects with ``strptime`` and ``**kwargs``;
a timestamp with fractions, a ``null`` value or a wrong nested shape makes it raise. So this is
the check that the serialiser and the engine's internal values stay in the Pyrus formats.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from pyrus.models.entities import CatalogItem, MultipleChoice, Table, Title
from pyrus.models.responses import TaskResponse

from pyrus_mock.domain.model import Task
from pyrus_mock.state import serialize

from ._engine_world import World, build_world

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
TIMESTAMP_KEYS = {"create_date", "last_modified_date", "close_date", "due",
                  "scheduled_datetime_utc"}  # fmt: skip
DATE_KEYS = {"due_date", "scheduled_date"}


def busy_task(w: World) -> Task:
    """A task that went through several comments touching every writable field type."""
    task = w.task
    w.comment(task, {"text": "filling in", "field_updates": [
        {"code": "u_amount", "value": 1365.27},
        {"code": "u_qty", "value": 4},
        {"code": "u_start", "value": "2026-02-01"},
        {"code": "u_time", "value": "09:30"},
        {"code": "u_urgent", "value": "checked"},
        {"code": "u_flag", "value": "unchecked"},
        {"code": "u_deadline", "value": "2026-02-10", "duration": 120},
        {"code": "u_meeting", "value": "2026-02-03T10:00:00Z", "duration": 45},
        {"code": "u_email", "value": "buyer@example.com"},
        {"code": "u_phone", "value": "+7 800 555 3565"},
        {"code": "u_city", "value": {"item_name": "Paris"}},
        {"code": "u_cities", "value": {"item_names": ["Paris", "Rome"]}},
        {"code": "u_owner", "value": {"id": w.eve.id}},
        {"code": "u_scans", "value": [w.upload.guid]},
        {"code": "u_kind", "value": {"choice_ids": [1],
                                     "fields": [{"code": "u_goods_note", "value": "fragile"}]}},
        {"code": "u_details", "value": {"checkmark": "checked",
                                        "fields": [{"code": "u_comment", "value": "see scan"}]}},
        {"code": "u_items", "value": [
            {"row_id": 0, "cells": [{"code": "u_row_due", "value": "2026-03-01",
                                     "duration": 30}]},
            {"row_id": 4, "cells": [{"code": "u_item", "value": "Ink"},
                                    {"code": "u_price", "value": 3.25}]}]},
        {"code": "u_related", "value": {"task_ids": [w.other_task.id]}},
    ]}, w.ann)  # fmt: skip
    w.mock.clock.advance(3600)
    w.comment(task, {"approval_choice": "approved", "attachments": [w.upload2.guid],
                     "reassign_to": {"id": w.bob.id}, "subscribers_added": [{"id": w.eve.id}],
                     "due": "2026-02-20T12:00:00Z", "duration": 60,
                     "approvals_added": [[], [{"id": w.eve.id}]]}, w.ann)  # fmt: skip
    w.mock.clock.advance(60)
    w.comment(task, {"approval_choice": "rejected", "formatted_text": "<b>no</b>",
                     "channel": {"type": "email"}}, w.bob)  # fmt: skip
    w.comment(task, {"action": "reopened", "scheduled_datetime_utc": "2026-03-01T08:00:00Z",
                     "added_list_ids": [w.project.id], "spent_minutes": 30}, w.ann)  # fmt: skip
    return task


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def payload(world: World) -> dict[str, Any]:
    task = busy_task(world)
    return serialize.task(world.backend, task, creation_date_format="date",
                          now=world.mock.clock.time())  # fmt: skip


def walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (path, value) pair of a JSON document."""
    out = [(path, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            out += walk(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += walk(item, f"{path}/{index}")
    return out


def test_no_empty_values_anywhere(payload: dict[str, Any]) -> None:
    empties = [p for p, v in walk(payload) if v is None or v == "" or v == [] or v == {}]
    # An empty step inside approvals / approvals_* is positional (outer index = step - 1).
    positional = re.compile(r"/approvals(_added|_removed|_rerequested)?/\d+$")
    assert [p for p in empties if not positional.search(p)] == []


def test_timestamps_and_dates_are_strict(payload: dict[str, Any]) -> None:
    seen = 0
    for path, value in walk(payload):
        key = path.rsplit("/", 1)[-1]
        if key in TIMESTAMP_KEYS:
            assert TIMESTAMP.match(value), (path, value)
            seen += 1
        elif key in DATE_KEYS:
            assert DATE.match(value), (path, value)
    assert seen >= 8
    values = {f["code"]: f.get("value") for f in payload["fields"] if "code" in f}
    assert TIMESTAMP.match(values["u_meeting"])
    assert DATE.match(values["u_deadline"])
    assert DATE.match(values["u_start"])


def test_the_official_client_parses_the_task(world: World, payload: dict[str, Any]) -> None:
    task = TaskResponse(task=payload).task
    assert isinstance(task.create_date, datetime)
    assert isinstance(task.last_modified_date, datetime)
    assert task.due == datetime(2026, 2, 20, 12, 0, tzinfo=task.due.tzinfo)
    assert task.current_step == 2
    assert task.close_date is None
    assert task.responsible.id == payload["responsible"]["id"]

    flat = {f.code: f for f in task.flat_fields if getattr(f, "code", None)}
    assert flat["u_amount"].value == 1365.27
    assert flat["u_start"].value.strftime("%Y-%m-%d") == "2026-02-01"
    assert flat["u_time"].value.strftime("%H:%M") == "09:30"
    assert flat["u_meeting"].value.hour == 10
    assert flat["u_deadline"].duration == 120
    assert isinstance(flat["u_city"].value, CatalogItem)
    assert flat["u_city"].value.values == ["Paris", "FR"]
    assert flat["u_cities"].value.item_ids == [world.item("Paris"), world.item("Rome")]
    assert flat["u_owner"].value.first_name == "Eve"
    assert flat["u_scans"].value[0].name == "scan.pdf"
    assert isinstance(flat["u_kind"].value, MultipleChoice)
    assert flat["u_kind"].value.choice_names == ["Goods"]
    assert flat["u_goods_note"].value == "fragile", "option fields are flattened"
    assert isinstance(flat["u_details"].value, Title)
    assert flat["u_comment"].value == "see scan", "title children are flattened"
    assert isinstance(flat["u_items"].value, Table)
    assert [row.row_id for row in flat["u_items"].value] == [0, 4]
    assert flat["u_related"].value.task_ids == [world.other_task.id]
    assert flat["u_created"].value.year == 2026
    assert flat["u_status"].value == "open"

    approvals = [[a.approval_choice for a in step] for step in task.approvals]
    assert approvals == [["approved"], ["waiting", "waiting", "waiting"], ["waiting"]]
    # comments[0] records the task's creation (its author, the initial values, the
    # subscriber); then Ann's "first", "filling in", the approval, the rejection, the reopening.
    created, *comments = task.comments
    assert created.author.id == payload["author"]["id"]
    assert created.create_date == task.create_date
    assert [s.id for s in created.subscribers_added] == [world.cid.id]
    initial = {f.code: f for f in created.field_updates if getattr(f, "code", None)}
    assert initial["u_title"].value == "Laptop"
    assert isinstance(initial["u_items"].value, Table)
    assert [c.approval_choice for c in comments] == [None, None, "approved", "rejected", None]
    approved = comments[2]
    assert approved.changed_step == 2
    assert approved.approval_step == 1
    assert approved.reassigned_to.id == payload["responsible"]["id"]
    assert approved.attachments[0].name == "photo.jpg"
    assert approved.approvals_added[1][0].person.first_name == "Eve"
    assert approved.approvals_added[1][0].approval_choice == "waiting"  # {person, choice, step}
    assert approved.approvals_added[1][0].step == 2
    assert comments[3].action == "finished"
    assert comments[4].action == "reopened"
    assert isinstance(comments[1].create_date, datetime)
    updates = {f.code: f for f in comments[1].field_updates if getattr(f, "code", None)}
    assert updates["u_amount"].value == 1365.27
    assert isinstance(updates["u_items"].value, Table)


def test_form_link_and_row_shapes(world: World, payload: dict[str, Any]) -> None:
    fields = {f["code"]: f for f in payload["fields"] if "code" in f}
    rows = fields["u_items"]["value"]
    assert [r["position"] for r in rows] == [1, 2]
    due = next(c for c in rows[0]["cells"] if c["code"] == "u_row_due")
    assert (due["value"], due["duration"], due["row_id"]) == ("2026-03-01", 30, 0)
    assert fields["u_related"]["value"] == {"task_ids": [world.other_task.id],
                                            "task_id": world.other_task.id}  # fmt: skip


def test_a_comment_records_the_roles_it_speaks_for() -> None:
    from ._engine_world import build_world

    w = build_world()
    w.comment(w.task, {"text": "for accounting", "comment_as_roles": [{"id": w.role.id}]}, w.eve)
    dumped = w.dump(w.task)["comments"][-1]
    assert [r["id"] for r in dumped["comment_as_roles"]] == [w.role.id]
    assert "comment_as_roles" not in w.dump(w.task)["comments"][0]  # omitted when empty
