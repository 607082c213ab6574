"""Bounded polling for the tests: wait for a condition, never for a fixed time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["until"]


def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()  # never set: wait() is only the pause between two polls
    while not condition():
        assert time.monotonic() < deadline, f"still not {what} after {timeout} s"
        pause.wait(0.005)
