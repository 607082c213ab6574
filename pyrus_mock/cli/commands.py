"""The ``pyrus-mock`` command: ``demo``, ``serve``, ``check``, ``record``, ``replay`` and
``load``.

``main(argv)`` parses and dispatches; each command lives in its own module, imported only when
it runs, so ``pyrus-mock --help`` stays fast. Usage errors print one line and exit with 2.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .._version import __version__
from .usage import (
    UsageError,
    add_ca_file,
    add_security_key,
    port_number,
    positive_seconds,
    whole_count,
)

__all__ = ["main"]

_DESCRIPTION = "A fake Pyrus (pyrus.com) for testing Pyrus bots, on this machine."

_EPILOG = """\
Start with 'pyrus-mock demo'. Run 'pyrus-mock COMMAND --help' for a command's options.
"""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (and raised, so ``main`` stays testable)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message} (see '{self.prog} --help')")


def _cert_host(text: str) -> str:
    """``--cert-host NAME``: a DNS name or an IP address a certificate can cover."""
    from ..transport.tls import check_cert_host  # imported when used: --help stays fast

    try:
        return check_cert_host(text)
    except ValueError as exc:  # InvalidArgument
        raise argparse.ArgumentTypeError(str(exc)) from None


def _setting(text: str) -> tuple[str, Any]:
    """``--set NAME=VALUE``: a setting of :class:`~pyrus_mock.Settings` and its value, checked."""
    from ..domain.setting_values import parse_assignment  # imported when used: --help stays fast

    try:
        return parse_assignment(text)
    except ValueError as exc:  # InvalidArgument included: it names the setting
        raise argparse.ArgumentTypeError(str(exc)) from None


_SET_HELP = (
    "set a field of pyrus_mock.Settings, e.g. --set signature_case=lower --set "
    "retry_delays=5,10 --set auto_deliver=off (booleans: true/false, yes/no, on/off, 1/0); "
    "repeatable, the last one wins; a wrong NAME lists them all"
)


def _add_set(parser: argparse.ArgumentParser, more: str = "") -> None:
    parser.add_argument(
        "--set",
        dest="settings",
        metavar="NAME=VALUE",
        type=_setting,
        action="append",
        default=[],
        help=_SET_HELP + more,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``pyrus-mock``."""
    parser = _Parser(
        prog="pyrus-mock",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pyrus-mock {__version__}")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="run the example bot against the fake and show every step",
        description="Serve the example bot (pyrus_mock/examples/bot.py) over TLS, route a task "
        "to it, and print the signed call, the reply, the API calls the bot made, the task "
        "after the reply, and a security-key reset with its retry. Needs no network beyond "
        "loopback.",
    )
    demo.add_argument("--seed", type=int, default=0, help="seed for ids (default: 0)")
    demo.add_argument("--json", action="store_true", help="print a JSON summary instead")
    demo.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour output: auto (a terminal without NO_COLOR), always or never",
    )

    serve = commands.add_parser(
        "serve",
        help="run the fake as a standalone HTTPS server with a JSON control API",
        description="Serve the Pyrus API v4 over HTTPS, with a JSON control API under /_mock/ "
        "behind an admin token. Writes ca.pem, server.pem, server-key.pem, admin-token and "
        "server.json to the state directory. SIGINT or SIGTERM stops it.",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1; 0.0.0.0 exposes the fake to the network)",
    )
    serve.add_argument(
        "--port", type=port_number, default=0, help="port (default: 0, a free one, printed)"
    )
    serve.add_argument(
        "--state-dir",
        metavar="DIR",
        help="where to write the CA, the certificate and the admin token "
        "(default: a temporary directory, removed on exit)",
    )
    serve.add_argument(
        "--clock",
        choices=("virtual", "real"),
        default="virtual",
        help="virtual: retries wait for POST /_mock/clock/advance (default); "
        "real: retries happen 61 s and 122 s later (--set retry_delays changes that)",
    )
    serve.add_argument(
        "--cert-host",
        metavar="NAME",
        action="append",
        default=[],
        dest="cert_hosts",
        type=_cert_host,
        help="another DNS name or IP address the server certificate covers, besides localhost, "
        "127.0.0.1 and --host (repeatable), e.g. host.docker.internal for a bot in a container",
    )
    serve.add_argument(
        "--trust",
        metavar="PEM|system",
        action="append",
        default=[],
        help="also verify bots' certificates against these CAs: a PEM file of CA certificates "
        "(a bundle), or 'system' for the system store (repeatable); the fake's own CA is always "
        "trusted, and verification is never off",
    )
    serve.add_argument("--seed", type=int, default=0, help="seed for ids (default: 0)")
    serve.add_argument(
        "--import",
        dest="imports",
        metavar="DIR",
        action="append",
        default=[],
        help="at start, import every .json file of DIR saved from real Pyrus (GET /forms/{id}, "
        "/catalogs/{id}, /tasks/{id}, webhook bodies): same forms, catalogs and tasks, ids kept "
        "(repeatable)",
    )
    _add_set(serve, "; PATCH /_mock/settings changes them while the fake runs")

    check = commands.add_parser(
        "check",
        help="run the conformance checks against a bot running anywhere",
        description="Call a bot running anywhere the way Pyrus does and check how it behaves: "
        "signature verification, replies, retries, key reset. Exit status 0 when every check "
        "passes, 1 when one fails. A bot that calls the API back during the checks finds the "
        "fake's API at --api-port, or in DIR/server.json with --state-dir.",
    )
    check.add_argument("url", help="the bot's https:// URL")
    add_security_key(check)
    add_ca_file(check)
    check.add_argument("--login", help="the bot's login, if it logs in to /auth itself")
    check.add_argument("--junit-xml", metavar="FILE", help="also write the results as JUnit XML")
    check.add_argument(
        "--timeout",
        type=positive_seconds,
        default=10.0,
        metavar="S",
        help="seconds the bot may take per call (default: 10; Pyrus allows 60)",
    )
    check.add_argument(
        "--key-reset-command",
        metavar="CMD",
        help="shell command that gives the bot a new key, found in $PYRUS_NEW_SECURITY_KEY; "
        "without it the key-reset check is skipped",
    )
    check.add_argument(
        "--api-port",
        type=port_number,
        metavar="N",
        help="serve the fake's API v4, which the bot may call back, on 127.0.0.1:N and print "
        "its URL and CA (0 picks a free port)",
    )
    check.add_argument(
        "--state-dir",
        metavar="DIR",
        help="before the checks, write ca.pem, server.pem, server-key.pem and server.json (the "
        "API URL), as 'serve' does, for the bot to find the fake's API and trust its CA",
    )
    check.add_argument(
        "--wait-for-bot",
        type=positive_seconds,
        metavar="S",
        help="first wait up to S seconds for the bot to accept TLS connections",
    )
    check.add_argument(
        "--bot-settings",
        metavar="TEXT|@FILE",
        help="the bot's Settings text, sent as bot_settings in every call (@FILE reads a file)",
    )
    check.add_argument(
        "--form",
        metavar="FILE.json",
        help="the bot's form, as real Pyrus answers GET /forms/{id} (saved to a file): the calls "
        "are about a task of this form, whose step 1 the bot approves",
    )
    check.add_argument(
        "--task",
        metavar="FILE.json",
        help="a task as real Pyrus answers GET /tasks/{id}: the calls are about a task with its "
        "field values, at its current step, which the bot approves (a form's task needs --form); "
        "a simple task (no form_id) keeps its text and subject, with the bot responsible",
    )
    check.add_argument(
        "--fuzz",
        type=whole_count,
        default=0,
        metavar="N",
        help="after the checks, send N tasks of generated forms (every field type) and print "
        "each kind of failure (non-2xx, no answer, invalid reply) shrunk to a minimal task, as a "
        "test; needs pip install 'pyrus-mock[fuzz]'",
    )
    check.add_argument(
        "--fuzz-seed",
        type=int,
        metavar="N",
        help="seed of the generated tasks, for a run that can be repeated (default: random)",
    )
    _add_set(check, " (delivery_timeout is --timeout)")
    _add_record_replay(commands)
    from .load.cli import add_parser as add_load  # argparse only: --help stays fast

    add_load(commands)
    return parser


