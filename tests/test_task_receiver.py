"""``task_receiver_id``: deleting a bot or a role, or firing a member, hands its open tasks over.

Requests are shaped as the official C# client sends them: ``DELETE /bots/{id}`` with
``DeleteBotRequest`` ``{"task_receiver_id": N}`` (``0`` when not set), ``DELETE /roles/{id}`` and
``/roles/bulk`` with ``DeleteRoleRequest``, ``POST /members/bulk`` with ``FireMembers``
(``FirePersonRequest``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pyrus_mock import PyrusMock
from pyrus_mock.domain.model import Task

from ._api_helpers import World, open_world
from ._bots import RecordingBot


@pytest.fixture
def world() -> Iterator[World]:
    with open_world() as world:
        yield world


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


def _approvers(task: Task, step: int) -> list[tuple[int, str]]:
    return [(a.person_id, a.choice) for a in task.approvers(step)]


def _snapshot(task: Task) -> tuple[Any, ...]:
    return (
        task.responsible_id,
        list(task.participant_ids),
        [[(a.person_id, a.choice) for a in step] for step in task.approvals],
        len(task.comments),
    )


def test_deleting_a_bot_hands_its_open_tasks_to_the_receiver(world: World) -> None:
    mock, bot, manager, author = world.mock, world.bot, world.manager, world.author
    backend = mock._backend
    simple = mock.add_task(text="Call the client", author=author, responsible=bot)
    closed = mock.add_task(text="Done", author=author, responsible=bot)
    backend.comment(closed, {"action": "finished"}, author)
    approved = mock.add_task(form=world.form, fields={"u_amount": 5}, author=author)
    backend.comment(approved, {"approval_choice": "approved"}, backend.person(bot.id))
    assert approved.current_step == 2
    untouched = {t.id: _snapshot(t) for t in (closed, approved, world.simple_task)}
    form_task = world.task  # the bot is the waiting approver of its current step 1

    reply = world.ok(
        "DELETE", f"/v4/bots/{bot.id}", who="manager", json_body={"task_receiver_id": manager.id}
    )
    assert reply["fired"] is True

    got = world.ok("GET", f"/v4/tasks/{simple.id}", who="manager")["task"]
    assert got["responsible"]["id"] == manager.id
    assert {manager.id, bot.id} <= set(_ids(got["participants"]))
    last = got["comments"][-1]
    assert last["author"]["id"] == manager.id
    assert last["reassigned_to"]["id"] == manager.id
    assert manager.id in _ids(last["participants_added"])

    got = world.ok("GET", f"/v4/tasks/{form_task.id}", who="manager")["task"]
    assert _approvers(form_task, 1) == [(manager.id, "waiting")]
    assert _approvers(form_task, 2) == [(author.id, "waiting")], "the steps keep their shape"
    assert manager.id in _ids(got["participants"])
    last = got["comments"][-1]
    assert last["author"]["id"] == manager.id
    assert "reassigned_to" not in last  # the bot was not responsible
    assert [[a["person"]["id"] for a in s] for s in last["approvals_added"]] == [[manager.id]]
    assert [[a["person"]["id"] for a in s] for s in last["approvals_removed"]] == [[bot.id]]
    inbox = world.ok("GET", "/v4/inbox", who="manager")
    assert {simple.id, form_task.id} <= {t["id"] for t in inbox["tasks"]}

    # closed tasks, choices already made and others' tasks are history: unchanged
    assert {t.id: _snapshot(t) for t in (closed, approved, world.simple_task)} == untouched
    assert _approvers(approved, 1) == [(bot.id, "approved")]


def test_a_receiver_already_on_the_step_is_not_added_twice(world: World) -> None:
    mock, bot, author = world.mock, world.bot, world.author
    form = mock.add_form("Pair", [], steps=[{"name": "Both", "approvers": [bot, author]}])
    task = mock.add_task(form=form, author=world.outsider)
    world.ok(
        "DELETE", f"/v4/bots/{bot.id}", who="manager", json_body={"task_receiver_id": author.id}
    )
    assert _approvers(task, 1) == [(author.id, "waiting")]
    assert task.comments[-1].approvals_removed == [[bot.id]]
    assert task.comments[-1].approvals_added == []


@pytest.mark.parametrize("body", [None, {}, {"task_receiver_id": 0}], ids=["no-body", "{}", "0"])
def test_without_a_receiver_the_tasks_stay_with_the_bot(world: World, body: Any) -> None:
    simple = world.mock.add_task(text="t", author=world.author, responsible=world.bot)
    before = {t.id: _snapshot(t) for t in (simple, world.task)}
    reply = world.ok("DELETE", f"/v4/bots/{world.bot.id}", who="manager", json_body=body)
    assert reply["fired"] is True
    assert {t.id: _snapshot(t) for t in (simple, world.task)} == before


@pytest.mark.parametrize(
    "receiver", ["unknown", "fired", "role", "itself"], ids=lambda r: f"receiver-{r}"
)
def test_a_bad_receiver_is_refused_and_nothing_moves(world: World, receiver: str) -> None:
    mock, bot = world.mock, world.bot
    simple = mock.add_task(text="t", author=world.author, responsible=bot)
    fired = mock.add_user("Fred", "Gone")
    mock._backend.org.fire_person(fired)
    receiver_id = {
        "unknown": 987654,
        "fired": fired.id,
        "role": mock.add_role("Desk", [world.author]).id,
        "itself": bot.id,
    }[receiver]
    before = {t.id: _snapshot(t) for t in (simple, world.task)}
    response, data = world.call(
        "DELETE", f"/v4/bots/{bot.id}", who="manager", json_body={"task_receiver_id": receiver_id}
    )
    assert response.status_code == 400
    assert data["error_code"] == "invalid_person_id"
    assert "/task_receiver_id" in data["error"]
    assert not bot.deleted, "a refused request changes nothing"
    assert {t.id: _snapshot(t) for t in (simple, world.task)} == before


def test_deleting_a_role_hands_its_approvals_over(world: World) -> None:
    mock, author = world.mock, world.author
    role = mock.add_role("Desk", [world.outsider])
    form = mock.add_form("Desk form", [], steps=[{"name": "Desk", "approvers": [role]}])
    task = mock.add_task(form=form, author=world.supervisor)
    reply = world.ok(
        "DELETE", f"/v4/roles/{role.id}", who="admin", json_body={"task_receiver_id": author.id}
    )
    assert reply["fired"] is True
    assert _approvers(task, 1) == [(author.id, "waiting")]
    assert author.id in task.participant_ids
    assert task.comments[-1].author_id == world.admin.id


def test_deleting_roles_in_bulk_hands_each_roles_tasks_to_its_receiver(world: World) -> None:
    mock = world.mock
    first, second = mock.add_role("A", [world.author]), mock.add_role("B", [world.author])
    forms = [mock.add_form(f"F{r.id}", [], steps=[{"name": "s", "approvers": [r]}])
             for r in (first, second)]  # fmt: skip
    tasks = [mock.add_task(form=f, author=world.supervisor) for f in forms]
    world.ok(
        "DELETE",
        "/v4/roles/bulk",
        who="admin",
        json_body=[
            {"id": first.id, "task_receiver_id": world.author.id},
            {"id": second.id, "task_receiver_id": 0},
        ],
    )
    assert _approvers(tasks[0], 1) == [(world.author.id, "waiting")]
    assert _approvers(tasks[1], 1) == [(second.id, "waiting")], "0: the tasks stay"


def test_firing_members_in_bulk_hands_their_tasks_over(world: World) -> None:
    mock, outsider, author = world.mock, world.outsider, world.author
    task = mock.add_task(text="Pay the rent", author=world.supervisor, responsible=outsider)
    world.ok(
        "POST",
        "/v4/members/bulk",
        who="admin",
        json_body={"FireMembers": [{"id": outsider.id, "task_receiver_id": author.id}]},
    )
    assert outsider.fired
    assert task.responsible_id == author.id
    assert task.comments[-1].reassigned_to == author.id

    response, data = world.call(
        "POST",
        "/v4/members/bulk",
        who="admin",
        json_body={"FireMembers": [{"id": author.id, "task_receiver_id": outsider.id}]},
    )
    assert (response.status_code, data["error_code"]) == (400, "invalid_person_id")
    assert not author.fired
    assert task.responsible_id == author.id


@pytest.mark.parametrize("how", ["FireMembers", "BanMembers"])
def test_a_receiver_leaving_in_the_same_bulk_request_is_refused(world: World, how: str) -> None:
    """A receiver fired (before or after its giver) or banned by the same request would end up
    holding tasks nobody can act on: all or nothing, nothing changes."""
    outsider, author, supervisor = world.outsider, world.author, world.supervisor
    task = world.mock.add_task(text="Pay the rent", author=supervisor, responsible=outsider)
    leaving: dict[str, Any] = {"id": author.id}
    if how == "FireMembers":
        leaving["task_receiver_id"] = 0
    parts: dict[str, Any] = {"FireMembers": [{"id": outsider.id, "task_receiver_id": author.id}]}
    parts.setdefault(how, []).append(leaving)
    response, data = world.call("POST", "/v4/members/bulk", who="admin", json_body=parts)
    assert (response.status_code, data["error_code"]) == (400, "invalid_person_id")
    assert "/FireMembers/0/task_receiver_id" in data["error"]
    assert "leaves in this same request" in data["error"]
    assert (outsider.fired, author.fired, author.banned) == (False, False, False)
    assert task.responsible_id == outsider.id


def test_a_receiving_bot_is_called_with_the_task() -> None:
    """The task reaches the receiver's inbox: a bot receiver gets a delivery (after the
    request's lock is released, so the bot could call the API back)."""
    with PyrusMock() as fake:
        receiver_app = RecordingBot(verify=None)
        with fake.serve_bot(receiver_app) as url:
            receiver = fake.add_bot("Receiver", url)
            leaving = fake.add_bot("Leaving", "https://localhost:1/")
            leaving.disable()  # its own delivery is skipped
            task = fake.add_task(text="t", responsible=leaving)
            manager = fake.add_user("Max", "Manager", rights=["configuration_manager"])
            token = fake._backend.accounts.issue_token(manager.id).value
            reply = requests.delete(
                f"{fake.api_url}bots/{leaving.id}",
                json={"task_receiver_id": receiver.id},
                headers={"Authorization": f"Bearer {token}"},
                verify=fake.ca_path,
                timeout=10,
            )
            assert reply.status_code == 200, reply.text
        delivery = fake.deliveries[-1]
    assert (delivery.bot_id, delivery.task_id, delivery.trigger) == (
        receiver.id,
        task.id,
        "responsible",
    )
    assert delivery.state == "delivered"
    assert len(receiver_app.calls) == 1
