"""``pyrus-mock serve``: the standalone fake, its state directory, its control API over HTTPS."""

from __future__ import annotations

import io
import json
import os
import queue
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
import requests

from pyrus_mock.cli import serve as standalone
from pyrus_mock.domain.errors import InvalidArgument
from pyrus_mock.transport import signals as _signals
from pyrus_mock.transport.server import TLSServer

from ._bots import RecordingBot

DEADLINE = 20.0
"""Seconds any wait in this module may last before the test fails (bounded polling)."""


class _Lines(io.TextIOBase):
    """A thread-safe text sink whose lines a test can wait for."""

    def __init__(self) -> None:
        self._text = ""
        self._changed = threading.Condition()

    def write(self, text: str) -> int:
        with self._changed:
            self._text += text
            self._changed.notify_all()
        return len(text)

    @property
    def text(self) -> str:
        with self._changed:
            return self._text

    def wait_for(self, needle: str) -> str:
        deadline = time.monotonic() + DEADLINE
        with self._changed:
            while needle not in self._text:
                left = deadline - time.monotonic()
                assert left > 0, f"{needle!r} never printed; got:\n{self._text}"
                self._changed.wait(left)
            return self._text


def _banner(text: str) -> dict[str, str]:
    """``{"Control": url, "Admin token": token, ...}`` from the printed banner."""
    return dict(re.findall(r"^  (\w[\w ]*?)\s{2,}(\S+)", text, re.MULTILINE))


@contextmanager
def _serving(**options: Any) -> Iterator[tuple[dict[str, str], _Lines, _Lines, list[int]]]:
    out, err, result = _Lines(), _Lines(), []
    stop = threading.Event()
    thread = threading.Thread(
        target=lambda: result.append(standalone.serve(out=out, err=err, stop=stop, **options)),
        daemon=True,
    )
    thread.start()
    try:
        yield _banner(out.wait_for("Stop with")), out, err, result
    finally:
        stop.set()
        thread.join(DEADLINE)
        assert not thread.is_alive()


def _control(info: dict[str, str], ca: str, method: str, path: str, **kw: Any) -> Any:
    # REQUESTS_CA_BUNDLE may be set, and it overrides Session.verify: pass verify per call.
    response = requests.request(
        method,
        info["Control"].rstrip("/") + path,
        headers={"Authorization": f"Bearer {info['Admin token']}"},
        verify=ca,
        timeout=DEADLINE,
        **kw,
    )
    return response.status_code, response.json()


def test_serve_writes_its_state_and_stops_cleanly(tmp_path: Path) -> None:
    # A server.json from an earlier run, naming a port nothing listens on, readable by all.
    (tmp_path / "server.json").write_text('{"port": 1, "api_url": "https://127.0.0.1:1/v4/"}')
    (tmp_path / "server.json").chmod(0o644)
    with _serving(port=0, state_dir=tmp_path, seed=5) as (info, out, err, result):
        names = ["admin-token", "ca.pem", "server-key.pem", "server.json", "server.pem"]
        assert sorted(p.name for p in tmp_path.iterdir()) == names  # no temporary file left
        for name in ("server-key.pem", "admin-token", "server.json"):
            assert (tmp_path / name).stat().st_mode & 0o077 == 0, name
        token = (tmp_path / "admin-token").read_text().strip()
        assert info["Admin token"] == token
        assert info["CA"] == str(tmp_path / "ca.pem")
        state = json.loads((tmp_path / "server.json").read_text())
        assert state["control_url"] == info["Control"]
        assert info["Control"] == f"https://127.0.0.1:{state['port']}/_mock/"
        assert state["api_url"] == info["API"] == info["Control"].replace("/_mock/", "/v4/")
        assert "(virtual clock, seed 5)" in out.text
        assert err.text == ""
        ca = str(tmp_path / "ca.pem")
        status, body = _control(info, ca, "GET", "/")
        assert status == 200
        assert body["clock"]["kind"] == "virtual"
        # The API answers on the same server; an unknown token is a Pyrus JSON 401.
        api = requests.get(info["API"] + "profile", verify=ca, timeout=DEADLINE)
        assert (api.status_code, api.json()["error_code"]) == (401, "token_not_specified")
        wrong = requests.get(
            info["Control"], verify=ca, timeout=DEADLINE, headers={"X-Pyrus-Mock-Admin": "x" * 43}
        )
        assert (wrong.status_code, wrong.json()["error_code"]) == (401, "invalid_admin_token")
    assert result == [0]
    assert out.text.rstrip().endswith("pyrus-mock serve: stopped")
    assert (tmp_path / "ca.pem").is_file()  # a directory we were given is kept


