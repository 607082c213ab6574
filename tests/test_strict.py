"""Strict mode (:mod:`pyrus_mock.strict`): what fails a test that would otherwise pass (a reply
Pyrus would refuse, a retry left pending, an exception in a server thread), what the message
says, and the ways to opt out. Through the pytest plugin (pytester) and without pytest."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from pyrus_mock import PyrusMock
from pyrus_mock.domain.errors import StrictModeError
from pyrus_mock.report.strict import check, problems

from ._bots import RecordingBot

# -- through the pytest plugin ---------------------------------------------------------------------


VIOLATING_TEST = """
from bots import RecordingBot

{marker}
def test_reply_is_invalid(pyrus_mock, bot_server):
    app = RecordingBot(reply={{"text": "a", "formatted_text": "<b>a</b>"}})
    bot = pyrus_mock.add_bot("Echo", bot_server(app))
    app.key = bot.security_key
    pyrus_mock.add_task(text="t", responsible=bot)
"""


def test_a_violation_fails_the_test_and_names_it(suite: pytest.Pytester) -> None:
    suite.makepyfile(VIOLATING_TEST.format(marker=""))
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "pyrus-mock strict mode found 1 problem:",
            "*1. delivery #1 of task * to bot * (comment, created) delivered, attempt 1: HTTP 200",
            "*error: /formatted_text: both_text_and_formatted_text_specified: *",
            "*-> 1 error-severity violation: Pyrus would refuse this reply*",
            "*@pytest.mark.pyrus_allow_violations*--pyrus-mock-strict=off*",
            "*- pyrus-mock transcript -*",
        ]
    )
    assert "Traceback" not in result.stdout.str()  # the message alone, no plugin internals


def test_the_marker_opts_out(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        "import pytest\n" + VIOLATING_TEST.format(marker="@pytest.mark.pyrus_allow_violations")
    )
    suite.runpytest("--strict-markers").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "how",
    [["--pyrus-mock-strict=off"], ["-o", "pyrus_mock_strict=false"]],
    ids=["option", "ini"],
)
def test_strict_mode_can_be_switched_off(suite: pytest.Pytester, how: list[str]) -> None:
    suite.makepyfile(VIOLATING_TEST.format(marker=""))
    suite.runpytest(*how).assert_outcomes(passed=1)


def test_a_pending_retry_fails_and_advancing_the_clock_resolves_it(
    suite: pytest.Pytester,
) -> None:
    suite.makepyfile(
        """
        from bots import RecordingBot

        def _failing(pyrus_mock, bot_server):
            bot = pyrus_mock.add_bot("Down", bot_server(RecordingBot(status=503, verify=None)))
            pyrus_mock.add_task(text="t", responsible=bot)
            assert pyrus_mock.deliveries[0].state == "pending_retry"

        def test_pending(pyrus_mock, bot_server):
            _failing(pyrus_mock, bot_server)

        def test_resolved(pyrus_mock, bot_server):
            _failing(pyrus_mock, bot_server)
            pyrus_mock.clock.advance(122)
            assert pyrus_mock.deliveries[0].state == "exhausted"
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*1. delivery #1 * pending_retry, attempt 1: http_status: the bot answered 503*",
            "*-> still pending: attempt 2 is due at 2026-01-05T09:01:01Z. Run the remaining "
            "attempts with pyrus_mock.clock.advance(122)*",
            "FAILED *::test_pending*",
        ]
    )


