"""A bot's reply is judged once, the same way by the delivery and by ``check_bot`` (D6)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from pyrus_mock import PyrusMock
from pyrus_mock.domain.errors import StrictModeError

from ._bots import RecordingBot

#: (reply body, expected warning codes, expected error codes, applied?)
CASES = [
    (b"", [], [], False),
    (b"{}", [], [], False),
    (b'{"text": null}', [], [], False),
    (b"Success", ["invalid_json"], [], False),
    (b"\xff\xfe not utf-8", ["invalid_json"], [], False),
    (b"[1, 2]", ["invalid_json"], [], False),
    (b'"done"', ["invalid_json"], [], False),
    (b"42", ["invalid_json"], [], False),
    (b'{"statusCode": 200, "body": "ok"}', ["unknown_parameter", "unknown_parameter"], [], False),
    (b'{"Text": "hello"}', ["unknown_parameter"], [], False),
    (b'{"reply_note_id": 5, "x": 1}', ["ignored_parameter", "unknown_parameter"], [], False),
    (b'{"text": "seen", "bogus": 1}', ["unknown_parameter"], [], True),
    (b'{"text": "seen"}', [], [], True),
    (json.dumps({"text": "a", "formatted_text": "<b>a</b>"}).encode(), [],
     ["both_text_and_formatted_text_specified"], False),
    (b'{"text": "a", "due_date": "tomorrow", "zzz": 0}', ["unknown_parameter"],
     ["invalid_value_format"], False),
]  # fmt: skip
IDS = [
    "empty", "empty-object", "only-nulls", "not-json", "not-utf8", "array", "string", "number",
    "unknown-keys-only", "miscased-key", "inert-and-unknown", "comment-with-unknown", "comment",
    "invalid-comment", "invalid-comment-with-unknown",
]  # fmt: skip


@pytest.fixture
def fake() -> Iterator[PyrusMock]:
    mock = PyrusMock()
    yield mock
    mock.close()


@pytest.mark.parametrize(("raw", "warnings", "errors", "applied"), CASES, ids=IDS)
def test_delivery_and_check_bot_give_the_same_verdict(
    fake: PyrusMock, raw: bytes, warnings: list[str], errors: list[str], applied: bool
) -> None:
    bot_app = RecordingBot(reply=raw)
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        bot_app.key = bot.security_key
        task = fake.add_task(text="t", responsible=bot)
        report = fake.check_bot(bot)
    delivery = fake.deliveries[0]
    assert report["genuine_call"].status == "pass", report["genuine_call"].reason
    # the delivery: always delivered (a 2xx); errors refuse the reply, warnings do not
    assert delivery.state == "delivered"
    assert [v.error_code for v in delivery.violations if v.severity == "warning"] == warnings
    assert [v.error_code for v in delivery.error_violations] == errors
    assert delivery.ok is (not errors)
    assert (delivery.comment is not None) is applied
    authors = [c.author_id for c in task.comments]
    assert authors == [task.author_id, bot.id] if applied else authors == [task.author_id]
    # check_bot's reply_contract: the same verdict, warnings and errors named
    contract = report["reply_contract"]
    assert contract.status == ("fail" if errors else "pass"), contract.reason
    for code in warnings + errors:
        assert code in contract.reason
    if not warnings and not errors:
        assert "warning" not in contract.reason
    # strict mode fails the test on errors only
    if errors:
        with pytest.raises(StrictModeError, match=errors[0]):
            fake.assert_no_problems()
    else:
        fake.assert_no_problems()


def test_unknown_keys_name_close_matches(fake: PyrusMock) -> None:
    """``{"Text": ...}`` is not applied, but the warning says what was meant."""
    bot_app = RecordingBot(reply={"Text": "hello"}, verify=None)
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        fake.add_task(text="t", responsible=bot)
        report = fake.check_bot(bot)
    (warning,) = fake.deliveries[0].violations
    assert warning.path == "/Text"
    assert "'text'" in warning.message
    assert "'text'" in report["reply_contract"].reason


def test_a_reply_with_thousands_of_unknown_keys_names_a_few_and_counts_the_rest(
    fake: PyrusMock,
) -> None:
    """Each named unknown key costs a close-match search, made under the fake's lock, and a
    recorded warning: a reply (or an API request) with thousands of junk keys would stall the
    fake and bloat the record. The first ones are named; one warning counts the rest."""
    reply = {"text": "seen", **{f"junk_{i}": i for i in range(5000)}}
    bot_app = RecordingBot(reply=reply, verify=None)
    with fake.serve_bot(bot_app) as url:
        bot = fake.add_bot("Bot", url)
        task = fake.add_task(text="t", responsible=bot)
    delivery = fake.deliveries[0]
    assert delivery.state == "delivered"
    assert delivery.comment is not None  # unknown keys are ignored, the comment applied
    assert [c.text for c in task.comments][-1] == "seen"
    warnings = [v for v in delivery.violations if v.error_code == "unknown_parameter"]
    assert 1 < len(warnings) <= 25
    assert warnings[0].path == "/junk_0"
    assert "4980 more keys" in warnings[-1].message
    assert "ignored" in warnings[-1].message
