"""The ``pyrus-mock`` command line, through ``main(argv=[...])``: help, usage errors, check."""

from __future__ import annotations

import re
import shlex
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyrus_mock import PyrusMock, __version__
from pyrus_mock.cli import serve as standalone
from pyrus_mock.cli.commands import build_parser, main

from ._bots import RecordingBot

KEY = "S" * 92 + "k3y!"


def _one_line_error(capsys: pytest.CaptureFixture[str], *expected: str) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("pyrus-mock"), err
    assert "error: " in err
    for part in expected:
        assert part in err, err
    return err


# -- help and version ----------------------------------------------------------------------------


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: pyrus-mock")
    for command in ("demo", "serve", "check"):
        assert re.search(rf"^\s+{command}\s+\S", out, re.MULTILINE), out


@pytest.mark.parametrize(
    ("command", "options"),
    [
        pytest.param("demo", ("--seed", "--json", "--color"), id="demo"),
        pytest.param(
            "serve",
            ("--host", "--port", "--state-dir", "--clock", "--cert-host", "--seed", "--set"),
            id="serve",
        ),
        pytest.param(
            "check",
            (
                "--security-key",
                "--ca-file",
                "--login",
                "--junit-xml",
                "--timeout",
                "--key-reset-command",
                "--api-port",
                "--state-dir",
                "--wait-for-bot",
                "--set",
            ),
            id="check",
        ),
    ],
)
def test_every_command_has_help(
    capsys: pytest.CaptureFixture[str], command: str, options: tuple[str, ...]
) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: pyrus-mock {command}")
    for option in options:
        assert option in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"pyrus-mock {__version__}\n"


# -- usage errors: one line, exit status 2 -------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param([], "choose a command: demo, serve, check, record, replay or load",
                     id="no-command"),
        pytest.param(["launch"], "invalid choice: 'launch'", id="unknown-command"),
        pytest.param(["demo", "--colour"], "unrecognized arguments: --colour", id="unknown-option"),
        pytest.param(["demo", "--seed", "x"], "--seed: invalid int value", id="bad-seed"),
        pytest.param(["serve", "--port", "http"], "'http' is not a port number", id="port-text"),
        pytest.param(["serve", "--port", "70000"], "70000 is not a port", id="port-range"),
        pytest.param(["serve", "--clock", "fast"], "invalid choice: 'fast'", id="bad-clock"),
        pytest.param(["serve", "--cert-host", "not a name"],
                     "cert_hosts: 'not a name' cannot go into a server certificate",
                     id="cert-host-space"),
        pytest.param(["serve", "--cert-host", "a..b"], "'a..b' cannot go into",
                     id="cert-host-label"),
        pytest.param(["serve", "--cert-host", "10.0.0.0/8"], "'10.0.0.0/8' cannot go into",
                     id="cert-host-network"),
        pytest.param(["check"], "required: url", id="check-no-url"),
        pytest.param(
            ["check", "https://bot.example", "--security-key", "k", "--timeout", "0"],
            "must be more than 0 seconds",
            id="check-timeout",
        ),
        pytest.param(
            ["check", "https://bot.example", "--api-port", "65536"],
            "65536 is not a port",
            id="check-api-port",
        ),
        pytest.param(
            ["check", "https://bot.example", "--wait-for-bot", "-1"],
            "must be more than 0 seconds",
            id="check-wait-for-bot",
        ),
        pytest.param(["serve", "--set", "signatur_case=lower"],
                     "signatur_case: is not a setting (did you mean 'signature_case'?); allowed: ",
                     id="set-name"),
        pytest.param(["serve", "--set", "lower"], "'lower' is not NAME=VALUE", id="set-no-equals"),
        pytest.param(["serve", "--set", "=lower"], "is not NAME=VALUE", id="set-no-name"),
        pytest.param(["serve", "--set", "auto_deliver=maybe"],
                     "auto_deliver: 'maybe' is not a boolean (true/false", id="set-bool"),
        pytest.param(["serve", "--set", "auto_deliver="], "auto_deliver: '' is not a boolean",
                     id="set-bool-empty"),
        pytest.param(["serve", "--set", "max_bots=many"], "max_bots: 'many' is not a whole number",
                     id="set-int"),
        pytest.param(["serve", "--set", "max_bots=2.5"], "'2.5' is not a whole number",
                     id="set-int-fraction"),
        pytest.param(["serve", "--set", "max_bots=0"], "max_bots: 0 is not", id="set-int-range"),
        pytest.param(["serve", "--set", "rate_window=soon"], "rate_window: 'soon' is not a number",
                     id="set-float"),
        pytest.param(["serve", "--set", "rate_window=inf"], "is not a finite number",
                     id="set-float-inf"),
        pytest.param(["serve", "--set", "retry_delays=5,x"], "comma-separated numbers",
                     id="set-tuple"),
        pytest.param(["serve", "--set", "retry_delays=10,5"], "increasing", id="set-tuple-order"),
        pytest.param(["serve", "--set", "on_rejection=reopen"],
                     "on_rejection: 'reopen'; allowed: close, reset_to_", id="set-choice"),
        pytest.param(["check", "https://bot.example", "--security-key", "k", "--set",
                      "delivery_timeout=5"], "use --timeout", id="check-set-timeout"),
    ],
)  # fmt: skip
def test_usage_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    assert main(argv) == 2
    _one_line_error(capsys, expected, "--help")


