"""Old names of :class:`~pyrus_mock.PyrusMock` methods, kept so existing tests keep running.

Each one warns (:class:`DeprecationWarning`, naming the new method) and calls the new one.
They go in a future major version.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..domain.model import Task
    from .bots import Bot

__all__ = ["DeprecatedNames"]


def _warn(old: str, new: str) -> None:
    warnings.warn(
        f"PyrusMock.{old}() is deprecated; use PyrusMock.{new}() (same arguments)",
        DeprecationWarning,
        stacklevel=3,
    )


class DeprecatedNames:
    """The deprecated aliases; mixed into :class:`~pyrus_mock.PyrusMock`."""

    def check(self) -> None:
        """Deprecated: use :meth:`assert_no_problems` (``check`` now means conformance only)."""
        _warn("check", "assert_no_problems")
        self.assert_no_problems()

    def create_task(self, *args: Any, **kwargs: Any) -> Task:
        """Deprecated: use :meth:`add_task` (every builder is ``add_*``)."""
        _warn("create_task", "add_task")
        return self.add_task(*args, **kwargs)

    def create_bot(self, *args: Any, **kwargs: Any) -> Bot:
        """Deprecated: use :meth:`add_bot` (every builder is ``add_*``)."""
        _warn("create_bot", "add_bot")
        return self.add_bot(*args, **kwargs)

    if TYPE_CHECKING:

        def assert_no_problems(self) -> None: ...
        def add_task(self, *args: Any, **kwargs: Any) -> Task: ...
        def add_bot(self, *args: Any, **kwargs: Any) -> Bot: ...
