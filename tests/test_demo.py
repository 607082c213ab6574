"""``pyrus-mock demo``: the scenario runs, prints what matters, and hides secrets."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import pytest

from pyrus_mock.cli import demo
from pyrus_mock.cli.commands import main

# Key lines of the readable account, in the order they appear.
KEY_LINES = (
    "The bot and its generated credentials",
    "login         bot@",
    "security key  ••••",
    "X-Pyrus-Sig: ",
    "X-Pyrus-Retry: 1/3",
    '"event": "comment"',
    "valid CreateComment: applied as comment",
    "GET /v4/tasks/",
    "Bot note   Amount 120.50 is within the limit of 1000.00.",
    "step 1     Expense bot approved",
    "bot.reset_security_key()",
    "attempt 1/3: HTTP 403",
    "delivery pending_retry: attempt 2 is due 61 s after the first",
    "clock.advance(61)",
    "attempt 2/3: HTTP 200",
    "demo finished in",
)

# A 96-character security key, whole, must never be printed.
WHOLE_KEY = re.compile(r"[A-Za-z0-9~_-]{96}")


def _in_order(text: str, lines: tuple[str, ...]) -> None:
    at = 0
    for line in lines:
        found = text.find(line, at)
        assert found >= 0, f"missing (or out of order): {line!r}\n{text}"
        at = found + len(line)


def test_demo_prints_the_whole_story(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["demo"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    _in_order(out, KEY_LINES)
    assert "\033[" not in out  # captured output is not a terminal
    assert not WHOLE_KEY.search(out)


def test_demo_json_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--json", "--seed", "7"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] is True
    assert summary["problem"] is None
    assert summary["seconds"] < 3
    assert summary["bot"]["security_key"].startswith("••••")
    assert summary["bot"]["login"].startswith("bot@")
    assert summary["key_reset"] == {
        "refused_status": 403,
        "retry_header": "2/3",
        "final_state": "delivered",
    }
    first, second = summary["deliveries"]
    assert first["state"] == second["state"] == "delivered"
    assert [a["status"] for a in second["attempts"]] == [403, 200]
    assert summary["bot_api_calls"][0]["method"] == "GET"
    assert summary["task"]["current_step"] == 2
    assert not WHOLE_KEY.search(json.dumps(summary))


def test_the_seed_changes_the_ids(capsys: pytest.CaptureFixture[str]) -> None:
    main(["demo", "--json", "--seed", "1"])
    one = json.loads(capsys.readouterr().out)
    main(["demo", "--json", "--seed", "2"])
    two = json.loads(capsys.readouterr().out)
    assert one["task"]["id"] != two["task"]["id"]


def test_colour_only_when_asked_or_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["demo", "--color", "always"]) == 0
    assert "\033[1m" in capsys.readouterr().out

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert demo.Style.for_stream(Terminal()).enabled
    assert not demo.Style.for_stream(io.StringIO()).enabled
    assert not demo.Style.for_stream(Terminal(), "never").enabled
    monkeypatch.setenv("NO_COLOR", "1")
    assert not demo.Style.for_stream(Terminal()).enabled


def test_mask_keeps_only_the_last_four() -> None:
    assert demo.mask("abcdefgh") == "••••efgh"
    assert demo.mask("x" * 92 + "WXYZ").endswith("WXYZ")
    assert "x" not in demo.mask("x" * 92 + "WXYZ")
    assert demo.mask("abc") == "•••"


def test_a_broken_scenario_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An example bot that accepts any signature: the key-reset step finds no refusal.
    monkeypatch.setattr(demo.ExampleBot, "signature_ok", lambda self, body, sig: True)
    assert main(["demo"]) == 1
    assert "✗ demo failed: the bot should refuse the new signature with 403" in (
        capsys.readouterr().out
    )


def test_python_m_pyrus_mock_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pyrus_mock", "demo"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 0, done.stderr
    _in_order(done.stdout, KEY_LINES)
    assert "\033[" not in done.stdout
