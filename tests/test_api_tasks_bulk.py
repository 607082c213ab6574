"""GET /tasksbyapprover/{id} and POST /tasks/comments (several tasks in one transaction)."""

from __future__ import annotations

from typing import Any

import pytest
from pyrus.models import responses

from pyrus_mock.domain.errors import CommentRejected

from ._api_helpers import World, make_world


@pytest.fixture
def world() -> World:
    return make_world()


# -- GET /tasksbyapprover/{id} ---------------------------------------------------------------------


def test_tasks_waiting_for_an_approver(world: World) -> None:
    reply = world.ok("GET", f"/v4/tasksbyapprover/{world.bot.id}")
    assert [t["id"] for t in reply["tasks"]] == [world.task.id]
    assert reply["has_more"] is False
    parsed = responses.TaskListResponse(**reply)  # the official Python client's model
    assert [t.id for t in parsed.tasks] == [world.task.id]
    # the author approves step 2: not waited for until step 1 is done
    assert world.ok("GET", f"/v4/tasksbyapprover/{world.author.id}", who="author")["tasks"] == []
    world.ok(
        "POST", f"/v4/tasks/{world.task.id}/comments", json_body={"approval_choice": "approved"}
    )
    assert world.ok("GET", f"/v4/tasksbyapprover/{world.bot.id}")["tasks"] == []
    waiting = world.ok("GET", f"/v4/tasksbyapprover/{world.author.id}", who="author")["tasks"]
    assert [t["id"] for t in waiting] == [world.task.id]


def test_tasks_by_approver_only_shows_what_the_caller_sees(world: World) -> None:
    assert world.ok("GET", f"/v4/tasksbyapprover/{world.bot.id}", who="outsider")["tasks"] == []
    assert [
        t["id"]
        for t in world.ok("GET", f"/v4/tasksbyapprover/{world.bot.id}", who="supervisor")["tasks"]
    ] == [world.task.id]


def test_tasks_by_approver_of_nobody(world: World) -> None:
    world.fail("GET", "/v4/tasksbyapprover/999999", 403, "access_denied_person")
    role = world.mock.add_role("Accounting", [world.author])
    world.fail("GET", f"/v4/tasksbyapprover/{role.id}", 403, "access_denied_person")


# -- POST /tasks/comments --------------------------------------------------------------------------


def _second(world: World) -> Any:
    return world.mock.add_task(text="second", author=world.author, responsible=world.bot)


def _batch(*items: tuple[int, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"comments": [{"task_id": t, "comment": c} for t, c in items], **extra}


@pytest.mark.parametrize("path", ["/v4/tasks/comments", "/v4/tasks//comments"])
def test_comments_on_several_tasks(world: World, path: str) -> None:
    other = _second(world)
    reply = world.ok(
        "POST",
        path,
        json_body=_batch(
            (world.task.id, {"approval_choice": "approved", "text": "ok"}),
            (other.id, {"text": "noted", "field_updates": []}),
        ),
    )
    assert [t["id"] for t in reply["tasks"]] == [world.task.id, other.id]
    assert reply["tasks"][0]["current_step"] == 2
    assert reply["tasks"][0]["comments"][-1]["text"] == "ok"
    assert reply["tasks"][1]["comments"][-1]["text"] == "noted"
    parsed = responses.TaskResponse(task=reply["tasks"][1])  # each is a TaskWithComments
    assert parsed.task.comments[-1].text == "noted"
    assert world.task.comments[-1].author_id == world.bot.id


def test_no_tasks_in_response(world: World) -> None:
    other = _second(world)
    body = _batch((world.task.id, {"text": "a"}), (other.id, {"text": "b"}))
    body["no_tasks_in_response"] = True
    assert world.ok("POST", "/v4/tasks/comments", json_body=body) == {}
    assert other.comments[-1].text == "b"


def test_one_bad_comment_changes_no_task(world: World) -> None:
    other = _second(world)
    before = (len(world.task.comments), len(other.comments), world.task.current_step)
    body = world.fail(
        "POST",
        "/v4/tasks/comments",
        400,
        "task_has_no_form",
        json_body=_batch(
            (world.task.id, {"approval_choice": "approved"}),
            (other.id, {"field_updates": [{"id": 123456, "value": "x"}]}),
        ),
    )
    assert [v["path"] for v in body["violations"]] == ["/comments/1/comment/field_updates"]
    assert (len(world.task.comments), len(other.comments), world.task.current_step) == before
    # every comment's problems are named, not only the first one's
    body = world.fail(
        "POST",
        "/v4/tasks/comments",
        400,
        "text_missing",
        json_body=_batch((world.task.id, {"text": " "}), (other.id, {"subject": 5})),
    )
    assert {v["path"].split("/")[2] for v in body["violations"]} == {"0", "1"}


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ("one", "less_than_two_or_not_unique_tasks"),
        ("same", "less_than_two_or_not_unique_tasks"),
        ("none", "less_than_two_or_not_unique_tasks"),
        ("no_id", "required_parameter_missing"),
        ("no_comment", "invalid_json"),
    ],
)
def test_malformed_batches(world: World, items: str, code: str) -> None:
    t = world.task.id
    body = {
        "one": _batch((t, {"text": "a"})),
        "same": _batch((t, {"text": "a"}), (t, {"text": "b"})),
        "none": {"comments": []},
        "no_id": {"comments": [{"comment": {"text": "a"}}, {"task_id": t, "comment": {}}]},
        "no_comment": {"comments": [{"task_id": t}, {"task_id": _second(world).id}]},
    }[items]
    world.fail("POST", "/v4/tasks/comments", 400, code, json_body=body)
    assert world.task.comments[-1].text != "a"


