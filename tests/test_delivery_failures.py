"""A misbehaving bot becomes a recorded, classified delivery failure (issue 4, behaviour 3)."""

from __future__ import annotations

import datetime
import re
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import trustme

from pyrus_mock import InvalidArgument, PyrusMock, ServerThreadError
from pyrus_mock.transport.server import TLSServer

from ._tls_helpers import RawServer, answer, refused_port, wsgi_reply


@pytest.fixture
def fake() -> Iterator[PyrusMock]:
    mock = PyrusMock(delivery_timeout=0.3, max_reply_bytes=1000)
    yield mock
    mock.close()


def _deliver_to(fake: PyrusMock, url: str) -> Any:
    bot = fake.add_bot("Bot", url)
    task = fake.add_task(text="t")
    delivery = fake.deliver(task, to=bot)
    assert delivery.state == "pending_retry", delivery.summary()
    assert not delivery.ok
    return delivery.attempts[0]


def _attempt_against(fake: PyrusMock, ctx: ssl.SSLContext, app: Any = None) -> Any:
    """Serve ``app`` with ``ctx``, deliver to it once, stop it; the first attempt."""
    server = TLSServer(app or wsgi_reply(), ctx).start()
    try:
        return _deliver_to(fake, server.url + "/")
    finally:
        server.stop()


def test_connection_refused(fake: PyrusMock) -> None:
    attempt = _deliver_to(fake, f"https://127.0.0.1:{refused_port()}/hook")
    assert attempt.error_kind == "connection_refused"
    assert "nothing is listening" in attempt.error


def test_certificate_from_another_ca_is_untrusted(fake: PyrusMock) -> None:
    other = trustme.CA()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    other.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    attempt = _attempt_against(fake, ctx)
    assert attempt.error_kind == "tls_untrusted"
    assert "not signed by a CA the fake trusts" in attempt.error


def test_certificate_for_another_host(fake: PyrusMock) -> None:
    attempt = _attempt_against(fake, fake.ca.server_context("example.org"))
    assert attempt.error_kind == "tls_hostname"
    assert "not valid for that host" in attempt.error


