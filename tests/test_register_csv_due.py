"""The form register's due_filter and format=csv, on the JSON and through the official client."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from pyrus import client
from pyrus.models.requests import FormRegisterRequest

from pyrus_mock.domain.clock import VirtualClock
from pyrus_mock.domain.model import Form, Task

from ._api_helpers import World, open_world

pytestmark = pytest.mark.filterwarnings("ignore:keys will default to True:DeprecationWarning")


@pytest.fixture
def world() -> Iterator[World]:
    with open_world() as world:
        yield world


def _clock(world: World) -> VirtualClock:
    clock = world.mock.clock
    assert isinstance(clock, VirtualClock)
    return clock


# -- due_filter ------------------------------------------------------------------------------------


def _due_world(world: World) -> tuple[Form, dict[str, Task]]:
    """Tasks of a form whose step 1 allows 60 minutes: due in 2 hours (task), due in 2 hours
    (field), due in 3 days (task date), none (moved on to step 2, which has no deadline)."""
    mock = world.mock
    form = mock.add_form(
        "Ticket",
        [{"name": "Deadline", "type": "due_date_time", "code": "u_deadline"}],
        steps=[
            {"name": "Triage", "approvers": [world.bot], "due_minutes": 60},
            {"name": "Fix", "approvers": [world.author]},
        ],
    )
    now = world.mock._backend.now()
    stamp = (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    tasks = {
        "due_soon": mock.add_task(form=form, author=world.author),
        "field_soon": mock.add_task(form=form, author=world.author, fields={"u_deadline": stamp}),
        "day_later": mock.add_task(form=form, author=world.author),
        "plain": mock.add_task(form=form, author=world.author),
    }
    mock._backend.comment(tasks["due_soon"], {"due": stamp}, world.author)
    day = (now + timedelta(days=3)).date().isoformat()
    mock._backend.comment(tasks["day_later"], {"due_date": day}, world.author)
    mock._backend.comment(tasks["plain"], {"approval_choice": "approved"}, world.bot)
    assert tasks["plain"].current_step == 2
    return form, tasks


def _ids(world: World, form: Form, **body: Any) -> list[int]:
    reply = world.ok("POST", f"/v4/forms/{form.id}/register", who="supervisor", json_body=body)
    return [t["id"] for t in reply["tasks"]]


def test_due_filter(world: World) -> None:
    form, t = _due_world(world)
    on_step_one = [t["due_soon"].id, t["field_soon"].id, t["day_later"].id]
    for name in ("overdue", "overdue_on_step", "past_due"):
        assert _ids(world, form, due_filter=name) == [], name
    _clock(world).advance(61 * 60)  # step 1 allowed 60 minutes
    assert _ids(world, form, due_filter="overdue") == []
    assert _ids(world, form, due_filter="overdue_on_step") == on_step_one
    assert _ids(world, form, due_filter={"overdue_steps": [1]}) == on_step_one
    assert _ids(world, form, due_filter={"overdue_steps": [2]}) == []
    _clock(world).advance(60 * 60)  # the 2-hour dues have passed
    assert _ids(world, form, due_filter="overdue") == [t["due_soon"].id, t["field_soon"].id]
    assert _ids(world, form, due_filter="past_due") == on_step_one
    _clock(world).advance(4 * 24 * 3600)  # and the due date
    world.tokens.clear()  # those expired meanwhile
    assert _ids(world, form, due_filter="overdue") == on_step_one
    world.mock._backend.comment(t["due_soon"], {"action": "finished"}, world.author)
    assert t["due_soon"].id not in _ids(world, form, due_filter="overdue", include_archived=True)
    query = world.ok("GET", f"/v4/forms/{form.id}/register?due_filter=overdue", who="supervisor")
    assert [x["id"] for x in query["tasks"]] == [t["field_soon"].id, t["day_later"].id]


def test_official_client_due_filter(world: World) -> None:
    form, t = _due_world(world)
    _clock(world).advance(61 * 60)
    with world.mock.intercept():
        api = client.PyrusAPI(login=world.bot.login, security_key=world.bot.security_key)
        reply = api.get_registry(form.id, FormRegisterRequest(due_filter=[1]))
    assert reply.error is None, reply.error
    assert [x.id for x in reply.tasks] == [t["due_soon"].id, t["field_soon"].id, t["day_later"].id]


# -- format=csv ------------------------------------------------------------------------------------


def _csv(world: World, form_id: int, body: dict[str, Any], who: str = "author") -> Any:
    response = world.client.post(
        f"/v4/forms/{form_id}/register", json=body, headers=world.headers(who)
    )
    assert response.status_code == 200, response.get_data()
    return response


def test_register_as_csv(world: World) -> None:
    response = _csv(world, world.form.id, {"format": "csv"})
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "ID",
        "Created",
        "Modified",
        "Step",
        "Status",
        "Amount",
        "Note",
        "Colour",
        "Scan",
    ]
    [row] = rows[1:]
    assert row[0] == str(world.task.id)
    assert row[3:7] == ["1", "open", "120.5", "taxi"]
    assert row[1].endswith("Z")


def test_csv_options_and_values(world: World) -> None:
    task = world.mock.add_task(
        form=world.form,
        author=world.author,
        fields={"u_amount": 7, "u_note": "naïve; ok", "u_colour": {"item_names": ["Blue"]}},
    )
    note = next(f.id for f in world.form.fields if f.code == "u_note")
    amount = next(f.id for f in world.form.fields if f.code == "u_amount")
    colour = next(f.id for f in world.form.fields if f.code == "u_colour")
    response = _csv(
        world,
        world.form.id,
        {
            "format": "csv",
            "delimiter": ";",
            "encoding": "Unicode (UTF-8)",  # the C# client's Encoding.EncodingName
            "simple_format": "y",
            "task_ids": f"{task.id}",
            "field_ids": [note, amount, colour],
        },
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True)), delimiter=";"))
    assert rows == [
        ["ID", "Created", "Modified", "Step", "Status", "Amount", "Note", "Colour"],
        [str(task.id), *rows[1][1:3], "1", "open", "7", "naïve; ok", "Blue"],
    ]
    latin = _csv(
        world, world.form.id, {"format": "csv", "encoding": "windows-1252", "task_ids": [task.id]}
    )
    assert latin.headers["Content-Type"] == "text/csv; charset=cp1252"
    assert "naïve".encode("cp1252") in latin.get_data()


def test_csv_sees_what_the_caller_sees(world: World) -> None:
    response = _csv(world, world.form.id, {"format": "csv"}, who="outsider")
    assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) == 1


def test_official_client_reads_the_csv(world: World) -> None:
    with world.mock.intercept():
        api = client.PyrusAPI(login=world.bot.login, security_key=world.bot.security_key)
        reply = api.get_registry(world.form.id, FormRegisterRequest(format="csv", delimiter=";"))
    rows = list(csv.reader(io.StringIO(reply.csv), delimiter=";"))
    assert rows[0][:5] == ["ID", "Created", "Modified", "Step", "Status"]
    assert [r[0] for r in rows[1:]] == [str(world.task.id)]
