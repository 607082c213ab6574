"""Conformance checks against bots that get it right and bots that get it wrong."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pyrus_mock import InvalidArgument, PyrusMock
from pyrus_mock.mock.conformance import CHECKS
from pyrus_mock.mock.conformance_report import ConformanceReport

from ._conformance_bots import ApiCommentBot, CorrectBot, NoVerifyBot, StaleKeyBot
from ._tls_helpers import refused_port

FORGED = [name for name in CHECKS if name.startswith("forged_")]

BotServer = Callable[..., str]


def _serve(pyrus_mock: PyrusMock, bot_server: BotServer, app: CorrectBot) -> Any:
    bot = pyrus_mock.add_bot("Bot under test", bot_server(app))
    app.key = bot.security_key  # configured at startup, as a deployed bot is
    return bot


def test_correct_bot_passes_every_check(pyrus_mock: PyrusMock, bot_server: BotServer) -> None:
    app = CorrectBot()
    bot = _serve(pyrus_mock, bot_server, app)
    report = pyrus_mock.check_bot(bot, on_key_reset=app.set_key)
    assert report.passed, report
    assert [c.name for c in report.checks] == list(CHECKS)
    assert {c.status for c in report.checks} == {"pass"}, report
    assert app.key == bot.security_key  # the bot followed the reset
    # The checks observe only: no delivery recorded, nothing applied to the task.
    assert pyrus_mock.deliveries == []
    assert all(
        [c.author_id for c in task.comments] == [task.author_id]  # the creation comment only
        for task in pyrus_mock.tasks()
    )


def test_bot_skipping_verification_fails_the_forged_calls(
    pyrus_mock: PyrusMock, bot_server: BotServer
) -> None:
    app = NoVerifyBot()
    bot = _serve(pyrus_mock, bot_server, app)
    report = pyrus_mock.check_bot(bot, on_key_reset=app.set_key)
    assert not report.passed
    assert report["genuine_call"].status == "pass"
    for name in FORGED:
        assert report[name].status == "fail", report
        assert "was accepted (HTTP 200)" in report[name].reason
        assert "verify X-Pyrus-Sig" in report[name].reason
    assert report["key_reset"].status == "fail"
    assert "old key" in report["key_reset"].reason
    assert "FAIL" in str(report)
    assert "forged_wrong_key" in str(report)


def test_bot_caching_the_old_key_fails_key_reset(
    pyrus_mock: PyrusMock, bot_server: BotServer
) -> None:
    app = StaleKeyBot()
    bot = _serve(pyrus_mock, bot_server, app)
    report = pyrus_mock.check_bot(bot, on_key_reset=app.set_key)
    assert [c.name for c in report.failed] == ["key_reset"], report
    reason = report["key_reset"].reason
    assert "old key's signature" in reason
    assert "was accepted" in reason
    assert "new key was not accepted: HTTP 403" in reason


def test_key_reset_is_skipped_without_a_hook(pyrus_mock: PyrusMock, bot_server: BotServer) -> None:
    app = CorrectBot()
    bot = _serve(pyrus_mock, bot_server, app)
    key = bot.security_key
    report = pyrus_mock.check_bot(bot)
    assert report.passed, report
    assert report["key_reset"].status == "skip"
    assert "on_key_reset" in report["key_reset"].reason
    assert bot.security_key == key  # nothing was reset


def test_hook_errors_fail_the_key_reset_check(pyrus_mock: PyrusMock, bot_server: BotServer) -> None:
    def broken(key: str) -> None:
        raise RuntimeError("cannot reach the bot's config")

    bot = _serve(pyrus_mock, bot_server, CorrectBot())
    report = pyrus_mock.check_bot(bot, on_key_reset=broken)
    assert report["key_reset"].status == "fail"
    assert "RuntimeError: cannot reach the bot's config" in report["key_reset"].reason


@pytest.mark.parametrize("idempotent", [True, False], ids=["idempotent", "repeats"])
def test_redelivery_must_not_repeat_api_side_effects(
    pyrus_mock: PyrusMock, bot_server: BotServer, idempotent: bool
) -> None:
    app = ApiCommentBot("", pyrus_mock.api_url, pyrus_mock.ca_path, idempotent=idempotent)
    bot = _serve(pyrus_mock, bot_server, app)
    report = pyrus_mock.check_bot(bot, on_key_reset=app.set_key)
    check = report["redelivery_idempotent"]
    if idempotent:
        assert report.passed, report
        assert check.reason == "HTTP 200, 1 API change made once"
    else:
        assert check.status == "fail", report
        assert "repeated its API side effects (POST /v4/tasks/" in check.reason
        assert [c.name for c in report.failed] == ["redelivery_idempotent"]


def test_a_redelivery_that_drops_the_reply_fails(
    pyrus_mock: PyrusMock, bot_server: BotServer
) -> None:
    class ForgetfulBot(CorrectBot):
        """Replies empty to any retry: Pyrus would never get the approval."""

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            if environ.get("HTTP_X_PYRUS_RETRY", "1/3") != "1/3":
                start_response("200 OK", [("Content-Length", "0")])
                return [b""]
            return super().__call__(environ, start_response)

    app = ForgetfulBot()
    bot = _serve(pyrus_mock, bot_server, app)
    report = pyrus_mock.check_bot(bot)
    assert report["redelivery_idempotent"].status == "fail"
    assert "would be lost" in report["redelivery_idempotent"].reason


@pytest.mark.parametrize(
    ("reply", "status", "words"),
    [
        (b"", "pass", "empty reply"),
        (b"{}", "pass", "empty reply"),
        (b"Success", "pass", "invalid_json"),
        (b"[1]", "pass", "JSON array, not an object"),
        (b'{"Text": "hi"}', "pass", "unknown_parameter"),
        (json.dumps({"text": "a", "formatted_text": "<b>a</b>"}).encode(), "fail",
         "both_text_and_formatted_text_specified"),
    ],
    ids=["empty", "empty-object", "text", "list", "unknown-keys", "invalid-comment"],
)  # fmt: skip
def test_reply_contract(
    pyrus_mock: PyrusMock, bot_server: BotServer, reply: bytes, status: str, words: str
) -> None:
    class Replier(CorrectBot):
        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            if not self.verified(body, environ.get("HTTP_X_PYRUS_SIG", "")):
                start_response("403 Forbidden", [("Content-Length", "0")])
                return [b""]
            start_response("200 OK", [("Content-Length", str(len(reply)))])
            return [reply]

    bot = _serve(pyrus_mock, bot_server, Replier())
    report = pyrus_mock.check_bot(bot)
    assert report["reply_contract"].status == status, report
    assert words in report["reply_contract"].reason


def test_a_slow_bot_fails_the_latency_budget(pyrus_mock: PyrusMock, bot_server: BotServer) -> None:
    release = threading.Event()

    class SlowBot(CorrectBot):
        def handle(self, payload: dict[str, Any]) -> dict[str, Any]:
            release.wait(10)  # held until the checks are over: slower than any budget
            return {}

    bot = _serve(pyrus_mock, bot_server, SlowBot())
    try:
        report = pyrus_mock.check_bot(bot, latency_budget=0.1)
    finally:
        release.set()
    genuine = report["genuine_call"]
    assert genuine.status == "fail"
    assert "timeout" in genuine.reason
    assert report["reply_contract"].status == "skip"
    assert report["redelivery_idempotent"].status == "skip"
    assert all(report[name].status == "pass" for name in FORGED), report


def test_an_unreachable_bot_fails_with_reasons(pyrus_mock: PyrusMock) -> None:
    bot = pyrus_mock.add_bot("Gone", f"https://127.0.0.1:{refused_port()}/")
    report = pyrus_mock.check_bot(bot, latency_budget=2)
    assert report["genuine_call"].status == "fail"
    assert "connection_refused" in report["genuine_call"].reason
    assert "signature" not in report["genuine_call"].reason  # not the bot's signature check
    assert "got no HTTP answer" in report["forged_wrong_key"].reason


def test_a_bot_this_fake_did_not_create(pyrus_mock: PyrusMock, bot_server: BotServer) -> None:
    """What ``pyrus-mock check URL --security-key KEY --ca-file PEM`` does."""
    key = "k" * 96
    app = CorrectBot(key)
    url = bot_server(app)  # a bot running "elsewhere", with a certificate from another CA
    with PyrusMock(trust=pyrus_mock.ca_path) as other:
        bot = other.add_bot("Bot under test", url, security_key=key)
        lines: list[str] = []
        report = other.check_bot(bot, on_key_reset=app.set_key, progress=lines.append)
    assert report.passed, report
    assert lines[0] == "genuine_call: running"
    assert lines[1].startswith("genuine_call: pass - HTTP 200 in ")
    assert len(lines) == 2 * len(CHECKS)


def test_report_renders_as_table_dict_and_junit(
    pyrus_mock: PyrusMock, bot_server: BotServer, tmp_path: Path
) -> None:
    app = NoVerifyBot()
    bot = _serve(pyrus_mock, bot_server, app)
    report = pyrus_mock.check_bot(bot)
    text = str(report)
    assert text.splitlines()[0] == report.summary()
    assert f"bot {bot.id} at {bot.url}: FAILED (3 passed, 5 failed, 1 skipped)" in text
    assert "  forged_wrong_key       FAIL    a call with" in text
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["passed"] is False
    assert [c["status"] for c in data["checks"]].count("fail") == 5
    path = tmp_path / "conformance.xml"
    report.to_junit_xml(str(path))
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "9"
    assert suite.get("failures") == "5"
    assert suite.get("skipped") == "1"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == set(CHECKS)
    failure = cases["forged_wrong_key"].find("failure")
    assert failure is not None
    assert "was accepted" in (failure.get("message") or "")
    assert cases["key_reset"].find("skipped") is not None
    assert cases["genuine_call"].find("failure") is None
    with pytest.raises(KeyError, match="no check named 'nope'"):
        report["nope"]


def test_bad_arguments(pyrus_mock: PyrusMock) -> None:
    bot = pyrus_mock.add_bot("Bot", "https://127.0.0.1:1/")
    with pytest.raises(InvalidArgument, match="latency_budget"):
        pyrus_mock.check_bot(bot, latency_budget=0)
    with PyrusMock() as other:
        stranger = other.add_bot("Stranger", "https://127.0.0.1:1/")
        with pytest.raises(InvalidArgument, match="is not a bot of this fake"):
            pyrus_mock.check_bot(stranger)
    assert ConformanceReport(1, "https://x/").passed  # no checks, nothing failed


def test_a_bot_verifying_reserialised_json_fails(
    pyrus_mock: PyrusMock, bot_server: BotServer
) -> None:
    class ReserialisingBot(CorrectBot):
        """Signs json.dumps(request.json) instead of the raw bytes: a classic mistake."""

        def verified(self, body: bytes, signature: str) -> bool:
            return super().verified(json.dumps(json.loads(body)).encode(), signature)

    bot = _serve(pyrus_mock, bot_server, ReserialisingBot())
    report = pyrus_mock.check_bot(bot)
    assert report["genuine_call"].status == "fail"
    assert "check the bot's signature verification" in report["genuine_call"].reason  # a 4xx
    # said once, not also in the delivery's own words
    assert report["genuine_call"].reason.count("Pyrus counts only a 2xx") == 1
    assert report["forged_wrong_key"].status == "pass"
    reason = report["forged_reserialized"].reason
    assert report["forged_reserialized"].status == "fail"
    assert "re-serialised as json.dumps() does by default was accepted" in reason
    assert "verify the raw request bytes exactly as received" in reason


def test_assert_passed_fails_with_the_whole_table(
    pyrus_mock: PyrusMock, bot_server: BotServer
) -> None:
    app = NoVerifyBot()  # accepts anything: every forged call fails the bot
    bot = _serve(pyrus_mock, bot_server, app)
    report = pyrus_mock.check_bot(bot)
    with pytest.raises(AssertionError) as failure:
        report.assert_passed()
    message = str(failure.value)
    assert message == str(report)
    assert "FAILED" in message.splitlines()[0]
    assert "forged_flipped_byte" in message
    assert "was accepted (HTTP 200)" in message  # the reasons, which repr() leaves out
    # repr stays under pytest's 240-character cut and names the failed checks
    assert len(repr(report)) < 240
    assert "FAILED; failed: forged_" in repr(report)
    passing = pyrus_mock.check_bot(_serve(pyrus_mock, bot_server, CorrectBot()))
    assert passing.assert_passed() is passing


@pytest.mark.parametrize("action", ["delete", "block", "disable"])
def test_check_bot_refuses_bots_pyrus_would_not_call(action: str) -> None:
    with PyrusMock() as fake:
        bot = fake.add_bot("Bot", "https://localhost:1/")
        getattr(bot, action)()
        with pytest.raises(InvalidArgument, match="never calls"):
            fake.check_bot(bot)