def test_the_default_state_dir_is_temporary_and_removed() -> None:
    with _serving() as (info, _out, _err, result):
        directory = Path(info["CA"]).parent
        assert "(temporary, removed on exit)" in _out.text
        assert directory.is_dir()
    assert result == [0]
    assert not directory.exists()


def test_the_real_clock_refuses_to_be_advanced(tmp_path: Path) -> None:
    with _serving(state_dir=tmp_path, clock="real") as (info, out, _err, _result):
        assert "retries happen in real time" in out.text
        status, body = _control(
            info, str(tmp_path / "ca.pem"), "POST", "/clock/advance", json={"seconds": 61}
        )
    assert (status, body["error_code"]) == (409, "clock_not_virtual")


def test_serve_applies_settings_and_refuses_bad_ones(tmp_path: Path) -> None:
    chosen = {"retry_delays": (1.0, 2.5), "auto_reopen": False}
    with _serving(state_dir=tmp_path, clock="real", settings=chosen) as (info, out, _err, _result):
        assert "retries happen in real time (1 s, 2.5 s)" in out.text
        assert "  Settings     retry_delays=1,2.5 auto_reopen=false\n" in out.text
        ca = str(tmp_path / "ca.pem")
        status, body = _control(info, ca, "PATCH", "/settings", json={"auto_reopen": True})
        assert (status, body["auto_reopen"], body["retry_delays"]) == (200, True, [1.0, 2.5])
    with pytest.raises(InvalidArgument, match=r"^max_bots: 0 is not"):
        standalone.serve(state_dir=tmp_path / "never", settings={"max_bots": 0})
    assert not (tmp_path / "never").exists()


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    stale = tmp_path / "server.json"
    stale.write_text('{"port": 1}')  # left by an earlier run
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        out, err = _Lines(), _Lines()
        status = standalone.serve(
            port=port, state_dir=tmp_path, out=out, err=err, stop=threading.Event()
        )
    assert status == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in err.text
    assert "pick another --port" in err.text
    assert "port=0" not in err.text  # the library's advice is not the CLI's
    assert out.text == ""
    assert not stale.exists()  # a client waiting for server.json must not read the old one


def test_server_json_is_replaced_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "server.json"
    path.write_text("old\n")
    path.chmod(0o644)
    standalone._replace_private(path, "new\n")
    assert path.read_text() == "new\n"
    assert path.stat().st_mode & 0o777 == 0o600
    # If the final rename fails, readers still see the old file and no temporary file is left.
    monkeypatch.setattr(os, "replace", _failing_replace)
    with pytest.raises(OSError, match="disk on fire"):
        standalone._replace_private(path, "newer\n")
    assert path.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["server.json"]


def _failing_replace(src: object, dst: object) -> None:
    raise OSError("disk on fire")


@pytest.mark.parametrize(
    ("host", "loopback", "shown"),
    [
        pytest.param("127.0.0.1", True, "127.0.0.1", id="ipv4-loopback"),
        pytest.param("localhost", True, "localhost", id="localhost"),
        pytest.param("::1", True, "[::1]", id="ipv6-loopback"),
        pytest.param("0.0.0.0", False, "127.0.0.1", id="all-ipv4"),
        pytest.param("::", False, "[::1]", id="all-ipv6"),
        pytest.param("192.168.1.5", False, "192.168.1.5", id="lan"),
        pytest.param("fake.example", False, "fake.example", id="name"),
    ],
)
def test_hosts_beyond_loopback_are_flagged(host: str, loopback: bool, shown: str) -> None:
    assert standalone._is_loopback(host) is loopback
    assert standalone._display_host(host) == shown


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_sigint_and_sigterm_set_the_stop_event(signum: int) -> None:
    stop = threading.Event()
    before = signal.getsignal(signum)
    previous = _signals.install_signals(stop)
    try:
        os.kill(os.getpid(), signum)
        assert stop.wait(DEADLINE)
    finally:
        _signals.restore_signals(previous)
    assert signal.getsignal(signum) is before


