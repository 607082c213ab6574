"""Stopping a long-running command (``serve``, ``record``) on SIGINT and SIGTERM.

A Python signal handler runs in the main thread between two bytecodes, possibly while that
thread holds the lock inside ``threading.Event`` (in ``wait()`` or in the first handler's own
``set()``). A handler that called ``stop.set()`` itself would then wait for a lock its own thread
holds, and two signals in a row (``timeout`` after ``kill``, Ctrl+C twice) could hang the process
for ever. So the handler takes no lock: it writes one byte to a pipe, and a watcher thread
reads it and sets the events (the self-pipe pattern; ``signal.set_wakeup_fd`` uses it too).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from types import FrameType
from typing import Any

__all__ = ["Installed", "install_signals", "restore_signals", "settle_signals"]

_Handler = Any  # what signal.getsignal returns
_SIGNAL = b"s"
_QUIT = b"q"


class Installed:
    """The handlers :func:`install_signals` replaced, and the watcher that sets the events."""

    def __init__(self, stop: threading.Event, signalled: threading.Event | None) -> None:
        self.previous: dict[int, _Handler] = {}
        self._stop = stop
        self._signalled = signalled
        self._read, self._write = os.pipe()
        with contextlib.suppress(OSError):  # pipes are blocking-only on Windows before 3.12
            os.set_blocking(self._write, False)
        self._watcher = threading.Thread(target=self._watch, name="pyrus-mock-signals", daemon=True)
        self._watcher.start()

    def handler(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler: no lock, no allocation beyond one write."""
        with contextlib.suppress(OSError):  # the pipe is full: a stop is already on its way
            os.write(self._write, _SIGNAL)

    def _watch(self) -> None:
        while True:
            try:
                data = os.read(self._read, 64)
            except OSError:
                return
            if _SIGNAL in data:
                if self._signalled is not None:
                    self._signalled.set()
                self._stop.set()
            if _QUIT in data or not data:
                return

    def finish(self) -> None:
        """Stop the watcher after it handled every signal already written (called once)."""
        with contextlib.suppress(OSError):
            os.set_blocking(self._write, True)
        os.write(self._write, _QUIT)
        self._watcher.join()

    def close(self) -> None:
        """Close the pipe (after the handlers were swapped away from :meth:`handler`)."""
        os.close(self._read)
        os.close(self._write)


def install_signals(
    stop: threading.Event, signalled: threading.Event | None = None
) -> Installed | None:
    """Set ``stop`` (and ``signalled``) on SIGINT and SIGTERM; returns what to give
    :func:`restore_signals` or :func:`settle_signals`. Only the main thread can install signal
    handlers: from another thread this does nothing and returns None."""
    if threading.current_thread() is not threading.main_thread():
        return None
    installed = Installed(stop, signalled)
    for signum in (signal.SIGINT, signal.SIGTERM):
        installed.previous[signum] = signal.getsignal(signum)
        signal.signal(signum, installed.handler)
    return installed


def restore_signals(installed: Installed | None) -> None:
    """Put back the handlers :func:`install_signals` replaced."""
    _finish(installed, ignore_if=None)


def settle_signals(installed: Installed | None, signalled: threading.Event) -> None:
    """After a command's cleanup: when a signal stopped it, the process is on its way out, so a
    second SIGINT/SIGTERM (Ctrl+C twice, ``timeout`` after ``kill``) is ignored rather than
    killing it with status 143; otherwise the previous handlers come back."""
    _finish(installed, ignore_if=signalled)


def _finish(installed: Installed | None, ignore_if: threading.Event | None) -> None:
    """Stop the watcher (every signal so far has set its events by then), then ignore the
    signals when ``ignore_if`` is set, else put the previous handlers back; close the pipe."""
    if installed is None:
        return
    installed.finish()
    ignore = ignore_if is not None and ignore_if.is_set()
    for signum, handler in installed.previous.items():
        signal.signal(signum, signal.SIG_IGN if ignore else handler)
    installed.close()
