"""The first comment of a new task, and who takes part in it (contract §6.4, §6.5).

Pyrus records the creation of a task as the task's first comment, authored by the task's
author (the ``GET /tasks/{id}`` example of the API reference: ``text``, ``reassigned_to`` the
responsible, ``participants_added`` the responsible and the author). A bot reading
``task["comments"][-1]`` (Pyrus's auto-reply sample) therefore finds a comment on the very first
delivery of a task.

What the creation comment holds (the fake's reading where the reference shows no example):

* ``text`` / ``formatted_text``, ``subject``: the task's.
* ``reassigned_to``: the responsible, when there is one.
* ``participants_added``: on a task without a form, the responsible, the author and the
  participants given, in that order, each once (the reference example). A form task has no
  participants of its own, so none are added for it.
* ``field_updates``: every field value set at creation, as field objects.
* ``approvals_added``: the approvers the request named (``approvals``); approvers a form's
  steps bring by default are the route's, not the author's, and are not listed.
* ``subscribers_added``, ``attachments``, ``due_date`` / ``due`` + ``duration``,
  ``scheduled_date`` / ``scheduled_datetime_utc``, ``added_list_ids``: as given.

:func:`keep_participants` is the rule for a change of responsible: the new responsible joins
the participants, and the previous one stays among them, so neither loses sight of the task.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from ..domain.model import Comment, Task

__all__ = ["creation_comment", "keep_participants", "simple_task_participants"]


def simple_task_participants(
    responsible_id: int | None, author_id: int, given: Iterable[int]
) -> list[int]:
    """The participants of a new task without a form: responsible, author, the rest; once each."""
    ordered = [] if responsible_id is None else [responsible_id]
    ordered.append(author_id)
    ordered.extend(given)
    return list(dict.fromkeys(ordered))


def creation_comment(
    task: Task,
    comment_id: int,
    now: datetime,
    *,
    participants_added: Sequence[int],
    field_updates: Sequence[tuple[int, Any, int | None]],
    approvals_added: Sequence[Sequence[int]] | None,
    subscribers_added: Sequence[int],
) -> Comment:
    """The first comment of ``task`` (not appended): what its creation set, by its author."""
    approvals = approvals_added or ()
    return Comment(
        id=comment_id,
        create_date=now,
        author_id=task.author_id,
        text=task.text,
        formatted_text=task.formatted_text,
        subject=task.subject,
        reassigned_to=task.responsible_id,
        field_updates=list(field_updates),
        approvals_added=[list(step) for step in approvals] if any(approvals) else [],
        subscribers_added=list(subscribers_added),
        participants_added=list(participants_added),
        attachments=list(task.attachment_ids),
        due_date=task.due_date,
        due=task.due,
        duration=task.duration,
        scheduled_date=task.scheduled_date,
        scheduled_datetime_utc=task.scheduled_datetime_utc,
        added_list_ids=list(task.list_ids),
    )


def keep_participants(task: Task, previous: int | None, new: int, comment: Comment) -> None:
    """After ``new`` became responsible instead of ``previous``: both are participants.

    Whoever joins the participants here is recorded in ``comment.participants_added``.
    """
    for pid in (previous, new):
        if pid is None or pid in task.participant_ids:
            continue
        task.participant_ids.append(pid)
        if pid not in comment.participants_added:
            comment.participants_added.append(pid)
