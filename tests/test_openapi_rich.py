"""Rich replies of the fake, valid against its OpenAPI description.

The sample requests of ``tests/test_openapi.py`` leave most optional members out (empty values
are omitted, D3). These calls build replies that carry them (field values of every type,
parents, managers, external ids, children, comments, attachments, dry-run catalog items,
readers and editors...) and check each against its data schema with the same schemathesis
checks as the fuzzing, so a member the fake types differently from the official C# model
fails here.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from ._api_helpers import World, make_world
from .test_openapi import CHECKS

#: A form with a field of every type, and the values a task on it starts with.
ALL_FIELDS: list[dict[str, Any]] = [
    {"name": "T", "type": "text", "code": "t"},
    {"name": "M", "type": "money", "code": "m"},
    {"name": "N", "type": "number", "code": "n"},
    {"name": "D", "type": "date", "code": "d"},
    {"name": "Tm", "type": "time", "code": "tm"},
    {"name": "C", "type": "checkmark", "code": "c"},
    {
        "name": "MC", "type": "multiple_choice", "code": "mc",
        "options": [{"choice_id": 1, "choice_value": "A"}, {"choice_id": 2, "choice_value": "B"}],
    },
    {"name": "DD", "type": "due_date", "code": "dd"},
    {"name": "E", "type": "email", "code": "e"},
    {"name": "P", "type": "phone", "code": "p"},
    {"name": "F", "type": "flag", "code": "f"},
    {"name": "S", "type": "step", "code": "s"},
    {"name": "St", "type": "status", "code": "st"},
    {"name": "CD", "type": "creation_date", "code": "cd"},
    {"name": "No", "type": "note", "code": "no", "text": "hint"},
    {"name": "Cat", "type": "catalog", "code": "cat"},
    {"name": "Fi", "type": "file", "code": "fi"},
    {"name": "Pe", "type": "person", "code": "pe"},
    {"name": "Au", "type": "author", "code": "au"},
    {
        "name": "Tb", "type": "table", "code": "tb",
        "columns": [{"name": "Item", "type": "text", "code": "item"},
                    {"name": "Price", "type": "money", "code": "price"}],
    },
    {"name": "Ti", "type": "title", "code": "ti",
     "fields": [{"name": "Inner", "type": "number", "code": "inner"}]},
    {"name": "Pr", "type": "project", "code": "pr"},
    {"name": "FL", "type": "form_link", "code": "fl"},
    {"name": "DDT", "type": "due_date_time", "code": "ddt"},
]  # fmt: skip


def _rich_world() -> tuple[World, dict[str, int]]:
    """:func:`make_world` plus the records whose optional members the samples leave out: a
    nested org chart with managers and external ids, a private sub-list, an announcement with
    comments, a role with an external id, a task due in January 2026, a task on a form with a
    field of every type; and the ids of that form and task."""
    world = make_world()
    mock = world.mock
    mock.add_role("Cashiers", [world.author], external_id="r-1")
    head = mock.add_department("HQ", manager=world.admin, members=[world.author], external_id=77)
    mock.add_department("Sales", parent=head, manager=world.author, external_id=78)
    mock.add_list("Sub", parent=world.lst, managers=[world.author], private=True)
    mock.add_announcement("Hi", author=world.author, comments=["Thanks", (world.bot, "Ok")])
    mock.add_task(text="Call", author=world.author, responsible=world.author, due_date="2026-01-10")
    fields = [{**f, "catalog": world.catalog} if f["type"] == "catalog" else f for f in ALL_FIELDS]
    form = mock.add_form("All", fields, steps=[{"name": "Check", "approvers": [world.author]}])
    values = {
        "t": "x", "m": 1.5, "n": 2, "d": "2026-02-01", "tm": "10:30", "c": "checked",
        "mc": {"choice_ids": [1]}, "dd": "2026-02-02", "e": "a@example.com", "p": "+1",
        "f": "checked", "cat": {"item_id": world.catalog.items[0].id},
        "pe": {"id": world.author.id}, "inner": 3, "ddt": "2026-02-03T10:00:00Z",
        "tb": [{"row_id": 0, "cells": [{"code": "item", "value": "Pen"},
                                       {"code": "price", "value": 1}]}],
    }  # fmt: skip
    task = mock.add_task(form=form, author=world.author, fields=values)
    return world, {"form": form.id, "task": task.id}


def _rich_cases(
    world: World, ids: dict[str, int]
) -> list[tuple[str, str, str, dict[str, Any], Any]]:
    """(method, path, who, path parameters and query, body) of calls with rich replies."""
    upload = world.mock._backend.files.upload("plan.txt", b"plan", world.author.id)
    scan = world.mock._backend.files.upload("scan.txt", b"scan", world.author.id)
    department = world.mock._backend.org.departments()[0].id
    return [
        ("GET", "/v4/tasks/{task_id}", "author", {"task_id": ids["task"]}, None),
        (
            "POST",
            "/v4/tasks/{task_id}/comments",
            "author",
            {"task_id": ids["task"]},
            {
                "field_updates": [
                    {"code": "fi", "value": [scan.guid]},
                    {"code": "fl", "value": {"task_ids": [world.task.id]}},
                ]
            },
        ),
        ("GET", "/v4/forms/{form_id}/register", "author", {"form_id": ids["form"]}, None),
        ("GET", "/v4/forms/{form_id}", "author", {"form_id": ids["form"]}, None),
        ("GET", "/v4/orgchart", "admin", {}, None),
        ("GET", "/v4/lists", "author", {}, None),
        ("GET", "/v4/lists/{list_id}", "author", {"list_id": world.lst.id}, None),
        (
            "PUT",
            "/v4/lists",
            "author",
            {},
            {"name": "Red", "color": "red", "parent_id": world.lst.id, "is_private": True},
        ),
        ("GET", "/v4/announcements", "author", {"query": {"item_count": "5"}}, None),
        (
            "POST",
            "/v4/announcements/{announcement_id}/comments",
            "author",
            {"announcement_id": world.announcement.id},
            {"text": "See plan", "attachments": [upload.guid]},
        ),
        (
            "POST",
            "/v4/catalogs/{catalog_id}",
            "manager",
            {"catalog_id": world.catalog.id},
            {
                "apply": False,
                "catalog_headers": ["Name", "Code"],
                "items": [{"values": ["Red", "rr"]}, {"values": ["Green", "g"]}],
            },
        ),
        (
            "PUT",
            "/v4/knowledgebase/{entity_id}/permissions",
            "author",
            {"entity_id": world.article.id},
            {"inherit": False, "readers": [world.outsider.id], "editors": [world.author.id]},
        ),
        (
            "GET",
            "/v4/knowledgebase/structure",
            "author",
            {"query": {"parent_topic_id": world.topic.id, "depth": "2"}},
            None,
        ),
        (
            "PUT",
            "/v4/members/{member_id}",
            "admin",
            {"member_id": world.author.id},
            {
                "position": "Lead",
                "department_id": department,
                "phone": "+100",
                "mobile_phone": "+200",
                "status": "away",
                "external_id": "e-1",
                "rights": 8,
            },
        ),
        ("GET", "/v4/roles", "author", {}, None),
        (
            "PUT",
            "/v4/bots/{bot_id}",
            "manager",
            {"bot_id": world.bot.id},
            {"description": "d", "rights": 8, "send_only_last_comment": True},
        ),
        (
            "GET",
            "/v4/calendar",
            "author",
            {
                "query": {
                    "start_date_utc": "2026-01-01T00:00:00Z",
                    "end_date_utc": "2026-02-01T00:00:00Z",
                }
            },
            None,
        ),
        (
            "POST",
            "/v4/forms/{form_id}/permissions",
            "manager",
            {"form_id": world.form.id},
            {"permissions": {str(world.author.id): "administrator", str(world.admin.id): "member"}},
        ),
    ]


def test_rich_replies_conform_to_their_schemas() -> None:
    """Replies carrying the optional members (field values of every type, parents, managers,
    external ids, children,
    comments, attachments, dry-run items without ``item_id``, readers and editors, a
    department, rights, a calendar task) are valid against their schemas."""
    world, ids = _rich_world()
    try:
        cases = _rich_cases(world, ids)
        for method, path, who, params, body in cases:
            operation = schemathesis.openapi.from_wsgi("/openapi.json", world.app)[path][method]
            query = params.pop("query", None)
            extra: dict[str, Any] = {"body": body} if body is not None else {}
            case = operation.Case(path_parameters=params, query=query, **extra)
            response = case.call(headers=world.headers(who))
            assert response.status_code == 200, (method, path, response.text)
            case.validate_response(response, checks=CHECKS)
            shown = _keys(response.json())
            assert RICH_MEMBERS[method, path] <= shown, (method, path, shown)
        assert {(m, p) for m, p, *_ in cases} == set(RICH_MEMBERS)
    finally:
        world.mock.close()


#: The optional members each rich reply is there to carry (anywhere in the reply).
RICH_MEMBERS: dict[tuple[str, str], set[str]] = {
    ("GET", "/v4/tasks/{task_id}"): {"cells", "choice_ids", "item_ids", "rows", "fields"},
    ("POST", "/v4/tasks/{task_id}/comments"): {"field_updates", "task_ids", "md5"},
    ("GET", "/v4/forms/{form_id}/register"): {"cells", "choice_names", "value"},
    ("GET", "/v4/forms/{form_id}"): {"info", "options", "columns", "catalog_id", "fields"},
    ("GET", "/v4/orgchart"): {"parent_id", "manager_id", "external_id"},
    ("GET", "/v4/lists"): {"children", "parent_id"},
    ("GET", "/v4/lists/{list_id}"): {"children"},
    ("PUT", "/v4/lists"): {"parent_id", "color"},
    ("GET", "/v4/announcements"): {"comments", "text"},
    ("POST", "/v4/announcements/{announcement_id}/comments"): {"attachments", "md5"},
    ("POST", "/v4/catalogs/{catalog_id}"): {"added", "updated", "deleted"},
    ("PUT", "/v4/knowledgebase/{entity_id}/permissions"): {"readers", "editors"},
    ("GET", "/v4/knowledgebase/structure"): {"parent_topic_id", "depth"},
    ("PUT", "/v4/members/{member_id}"): {"department_id", "department_name", "rights"},
    ("GET", "/v4/roles"): {"external_id", "member_ids"},
    ("PUT", "/v4/bots/{bot_id}"): {"description", "hook_url"},
    ("GET", "/v4/calendar"): {"due_date", "comments", "responsible"},
    ("POST", "/v4/forms/{form_id}/permissions"): {"permissions"},
}


def _keys(data: Any) -> set[str]:
    """Every member name in a JSON value, at any depth."""
    if isinstance(data, dict):
        return set(data).union(*(_keys(v) for v in data.values()))
    if isinstance(data, list):
        return set().union(*(_keys(v) for v in data))
    return set()
