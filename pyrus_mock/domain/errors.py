"""Errors raised to test authors.

Wire errors (what the fake API answers to a client) live in :mod:`pyrus_mock.api.errors` and are
never mixed with these. The tree::

    PyrusMockError
    ├── InvalidArgument (also ValueError)       a builder or setting got a value it cannot use
    │   └── BotUrlError                         a bot URL that is not https://
    ├── UnknownEntity (also KeyError)           no task, person, bot, form ... with that id
    ├── CommentRejected                         a comment failed validation; .violations lists why
    ├── BotLimitReached                         more than 100 bots in one organisation
    ├── ServerThreadError                       a server thread raised; the original is __cause__
    └── StrictModeError (also AssertionError)   the pytest plugin found violations or pending work
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .violations import Violation

__all__ = [
    "BotLimitReached",
    "BotUrlError",
    "CommentRejected",
    "InvalidArgument",
    "PyrusMockError",
    "ServerThreadError",
    "StrictModeError",
    "UnknownEntity",
]


class PyrusMockError(Exception):
    """Root of every error pyrus-mock raises to a test author."""


class InvalidArgument(PyrusMockError, ValueError):
    """A builder or setting received a value it cannot use.

    The message names the argument, what was given and what is allowed.
    """

    def __init__(self, argument: str, problem: str, allowed: str | None = None) -> None:
        self.argument = argument
        text = f"{argument}: {problem}"
        if allowed:
            text += f"; allowed: {allowed}"
        super().__init__(text)


class BotUrlError(InvalidArgument):
    """A bot URL that Pyrus would refuse (Pyrus calls bots over HTTPS only)."""


class UnknownEntity(PyrusMockError, KeyError):
    """No entity of that kind with that id exists in the fake."""

    def __init__(self, kind: str, ident: object, hint: str = "") -> None:
        self.kind = kind
        self.ident = ident
        message = f"no {kind} with id {ident!r} exists in this PyrusMock"
        if hint:
            message += f"; {hint}"
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class CommentRejected(PyrusMockError):
    """A CreateComment request had error-severity violations and was not applied."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        lines = [f"  {v.path or '/'}: {v.error_code}: {v.message}" for v in self.violations]
        super().__init__("the comment was not applied, Pyrus would reject it:\n" + "\n".join(lines))


class BotLimitReached(PyrusMockError):
    """Pyrus allows at most 100 bots per organisation."""


class ServerThreadError(PyrusMockError):
    """A request handler in a server thread raised; the original exception is ``__cause__``."""


class StrictModeError(PyrusMockError, AssertionError):
    """Raised at test teardown by the pytest plugin in strict mode."""
