"""Forms and the register: ``GET /forms``, ``GET /forms/{id}``, ``GET|POST /forms/{id}/register``
(the CSV form of the register is in ``test_register_csv_due.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from ._api_helpers import World, make_world


@pytest.fixture
def world() -> World:
    return make_world()


def test_forms(world: World) -> None:
    forms = world.ok("GET", "/v4/forms")["forms"]
    assert [f["id"] for f in forms] == [world.form.id]
    form = world.ok("GET", f"/v4/forms/{world.form.id}")
    assert form["name"] == "Expense"
    assert form["steps"] == {"1": "Review", "2": "Pay"}
    amount = next(f for f in form["fields"] if f["name"] == "Amount")
    assert (amount["code"], amount["info"]["code"], amount["type"]) == ("u_amount",) * 2 + (
        "money",
    )


@pytest.fixture
def register_world() -> World:
    world = make_world()
    mock = world.mock
    for amount, note in ((5, "a"), (50, "b"), (500, "")):
        fields: dict[str | int, Any] = {"u_amount": amount}
        if note:
            fields["u_note"] = note
        mock.add_task(form=world.form, fields=fields, author=world.author)
    closed = mock.add_task(form=world.form, fields={"u_amount": 7}, author=world.author)
    mock._backend.comment(closed, {"action": "finished"}, world.author)
    return world


def _register(world: World, method: str = "GET", query: str = "", **body: Any) -> list[int]:
    path = f"/v4/forms/{world.form.id}/register" + (f"?{query}" if query else "")
    data = world.ok(method, path, who="author", json_body=body if method == "POST" else None)
    return [t["id"] for t in data["tasks"]]


def _ids(world: World) -> list[int]:
    return [t.id for t in world.mock._backend.tasks() if t.form_id == world.form.id]


def test_register_filters(register_world: World) -> None:
    w = register_world
    first, t5, t50, t500, closed = _ids(w)
    assert _register(w) == [first, t5, t50, t500]
    assert _register(w, "POST", include_archived=True) == [first, t5, t50, t500, closed]
    assert _register(w, query="include_archived=y") == [first, t5, t50, t500, closed]
    amount = next(f.id for f in w.form.fields if f.code == "u_amount")
    note = next(f.id for f in w.form.fields if f.code == "u_note")
    assert _register(w, "POST", **{f"fld{amount}": "gt10"}) == [first, t50, t500]
    assert _register(w, query=f"fld{amount}=lt10") == [t5]
    assert _register(w, query=f"fld{amount}=gt10,lt100") == [t50]
    assert _register(w, query=f"fld{amount}=5,500") == [t5, t500]
    assert _register(w, "POST", **{f"fld{amount}": "50"}) == [t50]
    assert _register(w, "POST", **{f"fld{note}": "empty"}) == [t500]
    assert _register(w, "POST", **{f"fld{note}": "*"}) == [first, t5, t50]
    assert _register(w, "POST", task_ids=[t5, t500, closed]) == [t5, t500]
    assert _register(w, query=f"task_ids={t5},{t50}") == [t5, t50]
    assert _register(w, "POST", id=f"gt{t5}") == [t50, t500]
    assert _register(w, "POST", steps=[2]) == []
    assert _register(w, "POST", steps=[1], item_count=2) == [first, t5]
    assert _register(w, "POST", include_text="TAX") == []
    assert _register(w, "POST", modified_after="2000-01-01T00:00:00Z") == [first, t5, t50, t500]
    assert _register(w, "POST", created_before="2000-01-01T00:00:00Z") == []
    assert _register(w, "POST", closed_after="2000-01-01T00:00:00Z") == [closed]


def test_register_field_ids_and_visibility(register_world: World) -> None:
    w = register_world
    amount = next(f.id for f in w.form.fields if f.code == "u_amount")
    data = w.ok(
        "POST", f"/v4/forms/{w.form.id}/register", who="author", json_body={"field_ids": [amount]}
    )
    assert all([f["id"] for f in t["fields"]] == [amount] for t in data["tasks"])
    assert "comments" not in data["tasks"][0]
    assert w.ok("GET", f"/v4/forms/{w.form.id}/register", who="outsider")["tasks"] == []
    assert len(w.ok("GET", f"/v4/forms/{w.form.id}/register", who="supervisor")["tasks"]) == 4


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"due_filter": "late"}, 400, "invalid_value_format"),
        ({"due_filter": {"overdue_steps": "x"}}, 400, "invalid_json"),
        ({"format": "csv", "delimiter": ";;"}, 400, "invalid_value_format"),
        ({"format": "csv", "encoding": "klingon"}, 400, "invalid_value_format"),
        ({"steps": ["x"]}, 400, "invalid_json"),
        ({"item_count": 0}, 400, "invalid_json"),
        ({"fld987654": "1"}, 400, "invalid_field_id"),
        ({"modified_after": "yesterday"}, 400, "invalid_json"),
        ({"include_archived": "maybe"}, 400, "invalid_json"),
    ],
)
def test_register_refusals(world: World, body: dict[str, Any], status: int, code: str) -> None:
    world.fail("POST", f"/v4/forms/{world.form.id}/register", status, code, json_body=body)
