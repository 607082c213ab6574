"""The CreateComment engine: one validator and one applier for every change to a task.

A bot changes a task in two ways, by returning a CreateComment body from its webhook or by
calling ``POST /tasks/{id}/comments``. Both go through :func:`validate` and :func:`apply`.
"""

from __future__ import annotations

from .apply import apply, write_initial_fields
from .context import Directory
from .validate import validate
from .violations import Severity, Violation, errors_of, first_error

__all__ = [
    "Directory",
    "Severity",
    "Violation",
    "apply",
    "errors_of",
    "first_error",
    "validate",
    "write_initial_fields",
]
