"""Deliveries over kept-alive connections: a bot that closes idle connections still gets each
delivery exactly once, and closing the fake aborts a delivery in flight."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3.connectionpool

from pyrus_mock import PyrusMock
from pyrus_mock.delivery.dispatch import Delivery
from pyrus_mock.transport.server import TLSServer

from ._tls_helpers import RawServer, read_request
from ._waiting import until


@pytest.fixture
def fake() -> Iterator[PyrusMock]:
    mock = PyrusMock(delivery_timeout=30.0)
    yield mock
    mock.close()


@pytest.mark.parametrize("liveness_check", [True, False], ids=["checked", "unchecked"])
def test_a_bot_that_closes_idle_connections_gets_each_delivery_once(
    fake: PyrusMock, monkeypatch: pytest.MonkeyPatch, liveness_check: bool
) -> None:
    """The bot answers, then closes the kept-alive connection (its keep-alive timeout ran out).

    The next delivery goes out on a fresh connection and reaches the bot's app exactly once.
    "unchecked" turns off urllib3's look at an idle connection before reuse, as when the bot
    closes it just after that look: then the send on the closed connection fails and the fake
    sends the request again on a fresh one (it cannot have reached the app: it was not sent).
    """
    if not liveness_check:
        monkeypatch.setattr(urllib3.connectionpool, "is_connection_dropped", lambda conn: False)
    requests: list[bytes] = []
    connections: list[int] = []
    hung_up = threading.Event()

    def handler(sock: socket.socket) -> None:
        connections.append(1)
        request = read_request(sock)
        if request:
            requests.append(request)
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        sock.shutdown(socket.SHUT_RDWR)  # no Connection: close; the bot just hangs up
        hung_up.set()

    with RawServer(handler, fake.ca.server_context()) as server:
        bot = fake.add_bot("Bot", server.url)
        task = fake.add_task(text="t")
        first = fake.deliver(task, to=bot)
        assert first.state == "delivered", first.summary()
        assert hung_up.wait(5)
        second = fake.deliver(task, to=bot)
        assert second.state == "delivered", second.summary()
        assert len(second.attempts) == 1
        assert len(requests) == 2  # each delivery reached the app exactly once
        assert b"X-Pyrus-Retry: 1/3" in requests[1]
        assert len(connections) == 2


def _live_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.is_alive()}


def test_closing_the_fake_aborts_a_delivery_in_flight() -> None:
    """The bot is still working on a delivery (far from the 30 s timeout) when the test closes
    the fake: close() returns without waiting for the bot, and the attempt is recorded as a
    failure that says the fake was closed. No thread is left behind."""
    before = _live_threads()
    arrived = threading.Event()
    release = threading.Event()

    def busy(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.input"].read()
        arrived.set()
        release.wait(30)
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    fake = PyrusMock(delivery_timeout=30.0)
    bot_server = TLSServer(busy, fake.ca.server_context()).start()
    results: list[Delivery] = []
    try:
        bot = fake.add_bot("Bot", bot_server.url + "/hook")
        task = fake.add_task(text="t")
        deliverer = threading.Thread(target=lambda: results.append(fake.deliver(task, to=bot)))
        deliverer.start()
        assert arrived.wait(10), "the delivery never reached the bot"
        fake.close()
        deliverer.join(10)
        assert not deliverer.is_alive(), "close() did not abort the delivery in flight"
    finally:
        release.set()
        fake.close()
        bot_server.stop()
    (delivery,) = results
    (attempt,) = delivery.attempts
    assert attempt.status is None
    assert attempt.error_kind == "protocol_error"
    assert attempt.error is not None
    assert "the fake was closed" in attempt.error
    assert delivery.state == "pending_retry"
    until(lambda: _live_threads() <= before, "back to the threads before the test", 5.0)
