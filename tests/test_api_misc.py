"""Forms, register, members, profile, contacts, catalogs, inbox, lists, files and bots."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest

from ._api_helpers import World, make_world


@pytest.fixture
def world() -> World:
    return make_world()


# -- forms and the register ------------------------------------------------------------------------


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
        mock.create_task(form=world.form, fields=fields, author=world.author)
    closed = mock.create_task(form=world.form, fields={"u_amount": 7}, author=world.author)
    mock.backend.comment(closed, {"action": "finished"}, world.author)
    return world


def _register(world: World, method: str = "GET", query: str = "", **body: Any) -> list[int]:
    path = f"/v4/forms/{world.form.id}/register" + (f"?{query}" if query else "")
    data = world.ok(method, path, who="author", json_body=body if method == "POST" else None)
    return [t["id"] for t in data["tasks"]]


def _ids(world: World) -> list[int]:
    return [t.id for t in world.mock.backend.tasks() if t.form_id == world.form.id]


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


# -- persons ---------------------------------------------------------------------------------------


def test_members(world: World) -> None:
    members = world.ok("GET", "/v4/members")["members"]
    by_id = {m["id"]: m for m in members}
    assert by_id[world.bot.id]["type"] == "bot"
    assert by_id[world.bot.id]["last_name"] == ""
    assert by_id[world.manager.id]["rights"] == 1600
    world.bot.delete()
    members = world.ok("GET", "/v4/members?include_fired=True", who="author")["members"]
    assert {m["id"]: m for m in members}[world.bot.id]["fired"] is True
    member = world.ok("GET", f"/v4/members/{world.author.id}", who="author")
    assert (member["first_name"], member["email"]) == ("Ann", world.author.email)


def test_roles_are_not_members(world: World) -> None:
    role = world.mock.add_role("Accountants", [world.author])
    world.fail("GET", f"/v4/members/{role.id}", 403, "access_denied_person")
    profile = world.ok("GET", "/v4/profile")
    assert profile["organization"]["roles"] == [
        {
            "id": role.id,
            "name": "Accountants",
            "banned": False,
            "fired": False,
            "member_ids": [world.author.id],
        }
    ]


def test_profile(world: World) -> None:
    profile = world.ok("GET", "/v4/profile?withinactive=False")
    assert profile["person_id"] == world.bot.id
    assert profile["email"] == world.bot.login
    assert profile["organization_id"] == world.mock.backend.organisation.id
    assert profile["locale"] == "en-US"
    ids = [p["id"] for p in profile["organization"]["persons"]]
    assert world.author.id in ids
    world.mock.create_bot("Gone", "https://gone.invalid/").delete()
    active = world.ok("GET", "/v4/profile")["organization"]["persons"]
    every = world.ok("GET", "/v4/profile?include_inactive=True")["organization"]["persons"]
    assert len(every) == len(active) + 1
    world.fail("GET", "/v4/profile?withinactive=perhaps", 400, "invalid_value_format")


def test_contacts(world: World) -> None:
    orgs = world.ok("GET", "/v4/contacts?include_inactive=False")["organizations"]
    assert [o["organization_id"] for o in orgs] == [world.mock.backend.organisation.id]


# -- catalogs --------------------------------------------------------------------------------------


def test_catalogs(world: World) -> None:
    catalogs = world.ok("GET", "/v4/catalogs")["catalogs"]
    assert [c["catalog_id"] for c in catalogs] == [world.catalog.id]
    catalog = world.ok("GET", f"/v4/catalogs/{world.catalog.id}")
    assert [h["name"] for h in catalog["catalog_headers"]] == ["Name", "Code"]
    assert [i["values"] for i in catalog["items"]] == [
        ["Red", "r"],
        ["Blue", "b"],
        ["Light blue", "lb"],
    ]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("column=Name&value=blue", ["Blue"]),
        ("column=Name&value=*blue&use_wildcard=True", ["Blue", "Light blue"]),
        ("column=code&value=l*&use_wildcard=true", ["Light blue"]),
        ("column=Name&value=Blue&column=Code&value=x", []),
        ("column=Name&value=*i*h*&use_wildcard=true", ["Light blue"]),
        ("column=Name&value=L*E&use_wildcard=true", ["Light blue"]),
        ("column=Name&value=*&use_wildcard=true", ["Red", "Blue", "Light blue"]),
        ("column=Name&value=Blue*Blue&use_wildcard=true", []),  # parts may not overlap
        ("column=Name&value=*blue&use_wildcard=false", []),  # a literal star
        # a pattern that makes a backtracking regex take seconds per item
        ("column=Name&value=" + "l*" * 12 + "x&use_wildcard=true", []),
    ],
)
def test_catalog_filters(world: World, query: str, names: list[str]) -> None:
    catalog = world.ok("GET", f"/v4/catalogs/{world.catalog.id}?{query}")
    assert [i["values"][0] for i in catalog["items"]] == names


def test_catalog_filter_errors(world: World) -> None:
    url = f"/v4/catalogs/{world.catalog.id}"
    body = world.fail("GET", url + "?column=Nope&value=x", 400, "catalog_column_not_found")
    assert "'Nope'" in body["error"]
    assert "Name, Code" in body["error"]
    world.fail("GET", url + "?column=Name", 400, "invalid_catalog_item_filter")
    world.fail("GET", url + "?include_deleted=perhaps", 400, "invalid_value_format")


# -- inbox and lists -------------------------------------------------------------------------------


def test_inbox(world: World) -> None:
    inbox = world.ok("GET", "/v4/inbox?item_count=50&group_item_count=50")
    assert [t["id"] for t in inbox["tasks"]] == [world.task.id]
    assert inbox["has_more"] is False
    assert world.ok("GET", "/v4/inbox", who="outsider")["tasks"] == []
    world.mock.create_task(text="second", author=world.author, responsible=world.bot)
    inbox = world.ok("GET", "/v4/inbox?item_count=1")
    assert (len(inbox["tasks"]), inbox["has_more"]) == (1, True)
    world.fail("GET", "/v4/inbox?item_count=many", 400, "invalid_value_format")


def test_lists(world: World) -> None:
    child = world.mock.backend.add_list("Child", parent_id=world.lst.id)
    lists = world.ok("GET", "/v4/lists")["lists"]
    assert [(lst["id"], lst["name"]) for lst in lists] == [(world.lst.id, "Projects")]
    assert [(c["id"], c["name"], c["parent_id"]) for c in lists[0]["children"]] == [
        (child.id, "Child", world.lst.id)
    ]
    tasks = world.ok("GET", f"/v4/lists/{world.lst.id}/tasks", who="author")
    assert [t["id"] for t in tasks["tasks"]] == [world.task.id]
    assert world.ok("GET", f"/v4/lists/{world.lst.id}/tasks", who="outsider")["tasks"] == []
    world.mock.backend.comment(world.task, {"action": "finished"}, world.author)
    assert (
        world.ok("POST", f"/v4/lists/{world.lst.id}/tasks", who="author", json_body={})["tasks"]
        == []
    )
    archived = world.ok(
        "POST", f"/v4/lists/{world.lst.id}/tasks", who="author", json_body={"include_archived": "y"}
    )
    assert [t["id"] for t in archived["tasks"]] == [world.task.id]


# -- files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("part", ["file", "report.pdf", "anything"])
@pytest.mark.parametrize("prefix", ["", "/v4", "/api/v4"])
def test_upload_any_part_name(world: World, part: str, prefix: str) -> None:
    content = "päper".encode()
    data = world.ok("POST", f"{prefix}/files/upload", data={part: (io.BytesIO(content), "p.txt")})
    assert data["md5_hash"] == hashlib.md5(content).hexdigest()
    record = world.mock.backend.find_file_by_guid(data["guid"])
    assert record is not None
    assert (record.name, record.content, record.uploaded_by) == ("p.txt", content, world.bot.id)


def test_upload_refusals(world: World) -> None:
    world.fail("POST", "/v4/files/upload", 400, "file_is_missing", data={"field": "text only"})
    world.fail("POST", "/v4/files/upload", 400, "file_is_missing", json_body={"file": "x"})
    two = {"a": (io.BytesIO(b"1"), "a.txt"), "b": (io.BytesIO(b"2"), "b.txt")}
    body = world.fail("POST", "/v4/files/upload", 400, "too_many_attachments", data=two)
    assert "a, b" in body["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/files/download/{id}",
        "/v4/files/download/{id}",
        "/api/v4/files/download/{id}",
        "/services/attachment?Id={id}",
        "/services/attachment?id={id}",
    ],
)
def test_downloads(world: World, path: str) -> None:
    response, _ = world.call("GET", path.format(id=world.file.id), who="author", raw_ok=True)
    assert response.status_code == 200
    assert response.get_data() == b"receipt bytes"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"] == "attachment; filename=receipt.txt"


@pytest.mark.parametrize("who", ["author", "bot", "supervisor"])
def test_who_may_download(world: World, who: str) -> None:
    response, _ = world.call("GET", f"/v4/files/download/{world.file.id}", who=who, raw_ok=True)
    assert response.status_code == 200


def test_uploader_may_download_unattached_files(world: World) -> None:
    record = world.mock.backend.upload("mine.txt", b"m", world.outsider.id)
    response, _ = world.call("GET", f"/files/download/{record.id}", who="outsider", raw_ok=True)
    assert response.status_code == 200
    world.fail("GET", f"/files/download/{record.id}", 403, "access_denied_file", who="author")


def test_file_field_values_are_downloadable(world: World) -> None:
    scan = next(f for f in world.form.fields if f.code == "u_scan")
    record = world.mock.backend.upload("field.bin", b"f", world.author.id)
    world.mock.backend.comment(
        world.task,
        {"field_updates": [{"id": scan.id, "value": [{"guid": record.guid}]}]},
        world.author,
    )
    response, _ = world.call("GET", f"/files/download/{record.id}", who="bot", raw_ok=True)
    assert response.status_code == 200


def test_non_ascii_file_names(world: World) -> None:
    from email.message import Message

    record = world.mock.backend.upload("счёт №1.pdf", b"x", world.bot.id)
    response, _ = world.call("GET", f"/services/attachment?Id={record.id}", raw_ok=True)
    header = response.headers["Content-Disposition"]
    assert header.isascii()
    message = Message()
    message["Content-Disposition"] = header
    assert message.get_filename() == "счёт №1.pdf"


# -- bots ------------------------------------------------------------------------------------------


def test_bots_crud(world: World) -> None:
    bots = world.ok("GET", "/v4/bots", who="manager")["bots"]
    assert [b["id"] for b in bots] == [world.bot.id]
    assert "security_key" not in bots[0]
    created = world.ok(
        "POST",
        "/v4/bots",
        who="manager",
        json_body={"name": "Robo", "hook_url": "https://robo.example/hook", "external_id": "ext-1"},
    )
    assert created["name"] == "Robo"
    assert created["login"].startswith("bot@")
    assert (created["is_enabled"], created["fired"]) == (True, False)
    assert created["external_id"] == "ext-1"
    key = created["security_key"]
    assert len(key) == 96
    auth = world.ok(
        "POST", "/auth", who=None, json_body={"login": created["login"], "security_key": key}
    )
    assert auth["access_token"]

    changed = world.ok(
        "PUT",
        f"/v4/bots/{created['id']}",
        who="manager",
        json_body={
            "name": "Robo 2",
            "is_enabled": False,
            "bot_settings": '{"a": 1}',
            "rights": 10,
            "send_only_last_comment": True,
            "locale": "ru-RU",
            "time_zone_offset": 180,
            "description": "d",
            "unknown_member": 1,
        },
    )
    assert (changed["name"], changed["is_enabled"], changed["bot_settings"]) == (
        "Robo 2",
        False,
        '{"a": 1}',
    )
    assert (changed["rights"], changed["locale"], changed["time_zone_offset"]) == (10, "ru-RU", 180)
    assert "security_key" not in changed

    deleted = world.ok(
        "DELETE",
        f"/v4/bots/{created['id']}",
        who="manager",
        json_body={"task_receiver_id": world.manager.id},
    )
    assert deleted["fired"] is True
    live = world.ok("GET", "/v4/bots?include_fired=False", who="manager")["bots"]
    every = world.ok("GET", "/v4/bots?include_fired=True", who="manager")["bots"]
    assert created["id"] not in [b["id"] for b in live]
    assert created["id"] in [b["id"] for b in every]


def test_delete_bot_without_a_body(world: World) -> None:
    response, data = world.call("DELETE", f"/v4/bots/{world.bot.id}", who="manager")
    assert (response.status_code, data["fired"]) == (200, True)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        (
            "POST",
            "/v4/bots",
            {"name": "x", "hook_url": "http://plain.example/"},
            400,
            "invalid_value_format",
        ),
        ("POST", "/v4/bots", {"name": "  "}, 400, "invalid_value_format"),
        ("POST", "/v4/bots", {"hook_url": "https://a.example/"}, 400, "invalid_value_format"),
        ("PUT", "/v4/bots/{bot}", {"hook_url": "ftp://a.example/"}, 400, "invalid_value_format"),
        ("PUT", "/v4/bots/{bot}", {"rights": True}, 400, "invalid_json"),
        ("PUT", "/v4/bots/{bot}", {"rights": 10**30}, 400, "invalid_json"),
        ("PUT", "/v4/bots/{bot}", {"time_zone_offset": -(2**31) - 1}, 400, "invalid_json"),
        ("PUT", "/v4/bots/987654", {"name": "x"}, 400, "invalid_person_id"),
        ("DELETE", "/v4/bots/987654", {}, 400, "invalid_person_id"),
        ("DELETE", "/v4/bots/{bot}", {"task_receiver_id": 987654}, 400, "invalid_person_id"),
    ],
)
def test_bot_refusals(
    world: World, method: str, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    world.fail(method, path.format(bot=world.bot.id), status, code, who="manager", json_body=body)


def test_bot_limit() -> None:
    world = make_world(max_bots=1)
    world.fail(
        "POST",
        "/v4/bots",
        400,
        "limit_exceeded",
        who="manager",
        json_body={"name": "one too many"},
    )


def test_links_and_attachments_reach_only_what_the_caller_may_see() -> None:
    """form_link values and attachment_id name tasks and files: a caller may not link, attach
    (and so read) what it would get 403 for, and cannot tell a hidden id from an unknown one."""
    import json

    from werkzeug.test import Client

    from pyrus_mock import PyrusMock

    with PyrusMock(auto_deliver=False) as fake:
        ann, bob = fake.add_user("Ann", "A"), fake.add_user("Bob", "B")
        form = fake.add_form(
            "F",
            fields=[{"name": "Link", "type": "form_link", "code": "u_link"}],
            steps=[{"name": "S1", "approvers": [ann]}],
        )
        mine = fake.create_task(form=form, author=ann)
        secret = fake.create_task(text="x", subject="Bob's secret", author=bob, responsible=bob)
        payslip = fake.backend.upload("payslip.pdf", b"SECRET", bob.id)
        fake.backend.comment(secret, {"text": "p", "attachments": [payslip.guid]}, bob)
        client = Client(fake.app)
        token = fake.backend.accounts.issue_token(ann.id).value
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def post(path: str, body: dict[str, Any]) -> Any:
            return client.post(path, headers=headers, data=json.dumps(body))

        link = {"field_updates": [{"code": "u_link", "value": {"task_ids": [secret.id]}}]}
        unknown = {"field_updates": [{"code": "u_link", "value": {"task_ids": [99_999_999]}}]}
        hidden, missing = (
            post(f"/v4/tasks/{mine.id}/comments", link),
            post(f"/v4/tasks/{mine.id}/comments", unknown),
        )
        assert (hidden.status_code, hidden.json["error_code"]) == (403, "access_denied_task")
        assert "secret" not in hidden.get_data(as_text=True)
        assert (missing.status_code, missing.json["error_code"]) == (403, "access_denied_task")
        assert hidden.json["error"].replace(str(secret.id), "N") == missing.json["error"].replace(
            "99999999", "N"
        )

        attach = post(
            f"/v4/tasks/{mine.id}/comments", {"attachments": [{"attachment_id": payslip.id}]}
        )
        assert attach.status_code == 400
        assert attach.json["error_code"] == "unrecognized_attachment_id"
        created = post(
            "/v4/tasks", {"text": "mine", "attachments": [{"attachment_id": payslip.id}]}
        )
        assert (created.status_code, created.json["error_code"]) == (
            400,
            "unrecognized_attachment_id",
        )
        download = client.get(f"/v4/files/download/{payslip.id}", headers=headers)
        assert download.status_code == 403  # nothing above gave Ann the file

        # POST /tasks with field values: the same rule (the values go through the engine).
        linked_form = fake.add_form(
            "G",
            fields=[
                {"name": "Link", "type": "form_link", "code": "g_link"},
                {"name": "Scan", "type": "file", "code": "g_scan"},
            ],
            steps=[{"name": "S1", "approvers": [ann]}],
        )
        for value in (
            {"g_link": {"task_ids": [secret.id]}},
            {"g_scan": [{"attachment_id": payslip.id}]},
        ):
            fields = [{"code": code, "value": v} for code, v in value.items()]
            made = post("/v4/tasks", {"form_id": linked_form.id, "fields": fields})
            assert made.status_code in (400, 403), made.json
            assert "secret" not in made.get_data(as_text=True)
        assert client.get(f"/v4/files/download/{payslip.id}", headers=headers).status_code == 403

        # A task Ann sees may be linked, and a file on it attached.
        fake.backend.comment(secret, {"text": "join", "participants_added": [{"id": ann.id}]}, bob)
        assert post(f"/v4/tasks/{mine.id}/comments", link).status_code == 200
        again = post(
            f"/v4/tasks/{mine.id}/comments", {"attachments": [{"attachment_id": payslip.id}]}
        )
        assert again.status_code == 200, again.json


def test_wildcard_matching_agrees_with_the_regular_expression() -> None:
    import re

    from hypothesis import given
    from hypothesis import strategies as st

    from pyrus_mock.api.views_catalogs import _glob

    @given(st.text("ab*", max_size=7), st.text("ab", max_size=9))
    def agree(pattern: str, text: str) -> None:
        regex = ".*".join(re.escape(part) for part in pattern.split("*"))
        assert _glob(pattern.split("*"), text) == bool(re.fullmatch(regex, text))

    agree()
