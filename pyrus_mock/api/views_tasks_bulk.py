"""Task views over several tasks: tasks by approver, comments on several tasks at once.

``GET /tasksbyapprover/{id}`` is the C# and TypeScript clients' ``GetTasksByApproverAsync``;
``POST /tasks/comments`` is the C# client's ``CommentMultipleTasksInOneTransaction`` (which
sends it as ``/tasks//comments``; both spellings are routed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..domain.errors import CommentRejected
from ..domain.model import Task
from ..state import serialize
from . import body
from .call import Call
from .errors import ApiError
from .refs import rejected

__all__ = ["comment_tasks", "comment_tasks_double_slash", "get_tasks_by_approver"]


def get_tasks_by_approver(call: Call, person_id: int) -> dict[str, Any]:
    """``GET /tasksbyapprover/{id}``: ``{"tasks": [TaskHeader], "has_more": false}``.

    The open tasks the caller can see that wait for the approval of person ``id``: the person
    is an approver of the task's current step and has not chosen yet. An unknown person (or a
    role) answers 403 ``access_denied_person``.
    """
    backend = call.backend
    with backend.lock:
        person = backend.find_person(person_id)
        if person is None or person.type == "role":
            raise ApiError("access_denied_person", f"person {person_id} does not exist")
        waiting = [
            task
            for task in backend.tasks()
            if not task.is_closed
            and task.current_step is not None
            and any(
                a.person_id == person_id and a.choice == "waiting"
                for a in task.approvers(task.current_step)
            )
            and call.can_see(task)
        ]
        return {
            "tasks": [serialize.task_header(backend, t) for t in waiting],
            "has_more": False,
        }


def _items(call: Call, data: Mapping[str, Any]) -> list[tuple[Task, Mapping[str, Any]]]:
    """The ``comments`` of a MultipleTasksChangeRequest as ``(task, CreateComment)`` pairs."""
    comments = body.get_list(data, "comments")
    if not comments:
        raise ApiError(
            "less_than_two_or_not_unique_tasks",
            "/comments: give at least two {task_id, previous_note_id?, comment} objects",
        )
    items: list[tuple[Task, Mapping[str, Any]]] = []
    seen: set[int] = set()
    for index, item in enumerate(comments):
        path = f"/comments/{index}"
        if not isinstance(item, dict):
            raise ApiError("invalid_json", f"{path} must be an object, got {body.type_name(item)}")
        task_id = body.get_int(item, "task_id", path=path)
        if task_id is None:
            raise ApiError("required_parameter_missing", f"{path}/task_id is required")
        if task_id in seen:
            raise ApiError(
                "less_than_two_or_not_unique_tasks",
                f"{path}/task_id: task {task_id} is named twice; one comment per task",
            )
        seen.add(task_id)
        previous = body.get_int(item, "previous_note_id", path=path)
        request = item.get("comment")
        if not isinstance(request, dict):
            raise ApiError(
                "invalid_json", f"{path}/comment must be an object, got {body.type_name(request)}"
            )
        task = call.visible_task(task_id)
        last = task.last_note_id or 0
        if previous and previous != last:
            raise ApiError(
                "conflict",
                f"{path}/previous_note_id: task {task_id} changed since note {previous}; its "
                f"last note is {last}. Read the task again and retry",
                status=409,
            )
        items.append((task, request))
    if len(items) < 2:
        raise ApiError(
            "less_than_two_or_not_unique_tasks",
            "/comments: one transaction comments on at least two different tasks; "
            "use POST /tasks/{id}/comments for one",
        )
    return items


def comment_tasks(call: Call) -> dict[str, Any]:
    """``POST /tasks/comments``: ``{no_tasks_in_response?, comments: [{task_id,
    previous_note_id?, comment: CreateComment}]}``, all applied or none.

    Each ``comment`` is checked as ``POST /tasks/{id}/comments`` checks it; a refusal names
    every problem of every comment (paths ``/comments/<i>/comment/...``) and changes nothing.
    ``previous_note_id`` (0 or absent: no check) must be the task's last comment id, else 409
    ``conflict``. Answers ``{"tasks": [TaskWithComments]}`` in request order, or ``{}`` with
    ``no_tasks_in_response: true``.
    """
    data = call.json()
    quiet = body.get_bool(data, "no_tasks_in_response") or False
    backend = call.backend
    with backend.lock:
        items = _items(call, data)
    try:
        backend.comment_many(items, call.me)
    except CommentRejected as exc:
        raise rejected(exc.violations) from None
    if quiet:
        return {}
    with backend.lock:
        return {"tasks": [call.task_json(task) for task, _ in items]}


def comment_tasks_double_slash(call: Call) -> dict[str, Any]:
    """``POST /tasks//comments``: :func:`comment_tasks` as the C# client spells the path
    (``TasksEndpoint + "/" + CommentSuffix``); a view of its own so each route builds back."""
    return comment_tasks(call)
