"""The pytest plugin as users run it: through pytester, with no conftest of their own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyrus_mock.domain.masking import mask


def test_fixtures_are_there_without_any_conftest(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        """
        import requests, trustme
        from pyrus_mock import PyrusMock
        from bots import RecordingBot

        def test_fixtures(pyrus_ca, pyrus_mock, bot_server, pyrus_requests):
            assert isinstance(pyrus_ca, trustme.CA)
            assert isinstance(pyrus_mock, PyrusMock)
            assert pyrus_mock.base_url.startswith("https://127.0.0.1:")
            app = RecordingBot(reply={"text": "hi"})
            url = bot_server(app)
            assert url.startswith("https://127.0.0.1:") and url.endswith("/")
            bot = pyrus_mock.add_bot("Echo", url)
            app.key = bot.security_key
            task = pyrus_mock.add_task(text="t", responsible=bot)
            assert pyrus_mock.deliveries[0].ok
            assert task.comments[-1].text == "hi"
            # pyrus_requests: the official hosts reach the fake in-process
            reply = requests.post("https://accounts.pyrus.com/api/v4/auth",
                                  json={"login": bot.login, "security_key": bot.security_key})
            assert reply.status_code == 200 and reply.json()["access_token"]
        """
    )
    suite.runpytest("--strict-markers").assert_outcomes(passed=1)


def test_no_state_leaks_from_one_test_to_the_next(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        """
        from bots import RecordingBot

        IDS = {}

        def test_a_makes_data(pyrus_mock, bot_server):
            user = pyrus_mock.add_user("Ann", "Lee")
            app = RecordingBot()
            bot = pyrus_mock.add_bot("Echo", bot_server(app))
            app.key = bot.security_key
            task = pyrus_mock.add_task(text="t", responsible=bot, author=user)
            pyrus_mock.clock.advance(3600)
            IDS.update(user=user.id, bot=bot.id, task=task.id)
            assert len(pyrus_mock.deliveries) == 1

        def test_b_sees_an_empty_fake(pyrus_mock):
            from pyrus_mock.domain.clock import DEFAULT_START
            backend = pyrus_mock._backend
            assert backend.persons() == [] and backend.tasks() == []
            assert backend.accounts.bots() == []
            assert pyrus_mock.deliveries == [] and backend.log.calls == []
            assert pyrus_mock.clock.now() == DEFAULT_START
            assert pyrus_mock.add_user("Ann", "Lee").id == IDS["user"]  # ids start over
            assert pyrus_mock.add_task(text="t").id == IDS["task"]
            assert pyrus_mock.settings.signature_case == "upper"
        """
    )
    suite.runpytest().assert_outcomes(passed=2)


def test_a_failing_test_gets_the_transcript_with_secrets_masked(
    suite: pytest.Pytester, tmp_path: Path
) -> None:
    secrets_file = tmp_path / "secrets.json"
    suite.makepyfile(
        f"""
        import json
        from bots import RecordingBot

        def test_fails(pyrus_mock, bot_server):
            app = RecordingBot(reply={{"text": "done"}})
            bot = pyrus_mock.add_bot("Echo", bot_server(app))
            app.key = bot.security_key
            pyrus_mock.add_task(text="hello", responsible=bot)
            with open({str(secrets_file)!r}, "w") as f:
                json.dump({{"key": bot.security_key,
                           "token": pyrus_mock.deliveries[0].access_token}}, f)
            assert pyrus_mock.deliveries[0].reply == {{"text": "something else"}}

        def test_passes(pyrus_mock):
            pass
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1, passed=1)
    output = result.stdout.str()
    secrets = json.loads(secrets_file.read_text())
    assert secrets["key"] not in output
    assert secrets["token"] not in output
    assert f"key {mask(secrets['key'])}" in output
    assert f'"access_token": "{mask(secrets["token"])}"' in output
    result.stdout.fnmatch_lines(
        [
            "*- pyrus-mock transcript -*",
            "clock 2026-01-05T09:00:00Z (virtual); 1 delivery, 0 API calls",
            "delivery #1 of task * to bot * 'Echo' (comment, created) at *: delivered, token *",
            "    X-Pyrus-Sig: *",
            "    X-Pyrus-Retry: 1/3",
            "    -> HTTP 200 in * ms",
        ]
    )
    assert output.count("pyrus-mock transcript") == 1  # only the failing test