def _add_record_replay(commands: Any) -> None:
    record = commands.add_parser(
        "record",
        help="a TLS reverse proxy in front of a bot that records each call (secrets redacted)",
        description="Listen on TLS (a certificate from a CA of its own, ca.pem in the state "
        "directory), forward every call unchanged to the bot at --to over verified TLS, answer "
        "with the bot's reply, and save each exchange as JSON in --dir, with X-Pyrus-Sig, "
        "tokens and keys redacted. Replay them with 'pyrus-mock replay'.",
    )
    record.add_argument("--to", required=True, metavar="URL", help="the bot's https:// URL")
    record.add_argument(
        "--listen",
        required=True,
        type=port_number,
        metavar="PORT",
        help="the port to listen on (0 picks a free one, printed)",
    )
    record.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    record.add_argument(
        "--dir", default="recordings", help="where recordings go (default: ./recordings)"
    )
    add_ca_file(record)
    record.add_argument(
        "--state-dir",
        metavar="DIR",
        help="where the proxy's ca.pem, server.pem and server-key.pem go (default: temporary)",
    )
    record.add_argument(
        "--cert-host",
        metavar="NAME",
        action="append",
        default=[],
        dest="cert_hosts",
        type=_cert_host,
        help="another name the proxy's certificate covers (repeatable)",
    )
    replay = commands.add_parser(
        "replay",
        help="replay recorded calls to a bot, re-signed, and compare its replies",
        description="Serve the fake's API, import the task of each recorded call, sign the "
        "call with --security-key (a fresh access token inside), POST it to the bot at --to, "
        "and compare each reply with the recorded one. Exit status 0 when all match, 1 when "
        "one differs, 2 on bad input. Point the bot at the printed API URL (or read it from "
        "--state-dir/server.json).",
    )
    replay.add_argument("directory", help="a directory written by 'pyrus-mock record'")
    replay.add_argument("--to", required=True, metavar="URL", help="the bot's https:// URL")
    add_security_key(replay)
    add_ca_file(replay)
    replay.add_argument(
        "--api-port",
        type=port_number,
        default=0,
        metavar="N",
        help="serve the fake's API on 127.0.0.1:N (default: a free port)",
    )
    replay.add_argument(
        "--state-dir",
        metavar="DIR",
        help="write ca.pem and server.json (the API URL) here before replaying",
    )
    replay.add_argument(
        "--timeout",
        type=positive_seconds,
        default=60.0,
        metavar="S",
        help="seconds the bot may take per call (default: 60)",
    )


