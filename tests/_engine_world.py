"""A rich Pyrus world for the comment-engine tests (not a test module).

One form with every field type, a catalog, a title with children, a multiple_choice with
option fields, a table, read-only fields and three approval steps (step 3 approved by a role).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyrus_mock.domain.model import (
    Catalog,
    Comment,
    FieldDef,
    FileRecord,
    Form,
    Person,
    Task,
    TaskList,
)
from pyrus_mock.mock.fake import PyrusMock
from pyrus_mock.state import serialize
from pyrus_mock.state.backend import PyrusBackend

RICH_FIELDS: list[dict[str, Any]] = [
    {"name": "Title", "type": "text", "code": "u_title", "required_step": 1},
    {"name": "Amount", "type": "money", "code": "u_amount", "decimal_places": 2},
    {"name": "Qty", "type": "number", "code": "u_qty"},
    {"name": "Start", "type": "date", "code": "u_start"},
    {"name": "At", "type": "time", "code": "u_time"},
    {"name": "Urgent", "type": "checkmark", "code": "u_urgent"},
    {"name": "Flag", "type": "flag", "code": "u_flag"},
    {"name": "Deadline", "type": "due_date", "code": "u_deadline"},
    {"name": "Meeting", "type": "due_date_time", "code": "u_meeting"},
    {"name": "Email", "type": "email", "code": "u_email"},
    {"name": "Phone", "type": "phone", "code": "u_phone"},
    {"name": "City", "type": "catalog", "code": "u_city", "catalog": "CITIES"},
    {"name": "Cities", "type": "catalog", "code": "u_cities", "catalog": "CITIES",
     "multiple": True},
    {"name": "Owner", "type": "person", "code": "u_owner"},
    {"name": "Scans", "type": "file", "code": "u_scans"},
    {
        "name": "Kind", "type": "multiple_choice", "code": "u_kind",
        "options": [
            {"choice_id": 1, "choice_value": "Goods",
             "fields": [{"name": "Goods note", "type": "text", "code": "u_goods_note"}]},
            {"choice_id": 2, "choice_value": "Service",
             "fields": [{"name": "Hours", "type": "number", "code": "u_hours",
                         "required_step": 1}]},
            {"choice_id": 3, "choice_value": "Other"},
        ],
    },
    {
        "name": "Details", "type": "title", "code": "u_details",
        "fields": [
            {"name": "Comment", "type": "text", "code": "u_comment"},
            {"name": "Discount", "type": "number", "code": "u_discount"},
        ],
    },
    {
        "name": "Items", "type": "table", "code": "u_items",
        "columns": [
            {"name": "Item", "type": "text", "code": "u_item", "required_step": 2},
            {"name": "Price", "type": "money", "code": "u_price"},
            {"name": "Due", "type": "due_date", "code": "u_row_due"},
        ],
    },
    {"name": "Related", "type": "form_link", "code": "u_related"},
    {"name": "Step", "type": "step", "code": "u_step"},
    {"name": "Status", "type": "status", "code": "u_status"},
    {"name": "Hint", "type": "note", "code": "u_note", "text": "Fill everything in"},
    {"name": "Author", "type": "author", "code": "u_author"},
    {"name": "Project", "type": "project", "code": "u_project"},
    {"name": "Created", "type": "creation_date", "code": "u_created"},
    {"name": "Locked", "type": "text", "code": "u_locked", "immutable_step": 2},
    {"name": "Reason", "type": "text", "code": "u_reason", "required_step": 2},
    {"name": "Dup", "type": "text", "code": "u_dup_a"},
    {"name": "Dup", "type": "number", "code": "u_dup_b"},
]  # fmt: skip

#: Values every rich task starts with: enough to leave step 1, and one table row.
INITIAL_VALUES: dict[str | int, Any] = {
    "u_title": "Laptop",
    "u_items": [{"row_id": 0, "cells": [{"code": "u_item", "value": "Pen"},
                                        {"code": "u_price", "value": 1.5}]}],
}  # fmt: skip


@dataclass
class World:
    """Everything a comment-engine test needs, built fresh per test."""

    mock: PyrusMock
    ann: Person
    bob: Person
    cid: Person
    eve: Person
    fred: Person
    bot: Person
    role: Person
    catalog: Catalog
    form: Form
    plain_form: Form
    project: TaskList
    upload: FileRecord
    upload2: FileRecord
    other_task: Task
    task: Task = field(init=False)

    @property
    def backend(self) -> PyrusBackend:
        return self.mock._backend

    def f(self, code: str) -> FieldDef:
        """The rich form's field with that code."""
        for fd in self.form.by_id.values():
            if fd.code == code:
                return fd
        raise KeyError(code)

    def item(self, name: str) -> int:
        """The id of the first catalog item named ``name``."""
        return next(i.id for i in self.catalog.items if i.values[0] == name)

    def new_task(self, *, fields: dict[str | int, Any] | None = None, **kw: Any) -> Task:
        """A task on the rich form, at step 1, with one comment by Ann."""
        values = INITIAL_VALUES if fields is None else fields
        task = self.mock.add_task(form=self.form, fields=values, subscribers=[self.cid], **kw)
        self.backend.comment(task, {"text": "first"}, self.ann)
        return task

    def simple_task(self) -> Task:
        """A task without a form."""
        return self.mock.add_task(text="Buy milk", responsible=self.bob)

    def comment(self, task: Task, request: dict[str, Any], who: Person) -> Comment:
        """Apply through the backend (same path as the API)."""
        return self.backend.comment(task, request, who)

    def dump(self, task: Task) -> dict[str, Any]:
        """The task as the API would serialise it."""
        return serialize.task(self.backend, task, now=self.mock.clock.time())


