"""The ``pyrus-mock`` command line: ``serve``, ``check`` and ``demo``."""

from __future__ import annotations

from .commands import main

__all__ = ["main"]