def _run_record_replay(args: argparse.Namespace) -> int:
    if args.command == "record":
        from ..importing.record import record

        return record(
            to=args.to,
            listen=args.listen,
            directory=args.dir,
            host=args.host,
            ca_file=args.ca_file,
            state_dir=args.state_dir,
            cert_hosts=args.cert_hosts,
            out=sys.stdout,
            err=sys.stderr,
        )
    from .replay import run_replay

    return run_replay(
        args.directory,
        to=args.to,
        security_key=args.security_key,
        ca_file=args.ca_file,
        api_port=args.api_port,
        state_dir=args.state_dir,
        timeout=args.timeout,
        out=sys.stdout,
        err=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``pyrus-mock`` with ``argv`` (``sys.argv[1:]`` when None); returns the exit status.

    Args:
        argv: the arguments after the program name.

    Returns:
        0 on success, 1 when a command failed (a check did not pass), 2 on usage errors.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
        if args.command is None:
            parser.error("choose a command: demo, serve, check, record, replay or load")
        if args.command in ("record", "replay"):
            return _run_record_replay(args)
        if args.command == "demo":
            from . import demo

            if isinstance(sys.stdout, io.TextIOWrapper):
                # The account uses a few symbols (•, │, ✓); never crash on a narrow encoding.
                sys.stdout.reconfigure(errors="replace")
            style = demo.Style.for_stream(sys.stdout, args.color)
            return demo.run(sys.stdout, seed=args.seed, as_json=args.json, style=style)
        if args.command == "serve":
            from . import serve as standalone

            return standalone.serve(
                host=args.host,
                port=args.port,
                state_dir=args.state_dir,
                clock=args.clock,
                seed=args.seed,
                settings=dict(args.settings),
                cert_hosts=args.cert_hosts,
                imports=args.imports,
                trust=args.trust,
            )
        if args.command == "load":
            from .load.cli import load

            return load(args)
        if any(name == "delivery_timeout" for name, _ in args.settings):
            raise UsageError(
                "pyrus-mock check: error: --set delivery_timeout does not apply to check; use "
                "--timeout S, which also bounds the checks' latency (see 'pyrus-mock check --help')"
            )
        from . import serve as standalone

        return standalone.check(
            args.url,
            security_key=args.security_key,
            ca_file=args.ca_file,
            login=args.login,
            junit_xml=args.junit_xml,
            timeout=args.timeout,
            key_reset_command=args.key_reset_command,
            api_port=args.api_port,
            state_dir=args.state_dir,
            wait_for_bot=args.wait_for_bot,
            settings=dict(args.settings),
            bot_settings=args.bot_settings,
            form=args.form,
            task=args.task,
            fuzz=args.fuzz,
            fuzz_seed=args.fuzz_seed,
        )
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version print and exit 0
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("pyrus-mock: interrupted", file=sys.stderr)
        return 130
