"""What the backend tells its listeners: a :class:`TaskEvent` when a task is created or commented.

:class:`~pyrus_mock.state.backend.PyrusBackend` emits them after releasing its lock (see
``backend.listeners`` and :meth:`~pyrus_mock.state.backend.PyrusBackend.announce`); the delivery
dispatcher turns them into calls of bots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..domain.model import Comment, Task

__all__ = ["TaskEvent"]


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """Something happened to a task; the delivery dispatcher listens for these.

    Attributes:
        kind: ``created`` or ``comment``.
        task: the task.
        actor_id: who acted (author of the task or of the comment).
        comment: the new comment, for ``comment`` events.
        closed: the task was closed by this event.
        depth: how many bot deliveries led to this event (for the chain limit).
    """

    kind: Literal["created", "comment"]
    task: Task
    actor_id: int
    comment: Comment | None = None
    closed: bool = False
    depth: int = 0
    inbox_before: frozenset[int] = frozenset()
