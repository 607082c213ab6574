"""``pyrus-mock load``: its arguments, their checks, then Locust (:mod:`.runner`).

Imported by ``pyrus-mock`` to build its parser, so it imports nothing heavy (never Locust).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import ssl
import sys
from typing import Any, TextIO

from .runner import LoadOptions, Mode, run_load

__all__ = ["add_parser", "load"]


def _delays(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of seconds like 61,122") from None
    if any(not value >= 0 for value in values):
        raise argparse.ArgumentTypeError(f"{text!r}: delays are 0 seconds or more")
    return values


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of calls per second") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 (unthrottled) or more")
    return value


def add_parser(commands: Any) -> None:
    """Add the ``load`` command to the ``pyrus-mock`` subparsers ``commands``."""
    from ..usage import add_security_key, port_number, positive_seconds, whole_count

    load = commands.add_parser(
        "load",
        help="load-test a bot with Locust: signed deliveries, retries, checked replies",
        description="Run Locust users that call the bot as Pyrus does (signed deliveries of "
        "tasks, failed ones retried after --retry-delays with X-Pyrus-Retry) and check every "
        "reply; print calls per second, p50/p95/p99 latency, error kinds and invalid replies. "
        "Exit status 0 when no call failed. Needs pip install 'pyrus-mock[load]'. Distributed: "
        "--workers N starts N local worker processes; --master waits for workers started on "
        "other machines with --worker --master-host HOST.",
    )
    load.add_argument("url", help="the bot's https:// URL")
    add_security_key(load)
    load.add_argument(
        "--ca",
        "--ca-file",
        dest="ca",
        metavar="PEM",
        help="CA certificates the bot's certificate chains to (default: the CA bundle of "
        "requests, certifi's); verification is always on. --ca-file is the same option, as "
        "check, record and replay spell it",
    )
    load.add_argument("--users", type=whole_count, default=10, metavar="N",
                      help="concurrent users (default: 10)")  # fmt: skip
    load.add_argument("--rate", type=_rate, default=0.0, metavar="R",
                      help="deliveries per second in total (default: 0, as fast as the bot "
                      "answers)")  # fmt: skip
    load.add_argument("--duration", type=positive_seconds, default=10.0, metavar="S",
                      help="seconds to run (default: 10)")  # fmt: skip
    load.add_argument("--timeout", type=positive_seconds, default=60.0, metavar="S",
                      help="seconds a call may take (default: 60, as Pyrus)")  # fmt: skip
    load.add_argument("--retry-delays", type=_delays, default=(61.0, 122.0), metavar="S,S",
                      help="seconds after the first attempt each retry of a failed call is "
                      "sent (default: 61,122, as Pyrus)")  # fmt: skip
    load.add_argument("--workers", type=whole_count, metavar="N",
                      help="run a Locust master and N worker processes on this machine; with "
                      "--master: the workers to wait for")  # fmt: skip
    roles = load.add_mutually_exclusive_group()
    roles.add_argument("--master", action="store_true",
                       help="only the Locust master: wait for --workers workers started on "
                       "other machines with --worker")  # fmt: skip
    roles.add_argument("--worker", action="store_true",
                       help="only a Locust worker for the master at --master-host")  # fmt: skip
    load.add_argument("--master-host", default="127.0.0.1", metavar="HOST",
                      help="--master: the address to listen on (0.0.0.0 for other machines); "
                      "--worker: the master's address (default: 127.0.0.1)")  # fmt: skip
    load.add_argument("--master-port", type=port_number, default=5557, metavar="N",
                      help="the master's port (default: 5557)")  # fmt: skip
    load.add_argument("--worker-wait", type=positive_seconds, default=60.0, metavar="S",
                      help="--master: seconds to wait for the workers (default: 60)")  # fmt: skip


def load(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``pyrus-mock load`` with parsed arguments; returns the exit status.

    Raises:
        UsageError: the arguments cannot work (no key, not https, no such CA file, no Locust).
    """
    from ...domain.errors import BotUrlError
    from ...state.accounts import Accounts
    from ..usage import UsageError

    prog = "pyrus-mock load"
    if importlib.util.find_spec("locust") is None:
        raise UsageError(f"{prog}: error: Locust is not installed; pip install 'pyrus-mock[load]'")
    if not args.security_key:
        raise UsageError(f"{prog}: error: --security-key is required (or set PYRUS_SECURITY_KEY); "
                         "it is the key the bot verifies calls with")  # fmt: skip
    try:
        Accounts.check_bot_url(args.url, "URL")
    except BotUrlError as exc:
        raise UsageError(f"{prog}: error: {exc}") from None
    if args.ca is not None:
        if not os.path.isfile(args.ca):
            raise UsageError(f"{prog}: error: --ca {args.ca!r} does not exist; give the PEM file "
                             "of the CA that issued the bot's certificate")  # fmt: skip
        try:
            ssl.create_default_context(cafile=args.ca)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"{prog}: error: --ca {args.ca!r} holds no usable CA certificate "
                             f"({exc})") from None  # fmt: skip
    if args.master and not args.workers:
        raise UsageError(f"{prog}: error: --master needs --workers N, the workers to wait for")
    mode: Mode = "master" if args.master else "worker" if args.worker else "local"
    options = LoadOptions(
        url=args.url,
        security_key=args.security_key,
        users=args.users,
        rate=args.rate,
        duration=args.duration,
        ca=args.ca,
        timeout=args.timeout,
        retry_delays=args.retry_delays,
        workers=args.workers or 0,
        mode=mode,
        master_host=args.master_host,
        master_port=args.master_port,
        worker_wait=args.worker_wait,
    )
    return run_load(options, out or sys.stdout, err or sys.stderr)
