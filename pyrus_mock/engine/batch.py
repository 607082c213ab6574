"""Several CreateComment requests on different tasks, applied all or none.

``POST /tasks/comments`` (the C# client's ``CommentMultipleTasksInOneTransaction``) comments
on several tasks in one transaction. Each request goes through the same engine path as a
single comment (:func:`~pyrus_mock.engine.validation.check`, then
:func:`~pyrus_mock.engine.application.apply`); the caller holds the backend lock throughout.

Every request is checked before any is applied, and a refusal lists the problems of all of them,
each path prefixed with the request's place (``/comments/1/comment/field_updates/0``). Should a
request that passed the check still be refused while applying (an earlier one of the batch
changed what it relies on), the tasks already changed are put back as they were.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ..domain.errors import CommentRejected
from ..domain.model import Comment, Person, Task
from ..domain.violations import Violation, errors_of
from .application import apply
from .context import Directory
from .validation import check

__all__ = ["apply_all"]


def _prefixed(violations: Sequence[Violation], prefix: str) -> list[Violation]:
    return [Violation(prefix + v.path, v.error_code, v.message, v.severity) for v in violations]


def _restore(task: Task, saved: Task) -> None:
    for f in dataclasses.fields(task):
        setattr(task, f.name, getattr(saved, f.name))


def apply_all(
    items: Sequence[tuple[Task, Mapping[str, Any]]],
    author: Person,
    directory: Directory,
    *,
    prefix: str = "/comments/{index}/comment",
) -> list[Comment]:
    """Apply every ``(task, CreateComment request)`` as ``author``, or none of them.

    Args:
        items: the requests, each on its own task.
        author: who comments.
        directory: lookups, ids and the clock (the backend).
        prefix: how a violation's path is prefixed, ``{index}`` being the request's place.

    Returns:
        The new comments, in the order of ``items``.

    Raises:
        CommentRejected: some request has errors; ``violations`` lists the errors of every
            request, with prefixed paths. No task is changed.
    """
    errors: list[Violation] = []
    for index, (task, request) in enumerate(items):
        violations, plan = check(request, task, author, directory)
        found = errors_of(violations) or ([] if plan is not None else violations)
        errors.extend(_prefixed(found, prefix.format(index=index)))
    if errors:
        raise CommentRejected(errors)
    saved = [copy.deepcopy(task) for task, _ in items]
    comments: list[Comment] = []
    for index, (task, request) in enumerate(items):
        try:
            comments.append(apply(request, task, author, directory))
        except CommentRejected as exc:
            for (changed, _), before in zip(items[:index], saved, strict=False):
                _restore(changed, before)
            raise CommentRejected(_prefixed(exc.violations, prefix.format(index=index))) from None
    return comments