def test_signals_are_left_alone_outside_the_main_thread() -> None:
    result: list[dict[int, Any]] = []
    thread = threading.Thread(
        target=lambda: result.append(_signals.install_signals(threading.Event()))
    )
    thread.start()
    thread.join(DEADLINE)
    assert result == [None]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_the_signal_handler_takes_no_lock_the_interrupted_code_may_hold() -> None:
    """A handler runs in the main thread between two bytecodes, possibly while that thread holds
    the stop Event's lock (in ``wait()``, or in the first handler's ``set()``). A handler that
    set the Event itself then waited for its own thread for ever: two SIGTERMs in a row hung
    ``serve`` that way. Here the handler runs while its caller holds that lock."""
    stop = threading.Event()
    installed = _signals.install_signals(stop)
    handler = signal.getsignal(signal.SIGTERM)
    assert callable(handler)
    returned = threading.Event()

    def interrupted_while_holding_the_lock() -> None:
        with stop._cond:  # type: ignore[attr-defined]  # what Event.wait/set hold
            handler(signal.SIGTERM, None)
            returned.set()

    holder = threading.Thread(target=interrupted_while_holding_the_lock, daemon=True)
    try:
        holder.start()
        assert returned.wait(DEADLINE), "the signal handler blocked on the stop Event's lock"
        assert stop.wait(DEADLINE)  # and the stop still arrives, once the lock is free
    finally:
        _signals.restore_signals(installed)


# -- one run as users run it: a subprocess, a real bot, SIGTERM ------------------------------