SIGNATURE_CASE_TEST = """
import pytest
from bots import RecordingBot

def test_case(pyrus_mock, bot_server):
    app = RecordingBot(verify="lower")
    bot = pyrus_mock.add_bot("Echo", bot_server(app))
    app.key = bot.security_key
    pyrus_mock.add_task(text="t", responsible=bot)
    sig = app.calls[0][0]["X-Pyrus-Sig"]
    assert sig == sig.{expected}(), sig
"""


@pytest.mark.parametrize(
    ("args", "ini", "expected"),
    [
        ((), "", "upper"),
        (("--pyrus-mock-signature-case=lower",), "", "lower"),
        ((), "pyrus_mock_signature_case = lower", "lower"),
        (("--pyrus-mock-signature-case=upper",), "pyrus_mock_signature_case = lower", "upper"),
    ],
    ids=["default", "option", "ini", "option-beats-ini"],
)
def test_signature_case_reaches_the_bot(
    suite: pytest.Pytester, args: tuple[str, ...], ini: str, expected: str
) -> None:
    if ini:
        suite.makeini(f"[pytest]\n{ini}\n")
    suite.makepyfile(SIGNATURE_CASE_TEST.format(expected=expected))
    suite.runpytest(*args).assert_outcomes(passed=1)


def test_settings_from_pyproject_and_the_marker(suite: pytest.Pytester) -> None:
    suite.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        pyrus_mock_delivery_timeout = "2.5"
        pyrus_mock_strict = "on"
        """
    )
    suite.makepyfile(
        """
        import pytest

        @pytest.mark.pyrus_mock(signature_case="lower", delivery_timeout=7)
        def test_marked(pyrus_mock):
            assert pyrus_mock.settings.signature_case == "lower"
            assert pyrus_mock._backend.settings.delivery_timeout == 7

        def test_after(pyrus_mock):
            assert pyrus_mock.settings.signature_case == "upper"
            assert pyrus_mock.settings.delivery_timeout == 2.5

        @pytest.mark.pyrus_mock(no_such_setting=1)
        def test_bad_marker(pyrus_mock):
            pass
        """
    )
    result = suite.runpytest("--strict-markers")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.pyrus_mock(...): no_such_setting: is not a setting; allowed: *"]
    )
    assert "Traceback" not in result.stdout.str()
    assert "_plugin_support.py" not in result.stdout.str()  # one line, not the plugin's trace
    # Once, not also as the cause of a second, chained failure.
    assert "During handling of the above exception" not in result.stdout.str()
    # Counted in the report's ERRORS section: the short summary line repeats the message
    # when the terminal is wide enough (CI's is), which is pytest's own echo, not a chain.
    report = result.stdout.str().split("short test summary info")[0]
    assert report.count("no_such_setting: is not a setting") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--pyrus-mock-strict=maybe",),
            "*--pyrus-mock-strict: 'maybe' is not a boolean; use on or off*",
        ),
        (("-o", "pyrus_mock_strict=2"), "*pyrus_mock_strict (ini): '2' is not a boolean*"),
        (
            ("--pyrus-mock-signature-case=mixed",),
            "*--pyrus-mock-signature-case: 'mixed' is not a signature case; use upper or lower*",
        ),
        (
            ("--pyrus-mock-delivery-timeout=-1",),
            "*--pyrus-mock-delivery-timeout: '-1' is not a positive number of seconds*",
        ),
        (("-o", "pyrus_mock_delivery_timeout=soon"), "*'soon' is not a positive number*"),
    ],
    ids=["strict-option", "strict-ini", "case", "timeout-option", "timeout-ini"],
)
def test_bad_option_values_are_usage_errors(
    suite: pytest.Pytester, args: tuple[str, ...], message: str
) -> None:
    suite.makepyfile("def test_nothing(): pass")
    result = suite.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_options_are_documented_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "pyrus-mock*",
            "*--pyrus-mock-strict=on|off*",
            "*--pyrus-mock-signature-case=upper|lower*",
            "*--pyrus-mock-delivery-timeout=SECONDS*",
            "*pyrus_mock_strict (string):*",
        ]
    )


ASGI_BOT = """
import hashlib, hmac, json

