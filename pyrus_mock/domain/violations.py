"""What the comment engine reports: one :class:`Violation` per problem."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Severity", "Violation", "errors_of", "first_error"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Violation:
    """A problem in a CreateComment request (or a bot reply).

    Attributes:
        path: JSON pointer into the request, e.g. ``/field_updates/2/value``; ``""`` is the root.
        error_code: the Pyrus error code (contract §4.2), e.g. ``invalid_value_format``.
        message: what is wrong and what is allowed.
        severity: ``error`` when Pyrus would reject the request, ``warning`` when it would
            ignore the offending part (an unknown key, say).
    """

    path: str
    error_code: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.severity}: {self.path or '/'}: {self.error_code}: {self.message}"


def errors_of(violations: list[Violation]) -> list[Violation]:
    """Only the error-severity violations."""
    return [v for v in violations if v.severity == "error"]


def first_error(violations: list[Violation]) -> Violation | None:
    """The first error-severity violation, if any."""
    for v in violations:
        if v.severity == "error":
            return v
    return None
