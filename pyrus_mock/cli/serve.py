"""Running the fake outside pytest: ``pyrus-mock serve`` and ``pyrus-mock check``.

:func:`serve` runs the fake as a standalone HTTPS server for bots and tests written in any
language: the API v4, plus the control plane under ``/_mock/`` (see
:mod:`pyrus_mock.control`) behind an admin token. It writes the TLS material and the token
to a state directory, prints the URLs, and stops cleanly on SIGINT or SIGTERM.

:func:`check` runs the conformance checks (:mod:`pyrus_mock.mock.conformance`) against a bot that
is already running somewhere, prints progress and the result table, and optionally writes
JUnit XML. Asked to (``--api-port``, ``--state-dir``), it also tells the bot where the fake's
API is, so that a bot calling the API back during the checks reaches the fake.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from .._version import __version__
from ..domain.clock import Clock, RealClock, VirtualClock
from ..domain.errors import BotUrlError, InvalidArgument
from ..domain.settings import Settings
from ..mock.fake import PyrusMock
from ..state.accounts import Accounts
from ..transport.files import make_private_dir, write_atomic
from ..transport.signals import install_signals, settle_signals
from .inputs import TrustError, bot_trust, saved_inputs, saved_task, trust_line

__all__ = ["check", "serve"]

_PROGRESS_WIDTH = 98
"""Progress lines are cut to this width; the table that follows has every reason whole."""

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _display_host(host: str) -> str:
    """A host clients can connect to and the certificate covers, for the printed URLs."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _replace_private(path: Path, text: str) -> None:
    """Write ``path`` (mode 0600) atomically and without following a symlink planted there: a
    reader sees the old file, none, or all of it (see :mod:`pyrus_mock.transport.files`)."""
    write_atomic(path, text, 0o600)


def _listen(
    mock: PyrusMock,
    host: str,
    port: int,
    directory: Path | None,
    admin_token: str | None = None,
    cert_hosts: Sequence[str] = (),
) -> None:
    """Start the fake's HTTPS server, after removing a stale ``server.json`` from ``directory``.

    A ``server.json`` left by an earlier run names a port nothing listens on any more: it is gone
    before this server starts, so a client waiting for the file never reads it.

    Raises:
        _StateDirError: the directory cannot be made or cleared.
        OSError: the address cannot be bound.
        InvalidArgument: a name in ``cert_hosts`` cannot go into a certificate.
    """
    if directory is not None:
        try:
            make_private_dir(directory)  # 0700 when made here
            (directory / "server.json").unlink(missing_ok=True)
        except OSError as exc:
            raise _StateDirError(
                f"cannot use the state directory {str(directory)!r}: "
                f"{exc.strerror or exc}; choose one you can write to"
            ) from exc
    mounts = None
    if admin_token is not None:
        from ..control import CONTROL_PREFIX, ControlPlane

        mounts = {CONTROL_PREFIX: ControlPlane(mock, admin_token)}
    mock.start(host=host, port=port, cert_hosts=cert_hosts, mounts=mounts)


class _StateDirError(Exception):
    """The state directory cannot be used (the message says why and what to do)."""


def _listen_error(exc: OSError, host: str, port: int, option: str) -> str:
    """``cannot listen on HOST:PORT: <reason>; <what to do with the CLI's options>``."""
    cause = exc.__cause__  # the OS's own error, under the library's advice
    if exc.errno is not None and exc.errno > 0:
        reason = os.strerror(exc.errno)
    elif isinstance(cause, OSError) and cause.strerror:  # e.g. a host name that does not resolve
        reason = cause.strerror
    else:
        reason = str(exc)
    return (
        f"cannot listen on {host}:{port}: {reason}; pick another {option} (0 chooses a free "
        "one), or another --host if that address is not on this machine"
    )


def _write_state(
    mock: PyrusMock, host: str, directory: Path, admin_token_path: Path | None = None
) -> dict[str, Any]:
    """Write ``ca.pem``, ``server.pem``, ``server-key.pem``, then ``server.json``; returns its data.

    ``server.json`` (the URLs, the PEM paths, the port and the pid) is written last and
    atomically, once the fake listens: its appearance means the fake is ready. The control
    plane's entries (``control_url``, ``admin_token_path``) are there when ``admin_token_path``
    is given (``serve``), not otherwise (``check``).
    """
    files = mock.ca.write_to_dir(directory, *mock.cert_hosts)
    base = f"https://{_display_host(host)}:{mock.server.port}"
    state: dict[str, Any] = {
        "api_url": base + "/v4/",
        "auth_url": base + "/api/v4/auth",
        "files_url": base + "/",
    }
    if admin_token_path is not None:
        state["control_url"] = base + "/_mock/"
    state.update(ca_path=files["ca"], cert_path=files["cert"], key_path=files["key"])
    if admin_token_path is not None:
        state["admin_token_path"] = str(admin_token_path)
    state.update(port=mock.server.port, pid=os.getpid())
    _replace_private(directory / "server.json", json.dumps(state, indent=2) + "\n")
    return state


