"""``task.value(key)``: a task's field values by code, name or id, in the fake's own shapes."""

from __future__ import annotations

from typing import Any

import pytest

from pyrus_mock import PyrusMock

FIELDS: list[dict[str, Any]] = [
    {"name": "Amount", "type": "money", "code": "u_amount"},
    {"name": "Owner", "type": "person", "code": "u_owner"},
    {"name": "Comment", "type": "text"},  # no code: read by name
    {
        "name": "Details", "type": "title", "code": "u_details",
        "fields": [{"name": "Discount", "type": "number", "code": "u_discount"}],
    },
    {
        "name": "Kind", "type": "multiple_choice", "code": "u_kind",
        "options": [
            {"choice_id": 1, "choice_value": "Goods",
             "fields": [{"name": "Goods note", "type": "text", "code": "u_goods_note"}]},
            {"choice_id": 2, "choice_value": "Service"},
        ],
    },
    {
        "name": "Items", "type": "table", "code": "u_items",
        "columns": [
            {"name": "Item", "type": "text", "code": "u_item"},
            {"name": "Price", "type": "money"},
        ],
    },
    {"name": "Step", "type": "step", "code": "u_step"},
    {"name": "Status", "type": "status", "code": "u_status"},
    {"name": "Hint", "type": "note", "code": "u_note", "text": "Fill everything in"},
    {"name": "Author", "type": "author", "code": "u_author"},
    {"name": "Dup", "type": "text", "code": "u_dup_a"},
    {"name": "Dup", "type": "number", "code": "u_dup_b"},
]  # fmt: skip


@pytest.fixture
def fake() -> Any:
    with PyrusMock() as fake:
        yield fake


def _task(fake: PyrusMock) -> Any:
    ann = fake.add_user("Ann", "Lee")
    form = fake.add_form("Order", fields=FIELDS, steps=[{"name": "Check", "approvers": [ann]}])
    task = fake.add_task(form=form, author=ann, fields={
        "u_amount": 42, "u_owner": {"id": ann.id}, "Comment": "rush", "u_discount": 5,
        "u_kind": {"choice_ids": [1]}, "u_goods_note": "fragile",
        "u_items": [
            {"row_id": 0, "cells": [{"code": "u_item", "value": "Pen"},
                                    {"name": "Price", "value": 1.5}]},
            {"row_id": 1, "cells": [{"code": "u_item", "value": "Ink"}]},
        ],
    })  # fmt: skip
    return task, form, ann


def test_values_by_code_name_and_id(fake: PyrusMock) -> None:
    task, form, ann = _task(fake)
    assert task.value("u_amount") == 42
    assert task.value("Amount") == 42  # by name
    amount_id = next(fd.id for fd in form.all_fields() if fd.code == "u_amount")
    assert task.value(amount_id) == 42  # by id
    assert task.value("u_owner") == ann.id  # a person field holds the person id
    assert task.value("Comment") == "rush"
    assert task.value("u_kind") == [1]  # choice ids


def test_nested_fields_and_tables(fake: PyrusMock) -> None:
    task, _, _ = _task(fake)
    assert task.value("u_discount") == 5  # inside a title
    assert task.value("u_goods_note") == "fragile"  # inside a choice option
    assert task.value("u_items") == [
        {"u_item": "Pen", "Price": 1.5},  # keyed by code, or name when the column has none
        {"u_item": "Ink", "Price": None},
    ]
    assert task.value("u_item") == ["Pen", "Ink"]  # a column: one value per row


def test_read_only_fields_are_derived_from_the_task(fake: PyrusMock) -> None:
    task, _, ann = _task(fake)
    assert task.value("u_step") == 1
    assert task.value("u_status") == "open"
    assert task.value("u_note") == "Fill everything in"
    assert task.value("u_author") == ann.id


def test_values_follow_the_bot_and_api_changes(fake: PyrusMock) -> None:
    task, _, ann = _task(fake)
    fake._backend.comment(task, {"field_updates": [{"code": "u_amount", "value": 99}]}, ann)
    assert task.value("u_amount") == 99


def test_an_empty_field_is_none(fake: PyrusMock) -> None:
    ann = fake.add_user("Ann", "Lee")
    form = fake.add_form("Order", fields=FIELDS)
    task = fake.add_task(form=form, author=ann)
    assert task.value("u_amount") is None
    assert task.value("u_items") == []


def test_unknown_keys_list_the_codes(fake: PyrusMock) -> None:
    task, _, _ = _task(fake)
    with pytest.raises(KeyError) as caught:
        task.value("u_amout")
    message = str(caught.value)
    assert "has no field 'u_amout'" in message
    assert "u_amount" in message
    assert "u_items" in message
    assert "'Comment'" in message  # fields without a code, by name
    with pytest.raises(KeyError, match="has no field 123456"):
        task.value(123456)


def test_an_ambiguous_name_asks_for_the_code(fake: PyrusMock) -> None:
    task, _, _ = _task(fake)
    with pytest.raises(KeyError, match=r"2 fields named 'Dup'.*by its code or id"):
        task.value("Dup")
    assert task.value("u_dup_a") is None


def test_a_simple_task_has_no_fields(fake: PyrusMock) -> None:
    task = fake.add_task(text="hello")
    with pytest.raises(KeyError, match="simple task"):
        task.value("u_amount")


def test_the_wire_form_a_bot_sees_carries_the_same_value(fake: PyrusMock) -> None:
    from pyrus_mock.state import serialize

    task, _, _ = _task(fake)
    wire = serialize.task(fake._backend, task)
    [amount] = [f for f in wire["fields"] if f.get("code") == "u_amount"]
    assert amount["value"] == task.value("u_amount") == 42


def test_a_copied_task_shares_its_form(fake: PyrusMock) -> None:
    import copy

    task, form, _ = _task(fake)
    twin = copy.deepcopy(task)  # what the comment engine does to roll a batch back
    assert twin._form.form is form
    assert twin.value("u_amount") == 42