class AsgiBot:
    def __init__(self, fail=False):
        self.key = ""
        self.fail = fail

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if self.fail:
            raise RuntimeError("the ASGI bot broke")
        sig = dict(scope["headers"]).get(b"x-pyrus-sig", b"").decode()
        expected = hmac.new(self.key.encode(), body, hashlib.sha1).hexdigest().upper()
        ok = hmac.compare_digest(sig, expected)
        reply = json.dumps({"text": "async hi"}).encode() if ok else b""
        await send({"type": "http.response.start", "status": 200 if ok else 403,
                    "headers": [(b"content-length", str(len(reply)).encode())]})
        await send({"type": "http.response.body", "body": reply})
"""


def test_an_asgi_bot_is_served_through_uvicorn(suite: pytest.Pytester) -> None:
    pytest.importorskip("uvicorn")
    suite.makepyfile(asgibot=ASGI_BOT)
    suite.makepyfile(
        """
        from asgibot import AsgiBot

        def test_asgi(pyrus_mock, bot_server):
            app = AsgiBot()
            bot = pyrus_mock.add_bot("Async", bot_server(app))
            app.key = bot.security_key
            task = pyrus_mock.add_task(text="t", responsible=bot)
            assert pyrus_mock.deliveries[0].ok, pyrus_mock.deliveries[0].summary()
            assert task.comments[-1].text == "async hi"

        def test_asgi_error(pyrus_mock, bot_server):
            bot = pyrus_mock.add_bot("Async", bot_server(AsgiBot(fail=True)))
            pyrus_mock.add_task(text="t", responsible=bot)
            pyrus_mock.clock.advance(122)
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*asgi-bot server raised RuntimeError: the ASGI bot broke*"])


def test_asgi_without_uvicorn_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from pyrus_mock import PyrusMockError
    from pyrus_mock.transport.asgi import AsgiBotServer, is_asgi_app

    async def app(scope: object, receive: object, send: object) -> None:
        pass

    class AppClass:
        async def __call__(self, scope: object, receive: object, send: object) -> None:
            pass

    def wsgi(environ: object, start_response: object) -> list[bytes]:
        return []

    assert is_asgi_app(app)
    assert is_asgi_app(AppClass())
    assert not is_asgi_app(wsgi)
    assert not is_asgi_app(AppClass)
    assert not is_asgi_app(object())
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    server = AsgiBotServer(app, cert=None)  # type: ignore[arg-type]
    with pytest.raises(PyrusMockError, match=r"pip install 'pyrus-mock\[asgi\]'"):
        server.start()


def test_bot_servers_are_pooled_between_tests(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        """
        from bots import RecordingBot

        URLS = []

        def test_a_serves_a_bot(pyrus_mock, bot_server):
            URLS.append(bot_server(RecordingBot(verify=None)))

        def test_b_the_old_url_has_no_bot_any_more(pyrus_mock):
            bot = pyrus_mock.add_bot("Stale", URLS[0])
            pyrus_mock.add_task(text="t", responsible=bot)
            pyrus_mock.clock.advance(122)
            attempt = pyrus_mock.deliveries[0].attempts[0]
            assert attempt.status == 503
            assert b"the test that served one has ended" in attempt.reply_body

        def test_c_gets_a_server_back_and_may_stop_it(pyrus_mock, bot_server):
            app = RecordingBot(verify=None)
            url = bot_server(app)
            assert url == URLS[0]  # the same server, now serving this test's bot
            pyrus_mock.stop_bot_servers()

        def test_d_still_gets_a_working_server(pyrus_mock, bot_server):
            app = RecordingBot(verify=None)
            bot = pyrus_mock.add_bot("Fresh", bot_server(app))
            pyrus_mock.add_task(text="t", responsible=bot)
            assert pyrus_mock.deliveries[0].ok
        """
    )
    suite.runpytest().assert_outcomes(passed=4)