# -- serve ---------------------------------------------------------------------------------------


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    state_dir: str | os.PathLike[str] | None = None,
    clock: str = "virtual",
    seed: int = 0,
    settings: Mapping[str, Any] | None = None,
    cert_hosts: Sequence[str] = (),
    trust: Sequence[str] = (),
    out: TextIO | None = None,
    err: TextIO | None = None,
    stop: threading.Event | None = None,
    imports: Sequence[str] = (),
) -> int:
    """Run the standalone fake until SIGINT, SIGTERM or ``stop`` is set.

    Args:
        host: the address to listen on; anything but loopback prints a warning.
        port: the port; 0 picks a free one (printed).
        state_dir: where ``ca.pem``, ``server.pem``, ``server-key.pem``, ``admin-token`` and
            ``server.json`` are written; a temporary directory (removed on exit) when None.
            ``server.json`` (the URLs, paths and port) is removed at startup and written last,
            atomically, once the server listens: its appearance means the fake is ready.
        clock: ``virtual`` (retries wait for ``POST /_mock/clock/advance``) or ``real``.
        seed: seeds the ids.
        settings: :class:`~pyrus_mock.Settings` overrides (``--set NAME=VALUE``); the control
            API reads and changes them at ``/_mock/settings``.
        cert_hosts: more names the server certificate covers (``--cert-host``), for clients
            that reach the fake by another name, e.g. from a container.
        trust: more CAs bots' certificates are verified against (``--trust``), in addition to
            the fake's own CA: paths of PEM files (CA bundles) and ``"system"`` (the system
            store). Verification stays on; a bot whose certificate chains to none of them is
            refused with a ``tls_untrusted`` delivery.
        out: where the URLs go (stdout by default).
        err: where warnings and errors go (stderr by default).
        stop: set it to stop the server (for embedding and tests); signal handlers are only
            installed when this runs in the main thread.
        imports: directories of JSON saved from real Pyrus, imported before the banner
            (``--import DIR``, :func:`pyrus_mock.importing.import_dir`); a refusal exits with 2.

    Returns:
        0 after a clean stop; 1 when the server could not start; 2 when a ``cert_hosts`` name
        cannot go into a certificate or a ``trust`` entry cannot be loaded.

    Raises:
        InvalidArgument: ``settings`` names no setting or holds a value it does not take.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    stop = stop or threading.Event()
    chosen = Settings().replace(**(settings or {}))
    the_clock: Clock = VirtualClock() if clock == "virtual" else RealClock()
    owns_dir = state_dir is None
    # Absolute, so that server.json names files a bot started elsewhere can open.
    directory = Path(
        tempfile.mkdtemp(prefix="pyrus-mock-") if state_dir is None else state_dir
    ).resolve()
    token = secrets.token_urlsafe(32)
    mock = PyrusMock(seed=seed, clock=the_clock, settings=chosen)
    signalled = threading.Event()
    installed = install_signals(stop, signalled)
    try:
        try:
            if trust:
                mock.trust = bot_trust(mock, trust)
            _listen(mock, host, port, directory, admin_token=token, cert_hosts=cert_hosts)
        except _StateDirError as exc:
            print(f"pyrus-mock serve: {exc}", file=err)
            return 1
        except OSError as exc:
            print(f"pyrus-mock serve: {_listen_error(exc, host, port, '--port')}", file=err)
            return 1
        except (InvalidArgument, TrustError) as exc:
            print(f"pyrus-mock serve: error: {exc}", file=err)
            return 2
        from ..importing.records import serve_imports

        if not serve_imports(mock, imports, out, err):  # --import DIR: refusals exit with 2
            return 2
        token_path = directory / "admin-token"
        _replace_private(token_path, token + "\n")
        urls = _write_state(mock, host, directory, admin_token_path=token_path)
        if not _is_loopback(host):
            print(f"pyrus-mock serve: warning: listening on {host}, beyond loopback: anyone who "
                  "can reach this machine can call the fake's API (the control API still needs "
                  "the admin token). The server certificate covers "
                  f"{', '.join(mock.cert_hosts)}: clients must connect by one of these names "
                  "(--cert-host NAME adds one).", file=err, flush=True)  # fmt: skip
        _print_banner(out, urls, token, directory, clock, seed, owns_dir, mock.settings, trust,
                      dashboard=mock.dashboard_link())  # fmt: skip
        stop.wait()
        print("pyrus-mock serve: stopping…", file=out, flush=True)
        return 0
    finally:
        # The handlers stay ours until the cleanup is done: a second SIGTERM or Ctrl+C while
        # stopping only sets ``stop`` again, so server.json is always removed. It goes first:
        # once the fake starts closing, its URLs must no longer be advertised.
        try:
            if not owns_dir:  # the CA and keys stay for reuse; the URLs of a stopped server not
                with contextlib.suppress(OSError):  # e.g. the directory could never be made
                    (directory / "server.json").unlink(missing_ok=True)
            mock.close()
            if owns_dir:
                shutil.rmtree(directory, ignore_errors=True)
            if stop.is_set():
                print("pyrus-mock serve: stopped", file=out, flush=True)
        finally:
            settle_signals(installed, signalled)


def _print_banner(
    out: TextIO,
    urls: dict[str, Any],
    token: str,
    directory: Path,
    clock: str,
    seed: int,
    temporary: bool,
    settings: Settings,
    trust: Sequence[str] = (),
    dashboard: str = "",
) -> None:
    delays = ", ".join(f"{d:g} s" for d in settings.retry_delays) or "none"
    retries = (
        "retries wait for POST /_mock/clock/advance"
        if clock == "virtual"
        else f"retries happen in real time ({delays})"
    )
    where = f"{directory} (temporary, removed on exit)" if temporary else str(directory)
    lines = [
        f"pyrus-mock {__version__}: a fake Pyrus API v4 over HTTPS ({clock} clock, seed {seed})",
        f"  API          {urls['api_url']}",
        f"  Auth         {urls['auth_url']}",
        f"  Files        {urls['files_url']}",
        f"  Control      {urls['control_url']}",
        *(
            [f"  Dashboard    {dashboard} (one-time link; or log in with the admin token)"]
            if dashboard
            else []
        ),
        f"  CA           {urls['ca_path']}",
        f"  Admin token  {token}",
        f"  State dir    {where}",
        *trust_line(trust),
        *_changed_settings(settings),
        "Control calls need 'Authorization: Bearer <admin token>' (the token is also in "
        f"{urls['admin_token_path']}); {retries}.",
        "Stop with Ctrl+C or SIGTERM.",
    ]
    print("\n".join(lines), file=out, flush=True)


def _changed_settings(settings: Settings) -> list[str]:
    """The banner's line of settings that differ from the defaults (``--set``), if any."""
    default = Settings()
    changed = [f"{f.name}={_show(getattr(settings, f.name))}" for f in dataclasses.fields(settings)
               if getattr(settings, f.name) != getattr(default, f.name)]  # fmt: skip
    return [f"  Settings     {' '.join(changed)}"] if changed else []


