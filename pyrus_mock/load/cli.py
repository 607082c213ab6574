"""``pyrus-mock load``: check the arguments, then run Locust (:mod:`.runner`)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import ssl
import sys
from typing import TextIO

from .runner import LoadOptions, Mode, run_load

__all__ = ["load"]


def load(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``pyrus-mock load`` with parsed arguments; returns the exit status.

    Raises:
        UsageError: the arguments cannot work (no key, not https, no such CA file, no Locust).
    """
    from .._usage import UsageError
    from ..accounts import Accounts
    from ..errors import BotUrlError

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