@pytest.mark.parametrize(
    ("assignment", "name", "value"),
    [
        ("auto_deliver=off", "auto_deliver", False),
        ("auto_deliver=YES", "auto_deliver", True),
        ("revoke_tokens_on_reset=1", "revoke_tokens_on_reset", True),
        ("acknowledged_counts_as_approval=False", "acknowledged_counts_as_approval", False),
        ("max_bots=3", "max_bots", 3),
        ("delivery_timeout=2.5", "delivery_timeout", 2.5),
        ("token_lifetime=60", "token_lifetime", 60.0),
        ("retry_delays=5, 10.5", "retry_delays", (5.0, 10.5)),
        ("retry_delays=", "retry_delays", ()),
        ("signature_case=lower", "signature_case", "lower"),
        ("on_rejection=reset_to_previous_step", "on_rejection", "reset_to_previous_step"),
        ("user_agent=Bot/1 (a=b)", "user_agent", "Bot/1 (a=b)"),  # split at the first =
    ],
)
def test_set_reads_each_value_by_the_settings_type(assignment: str, name: str, value: Any) -> None:
    args = build_parser().parse_args(["serve", "--set", assignment])
    assert args.settings == [(name, value)]
    assert type(args.settings[0][1]) is type(value)


def test_set_repeats_and_reaches_serve_and_check(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []

    def record(*args: Any, **kwargs: Any) -> int:
        seen.append(kwargs["settings"])
        return 0

    monkeypatch.setattr(standalone, "serve", record)
    monkeypatch.setattr(standalone, "check", record)
    argv = ["--set", "signature_case=lower", "--set", "max_bots=2", "--set", "max_bots=5"]
    assert main(["serve", *argv]) == 0
    assert main(["check", "https://bot.example", "--security-key", "k", *argv]) == 0
    assert main(["serve"]) == 0
    chosen = {"signature_case": "lower", "max_bots": 5}  # the last --set of a name wins
    assert seen == [chosen, chosen, {}]


def test_check_needs_a_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYRUS_SECURITY_KEY", raising=False)
    assert main(["check", "https://127.0.0.1:9/"]) == 2
    _one_line_error(capsys, "--security-key is required", "PYRUS_SECURITY_KEY")


def test_check_refuses_plain_http(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "http://127.0.0.1:9/", "--security-key", KEY]) == 2
    _one_line_error(capsys, "is not an https:// URL")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://[::1", "not a valid URL"),
        ("https://host:abc/", "not a valid URL"),
        ("https://a b/", "spaces"),
        ("https://h:0/", "port 0"),
    ],
)
def test_check_refuses_malformed_urls_in_one_line(
    capsys: pytest.CaptureFixture[str], url: str, reason: str
) -> None:
    assert main(["check", url, "--security-key", KEY]) == 2
    _one_line_error(capsys, reason)


def test_check_needs_an_existing_ca_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.pem"
    assert (
        main(["check", "https://127.0.0.1:9/", "--security-key", KEY, "--ca-file", str(missing)])
        == 2
    )
    _one_line_error(capsys, "--ca-file", "does not exist")


# -- check against bots running elsewhere --------------------------------------------------------


@pytest.fixture
def elsewhere() -> Iterator[PyrusMock]:
    """Another fake, only to serve test bots over TLS with its own CA (a bot "anywhere")."""
    mock = PyrusMock()
    yield mock
    mock.close()