def test_expired_certificate(fake: PyrusMock) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = fake.ca.ca.issue_cert(
        "127.0.0.1",
        not_before=now - datetime.timedelta(days=30),
        not_after=now - datetime.timedelta(days=1),
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    attempt = _attempt_against(fake, ctx)
    assert attempt.error_kind == "tls_expired"
    assert "validity period" in attempt.error


def test_plain_http_server_fails_the_handshake(fake: PyrusMock) -> None:
    reply = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    with RawServer(answer(reply, whole_request=False)) as raw:
        attempt = _deliver_to(fake, raw.url)
    assert attempt.error_kind == "tls_handshake"
    assert "TLS handshake" in attempt.error


def test_slow_bot_times_out_in_wall_time(fake: PyrusMock) -> None:
    release = threading.Event()

    def slow(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        release.wait(10)
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    server = TLSServer(slow, fake.ca.server_context()).start()
    try:
        attempt = _deliver_to(fake, server.url + "/")
    finally:
        release.set()
        server.stop()
    assert attempt.error_kind == "timeout"
    assert "within 0.3 s" in attempt.error
    assert "raise the fake's delivery_timeout" in attempt.error  # and how: the setting's name
    # The bot got its whole budget: the fake did not give up early.
    assert attempt.elapsed >= 0.3


def test_error_status(fake: PyrusMock) -> None:
    app = wsgi_reply("500 Internal Server Error", b"database is down")
    attempt = _attempt_against(fake, fake.ca.server_context(), app)
    assert attempt.error_kind == "http_status"
    assert attempt.status == 500
    assert "database is down" in attempt.error


@pytest.mark.parametrize("status", ["401 Unauthorized", "403 Forbidden"])
def test_a_refusal_points_at_the_signature(fake: PyrusMock, status: str) -> None:
    attempt = _attempt_against(fake, fake.ca.server_context(), wsgi_reply(status, b"denied"))
    assert attempt.error_kind == "http_status"
    assert "'denied'" in attempt.error
    assert "the bot refused X-Pyrus-Sig" in attempt.error
    assert "bot.security_key" in attempt.error  # what to check next


@pytest.mark.parametrize("status", ["404 Not Found", "405 Method Not Allowed"])
def test_a_missing_route_points_at_the_path(fake: PyrusMock, status: str) -> None:
    server = TLSServer(wsgi_reply(status, b"nope"), fake.ca.server_context()).start()
    try:
        attempt = _deliver_to(fake, server.url + "/hooks/pyrus")
    finally:
        server.stop()
    assert attempt.error_kind == "http_status"
    assert "no POST route at /hooks/pyrus" in attempt.error
    assert 'bot_server(app, path="/webhook")' in attempt.error  # what to do next


def test_other_errors_do_not_blame_the_signature(fake: PyrusMock) -> None:
    app = wsgi_reply("500 Internal Server Error", b"no route")
    attempt = _attempt_against(fake, fake.ca.server_context(), app)
    assert "X-Pyrus-Sig" not in attempt.error
    assert "look at the bot's logs" in attempt.error


def test_redirect_is_not_followed(fake: PyrusMock) -> None:
    app = wsgi_reply("302 Found", b"", [("Location", "https://127.0.0.1:1/elsewhere")])
    attempt = _attempt_against(fake, fake.ca.server_context(), app)
    assert attempt.error_kind == "redirect"
    assert "Location: https://127.0.0.1:1/elsewhere" in attempt.error


def test_reply_too_large(fake: PyrusMock) -> None:
    attempt = _attempt_against(fake, fake.ca.server_context(), wsgi_reply(body=b"x" * 5000))
    assert attempt.error_kind == "reply_too_large"
    assert "limit of 1000 bytes" in attempt.error


def test_garbage_after_handshake_is_a_protocol_error(fake: PyrusMock) -> None:
    with RawServer(answer(b"\x00\x01garbage\r\n\r\n"), fake.ca.server_context()) as raw:
        attempt = _deliver_to(fake, raw.url)
    assert attempt.error_kind == "protocol_error"
    assert "not HTTP" in attempt.error


def test_failures_are_recorded_and_retried_until_exhausted(fake: PyrusMock) -> None:
    bot = fake.add_bot("Bot", f"https://127.0.0.1:{refused_port()}/hook")
    task = fake.add_task(text="t")
    delivery = fake.deliver(task, to=bot)
    fake.clock.advance(122)
    assert [a.error_kind for a in delivery.attempts] == ["connection_refused"] * 3
    assert delivery.state == "exhausted"
    assert fake.deliveries == [delivery]


def test_system_trust_refuses_the_fake_ca() -> None:
    with PyrusMock(trust="system") as fake, fake.serve_bot(wsgi_reply()) as url:
        attempt = _deliver_to(fake, url)
    assert attempt.error_kind == "tls_untrusted"


def test_responses_mock_does_not_intercept_deliveries(fake: PyrusMock) -> None:
    import responses

    with (
        responses.RequestsMock(assert_all_requests_are_fired=False) as rsps,
        fake.serve_bot(wsgi_reply(body=b"{}")) as url,
    ):
        rsps.add(responses.POST, url, status=500)
        bot = fake.add_bot("Bot", url)
        delivery = fake.deliver(fake.add_task(text="t"), to=bot)
        assert delivery.ok
        assert len(rsps.calls) == 0


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        pytest.param(b'{"text": "\\ud800"}', "lone UTF-16 surrogate", id="escaped-lone-surrogate"),
        pytest.param(b'{"text": "ok \xed\xa0\x80"}', "can't decode", id="encoded-lone-surrogate"),
        pytest.param(b'{"\\udfff": 1}', "lone UTF-16 surrogate", id="surrogate-key"),
        pytest.param('{"text":"\ud800"}'.encode("utf-16-le", "surrogatepass"), "can't decode",
                     id="utf-16-lone-surrogate"),
        pytest.param(b'{"text": "x", "spent_minutes": Infinity}', "RFC 8259 has no NaN",
                     id="infinity"),
    ],
)  # fmt: skip
def test_a_reply_json_would_choke_on_later_is_ignored_and_breaks_nothing(
    fake: PyrusMock, reply: bytes, reason: str
) -> None:
    """Lone surrogates, non-Unicode bytes, NaN or Infinity: a warning, not applied; the task and
    later deliveries stay usable (stored, they would break every later JSON encoding)."""
    with fake.serve_bot(wsgi_reply(body=reply)) as url:
        bot = fake.add_bot("Bot", url)
        task = fake.add_task(text="t")
        delivery = fake.deliver(task, to=bot)
        assert delivery.ok, delivery.summary()
        (violation,) = delivery.violations
        assert violation.error_code == "invalid_json"
        assert reason in violation.message
        assert all(c.author_id != bot.id for c in task.comments)  # nothing applied
        again = fake.deliver(task, to=bot)  # the task still encodes: later deliveries work
        assert again.ok, again.summary()