def test_an_invisible_task_refuses_the_batch(world: World) -> None:
    hidden = world.mock.add_task(text="private", author=world.author, responsible=world.author)
    other = _second(world)
    before = list(other.comments)  # its creation comment
    world.fail(
        "POST",
        "/v4/tasks/comments",
        403,
        "access_denied_task",
        json_body=_batch((other.id, {"text": "a"}), (hidden.id, {"text": "b"})),
    )
    assert other.comments == before


def test_previous_note_id_guards_against_lost_updates(world: World) -> None:
    other = _second(world)
    before = list(other.comments)  # its creation comment
    last = world.task.last_note_id
    assert last is not None
    stale = {
        "comments": [
            {"task_id": world.task.id, "previous_note_id": last - 1, "comment": {"text": "a"}},
            {"task_id": other.id, "previous_note_id": 0, "comment": {"text": "b"}},
        ]
    }
    body = world.fail("POST", "/v4/tasks/comments", 409, "conflict", json_body=stale)
    assert f"last note is {last}" in body["error"]
    assert other.comments == before
    stale["comments"][0]["previous_note_id"] = last
    world.ok("POST", "/v4/tasks/comments", json_body=stale)
    assert other.comments[-1].text == "b"


def test_a_late_refusal_puts_back_the_tasks_already_changed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pyrus_mock.engine import batch

    other = _second(world)
    real_apply = batch.apply
    calls: list[int] = []

    def apply_then_refuse(request: Any, task: Any, author: Any, directory: Any) -> Any:
        calls.append(task.id)
        if len(calls) == 2:
            raise CommentRejected([])
        return real_apply(request, task, author, directory)

    monkeypatch.setattr(batch, "apply", apply_then_refuse)
    before = (len(world.task.comments), world.task.current_step, world.task.last_modified_date)
    world.fail(
        "POST",
        "/v4/tasks/comments",
        400,
        "validation_error",
        json_body=_batch(
            (world.task.id, {"approval_choice": "approved"}), (other.id, {"text": "b"})
        ),
    )
    assert calls == [world.task.id, other.id]
    assert (
        len(world.task.comments),
        world.task.current_step,
        world.task.last_modified_date,
    ) == before


def test_bots_hear_of_each_comment(world: World) -> None:
    world.mock.settings = world.mock.settings.replace(auto_deliver=True)
    other = _second(world)
    reviewer = world.mock.add_bot("Reviewer", "https://reviewer.invalid/hook")
    count = len(world.mock.deliveries)
    world.ok(
        "POST",
        "/v4/tasks/comments",
        who="author",
        json_body=_batch(
            (other.id, {"reassign_to": {"id": reviewer.id}}),
            (world.task.id, {"text": "hello"}),
        ),
    )
    calls = sorted((d.task_id, d.bot_id) for d in world.mock.deliveries[count:])
    assert calls == sorted([(other.id, reviewer.id), (world.task.id, world.bot.id)])
