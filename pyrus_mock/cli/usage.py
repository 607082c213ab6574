"""The command line's own error and argument types (a module of its own so that the commands,
their parsers and ``load``'s import it without importing each other)."""

from __future__ import annotations

import argparse
import os

__all__ = [
    "UsageError",
    "add_ca_file",
    "add_security_key",
    "port_number",
    "positive_seconds",
    "whole_count",
]


class UsageError(Exception):
    """A command line the program cannot run; printed as one line, exit status 2."""


def positive_seconds(text: str) -> float:
    """An argparse type: seconds, more than 0 and at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 seconds")
    if not value <= _MAX_WAIT:  # also refuses inf; a timer that long is a hang
        raise argparse.ArgumentTypeError(
            f"{text!r} is more than {_MAX_WAIT:.0f} seconds (1 day), the longest wait allowed"
        )
    return value


def whole_count(text: str) -> int:
    """An argparse type: a whole number, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


_MAX_WAIT = 24 * 3600.0
"""The longest ``--timeout`` and ``--wait-for-bot``, in seconds (``delivery_timeout``'s max)."""


def port_number(text: str) -> int:
    """An argparse type: a port, 0 to 65535 (0 picks a free one)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0 to 65535; 0 picks a free one)")
    return value


def add_security_key(parser: argparse.ArgumentParser) -> None:
    """``--security-key KEY`` (default ``$PYRUS_SECURITY_KEY``), as every command calling a bot
    takes it."""
    parser.add_argument(
        "--security-key",
        metavar="KEY",
        default=os.environ.get("PYRUS_SECURITY_KEY"),
        help="the key the bot verifies calls with (default: $PYRUS_SECURITY_KEY)",
    )


def add_ca_file(parser: argparse.ArgumentParser) -> None:
    """``--ca-file PEM``: the CAs a bot's certificate is verified against."""
    parser.add_argument(
        "--ca-file",
        metavar="PEM",
        help="CA certificates the bot's certificate chains to (default: the system store)",
    )