def test_a_valid_surrogate_pair_is_text(fake: PyrusMock) -> None:
    with fake.serve_bot(wsgi_reply(body=b'{"text": "\\ud83d\\ude00"}')) as url:
        bot = fake.add_bot("Bot", url)
        task = fake.add_task(text="t")
        delivery = fake.deliver(task, to=bot)
        assert delivery.violations == []
        assert task.comments[-1].text == "\U0001f600"


@pytest.mark.parametrize(
    ("trust", "message"),
    [
        pytest.param("sytem", "did you mean 'system'?", id="typo"),
        pytest.param("/no/such/ca.pem", "cannot load CA certificates from '/no/such/ca.pem'",
                     id="missing-file"),
        pytest.param(42, "42 is not a string or an SSLContext", id="wrong-type"),
        # A server-side context verifies nothing: it would let any certificate through.
        pytest.param(ssl.create_default_context(ssl.Purpose.CLIENT_AUTH),
                     "the SSLContext does not verify bot certificates", id="unverified-context"),
    ],
)  # fmt: skip
def test_an_unusable_trust_is_refused_when_the_fake_is_made(trust: Any, message: str) -> None:
    """Not at the first delivery, where it would be recorded as the bot's failure."""
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        PyrusMock(trust=trust)


def test_trust_in_another_ca_file_delivers_to_bots_it_signed(tmp_path: Any) -> None:
    other = trustme.CA()
    other.cert_pem.write_to_path(str(tmp_path / "other.pem"))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    other.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    with PyrusMock(trust=str(tmp_path / "other.pem")) as fake:
        server = TLSServer(wsgi_reply(), ctx).start()
        try:
            bot = fake.add_bot("Bot", server.url + "/")
            assert fake.deliver(fake.add_task(text="t"), to=bot).ok
        finally:
            server.stop()


@pytest.mark.parametrize(
    ("raised", "hint"),
    [
        pytest.param(
            ConnectionError("HTTPSConnectionPool(host='api.pyrus.com', port=443): Max retries"),
            "use the pyrus_requests fixture or pyrus_mock.intercept()",
            id="real-pyrus",
        ),
        pytest.param(
            OSError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            "give its HTTP client verify=pyrus_mock.ca_path",
            id="untrusted-fake",
        ),
    ],
)
def test_a_bot_crashing_on_its_api_call_gets_a_hint(
    fake: PyrusMock, raised: Exception, hint: str
) -> None:
    def bot(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise raised

    serving = fake.serve_bot(bot)
    url = serving.__enter__()
    try:
        bot_account = fake.add_bot("Bot", url)
        delivery = fake.deliver(fake.add_task(text="t"), to=bot_account)
    finally:
        with pytest.raises(ServerThreadError):  # the exception, re-raised when it stops
            serving.__exit__(None, None, None)
    attempt = delivery.attempts[0]
    assert attempt.status == 500
    assert hint in attempt.reply_body.decode()


DEEP = b'{"text": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"


def test_deeply_nested_reply_is_a_recorded_warning() -> None:
    with PyrusMock() as fake, fake.serve_bot(wsgi_reply(body=DEEP)) as url:
        bot = fake.add_bot("Bot", url)
        delivery = fake.deliver(fake.add_task(text="t"), to=bot)
        assert delivery.state == "delivered"
        assert [v.error_code for v in delivery.violations] == ["invalid_json"]
        assert "nested" in delivery.violations[0].message or "not JSON" in (
            delivery.violations[0].message
        )
        assert "delivery #1" in fake.transcript()


def test_deeply_nested_error_body_does_not_break_the_transcript() -> None:
    with PyrusMock() as fake:
        app = wsgi_reply("500 Internal Server Error", DEEP)
        with fake.serve_bot(app) as url:
            bot = fake.add_bot("Bot", url)
            fake.deliver(fake.add_task(text="t"), to=bot)
        assert "attempt 1" in fake.transcript()
        assert fake.transcript_json()["deliveries"]
        fake.clock.advance(200)
