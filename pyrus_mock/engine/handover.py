"""Handing a departing person's tasks to a receiver (``task_receiver_id``, decision D8).

``DELETE /bots/{id}``, ``DELETE /roles/{id}`` (and ``/roles/bulk``) and the ``FireMembers``
part of ``POST /members/bulk`` take ``task_receiver_id``. On every **open** task the departing
person is part of, :func:`hand_over` makes the receiver take its place, as a comment by the
person who made the change, recorded the way the engine records the same changes made by hand
(:mod:`.application`):

* the departing person is responsible: the receiver becomes responsible (``reassigned_to``);
  both stay participants (:func:`.creation.keep_participants`);
* the departing person is a **waiting** approver on the current step or a later one: the
  receiver takes that place on the same step (``approvals_removed`` / ``approvals_added``, by
  step); a step where the receiver already approves just loses the departing person. Choices
  already made (approved, rejected, ...) and past steps are history and stay;
* the receiver becomes a participant (``participants_added``).

Closed tasks, and tasks where the person is only author, participant or subscriber, are left
alone. Without a receiver (absent, or ``0`` as the C# client sends for "nobody") nothing moves:
the tasks stay with the fired person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from ..domain.model import Comment, Task
from .creation import keep_participants

__all__ = ["hand_over"]


def hand_over(
    tasks: Iterable[Task],
    gone_id: int,
    receiver_id: int,
    author_id: int,
    now: datetime,
    next_comment_id: Callable[[], int],
) -> list[tuple[Task, Comment]]:
    """Give ``gone_id``'s place on every open task to ``receiver_id`` (the caller holds the lock).

    Args:
        tasks: the tasks to look at (all of the organisation's).
        gone_id: the person leaving (a deleted bot or role, a fired member).
        receiver_id: the active person taking over.
        author_id: who made the change (the API caller); the comments are theirs.
        now: the time of the change (whole seconds).
        next_comment_id: a callable returning a fresh comment id.

    Returns:
        The tasks changed, each with the comment appended to it, in task order.
    """
    changed: list[tuple[Task, Comment]] = []
    for task in tasks:
        if task.is_closed or gone_id == receiver_id:
            continue
        comment = Comment(id=0, create_date=now, author_id=author_id)
        touched = False
        if task.responsible_id == gone_id:
            task.responsible_id = comment.reassigned_to = receiver_id
            keep_participants(task, gone_id, receiver_id, comment)
            touched = True
        first = task.current_step or 1
        for number in range(first, len(task.approvals) + 1):
            step = task.approvals[number - 1]
            waiting = [a for a in step if a.person_id == gone_id and a.choice == "waiting"]
            if not waiting:
                continue
            touched = True
            _record(comment.approvals_removed, number, gone_id)
            if any(a.person_id == receiver_id for a in step):
                task.approvals[number - 1] = [a for a in step if a not in waiting]
            else:
                for approval in waiting[:1]:
                    approval.person_id = receiver_id
                task.approvals[number - 1] = [a for a in step if a not in waiting[1:]]
                _record(comment.approvals_added, number, receiver_id)
        if not touched:
            continue
        if receiver_id not in task.participant_ids:
            task.participant_ids.append(receiver_id)
            comment.participants_added.append(receiver_id)
        comment.id = next_comment_id()
        task.comments.append(comment)
        task.last_modified_date = now
        changed.append((task, comment))
    return changed


def _record(by_step: list[list[int]], number: int, person_id: int) -> None:
    """Add ``person_id`` to step ``number`` of a nested ``approvals_*`` record."""
    while len(by_step) < number:
        by_step.append([])
    if person_id not in by_step[number - 1]:
        by_step[number - 1].append(person_id)
