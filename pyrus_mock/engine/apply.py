"""STUB, replaced by the engine implementation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import CommentRejected
from ..model import Comment, Form, Person, Task
from .context import Directory
from .validate import validate
from .violations import Violation, errors_of


def apply(request: Mapping[str, Any], task: Task, author: Person, directory: Directory) -> Comment:
    """Validate ``request`` and apply it to ``task`` as one new comment by ``author``."""
    problems = errors_of(validate(dict(request), task, author, directory))
    if problems:
        raise CommentRejected(problems)
    now = directory.now().replace(microsecond=0)
    comment = Comment(
        id=directory.next_id("comment"),
        create_date=now,
        author_id=author.id,
        text=str(request.get("text", "")),
    )
    task.comments.append(comment)
    task.last_modified_date = now
    return comment


def write_initial_fields(
    task: Task, form: Form, values: Mapping[str | int, Any], directory: Directory
) -> list[Violation]:
    """Write field values given by id, name or code into a new task (no comment)."""
    return []