def build_world(**settings: Any) -> World:
    """A fresh fake with the rich form, persons, a catalog, a list and two uploads.

    ``settings`` override :class:`pyrus_mock.Settings` (passed to ``PyrusMock``).
    """
    mock = PyrusMock(**settings)
    be = mock._backend
    ann = mock.add_user("Ann", "Author", email="ann@example.com")
    bob = mock.add_user("Bob", "Boss", email="bob@example.com")
    cid = mock.add_user("Cid", "Clerk", email="cid@example.com")
    eve = mock.add_user("Eve", "Evans", email="eve@example.com")
    fred = mock.add_user("Fred", "Fired", email="fred@example.com")
    fred.fired = True
    bot = be.person(be.accounts.create_bot("Helper", "https://bot.example.com/hook").person_id)
    role = mock.add_role("Accounting", [eve])
    catalog = mock.add_catalog(
        "Cities", ["Name", "Country"],
        [["Paris", "FR"], ["Rome", "IT"], ["Springfield", "US"], ["Springfield", "US"]],
    )  # fmt: skip
    specs = [dict(spec) for spec in RICH_FIELDS]
    for spec in specs:
        if spec.get("catalog") == "CITIES":
            spec["catalog"] = catalog
    form = mock.add_form(
        "Purchase",
        specs,
        steps=[
            {"name": "Draft", "approvers": [ann]},
            {"name": "Review", "approvers": [bob, cid]},
            {"name": "Pay", "approvers": [role]},
        ],
    )
    plain_form = mock.add_form("Plain", [{"name": "Note", "type": "text", "code": "p_note"}])
    project = mock.add_list("Project X")
    upload = be.upload("scan.pdf", b"%PDF-1.4 scan", ann.id)
    upload2 = be.upload("photo.jpg", b"\xff\xd8 photo", ann.id)
    # Linked from form_link fields: everyone who comments in the cases can see it (D10).
    other_task = mock.add_task(
        form=plain_form, fields={"p_note": "linked"}, participants=[ann, bob, cid, eve, bot]
    )
    world = World(mock, ann, bob, cid, eve, fred, bot, role, catalog, form, plain_form, project,
                  upload, upload2, other_task)  # fmt: skip
    world.task = world.new_task()
    return world
