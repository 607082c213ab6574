"""Canary scans: no secret the fake issues is ever printed whole (issue 12, item 5).

Every key, token and signature the fake makes is recorded as it is made (:mod:`tests._canary`),
then the output of a failing pytest session (``-vv``, the transcript in the report), of every
CLI command and of the records' reprs is searched for them. At most the last four characters
may show (``…a1B2``).

Documented exceptions, where a secret is handed over because the user needs it:

- ``pyrus-mock serve`` prints the admin token in its banner (and writes it to
  ``STATE_DIR/admin-token``): the user needs it to call the control plane. The test checks it
  appears on that banner line and nowhere else in the output.
- The control plane's JSON answers (``POST /_mock/bots`` with the new bot's ``security_key``,
  ``POST /_mock/bots/{id}/token``, ``GET /_mock/deliveries`` with each payload and its
  ``X-Pyrus-Sig``) are data the caller asked for, behind the admin token, e.g. to verify
  signatures from another language; they are not scanned. ``GET /_mock/transcript`` is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from pyrus_mock import PyrusMock
from pyrus_mock.cli.commands import main
from pyrus_mock.domain.errors import StrictModeError
from pyrus_mock.domain.masking import scrub
from pyrus_mock.domain.secrets import mask_header, masked_headers
from pyrus_mock.transport.server import TLSServer
from pyrus_mock.transport.tls import CertificateAuthority

from ._bots import RecordingBot
from ._canary import Recorder, echo_token, leaks
from .test_serve import _serving

ROOT = Path(__file__).resolve().parent.parent
KEY = "U" * 60 + "userKey-0123456789abcdef"


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    return Recorder().install(monkeypatch)


CONFTEST = """
import json, os
import pytest
from tests._canary import Recorder

@pytest.fixture(scope="session", autouse=True)
def _canary():
    with pytest.MonkeyPatch.context() as patch:
        recorder = Recorder().install(patch)
        yield
    with open(os.environ["CANARY_OUT"], "w") as f:
        json.dump(sorted(recorder.secrets), f)
"""

FAILING_TEST = """
import requests
from tests._bots import RecordingBot
from tests._canary import echo_token

def echo(payload):
    return {"text": "the token I got: " + payload["access_token"]}

def test_fails_on_purpose(pyrus_mock, bot_server, pyrus_requests):
    app = RecordingBot(reply=echo)
    bot = pyrus_mock.add_bot("Echo", bot_server(app))
    app.key = bot.security_key
    task = pyrus_mock.add_task(text="t", responsible=bot)
    delivery = pyrus_mock.deliveries[0]
    auth = requests.post(
        "https://accounts.pyrus.com/api/v4/auth",
        json={"login": bot.login, "security_key": bot.security_key},
    ).json()["access_token"]
    api = "https://api.pyrus.com/v4"
    requests.get(f"{api}/tasks/{task.id}?access_token={auth}")
    bearer = {"Authorization": "Bearer " + delivery.access_token}
    requests.get(f"{api}/tasks/{task.id}", headers=bearer)
    requests.post(f"{api}/tasks/{task.id}/comments", json={"text": "mine: " + auth},
                  headers={"Authorization": "Bearer " + auth})
    requests.get(f"{api}/tasks/{task.id}", headers={"Authorization": "Bearer " + auth + "x"})
    print(pyrus_mock.check_bot(bot))
    account = pyrus_mock._backend.accounts.find_bot(bot.id)
    print(repr(bot), repr(delivery), pyrus_mock.deliveries, account)
    print(pyrus_mock.transcript_json())
    assert delivery.attempts == [], "fails on purpose, to print the report and transcript"


def test_strict_mode_fails_an_echoing_bot(pyrus_mock, bot_server):
    app = RecordingBot(reply=echo_token)
    bot = pyrus_mock.add_bot("Echo values", bot_server(app))
    app.key = bot.security_key
    pyrus_mock.add_task(text="t", responsible=bot)
    print(pyrus_mock.check_bot(bot))
    print(pyrus_mock.deliveries[0].summary())
    print(pyrus_mock.deliveries[0].violations)
    # passes; strict mode fails it: the bot's reply has error violations quoting its token
