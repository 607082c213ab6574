"""Tests read the fake's world through PyrusMock, not its private backend."""

from __future__ import annotations

import pytest

from pyrus_mock import PyrusMock, UnknownEntity


def test_the_world_is_readable_through_public_methods() -> None:
    with PyrusMock() as fake:
        ann = fake.add_user("Ann", "Lee")
        form = fake.add_form("Expense", fields=[{"name": "Amount", "type": "money"}])
        catalog = fake.add_catalog("Cities", ["Name"], [["Paris"]])
        lst = fake.add_list("Projects")
        task = fake.add_task(form=form, text="Taxi")
        assert fake.tasks() == [task]
        assert fake.forms() == [form]
        assert fake.form(form.id) is form
        assert ann in fake.people()
        assert fake.person(ann.id) is ann
        assert fake.catalogs() == [catalog]
        assert fake.lists() == [lst]


def test_unknown_ids_say_what_to_do() -> None:
    with PyrusMock() as fake:
        with pytest.raises(UnknownEntity, match="add_form"):
            fake.form(404)
        with pytest.raises(UnknownEntity, match="person"):
            fake.person(404)


def test_backend_and_dispatcher_are_private() -> None:
    with PyrusMock() as fake:
        assert not hasattr(fake, "backend")
        assert not hasattr(fake, "dispatcher")