def _reader(stream: IO[str]) -> queue.Queue[str]:
    """Lines of ``stream`` as a reader thread gets them; ``""`` marks the end."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _read_until(lines: queue.Queue[str], needle: str, seen: list[str]) -> None:
    """Read lines into ``seen`` until one contains ``needle`` (``""``: until the end)."""
    deadline = time.monotonic() + DEADLINE
    while True:
        line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        if not line:
            assert needle == "", f"the output ended before {needle!r}:\n{''.join(seen)}"
            return
        seen.append(line)
        if needle and needle in line:
            return


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_python_m_pyrus_mock_serve(tmp_path: Path) -> None:
    state = tmp_path / "state"
    serve = [sys.executable, "-m", "pyrus_mock", "serve", "--port", "0"]
    settings = ["--set", "signature_case=lower", "--set", "retry_delays=5"]
    process = subprocess.Popen(
        [*serve, "--state-dir", str(state), *settings],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    with process:
        _drive_and_stop(process, state, tmp_path)


def _drive_and_stop(process: subprocess.Popen[str], state: Path, tmp_path: Path) -> None:
    try:
        assert process.stdout is not None
        lines, seen = _reader(process.stdout), []
        _read_until(lines, "Stop with", seen)
        info = _banner("".join(seen))
        ca = str(state / "ca.pem")
        assert "  Settings     signature_case=lower retry_delays=5\n" in seen
        status, settings = _control(info, ca, "GET", "/settings")
        assert (settings["signature_case"], settings["retry_delays"]) == ("lower", [5.0])

        # A bot served by the test, with a certificate the running fake issued.
        status, issued = _control(info, ca, "POST", "/certs", json={"hosts": ["127.0.0.1"]})
        assert status == 200
        (tmp_path / "bot.pem").write_text(issued["cert_pem"])
        (tmp_path / "bot-key.pem").write_text(issued["key_pem"])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tmp_path / "bot.pem", tmp_path / "bot-key.pem")
        app = RecordingBot(reply={"text": "seen", "approval_choice": "approved"}, verify="lower")
        with TLSServer(app, context) as bot_server:
            status, bot = _control(
                info, ca, "POST", "/bots", json={"name": "Approver", "url": bot_server.url + "/"}
            )
            assert status == 200, bot
            app.key = bot["security_key"]
            status, form = _control(
                info,
                ca,
                "POST",
                "/forms",
                json={
                    "name": "Expense",
                    "fields": [{"name": "Amount", "type": "money", "code": "u_amount"}],
                    "steps": [{"name": "Check", "approvers": [bot["id"]]}],
                },
            )
            assert status == 200, form
            status, created = _control(
                info, ca, "POST", "/tasks", json={"form_id": form["id"], "fields": {"u_amount": 9}}
            )
            assert status == 200, created
            (delivery,) = created["deliveries"]
            status, again = _control(
                info,
                ca,
                "POST",
                "/deliveries",
                json={"task_id": created["task"]["id"], "bot_id": bot["id"]},
            )
            bot_server.raise_errors()
        assert delivery["state"] == "delivered", delivery
        assert delivery["attempts"][0]["request_headers"]["X-Pyrus-Retry"] == "1/2"  # --set
        assert (status, again["state"]) == (200, "delivered")
        assert len(app.calls) == 2

        transcript = requests.get(
            info["Control"] + "transcript",
            verify=ca,
            timeout=DEADLINE,
            headers={"X-Pyrus-Mock-Admin": info["Admin token"]},
        )
        assert transcript.status_code == 200
        assert transcript.headers["Content-Type"].startswith("text/plain")
        assert "X-Pyrus-Retry" in transcript.text
        assert bot["security_key"] not in transcript.text

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=DEADLINE) == 0
        _read_until(lines, "", seen)  # to the end, so the pipe can be closed
        assert seen[-1] == "pyrus-mock serve: stopped\n"
        assert process.stderr is not None
        assert process.stderr.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(DEADLINE)


def _handshake(port: int, ca: str, server_hostname: str) -> str | None:
    """Connect to 127.0.0.1:port as ``server_hostname``, verifying against ``ca``: None when the
    handshake completes, else the verification failure."""
    context = ssl.create_default_context(cafile=ca)
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as raw:
        try:
            with context.wrap_socket(raw, server_hostname=server_hostname):
                return None
        except ssl.SSLCertVerificationError as exc:
            return exc.verify_message


def test_cert_host_adds_names_to_the_server_certificate(tmp_path: Path) -> None:
    # A bot in a container reaches the fake as host.docker.internal, not as localhost.
    options = {"state_dir": tmp_path, "cert_hosts": ["host.docker.internal", "10.0.2.2"]}
    with _serving(**options) as (info, _out, err, result):
        port = json.loads((tmp_path / "server.json").read_text())["port"]
        ca = info["CA"]
        for name in ("host.docker.internal", "10.0.2.2", "localhost", "127.0.0.1"):
            assert _handshake(port, ca, name) is None, name
        assert "Hostname mismatch" in (_handshake(port, ca, "pyrus.test") or "")
        # server.pem is the certificate being served: it covers the same names.
        pem = (tmp_path / "server.pem").read_text()
        context = ssl.create_default_context(cafile=ca)
        with (
            socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as raw,
            context.wrap_socket(raw, server_hostname="host.docker.internal") as tls,
        ):
            served = ssl.DER_cert_to_PEM_cert(tls.getpeercert(binary_form=True) or b"")
        assert served.strip() in pem
        assert err.text == ""
    assert result == [0]


def test_a_bad_cert_host_is_a_usage_error(tmp_path: Path) -> None:
    out, err = _Lines(), _Lines()
    status = standalone.serve(
        state_dir=tmp_path, cert_hosts=["not a name"], out=out, err=err, stop=threading.Event()
    )
    assert status == 2
    assert "pyrus-mock serve: error: cert_hosts: 'not a name' cannot go into a server " in err.text
    assert "--cert-host" in err.text
    assert not (tmp_path / "server.json").exists()


def test_the_beyond_loopback_warning_names_the_certificate_hosts(tmp_path: Path) -> None:
    with _serving(host="0.0.0.0", state_dir=tmp_path, cert_hosts=["pyrus.test"]) as (
        info,
        _out,
        err,
        _result,
    ):
        assert "covers localhost, 127.0.0.1, pyrus.test" in err.text
        assert "--cert-host" in err.text
        assert info["API"].startswith("https://127.0.0.1:")


def test_an_unwritable_state_dir_is_named_as_the_problem(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    out, err = _Lines(), _Lines()
    status = standalone.serve(state_dir=blocker / "state", out=out, err=err, stop=threading.Event())
    assert status == 1
    assert f"cannot use the state directory {str(blocker / 'state')!r}" in err.text
    assert "cannot listen" not in err.text


def test_server_json_holds_absolute_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with _serving(state_dir="relative-state"):
        state = json.loads((tmp_path / "relative-state" / "server.json").read_text())
        for key in ("ca_path", "cert_path", "key_path", "admin_token_path"):
            assert Path(state[key]).is_absolute(), (key, state[key])
            assert Path(state[key]).is_file()


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        pytest.param("[::1]", "cannot listen on [::1]:0:", id="bracketed"),
        pytest.param("my_host", "cannot listen on my_host:0:", id="underscore"),
        pytest.param("nosuchhost.invalid", "cannot listen on nosuchhost.invalid:0:", id="unknown"),
    ],
)
def test_a_host_that_cannot_be_listened_on_is_one_clean_line(host: str, reason: str) -> None:
    out, err = _Lines(), _Lines()
    status = standalone.serve(host=host, out=out, err=err, stop=threading.Event())
    assert status == 1
    assert reason in err.text
    assert "Unknown error" not in err.text
    assert "Traceback" not in err.text
    assert len(err.text.strip().splitlines()) == 1
