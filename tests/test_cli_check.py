"""``pyrus-mock check`` against bots that call the Pyrus API back: ``--api-port``,
``--state-dir`` and ``--wait-for-bot``.

The bots here run "anywhere": served by their own :class:`TLSServer` with a certificate from a
CA the test controls (not the fake's), and configured only through what ``check`` publishes,
``server.json`` and ``ca.pem`` in the state directory, as a bot in any language would be.
"""

from __future__ import annotations

import json
import re
import shlex
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pyrus_mock.cli.commands import main
from pyrus_mock.cli.serve import _wait_for_bot
from pyrus_mock.transport.server import TLSServer
from pyrus_mock.transport.tls import CertificateAuthority

from ._bots import RecordingBot, pyrus_signature_ok
from ._tls_helpers import RawServer

KEY = "S" * 92 + "k3y!"


class CallbackBot:
    """A WSGI bot that verifies the signature, then reads the task through the fake's API.

    It finds the API URL and the CA to trust in ``server.json`` of the state directory, read on
    every call (``check`` writes it before the first one). With ``comment=True`` it also posts a
    comment through the API on every call, redeliveries included: the side effect a retry must
    not repeat.

    Attributes:
        api_calls: ``(method, url, status, JSON reply)`` of every API call it made.
        problems: exceptions its API calls raised (connection or TLS failures).
    """

    def __init__(self, key_file: Path, state_dir: Path, *, comment: bool = False) -> None:
        self.key_file = key_file
        self.state_dir = state_dir
        self.comment = comment
        self.api_calls: list[tuple[str, str, int, Any]] = []
        self.problems: list[str] = []
        self.lock = threading.Lock()
        self.last_state: dict[str, Any] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        signature = environ.get("HTTP_X_PYRUS_SIG", "")
        if not pyrus_signature_ok(self.key_file.read_text(), body, signature):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"bad signature"]
        payload = json.loads(body)
        state = json.loads((self.state_dir / "server.json").read_text())
        self.last_state = state
        api, ca = state["api_url"], state["ca_path"]
        auth = {"Authorization": f"Bearer {payload['access_token']}"}
        task = f"{api}tasks/{payload['task_id']}"
        with requests.Session() as session:
            session.trust_env = False  # no proxy, no REQUESTS_CA_BUNDLE: only the state dir's CA
            try:
                self._record(session.get(task, headers=auth, verify=ca, timeout=5))
                if self.comment:
                    text = {"text": "Checked by the bot"}
                    reply = session.post(
                        f"{task}/comments", json=text, headers=auth, verify=ca, timeout=5
                    )
                    self._record(reply)
            except requests.RequestException as exc:
                with self.lock:
                    self.problems.append(f"{type(exc).__name__}: {exc}")
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "0")])
        return [b""]

    def _record(self, response: requests.Response) -> None:
        with self.lock:
            call = (response.request.method or "", response.url, response.status_code)
            self.api_calls.append((*call, response.json()))


@pytest.fixture
def bot_ca() -> Iterator[CertificateAuthority]:
    """The CA of the bots' certificates: the test's own, unrelated to any fake's."""
    ca = CertificateAuthority()
    yield ca
    ca.close()


def _serve(app: Any, ca: CertificateAuthority) -> TLSServer:
    return TLSServer(app, ca.server_context("localhost", "127.0.0.1"), name="bot-under-test")


def _rows(out: str) -> dict[str, str]:
    """``{check name: status}`` from the printed result table."""
    return dict(re.findall(r"^\s+([a-z_]+)\s+(pass|FAIL|skip)\s", out, re.MULTILINE))


def _key_reset_command(key_file: Path) -> str:
    writer = "import os, sys; open(sys.argv[1], 'w').write(os.environ['PYRUS_NEW_SECURITY_KEY'])"
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(writer)} {shlex.quote(str(key_file))}"


