"""The CreateComment engine: one validator and one applier for every change to a task.

A bot changes a task in two ways, by returning a CreateComment body from its webhook or by
calling ``POST /tasks/{id}/comments``. Both go through :func:`validate` and :func:`apply`.

The validator and the applier load on first use (PEP 562): importing
:mod:`pyrus_mock.domain.violations` alone, as the delivery and error modules do, stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..domain.violations import Severity, Violation, errors_of, first_error

if TYPE_CHECKING:
    from .application import apply as apply
    from .application import write_initial_fields as write_initial_fields
    from .context import Directory as Directory
    from .validation import validate as validate

_LAZY = ("Directory", "apply", "validate", "write_initial_fields")

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


if not TYPE_CHECKING:  # type checkers see the imports above, and reject unknown names

    def __getattr__(name: str) -> Any:
        if name not in _LAZY:
            raise AttributeError(f"module 'pyrus_mock.engine' has no attribute {name!r}")
        # The functions live in modules of other names (``application``, ``validation``): a
        # submodule named like a function would rebind that name on this package when imported.
        apply_module = importlib.import_module(".application", __name__)
        validate_module = importlib.import_module(".validation", __name__)
        context_module = importlib.import_module(".context", __name__)
        globals().update(
            apply=apply_module.apply,
            write_initial_fields=apply_module.write_initial_fields,
            validate=validate_module.validate,
            Directory=context_module.Directory,
        )
        return globals()[name]