def _rows(out: str) -> dict[str, str]:
    """``{check name: status}`` from the printed result table."""
    rows = {}
    for line in out.splitlines():
        match = re.match(r"^\s+([a-z_]+)\s+(pass|FAIL|skip)\s", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_check_a_correct_bot_passes(
    capsys: pytest.CaptureFixture[str], elsewhere: PyrusMock, tmp_path: Path
) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY)
    bot = RecordingBot(key=key_file.read_text)
    writer = "import os, sys; open(sys.argv[1], 'w').write(os.environ['PYRUS_NEW_SECURITY_KEY'])"
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(writer)} {shlex.quote(str(key_file))}"
    junit = tmp_path / "report.xml"
    with elsewhere.serve_bot(bot) as url:
        status = main(
            [
                "check",
                url,
                "--security-key",
                KEY,
                "--ca-file",
                elsewhere.ca_path,
                "--junit-xml",
                str(junit),
                "--timeout",
                "5",
                "--key-reset-command",
                command,
            ]
        )
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert out.index("  genuine_call …") < out.index("PASSED")  # progress, then the table
    assert "PASSED" in out
    rows = _rows(out)
    assert set(rows.values()) == {"pass"}, out
    assert {"genuine_call", "forged_wrong_key", "key_reset"} <= set(rows)
    assert key_file.read_text() != KEY  # the hook gave the bot its new key
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"
    assert int(suite.get("tests") or 0) == len(rows)


def test_check_a_bot_that_ignores_signatures_fails(
    capsys: pytest.CaptureFixture[str], elsewhere: PyrusMock, tmp_path: Path
) -> None:
    junit = tmp_path / "report.xml"
    with elsewhere.serve_bot(RecordingBot(verify=None)) as url:
        status = main(
            [
                "check",
                url,
                "--security-key",
                KEY,
                "--ca-file",
                elsewhere.ca_path,
                "--junit-xml",
                str(junit),
            ]
        )
    out = capsys.readouterr().out
    assert status == 1
    assert "FAILED" in out
    rows = _rows(out)
    assert rows["genuine_call"] == "pass"
    assert rows["forged_wrong_key"] == rows["forged_missing_header"] == "FAIL"
    assert rows["key_reset"] == "skip"  # no --key-reset-command
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    failed = {
        case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None
    }
    assert "forged_wrong_key" in failed
    assert int(suite.get("failures") or 0) == len(failed)


def test_check_reports_a_failing_key_reset_command(
    capsys: pytest.CaptureFixture[str], elsewhere: PyrusMock
) -> None:
    fail = f"{shlex.quote(sys.executable)} -c 'raise SystemExit(3)'"
    with elsewhere.serve_bot(RecordingBot(key=KEY)) as url:
        status = main(
            [
                "check",
                url,
                "--security-key",
                KEY,
                "--ca-file",
                elsewhere.ca_path,
                "--key-reset-command",
                fail,
            ]
        )
    out = capsys.readouterr().out
    assert status == 1
    assert _rows(out)["key_reset"] == "FAIL"
    assert "exited with status 3" in out


def test_check_without_trusting_the_bots_ca_fails_the_calls(
    capsys: pytest.CaptureFixture[str], elsewhere: PyrusMock
) -> None:
    # The system store does not know the test CA: the genuine call cannot even connect.
    with elsewhere.serve_bot(RecordingBot(key=KEY)) as url:
        status = main(["check", url, "--security-key", KEY, "--timeout", "2"])
    assert status == 1
    assert _rows(capsys.readouterr().out)["genuine_call"] == "FAIL"


def test_login_gives_the_bot_the_login_it_knows(elsewhere: PyrusMock) -> None:
    from pyrus_mock.cli.serve import _set_login
    from pyrus_mock.cli.usage import UsageError

    bot = elsewhere.add_bot("Bot", "https://127.0.0.1:9/", security_key=KEY)
    _set_login(elsewhere, bot.id, "bot@00000000-0000-4000-8000-000000000001")
    assert bot.login == "bot@00000000-0000-4000-8000-000000000001"
    token = elsewhere._backend.accounts.login(bot.login, KEY)
    assert token.person_id == bot.id
    user = elsewhere.add_user(email="taken@example.com")
    with pytest.raises(UsageError, match="already taken"):
        _set_login(elsewhere, bot.id, user.email)