def test_a_bot_calling_the_api_back_passes_every_check(
    capsys: pytest.CaptureFixture[str], bot_ca: CertificateAuthority, tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    key_file = tmp_path / "key"
    key_file.write_text(KEY)
    bot = CallbackBot(key_file, state_dir)
    with _serve(bot, bot_ca) as server:
        status = main(
            [
                "check",
                server.url + "/pyrus",
                "--security-key",
                KEY,
                "--ca-file",
                bot_ca.ca_path,
                "--state-dir",
                str(state_dir),
                "--timeout",
                "5",
                "--key-reset-command",
                _key_reset_command(key_file),
            ]
        )
        server.raise_errors()
    out, err = capsys.readouterr()
    assert status == 0, out + err
    rows = _rows(out)
    assert set(rows.values()) == {"pass"}, out
    assert len(rows) == 9
    # While the checks ran, the state dir held what `serve` writes there, minus the control
    # plane's entries; once `check` ends, server.json (naming a closed port) is gone.
    state = bot.last_state
    assert not (state_dir / "server.json").exists()
    assert set(state) == {
        "api_url", "auth_url", "files_url", "ca_path", "cert_path", "key_path", "port", "pid"
    }  # fmt: skip
    assert state["api_url"] == f"https://127.0.0.1:{state['port']}/v4/"
    assert state["ca_path"] == str(state_dir / "ca.pem")
    for name in ("ca.pem", "server.pem", "server-key.pem"):
        assert (state_dir / name).is_file()
    # The URL and the CA are printed before the checks run.
    assert out.index(f"  API    {state['api_url']}") < out.index("  genuine_call …")
    assert out.index(f"  CA     {state['ca_path']}") < out.index("  genuine_call …")
    assert f"  State  {state_dir / 'server.json'}" in out
    # The bot read the task through the fake on each accepted call: genuine, redelivery, and
    # the new key's call; never on a forged one.
    assert bot.problems == []
    assert len(bot.api_calls) == 3, bot.api_calls
    for method, url, code, reply in bot.api_calls:
        assert (method, code) == ("GET", 200), reply
        assert url.startswith(state["api_url"] + "tasks/")
        assert reply["task"]["id"] == int(url.rsplit("/", 1)[1])


def test_a_bot_repeating_its_api_comment_on_redelivery_fails(
    capsys: pytest.CaptureFixture[str], bot_ca: CertificateAuthority, tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    key_file = tmp_path / "key"
    key_file.write_text(KEY)
    bot = CallbackBot(key_file, state_dir, comment=True)
    with _serve(bot, bot_ca) as server:
        status = main(
            [
                "check",
                server.url + "/pyrus",
                "--security-key",
                KEY,
                "--ca-file",
                bot_ca.ca_path,
                "--api-port",
                "0",
                "--state-dir",
                str(state_dir),
                "--timeout",
                "5",
            ]
        )
        server.raise_errors()
    out = capsys.readouterr().out
    assert status == 1, out
    rows = _rows(out)
    assert rows["redelivery_idempotent"] == "FAIL", out
    assert "repeated its API side effects (POST /v4/tasks/" in out
    assert {name for name, row in rows.items() if row == "FAIL"} == {"redelivery_idempotent"}
    # Its comments did reach the fake: the failure is about repeating them, nothing else.
    assert bot.problems == []
    posts = [call for call in bot.api_calls if call[0] == "POST"]
    assert [code for _, _, code, _ in posts] == [200, 200]


def test_api_port_prints_the_api_and_wait_for_bot_waits(
    capsys: pytest.CaptureFixture[str], bot_ca: CertificateAuthority
) -> None:
    with _serve(RecordingBot(key=KEY), bot_ca) as server:
        status = main(
            [
                "check",
                server.url + "/",
                "--security-key",
                KEY,
                "--ca-file",
                bot_ca.ca_path,
                "--api-port",
                "0",
                "--wait-for-bot",
                "10",
            ]
        )
    out, err = capsys.readouterr()
    assert status == 0, out + err
    api = re.search(r"^  API    (https://127\.0\.0\.1:\d+/v4/)$", out, re.MULTILINE)
    assert api is not None, out
    assert re.search(r"^  CA     \S+ \(temporary, removed on exit\)$", out, re.MULTILINE), out
    assert "  State  " not in out
    assert f"(fake API at {api.group(1)})" in out
    assert out.index("the bot is up") < out.index("  genuine_call …")


def test_a_busy_api_port_is_an_error(
    capsys: pytest.CaptureFixture[str], bot_ca: CertificateAuthority
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        status = main(["check", "https://127.0.0.1:9/", "--security-key", KEY,
                       "--api-port", str(port)])  # fmt: skip
    out, err = capsys.readouterr()
    assert status == 1
    assert "genuine_call" not in out
    assert f"the fake's API cannot listen on 127.0.0.1:{port}: Address already in use" in err
    assert "pick another --api-port" in err
    assert "port=0" not in err  # the library's advice is not the CLI's


def test_a_ca_file_without_certificates_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate\n")
    assert main(["check", "https://127.0.0.1:9/", "--security-key", KEY,
                 "--ca-file", str(garbage)]) == 2  # fmt: skip
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert "--ca-file" in err
    assert "holds no usable CA certificate" in err


# -- waiting for the bot -------------------------------------------------------------------------


def test_wait_for_bot_gives_up_when_nothing_listens(bot_ca: CertificateAuthority) -> None:
    # Bound but not listening: connections are refused, and the port stays ours.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"https://127.0.0.1:{closed.getsockname()[1]}/"
        started = time.monotonic()
        problem = _wait_for_bot(url, bot_ca.client_context(), 0.3)
        took = time.monotonic() - started
    assert problem is not None
    assert "ConnectionRefusedError" in problem
    assert 0.3 <= took < 5


def test_wait_for_bot_returns_once_the_bot_listens(bot_ca: CertificateAuthority) -> None:
    result: list[str | None] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        url = f"https://127.0.0.1:{listener.getsockname()[1]}/"
        waiter = threading.Thread(
            target=lambda: result.append(_wait_for_bot(url, bot_ca.client_context(), 30))
        )
        waiter.start()  # its first attempts may be refused: nothing listens yet
        listener.listen()
        listener.settimeout(10)
        conn, _ = listener.accept()
        with bot_ca.server_context("127.0.0.1").wrap_socket(conn, server_side=True):
            waiter.join(10)
    assert result == [None]


def test_wait_for_bot_stops_at_a_certificate_it_does_not_trust(
    bot_ca: CertificateAuthority,
) -> None:
    # The bot is up; the checks, not the wait, report that its certificate is not trusted.
    with (
        CertificateAuthority() as stranger,
        RawServer(lambda sock: None, stranger.server_context("127.0.0.1")) as server,
    ):
        started = time.monotonic()
        assert _wait_for_bot(server.url, bot_ca.client_context(), 30) is None
        assert time.monotonic() - started < 10


def test_an_unusable_state_dir_is_named_as_the_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    status = main(["check", "https://127.0.0.1:9/", "--security-key", KEY,
                   "--state-dir", str(blocker / "state")])  # fmt: skip
    _, err = capsys.readouterr()
    assert status == 1
    assert "cannot use the state directory" in err
    assert "Traceback" not in err
