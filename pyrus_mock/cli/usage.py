"""The command line's own error (a module of its own so that the commands and the parser
import it without importing each other)."""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(Exception):
    """A command line the program cannot run; printed as one line, exit status 2."""
