"""Stopping a long-running command (``serve``, ``record``) on SIGINT and SIGTERM."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

__all__ = ["install_signals", "restore_signals", "settle_signals"]

_Handler = Any  # what signal.getsignal returns


def install_signals(
    stop: threading.Event, signalled: threading.Event | None = None
) -> dict[int, _Handler]:
    """Set ``stop`` (and ``signalled``) on SIGINT and SIGTERM (main thread only); returns the
    previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum: int, frame: FrameType | None) -> None:
        if signalled is not None:
            signalled.set()
        stop.set()

    previous: dict[int, _Handler] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.getsignal(signum)
        signal.signal(signum, handler)
    return previous


def restore_signals(previous: dict[int, _Handler]) -> None:
    """Put back the handlers :func:`install_signals` replaced."""
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def settle_signals(previous: dict[int, _Handler], signalled: threading.Event) -> None:
    """After a command's cleanup: when a signal stopped it, the process is on its way out, so a
    second SIGINT/SIGTERM (Ctrl+C twice, ``timeout`` after ``kill``) is ignored rather than
    killing it with status 143; otherwise the previous handlers come back."""
    if signalled.is_set():
        for signum in previous:
            signal.signal(signum, signal.SIG_IGN)
    else:
        restore_signals(previous)