def test_the_marker_sets_trust_for_one_test(suite: pytest.Pytester) -> None:
    """A bot served with a certificate from the team's own CA: trusted where the marker says so,
    and only there."""
    suite.makepyfile(
        """
        import ssl, threading
        import pytest, trustme
        from werkzeug.serving import make_server

        OWN_CA = trustme.CA()

        @pytest.fixture(scope="module")
        def own_bot(tmp_path_factory):
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            OWN_CA.issue_cert("127.0.0.1").configure_cert(ctx)
            def app(environ, start_response):
                start_response("200 OK", [("Content-Length", "0")])
                return [b""]
            server = make_server("127.0.0.1", 0, app, ssl_context=ctx)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            yield f"https://127.0.0.1:{server.server_port}/"
            server.shutdown()

        @pytest.fixture(scope="module")
        def own_ca_file(tmp_path_factory):
            path = tmp_path_factory.mktemp("ca") / "own-ca.pem"
            OWN_CA.cert_pem.write_to_path(str(path))
            return str(path)

        @pytest.fixture
        def trusting(request, own_ca_file):
            request.applymarker(pytest.mark.pyrus_mock(trust=own_ca_file))

        def test_trusted(trusting, pyrus_mock, own_bot):
            bot = pyrus_mock.add_bot("Own", own_bot)
            assert pyrus_mock.deliver(pyrus_mock.add_task(text="t"), to=bot).ok

        @pytest.mark.pyrus_allow_violations
        def test_not_trusted_afterwards(pyrus_mock, own_bot):
            bot = pyrus_mock.add_bot("Own", own_bot)
            delivery = pyrus_mock.deliver(pyrus_mock.add_task(text="t"), to=bot)
            assert delivery.attempts[0].error_kind == "tls_untrusted"
            pyrus_mock.clock.advance(200)  # let the retries run out: nothing left pending
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=2)


def test_trust_set_by_a_test_does_not_leak_into_the_next(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        """
        def test_sets_trust(pyrus_mock):
            pyrus_mock.trust = "system"

        def test_after(pyrus_mock):
            assert pyrus_mock.trust == "fake_ca"
        """
    )
    suite.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_a_test_that_restarts_the_server_does_not_break_the_next(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        """
        def test_restarts(pyrus_mock):
            pyrus_mock.stop()
            pyrus_mock.start(cert_hosts=["host.docker.internal"])
            assert "host.docker.internal" in pyrus_mock.cert_hosts

        def test_next(pyrus_mock):
            assert "host.docker.internal" not in pyrus_mock.cert_hosts
            assert pyrus_mock.server.port > 0
        """
    )
    suite.runpytest().assert_outcomes(passed=2)


NAMED_ASGI_BOT = """
import json

class NamedBot:
    def __init__(self, name):
        self.name = name

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        reply = json.dumps({"text": self.name}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(reply)).encode())]})
        await send({"type": "http.response.body", "body": reply})
"""


def test_asgi_bot_servers_are_pooled_between_tests(suite: pytest.Pytester) -> None:
    pytest.importorskip("uvicorn")
    suite.makepyfile(namedbot=NAMED_ASGI_BOT)
    suite.makepyfile(
        """
        from namedbot import NamedBot

        URLS = []

        def answer(pyrus_mock, url):
            bot = pyrus_mock.add_bot("Async", url)
            task = pyrus_mock.add_task(text="t", responsible=bot)
            assert pyrus_mock.deliveries[0].ok, pyrus_mock.deliveries[0].summary()
            return task.comments[-1].text

        def test_a_first_app(pyrus_mock, bot_server):
            URLS.append(bot_server(NamedBot("first")))
            assert answer(pyrus_mock, URLS[-1]) == "first"

        def test_b_second_app_on_the_same_server(pyrus_mock, bot_server):
            URLS.append(bot_server(NamedBot("second")))
            assert URLS[1] == URLS[0]  # the pooled uvicorn, now forwarding to this test's app
            assert answer(pyrus_mock, URLS[-1]) == "second"

        def test_c_the_released_url_answers_503(pyrus_mock):
            bot = pyrus_mock.add_bot("Stale", URLS[0])
            pyrus_mock.add_task(text="t", responsible=bot)
            pyrus_mock.clock.advance(122)
            attempt = pyrus_mock.deliveries[0].attempts[0]
            assert attempt.status == 503
            assert b"the test that served one has ended" in attempt.reply_body
        """
    )
    suite.runpytest().assert_outcomes(passed=3)