"""


def test_a_failing_pytest_session_prints_no_secret(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_canary_session.py").write_text(FAILING_TEST)
    out = tmp_path / "secrets.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "CANARY_OUT": str(out),
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-vv", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-p", "no:xdist", "-rA", "test_canary_session.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 1, output  # the test failed, on purpose, and nothing else broke
    assert "fails on purpose" in output
    assert "pyrus-mock transcript" in output
    assert "pyrus-mock strict mode found" in output  # the echoing bot's violations, shown
    assert "unknown_parameter" in output
    assert "Captured stdout call" in output  # the check_bot table, reprs and JSON transcript
    secrets = json.loads(out.read_text())
    assert len(secrets) >= 6  # bot key, user keys, delivery tokens, auth token, signatures
    assert leaks(output, secrets) == []
    assert "\u2026" in output  # secrets are there, masked


def test_violations_quoting_a_token_show_it_masked(recorder: Recorder) -> None:
    app = RecordingBot(reply=echo_token)
    with PyrusMock() as fake, fake.serve_bot(app) as url:
        bot = fake.add_bot("Echo values", url)
        app.key = bot.security_key
        fake.add_task(text="t", responsible=bot)
        delivery = fake.deliveries[0]
        report = fake.check_bot(bot)
        with pytest.raises(StrictModeError) as raised:
            fake.assert_no_problems()
        shown = "\n".join([
            str(report), json.dumps(report.to_dict()), delivery.summary(), str(raised.value),
            fake.transcript(),
            json.dumps(fake.transcript_json(), ensure_ascii=False),
        ])  # fmt: skip
    assert report["reply_contract"].status == "fail"
    assert len(recorder.secrets) >= 4
    assert leaks(shown, recorder.secrets) == []
    # The record itself keeps them masked: pytest prints a failing ``assert violations == []``.
    tail = delivery.access_token[-4:]
    assert any(v.path == f"/bogus_\u2026{tail}" for v in delivery.violations)
    assert leaks(repr(delivery.violations), recorder.secrets) == []
    assert f"/bogus_\u2026{tail}: unknown_parameter" in delivery.summary()
    assert f"got the string '\u2026{tail}..." in delivery.summary()  # cut short, then masked
    assert "unknown_parameter: 'bogus_\u2026" in str(report)


def test_scrub_masks_secrets_and_the_starts_of_secrets_cut_short() -> None:
    secret = "NVPYB_8nXQ" + "a1" * 25 + "Zz09"
    mask = "\u2026Zz09"
    cases = {
        f"got {secret}!": f"got {mask}!",
        f"got the string '{secret[:37]}\u2026'": f"got the string '{mask}\u2026'",
        f"'{secret[:9]}...' and {secret[:12]}x": f"'{mask}...' and {mask}x",
        f"cut at the end: {secret[:8]}": f"cut at the end: {mask}",
        f"{secret[:8]}{secret[:8]}\u2026": f"{secret[:8]}{mask}\u2026",
    }
    for text, expected in cases.items():
        assert scrub(text, [secret]) == expected, text
    # Ordinary text keeps its words: a short start not cut, or too short to be one.
    kept = f"{secret[:11]} is a word; {secret[:7]}\u2026; no secret here"
    assert scrub(kept, [secret]) == kept


def test_demo_prints_no_secret(recorder: Recorder, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["demo"], ["demo", "--json"], ["demo", "--color", "always"]):
        assert main(argv) == 0
    output = "".join(capsys.readouterr())
    assert len(recorder.secrets) >= 4
    assert leaks(output, recorder.secrets) == []
    assert "X-Pyrus-Sig: \u2022" in output  # shown, masked


def test_check_prints_no_secret(
    recorder: Recorder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = CertificateAuthority()
    app = RecordingBot(KEY, reply=lambda payload: {"text": "got " + payload["access_token"]})
    server = TLSServer(app, ca.server_context("localhost", "127.0.0.1"), name="bot")
    server.start()
    try:
        argv = ["check", server.url, "--security-key", KEY, "--ca-file", ca.ca_path,
                "--state-dir", str(tmp_path), "--api-port", "0",
                "--junit-xml", str(tmp_path / "junit.xml")]  # fmt: skip
        main(argv)
    finally:
        server.stop()
        ca.close()
    output = "".join(capsys.readouterr()) + (tmp_path / "junit.xml").read_text()
    recorder.add([KEY])
    assert len(recorder.secrets) >= 4
    assert "signature" in output
    assert leaks(output, recorder.secrets) == []


def test_serve_prints_the_admin_token_only_in_its_banner(
    recorder: Recorder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _serving(state_dir=tmp_path) as (info, out, err, _result):
        token = info["Admin token"]
        ca = str(tmp_path / "ca.pem")
        control = info["Control"].rstrip("/")
        headers = {"Authorization": f"Bearer {token}"}

        def call(method: str, path: str, **kw: Any) -> Any:
            response = requests.request(
                method, control + path, headers=headers, verify=ca, timeout=20, **kw
            )
            return response.json()

        bot = call("POST", "/bots", json={"name": "B", "url": "https://127.0.0.1:9/"})
        call("POST", "/tasks", json={"text": "t", "responsible": bot["id"]})
        call("POST", "/clock/advance", json={"seconds": 200})
        transcript = requests.get(
            control + "/transcript", headers=headers, verify=ca, timeout=20
        ).text
        text, errors = out.text, err.text
    assert main(["serve", "--help"]) == 0
    help_text = "".join(capsys.readouterr())
    recorder.add([token])
    # The documented exception: the banner line the user copies the token from.
    banner = [line for line in text.splitlines() if token in line]
    assert len(banner) == 1
    assert banner[0].split()[:2] == ["Admin", "token"]
    rest = text.replace(banner[0], "")
    for where in (rest, errors, transcript, help_text):
        assert leaks(where, recorder.secrets) == []


def test_records_show_secrets_masked(recorder: Recorder) -> None:
    app = RecordingBot(reply={"text": "ok"})
    with PyrusMock() as fake, fake.serve_bot(app) as url:
        bot = fake.add_bot("Echo", url)
        app.key = bot.security_key
        fake.add_task(text="t", responsible=bot)
        delivery = fake.deliveries[0]
        account = fake._backend.accounts.find_bot(bot.id)
        token = fake._backend.accounts.issue_token(bot.id)
        issued = fake.issue_cert("localhost")
        reprs = " ".join(
            repr(x)
            for x in (bot, delivery, *delivery.attempts, account, token, fake.settings, issued)
        )
        reprs += str(delivery) + repr(fake.deliveries)
        secrets = recorder.secrets | {issued.key_pem.decode()}
    assert len(secrets) >= 4
    assert leaks(reprs, secrets) == []
    assert f"sig=…{delivery.attempts[0].signature[-4:]}" in reprs
    assert "key_pem" not in reprs


def test_secret_headers_are_masked() -> None:
    assert mask_header("Authorization", "Bearer abcdefgh1234") == "Bearer \u20261234"
    assert mask_header("x-pyrus-sig", "ABCDEF0123") == "\u20260123"
    assert mask_header("Content-Type", "text/plain") == "text/plain"
    assert masked_headers([("X-Pyrus-Sig", "A" * 40)]) == {"X-Pyrus-Sig": "\u2026AAAA"}
