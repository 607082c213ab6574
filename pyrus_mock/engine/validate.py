"""STUB, replaced by the engine implementation."""

from __future__ import annotations

from ..model import Person, Task
from .context import Directory
from .violations import Violation


def validate(request: object, task: Task, author: Person, directory: Directory) -> list[Violation]:
    """Every problem Pyrus would find in ``request``, a CreateComment body for ``task``."""
    if not isinstance(request, dict):
        return [Violation("", "invalid_json", "the request body must be a JSON object")]
    return []