def _show(value: Any) -> str:
    """A setting's value as ``--set`` takes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


# -- check ---------------------------------------------------------------------------------------


def check(
    url: str,
    *,
    security_key: str | None,
    ca_file: str | None = None,
    login: str | None = None,
    junit_xml: str | None = None,
    timeout: float = 10.0,
    key_reset_command: str | None = None,
    api_port: int | None = None,
    state_dir: str | os.PathLike[str] | None = None,
    wait_for_bot: float | None = None,
    settings: Mapping[str, Any] | None = None,
    bot_settings: str | None = None,
    form: str | Path | None = None,
    task: str | Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    fuzz: int = 0,
    fuzz_seed: int | None = None,
) -> int:
    """Run the conformance checks against the bot at ``url``.

    The fake's API v4 is always served (on 127.0.0.1), so that the checks see the API calls a
    bot makes back; ``api_port`` and ``state_dir`` tell a bot where it is before the checks start.

    Args:
        url: the bot's ``https://`` URL.
        security_key: the key the bot verifies calls with.
        ca_file: a PEM file of CA certificates the bot's certificate chains to; the system
            store when None.
        login: the bot's login, when the bot logs in to ``/auth`` itself.
        junit_xml: also write the results to this file as JUnit XML.
        timeout: seconds the bot may take per call.
        key_reset_command: a shell command that gives the bot a new key (in the environment
            variable ``PYRUS_NEW_SECURITY_KEY``); the key-reset check is skipped without it.
        api_port: serve the fake's API on ``127.0.0.1`` at this port (0: a free one); the URL
            and the CA are printed. A free port when None.
        state_dir: write ``ca.pem``, ``server.pem``, ``server-key.pem`` and ``server.json`` here
            before the checks start, as ``serve`` does (without the control plane's entries):
            ``server.json`` appears last, once the API listens.
        wait_for_bot: first wait up to this many seconds for the bot to accept TLS connections
            (polling), for a bot started once ``server.json`` appears.
        settings: :class:`~pyrus_mock.Settings` overrides (``--set NAME=VALUE``), e.g.
            ``signature_case``; ``timeout`` sets ``delivery_timeout``.
        bot_settings: the bot's Settings text (``bot_settings`` in every call); ``@PATH``
            reads it from a file.
        form: a JSON file of the bot's form as real Pyrus answers ``GET /forms/{id}``: the
            calls are about a task of that form (see :mod:`pyrus_mock.mock.saved`).
        task: a JSON file of a task of that form as ``GET /tasks/{id}`` answers: the calls are
            about a task with its field values and current step. Needs ``form``.
        out: where progress and the table go (stdout by default).
        err: where errors go (stderr by default).
        fuzz: then send this many generated tasks (:mod:`pyrus_mock.mock.fuzz`) of the ``form``
            (or generated forms without it) and print the shrunk tasks the bot failed on.
        fuzz_seed: a seed for a reproducible fuzzing run (default: random).

    Returns:
        0 when every check passed, 1 when one failed or the API could not be served.

    Raises:
        UsageError: the arguments cannot work (no key, not https, no such CA file, a bot
            settings file, form or task that cannot be read or loaded).
        InvalidArgument: ``settings`` names no setting or holds a value it does not take.
    """
    from .usage import UsageError

    out = out or sys.stdout
    err = err or sys.stderr
    if not security_key:
        raise UsageError(
            "pyrus-mock check: error: --security-key is required (or set PYRUS_SECURITY_KEY); "
            "it is the key the bot verifies calls with"
        )
    try:
        Accounts.check_bot_url(url, "URL")  # the same rule as create_bot, before any work
    except BotUrlError as exc:
        raise UsageError(f"pyrus-mock check: error: {exc}") from None
    if ca_file is not None and not os.path.isfile(ca_file):
        raise UsageError(f"pyrus-mock check: error: --ca-file {ca_file!r} does not exist; give "
                         "the PEM file of the CA that issued the bot's certificate")  # fmt: skip
    try:
        trust = ssl.create_default_context(cafile=ca_file)  # the system store when None
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(
            f"pyrus-mock check: error: --ca-file {ca_file!r} holds no usable CA certificate "
            f"({exc}); give the PEM file of the CA that issued the bot's certificate"
        ) from None
    saved_settings, form_json, task_json = saved_inputs(bot_settings, form, task)
    from ..mock.conformance import check_bot

    host = "127.0.0.1"
    directory = Path(state_dir).resolve() if state_dir is not None else None
    chosen = Settings().replace(**{**(settings or {}), "delivery_timeout": timeout})
    mock = PyrusMock(trust=trust, settings=chosen)
    try:
        try:
            _listen(mock, host, api_port or 0, directory)
        except _StateDirError as exc:
            print(f"pyrus-mock check: {exc}", file=err, flush=True)
            return 1
        except OSError as exc:
            problem = _listen_error(exc, host, api_port or 0, "--api-port")
            print(f"pyrus-mock check: the fake's API {problem}", file=err, flush=True)
            return 1
        if directory is not None:
            ca_path = _write_state(mock, host, directory)["ca_path"]
            _print_api(out, mock, ca_path, directory / "server.json")
        elif api_port is not None:
            _print_api(out, mock, f"{mock.ca_path} (temporary, removed on exit)", None)
        bot = mock.add_bot(
            "Bot under test", url, security_key=security_key, settings=saved_settings
        )
        if login:
            _set_login(mock, bot.id, login)
        the_task = saved_task(mock, bot, form, form_json, task, task_json)
        if wait_for_bot is not None:
            _wait_and_say(url, trust, wait_for_bot, out)
        print(f"pyrus-mock check: calling {url} as Pyrus would (fake API at {mock.api_url})",
              file=out, flush=True)  # fmt: skip

        def progress(line: str) -> None:
            name, _, outcome = line.partition(": ")
            text = f"{name} …" if outcome == "running" else line
            if len(text) > _PROGRESS_WIDTH:
                text = text[: _PROGRESS_WIDTH - 1] + "…"
            print("  " + text, file=out, flush=True)

        hook = _key_reset_hook(key_reset_command, timeout, out) if key_reset_command else None
        report = check_bot(mock, bot, on_key_reset=hook, latency_budget=timeout,
                           progress=progress, task=the_task, fuzz=fuzz,
                           fuzz_seed=fuzz_seed)  # fmt: skip
    finally:
        mock.close()
        if directory is not None:  # its port is gone: a bot must not read a stale server.json
            with contextlib.suppress(OSError):  # e.g. the directory could never be made
                (directory / "server.json").unlink(missing_ok=True)
    print(str(report), file=out, flush=True)
    if not key_reset_command and any(
        c.name == "key_reset" and c.status == "skip" for c in report.checks
    ):
        print("key_reset was skipped: pass --key-reset-command CMD, a command that gives the bot "
              "the new key found in $PYRUS_NEW_SECURITY_KEY", file=out, flush=True)  # fmt: skip
    if junit_xml:
        report.to_junit_xml(junit_xml)
        print(f"JUnit XML written to {junit_xml}", file=out, flush=True)
    return 0 if report.passed else 1


def _print_api(out: TextIO, mock: PyrusMock, ca: str, state_file: Path | None) -> None:
    """Say where the bot finds the fake's API during the checks, and the CA to trust."""
    lines = [
        "pyrus-mock check: serving the fake's API v4 for the bot to call back",
        f"  API    {mock.api_url}",
        f"  Auth   {mock.auth_url}",
        f"  CA     {ca}",
    ]
    if state_file is not None:
        lines.append(f"  State  {state_file}")
    print("\n".join(lines), file=out, flush=True)


def _wait_and_say(url: str, trust: ssl.SSLContext, seconds: float, out: TextIO) -> None:
    print(f"pyrus-mock check: waiting up to {seconds:g} s for {url} to accept TLS connections",
          file=out, flush=True)  # fmt: skip
    problem = _wait_for_bot(url, trust, seconds)
    if problem is None:
        print("pyrus-mock check: the bot is up", file=out, flush=True)
    else:
        print(f"pyrus-mock check: the bot did not accept a TLS connection within {seconds:g} s "
              f"({problem}); running the checks anyway", file=out, flush=True)  # fmt: skip


def _wait_for_bot(url: str, trust: ssl.SSLContext, seconds: float) -> str | None:
    """Poll ``url``'s host and port until a TLS handshake completes; None then, else why not.

    Refused, reset or timed-out connections and failed handshakes are retried, with pauses
    growing from 50 ms to 0.5 s, until ``seconds`` have passed. A certificate ``trust`` rejects
    ends the wait too: the bot is up, and the checks report the certificate.
    """
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or 443
    except ValueError as exc:  # a port that is not a number
        return str(exc)
    deadline = time.monotonic() + seconds
    pause = 0.05
    while True:
        attempt = min(max(deadline - time.monotonic(), 0.05), 2.0)
        try:
            with (
                socket.create_connection((host, port), timeout=attempt) as raw,
                trust.wrap_socket(raw, server_hostname=host),
            ):
                return None
        except ssl.SSLCertVerificationError:
            return None
        except OSError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        left = deadline - time.monotonic()
        if left <= 0:
            return problem
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.5)


def _set_login(mock: PyrusMock, bot_id: int, login: str) -> None:
    """Give the bot the login it already knows (a real bot keeps its Pyrus login)."""
    backend = mock._backend
    with backend.lock:
        other = backend.find_person_by_email(login)
        if other is not None and other.id != bot_id:
            from .usage import UsageError

            raise UsageError(f"pyrus-mock check: error: --login {login!r} is already taken")
        backend.accounts.bot(bot_id).login = login
        backend.person(bot_id).email = login


def _key_reset_hook(command: str, timeout: float, out: TextIO) -> Callable[[str], None]:
    """A callback running ``command`` with the new key in ``PYRUS_NEW_SECURITY_KEY``."""

    def on_key_reset(new_key: str) -> None:
        env = {**os.environ, "PYRUS_NEW_SECURITY_KEY": new_key}
        print(f"  running --key-reset-command: {command}", file=out, flush=True)
        done = subprocess.run(  # the user's own command, as typed
            command, shell=True, env=env, timeout=max(timeout, 30.0), check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"--key-reset-command exited with status {done.returncode}; it must give the "
                "bot the key in $PYRUS_NEW_SECURITY_KEY and exit 0"
            )

    return on_key_reset