def test_an_exception_in_a_bot_server_thread_fails(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        """
        def broken(environ, start_response):
            raise RuntimeError("the bot broke")

        def test_broken_bot(pyrus_mock, bot_server):
            bot = pyrus_mock.add_bot("Broken", bot_server(broken))
            pyrus_mock.add_task(text="t", responsible=bot)
            pyrus_mock.clock.advance(122)  # no retry left pending: only the errors remain
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*found 3 problems:*",
            "*1. bot server raised RuntimeError: the bot broke (the client got a 500)",
            '*raise RuntimeError("the bot broke")',
        ]
    )
    assert "ERROR at teardown" not in result.stdout.str()


# -- the check as a library call -------------------------------------------------------------------


def test_the_strict_check_without_pytest() -> None:
    from pyrus_mock import PyrusMock
    from pyrus_mock.domain.errors import StrictModeError

    from ._bots import RecordingBot

    app = RecordingBot(reply={"text": "a", "formatted_text": "<b>a</b>"}, verify=None)
    with PyrusMock() as fake, fake.serve_bot(app) as url:
        fake.assert_no_problems()  # nothing happened yet
        bot = fake.add_bot("Echo", url)
        fake.add_task(text="t", responsible=bot)
        with pytest.raises(StrictModeError) as caught:
            fake.assert_no_problems()
        message = str(caught.value)
        assert message.startswith("pyrus-mock strict mode found 1 problem:\n\n1. delivery #1 ")
        assert "both_text_and_formatted_text_specified" in message
        assert "pyrus_mock.reset() forgets deliveries" in message
        assert "pytest" not in message
        fake.reset()
        fake.assert_no_problems()


def _invalid_reply_bot() -> RecordingBot:
    return RecordingBot(reply={"text": "a", "formatted_text": "<b>a</b>"}, verify=None)


def test_a_good_delivery_is_no_problem() -> None:
    app = RecordingBot(reply={"text": "hi"}, verify=None)
    with PyrusMock() as fake, fake.serve_bot(app) as url:
        bot = fake.add_bot("Echo", url)
        fake.add_task(text="t", responsible=bot)
        assert fake.deliveries[0].ok
        assert problems(fake) == []
        check(fake)


def test_a_pending_retry_is_a_problem_until_the_clock_runs_it() -> None:
    with PyrusMock() as fake, fake.serve_bot(RecordingBot(status=503, verify=None)) as url:
        bot = fake.add_bot("Down", url)
        fake.add_task(text="t", responsible=bot)
        [found] = problems(fake)
        assert "pending_retry" in found
        assert "attempt 2 is due at 2026-01-05T09:01:01Z" in found
        assert "pyrus_mock.clock.advance(122)" in found
        fake.clock.advance(122)
        assert fake.deliveries[0].state == "exhausted"
        assert problems(fake) == []  # a bot that stays down is not, by itself, a problem


def test_an_exception_in_a_bot_server_thread_is_a_problem() -> None:
    def broken(environ: object, start_response: object) -> list[bytes]:
        raise RuntimeError("the bot broke")

    with PyrusMock() as fake, fake.serve_bot(broken) as url:
        bot = fake.add_bot("Broken", url)
        fake.add_task(text="t", responsible=bot)
        fake.clock.advance(122)
        found = problems(fake)
        assert found
        assert all("bot server raised RuntimeError: the bot broke" in p for p in found)
        for server in fake._bot_servers:
            server.clear_errors()
        assert problems(fake) == []


@dataclass
class _Server:
    """A server the caller passes in (the plugin's ``bot_server`` servers)."""

    name: str
    errors: list[BaseException] = field(default_factory=list)


def test_servers_passed_in_are_looked_at_too() -> None:
    try:
        raise ValueError("bad frame")
    except ValueError as exc:
        server = _Server("asgi bot", [exc])
    with PyrusMock() as fake:
        assert problems(fake) == []
        [found] = problems(fake, [server])
        assert found.startswith(
            "asgi bot server raised ValueError: bad frame (the client got a 500)"
        )
        assert "Traceback" in found


def test_the_message_numbers_each_problem_and_words_the_advice_for_its_reader() -> None:
    with PyrusMock() as fake, fake.serve_bot(_invalid_reply_bot()) as url:
        bot = fake.add_bot("Echo", url)
        fake.add_task(text="one", responsible=bot)
        fake.add_task(text="two", responsible=bot)
        with pytest.raises(StrictModeError) as library:
            check(fake)
        with pytest.raises(StrictModeError) as plugin:
            check(fake, under_pytest=True)
    text = str(library.value)
    assert text.startswith("pyrus-mock strict mode found 2 problems:\n\n1. delivery #1 ")
    assert "\n\n2. delivery #2 " in text
    assert "pyrus_mock.reset() forgets deliveries" in text
    advice = str(plugin.value)
    assert "@pytest.mark.pyrus_allow_violations" in advice
    assert "--pyrus-mock-strict=off" in advice
    assert "pyrus_mock_strict = false" in advice
