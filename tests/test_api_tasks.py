"""Task endpoints: ``GET /tasks/{id}``, ``POST /tasks/{id}/comments``, ``POST /tasks``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ._api_helpers import World, make_world


@pytest.fixture
def world() -> World:
    return make_world()


def _field(task: dict[str, Any], code: str) -> dict[str, Any]:
    return next(f for f in task["fields"] if f.get("code") == code)


# -- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["author", "bot", "supervisor"])
def test_who_may_read_a_task(world: World, who: str) -> None:
    task = world.ok("GET", f"/v4/tasks/{world.task.id}", who=who)["task"]
    assert task["id"] == world.task.id
    assert task["form_id"] == world.form.id
    assert _field(task, "u_amount")["value"] == 120.5
    assert task["approvals"][0][0]["person"]["id"] == world.bot.id
    assert task["comments"][-1]["attachments"][0]["id"] == world.file.id


def test_participants_and_subscribers_may_read(world: World) -> None:
    world.fail(
        "GET", f"/v4/tasks/{world.simple_task.id}", 403, "access_denied_task", who="outsider"
    )
    world.mock._backend.comment(
        world.simple_task, {"subscribers_added": [{"id": world.outsider.id}]}, world.author
    )
    world.ok("GET", f"/v4/tasks/{world.simple_task.id}", who="outsider")


def test_unknown_and_invisible_tasks_answer_alike(world: World) -> None:
    unknown = world.fail("GET", "/v4/tasks/987654", 403, "access_denied_task", who="outsider")
    hidden = world.fail(
        "GET", f"/v4/tasks/{world.task.id}", 403, "access_denied_task", who="outsider"
    )
    assert set(unknown) == set(hidden) == {"error_code", "error"}


def test_file_urls_point_at_the_host_of_the_request(world: World) -> None:
    task = world.ok("GET", f"/v4/tasks/{world.task.id}", base_url="https://127.0.0.1:9999")
    url = task["task"]["comments"][-1]["attachments"][0]["url"]
    assert url == f"https://127.0.0.1:9999/services/attachment?Id={world.file.id}"
    task = world.ok("GET", f"/v4/tasks/{world.task.id}", base_url="https://api.pyrus.com")
    url = task["task"]["comments"][-1]["attachments"][0]["url"]
    assert url == f"https://files.pyrus.com/services/attachment?Id={world.file.id}"


def test_replies_are_compact_utf8(world: World) -> None:
    world.mock._backend.comment(world.task, {"text": "Привет, ünïcödé"}, world.author)
    response, _ = world.call("GET", f"/v4/tasks/{world.task.id}")
    raw = response.get_data()
    assert "Привет, ünïcödé".encode() in raw
    assert b"\\u" not in raw
    assert b'": ' not in raw
    assert b", " not in raw.replace("Привет, ".encode(), b"")
    assert int(response.headers["Content-Length"]) == len(raw)


# -- commenting ----------------------------------------------------------------------------------


def test_approve_and_update_a_field(world: World) -> None:
    note = next(f for f in world.form.fields if f.code == "u_note")
    body = {
        "text": "Approved",
        "approval_choice": "approved",
        "field_updates": [{"id": note.id, "value": "checked by bot"}],
    }
    task = world.ok("POST", f"/v4/tasks/{world.task.id}/comments", json_body=body)["task"]
    assert task["current_step"] == 2
    assert _field(task, "u_note")["value"] == "checked by bot"
    last = task["comments"][-1]
    assert last["author"]["id"] == world.bot.id
    assert last["text"] == "Approved"
    assert last["approval_choice"] == "approved"
    assert world.mock._backend.task(world.task.id).current_step == 2


def test_field_updates_by_code_and_name(world: World) -> None:
    body = {"field_updates": [{"code": "u_amount", "value": 99}, {"name": "Note", "value": "n"}]}
    task = world.ok("POST", f"/v4/tasks/{world.task.id}/comments", json_body=body)["task"]
    assert _field(task, "u_amount")["value"] == 99
    assert _field(task, "u_note")["value"] == "n"


def test_a_refused_comment_lists_every_violation(world: World) -> None:
    body = {"field_updates": [{"id": 987654, "value": 1}, {"code": "u_amount", "value": "lots"}]}
    before = len(world.mock._backend.task(world.task.id).comments)
    data = world.fail(
        "POST", f"/v4/tasks/{world.task.id}/comments", 400, "invalid_field_id", json_body=body
    )
    assert len(data["violations"]) >= 2
    assert data["violations"][0]["error_code"] == "invalid_field_id"
    assert {"path", "error_code", "message", "severity"} <= set(data["violations"][0])
    for violation in data["violations"]:
        assert f"{violation['path']}: {violation['message']}" in data["error"]
    assert len(world.mock._backend.task(world.task.id).comments) == before


def test_a_comment_with_thousands_of_problems_gets_a_bounded_reply(world: World) -> None:
    """Every problem is found, but the reply lists the first ones and counts the rest: a request
    of a few hundred KB must not get a reply tens of times its size."""
    bad = [{"id": 900_000 + i, "value": 1} for i in range(5000)]
    body = {"field_updates": bad}
    response, data = world.call("POST", f"/v4/tasks/{world.task.id}/comments", json_body=body)
    assert (response.status_code, data["error_code"]) == (400, "invalid_field_id")
    assert len(data["violations"]) == 200
    assert data["violations_omitted"] == 5000 - 200
    assert data["error"].count("/field_updates/") == 20
    assert data["error"].endswith("; and 4980 more (see the violations member)")
    assert len(response.get_data()) < 100_000


def test_a_refusal_lists_errors_before_warnings() -> None:
    from pyrus_mock.api.refs import rejected
    from pyrus_mock.domain.violations import Violation

    refusal = rejected([
        Violation("/bogus", "unknown_parameter", "not a CreateComment member", "warning"),
        Violation("/field_updates/0/id", "invalid_field_id", "no such field"),
    ])  # fmt: skip
    body = json.loads(refusal.get_body())
    assert body["error_code"] == "invalid_field_id"
    assert body["error"] == "/field_updates/0/id: no such field"
    assert [v["path"] for v in body["violations"]] == ["/field_updates/0/id", "/bogus"]
    assert "violations_omitted" not in body


def test_warnings_do_not_fail_the_request(world: World) -> None:
    body = {"text": "hi", "no_such_member": 1}
    task = world.ok("POST", f"/v4/tasks/{world.task.id}/comments", json_body=body)["task"]
    assert task["comments"][-1]["text"] == "hi"


def test_comment_on_an_invisible_task(world: World) -> None:
    world.fail(
        "POST",
        f"/v4/tasks/{world.task.id}/comments",
        403,
        "access_denied_task",
        who="outsider",
        json_body={"text": "hi"},
    )


def test_attach_an_uploaded_file(world: World) -> None:
    import io

    upload = world.ok("POST", "/v4/files/upload", data={"file": (io.BytesIO(b"pdf"), "scan.pdf")})
    body = {"text": "see", "attachments": [upload["guid"]]}
    task = world.ok("POST", f"/v4/tasks/{world.task.id}/comments", json_body=body)["task"]
    attachment = task["comments"][-1]["attachments"][0]
    assert (attachment["name"], attachment["size"]) == ("scan.pdf", 3)


# -- creating ------------------------------------------------------------------------------------


def test_create_a_simple_task(world: World) -> None:
    body = {
        "text": "Call the client",
        "subject": "Call",
        "responsible": {"email": world.author.email},
        "participants": [{"id": world.outsider.id}],
        "subscribers": [{"id": world.supervisor.id}],
        "due_date": "2026-03-01",
        "list_ids": [world.lst.id],
        "parent_task_id": world.simple_task.id,
    }
    task = world.ok("POST", "/v4/tasks", json_body=body, who="author")["task"]
    assert task["text"] == "Call the client"
    assert task["subject"] == "Call"
    assert task["responsible"]["id"] == world.author.id
    # The responsible (here also the author) and the given participants, once each.
    assert [p["id"] for p in task["participants"]] == [world.author.id, world.outsider.id]
    assert [s["person"]["id"] for s in task["subscribers"]] == [world.supervisor.id]
    assert task["due_date"] == "2026-03-01"
    assert task["list_ids"] == [world.lst.id]
    assert task["parent_task_id"] == world.simple_task.id
    assert task["author"]["id"] == world.author.id
    # The creation is the first comment, as in the API reference's GET /tasks/{id} example.
    [created] = task["comments"]
    assert task["last_note_id"] == created["id"]
    assert created["author"]["id"] == world.author.id
    assert created["create_date"] == task["create_date"]
    assert created["text"] == "Call the client"
    assert created["reassigned_to"]["id"] == world.author.id
    assert [p["id"] for p in created["participants_added"]] == [
        world.author.id,
        world.outsider.id,
    ]
    assert [p["id"] for p in created["subscribers_added"]] == [world.supervisor.id]
    assert (created["due_date"], created["added_list_ids"]) == ("2026-03-01", [world.lst.id])
    assert "field_updates" not in created
    assert "approvals_added" not in created
    world.ok("GET", f"/v4/tasks/{task['id']}", who="outsider")


def test_a_new_simple_task_takes_in_its_responsible_and_author(world: World) -> None:
    body = {"text": "Help with printer", "responsible": {"id": world.outsider.id}}
    task = world.ok("POST", "/v4/tasks", json_body=body, who="author")["task"]
    assert [p["id"] for p in task["participants"]] == [world.outsider.id, world.author.id]
    [created] = task["comments"]
    assert created["reassigned_to"]["id"] == world.outsider.id
    assert [p["id"] for p in created["participants_added"]] == [
        world.outsider.id,
        world.author.id,
    ]
    for who in ("author", "outsider"):
        world.ok("GET", f"/v4/tasks/{task['id']}", who=who)
    world.fail("GET", f"/v4/tasks/{task['id']}", 403, "access_denied_task", who="manager")


def test_create_a_form_task(world: World) -> None:
    colour = world.catalog.items[1]
    body = {
        "form_id": world.form.id,
        "fields": [
            {"code": "u_amount", "value": 10},
            {"name": "Note", "value": "lunch"},
            {
                "id": next(f.id for f in world.form.fields if f.code == "u_colour"),
                "value": {"item_id": colour.id},
            },
        ],
        "approvals": [[{"id": world.bot.id}], [{"email": world.supervisor.email}]],
        "due": "2026-03-01T10:00:00Z",
        "duration": 30,
    }
    task = world.ok("POST", "/v4/tasks", json_body=body, who="author")["task"]
    assert _field(task, "u_amount")["value"] == 10
    assert _field(task, "u_note")["value"] == "lunch"
    assert _field(task, "u_colour")["value"]["item_ids"] == [colour.id]
    assert task["approvals"][1][0]["person"]["id"] == world.supervisor.id
    assert (task["due"], task["duration"]) == ("2026-03-01T10:00:00Z", 30)
    assert task["current_step"] == 1
    # The creation comment: every value set, the approvers named; a form task has no
    # participants of its own.
    [created] = task["comments"]
    assert created["author"]["id"] == world.author.id
    assert {f["code"]: f["value"] for f in created["field_updates"]} == {
        "u_amount": 10,
        "u_note": "lunch",
        "u_colour": _field(task, "u_colour")["value"],
    }
    assert [[a["person"]["id"] for a in step] for step in created["approvals_added"]] == [
        [world.bot.id],
        [world.supervisor.id],
    ]
    assert [[a["step"] for a in step] for step in created["approvals_added"]] == [[1], [2]]
    assert (created["due"], created["duration"]) == ("2026-03-01T10:00:00Z", 30)
    assert "participants" not in task
    assert "participants_added" not in created
    assert "text" not in created
    assert "reassigned_to" not in created


def test_create_with_an_attachment(world: World) -> None:
    body = {"text": "with file", "attachments": [world.file.guid.upper()]}
    task = world.ok("POST", "/v4/tasks", json_body=body, who="author")["task"]
    assert [a["id"] for a in task["attachments"]] == [world.file.id]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"subject": ""}, 400, "text_missing"),
        ({"form_id": 987654}, 403, "access_denied_form"),
        ({"text": "x", "fields": [{"code": "u_amount", "value": 1}]}, 400, "task_has_no_form"),
        ({"text": "x", "approvals": [[{"id": 1}]]}, 400, "task_has_no_form"),
        ({"form_id": "FORM", "fields": [{"value": 1}]}, 400, "field_identity_missing"),
        (
            {
                "form_id": "FORM",
                "fields": [{"code": "u_amount", "value": 1}, {"code": "u_amount", "value": 2}],
            },
            400,
            "duplicate_field",
        ),
        ({"form_id": "FORM", "fields": ["u_amount"]}, 400, "invalid_json"),
        (
            {"form_id": "FORM", "fields": [{"code": "u_amount", "value": "lots"}]},
            400,
            "invalid_value_format",
        ),
        ({"text": "x", "responsible": {"id": 987654}}, 400, "invalid_person_id"),
        ({"text": "x", "responsible": {"email": "nobody@example.com"}}, 400, "invalid_email"),
        ({"text": "x", "responsible": {}}, 400, "person_identity_missing"),
        ({"text": "x", "responsible": "x@y.z"}, 400, "invalid_email"),
        ({"text": "x", "participants": [True]}, 400, "invalid_json"),
        (
            {"text": "x", "due_date": "2026-01-01", "due": "2026-01-01T00:00:00Z"},
            400,
            "either_due_date_or_due_can_be_set",
        ),
        ({"text": "x", "duration": 5}, 400, "due_missing"),
        (
            {"text": "x", "formatted_text": "<p>x</p>"},
            400,
            "both_text_and_formatted_text_specified",
        ),
        ({"text": "   "}, 400, "text_missing"),
        ({"text": "x", "scheduled_date": "2020-01-01"}, 400, "scheduled_date_in_past"),
        (
            {"text": "x", "scheduled_datetime_utc": "2020-01-01T00:00:00Z"},
            400,
            "scheduled_date_in_past",
        ),
        ({"text": "x", "scheduled_date": "soon"}, 400, "invalid_value_format"),
        (
            {
                "text": "x",
                "scheduled_date": "2099-01-01",
                "scheduled_datetime_utc": "2099-01-01T00:00:00Z",
            },
            400,
            "invalid_value_format",
        ),
        ({"text": "x", "due_date": "tomorrow"}, 400, "invalid_value_format"),
        ({"text": "x", "due_date": "2026-02-30"}, 400, "invalid_value_format"),
        ({"text": "x", "due": "2026-01-01 10:00:00+03:00"}, 400, "invalid_value_format"),
        (
            {"text": "x", "due": "2026-01-01T10:00:00Z", "duration": 10**9},
            400,
            "duration_is_too_long",
        ),
        ({"text": "x", "due": "2026-01-01T00:00:00Z", "duration": -5}, 400, "negative_duration"),
        ({"text": "x", "list_ids": [987654]}, 403, "access_denied_project"),
        ({"text": "x", "list_ids": ["a"]}, 400, "invalid_json"),
        ({"text": "x", "parent_task_id": 987654}, 403, "access_denied_task"),
        ({"text": "x", "attachments": ["no-such-guid"]}, 400, "unrecognized_attachment_id"),
        (
            {"text": "x", "attachments": [{"attachment_id": 987654}]},
            400,
            "unrecognized_attachment_id",
        ),
        ({"text": "x", "attachments": [5]}, 400, "invalid_json"),
    ],
)
def test_create_refusals(world: World, body: dict[str, Any], status: int, code: str) -> None:
    if body.get("form_id") == "FORM":
        body = {**body, "form_id": world.form.id}
    count = len(world.mock._backend.tasks())
    world.fail("POST", "/v4/tasks", status, code, json_body=body, who="author")
    assert len(world.mock._backend.tasks()) == count


def test_create_with_link_and_existing_attachments(world: World) -> None:
    body = {
        "text": "links",
        "attachments": [
            {"url": "https://example.com/a", "name": "A"},
            {"attachment_id": world.file.id},
            {"guid": world.file.guid},
        ],
    }
    task = world.ok("POST", "/v4/tasks", json_body=body, who="author")["task"]
    names = [a["name"] for a in task["attachments"]]
    assert names == ["A", "receipt.txt", "receipt.txt"]


def test_created_tasks_reach_the_inbox(world: World) -> None:
    body = {"text": "for the bot", "responsible": {"id": world.bot.id}}
    created = world.ok("POST", "/v4/tasks", json_body=body, who="author")["task"]
    inbox = world.ok("GET", "/v4/inbox")
    assert created["id"] in [t["id"] for t in inbox["tasks"]]


def test_json_request_with_charset_and_bom_free_utf8(world: World) -> None:
    raw = json.dumps({"text": "Задача"}, ensure_ascii=False).encode("utf-8")
    task = world.ok(
        "POST",
        "/v4/tasks",
        data=raw,
        who="author",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )["task"]
    assert task["text"] == "Задача"


@pytest.mark.parametrize("member", ["responsible", "participants", "subscribers"])
def test_create_refuses_terminated_persons(world: World, member: str) -> None:
    fired = world.mock.add_user("Fred", "Fired")
    fired.fired = True
    ref: Any = {"id": fired.id} if member == "responsible" else [{"id": fired.id}]
    body = world.fail(
        "POST",
        "/v4/tasks",
        400,
        "invalid_person_id",
        json_body={"text": "x", member: ref},
        who="author",
    )
    assert "terminated" in body["error"]


def test_create_with_formatted_text_and_a_schedule(world: World) -> None:
    body = {"formatted_text": "<b>Call</b> the client", "scheduled_date": "2099-03-01"}
    task = world.ok("POST", "/v4/tasks", json_body=body, who="author")["task"]
    assert task["formatted_text"] == "<b>Call</b> the client"
    assert task["scheduled_date"] == "2099-03-01"
    body = {"text": "later", "scheduled_datetime_utc": "2099-03-01T10:00:00Z"}
    task = world.ok("POST", "/v4/tasks", json_body=body, who="author")["task"]
    assert task["scheduled_datetime_utc"] == "2099-03-01T10:00:00Z"


# -- what a comment or a new task may name ---------------------------------------------------------


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
        mine = fake.add_task(form=form, author=ann)
        secret = fake.add_task(text="x", subject="Bob's secret", author=bob, responsible=bob)
        payslip = fake._backend.files.upload("payslip.pdf", b"SECRET", bob.id)
        fake._backend.comment(secret, {"text": "p", "attachments": [payslip.guid]}, bob)
        client = Client(fake.app)
        token = fake._backend.accounts.issue_token(ann.id).value
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
        fake._backend.comment(secret, {"text": "join", "participants_added": [{"id": ann.id}]}, bob)
        assert post(f"/v4/tasks/{mine.id}/comments", link).status_code == 200
        again = post(
            f"/v4/tasks/{mine.id}/comments", {"attachments": [{"attachment_id": payslip.id}]}
        )
        assert again.status_code == 200, again.json
