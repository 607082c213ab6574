"""``PyrusMock.intercept()``: in-process routing of ``requests`` traffic to the fake."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from pyrus_mock.transport.intercept import Interceptor
from pyrus_mock.transport.server import TLSServer

from ._api_helpers import World, open_world


@pytest.fixture
def world() -> Iterator[World]:
    with open_world(max_request_bytes=300) as world:
        yield world


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = f"hello from {environ['PATH_INFO']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def local_tls(world: World) -> Iterator[TLSServer]:
    with TLSServer(_hello, world.mock.ca.server_context()) as server:
        yield server


def test_pyrus_hosts_are_served_in_process(world: World) -> None:
    token = world.token("bot")
    with world.mock.intercept() as interceptor:
        assert interceptor.active
        for host in ("api.pyrus.com", "accounts.pyrus.com", "files.pyrus.com", "API.Pyrus.com"):
            reply = requests.get(f"https://{host}/v4/tasks/{world.task.id}", headers=_auth(token))
            assert reply.status_code == 200, reply.text
            assert reply.json()["task"]["id"] == world.task.id
            assert reply.headers["X-RateLimit-Limit"] == "5000"
        reply = requests.get("http://api.pyrus.com:8080/v4/forms", headers=_auth(token))
        assert reply.status_code == 200
        reply = requests.get(
            f"https://files.pyrus.com/services/attachment?Id={world.file.id}",
            headers=_auth(world.token("author")),
        )
        assert (reply.status_code, reply.content) == (200, b"receipt bytes")
    assert not interceptor.active
    assert [c.path for c in world.mock._backend.log.calls[-2:]] == [
        "/v4/forms",
        f"/services/attachment?Id={world.file.id}",
    ]


def test_query_strings_and_encoded_paths(world: World) -> None:
    with world.mock.intercept():
        reply = requests.get(
            f"https://api.pyrus.com/v4/catalogs/{world.catalog.id}",
            params={"column": "Name", "value": "Light blue"},
            headers=_auth(world.token("bot")),
        )
        assert [i["values"][0] for i in reply.json()["items"]] == ["Light blue"]
        reply = requests.get("https://api.pyrus.com/v4/no%20such/route")
        assert reply.status_code == 404
        assert "GET /v4/no such/route" in reply.json()["error"]


def test_errors_and_methods(world: World) -> None:
    with world.mock.intercept():
        reply = requests.patch(f"https://api.pyrus.com/v4/tasks/{world.task.id}")
        assert (reply.status_code, reply.json()["error_code"]) == (405, "method_not_allowed")
        reply = requests.head(f"https://api.pyrus.com/v4/tasks/{world.task.id}")
        assert reply.status_code == 401
        reply = requests.options("https://api.pyrus.com/v4/forms")
        assert reply.status_code == 405


def test_request_bodies_chunked_and_not(world: World) -> None:
    url = f"https://api.pyrus.com/v4/tasks/{world.task.id}/comments"
    headers = _auth(world.token("bot"))
    with world.mock.intercept():
        assert requests.post(url, json={"text": "plain"}, headers=headers).status_code == 200
        chunks = iter([b'{"text": ', b'"chunked"}'])
        reply = requests.post(url, data=chunks, headers=headers)
        assert reply.status_code == 200, reply.text
        assert reply.json()["task"]["comments"][-1]["text"] == "chunked"
        big = iter([b'{"text": "', b"x" * 400, b'"}'])
        reply = requests.post(url, data=big, headers=headers)
        assert (reply.status_code, reply.json()["error_code"]) == (413, "too_large_request_length")
        reply = requests.post(url, data='{"text": "str body"}', headers=headers)
        assert reply.status_code == 200


def test_other_urls_pass_through(world: World, local_tls: TLSServer) -> None:
    with world.mock.intercept():
        reply = requests.get(local_tls.url + "/bot", verify=world.mock.ca_path, timeout=5)
        assert (reply.status_code, reply.text) == (200, "hello from /bot")
        # A look-alike host is not Pyrus.
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get("https://api.pyrus.com.invalid/v4/forms", timeout=5)
    assert local_tls.accepted_connections == 1


def test_unknown_methods_to_pyrus_never_reach_the_network(world: World) -> None:
    with (
        world.mock.intercept(),
        pytest.raises(requests.exceptions.ConnectionError, match="Connection refused by Responses"),
    ):
        requests.request("PROPFIND", "https://api.pyrus.com/v4/forms")


def test_a_user_mock_outside_keeps_answering(world: World, local_tls: TLSServer) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mine:
        mine.get("https://example.test/ping", json={"pong": True})
        mine.add_passthru(local_tls.url)
        with world.mock.intercept():
            assert requests.get("https://example.test/ping").json() == {"pong": True}
            reply = requests.get(
                "https://api.pyrus.com/v4/forms", headers=_auth(world.token("bot"))
            )
            assert reply.status_code == 200
            reply = requests.get(local_tls.url + "/x", verify=world.mock.ca_path, timeout=5)
            assert reply.text == "hello from /x"
        assert requests.get("https://example.test/ping").json() == {"pong": True}
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get("https://api.pyrus.com/v4/forms")
        assert [c.request.url for c in mine.calls][:2] == [
            "https://example.test/ping",
            "https://example.test/ping",
        ]


def test_no_interference_with_responses_module_mock(world: World) -> None:
    with world.mock.intercept():
        assert responses.mock.registered() == []
    with responses.RequestsMock() as mine:
        mine.get("https://api.pyrus.com/v4/forms", json={"forms": ["mine"]})
        assert requests.get("https://api.pyrus.com/v4/forms").json() == {"forms": ["mine"]}
    with world.mock.intercept():
        assert requests.get("https://api.pyrus.com/v4/forms").status_code == 401


def test_start_stop_are_idempotent(world: World) -> None:
    interceptor = Interceptor(world.app)
    assert interceptor.start() is interceptor.start()
    interceptor.stop()
    interceptor.stop()
    assert not interceptor.active
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("https://api.pyrus.invalid/", timeout=2)
    with pytest.raises(ValueError, match="host"):
        Interceptor(world.app, hosts=())


def test_custom_hosts(world: World) -> None:
    with Interceptor(world.app, hosts=["pyrus.corp.example"]):
        reply = requests.get(
            "https://pyrus.corp.example/api/v4/forms", headers=_auth(world.token("bot"))
        )
        assert reply.status_code == 200
        auth = requests.post(
            "https://pyrus.corp.example/api/v4/auth",
            json={"login": world.bot.login, "security_key": world.bot.security_key},
        )
        assert auth.json()["api_url"] == "https://pyrus.corp.example/v4/"


def test_other_threads_are_intercepted(world: World) -> None:
    token = world.token("bot")
    results: list[int] = []

    def work() -> None:
        for _ in range(20):
            reply = requests.get(
                f"https://api.pyrus.com/v4/tasks/{world.task.id}", headers=_auth(token)
            )
            results.append(reply.status_code)

    with world.mock.intercept():
        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert results == [200] * 80


def test_sessions_work(world: World) -> None:
    with world.mock.intercept(), requests.Session() as session:
        session.headers.update(_auth(world.token("bot")))
        assert [session.get("https://api.pyrus.com/v4/forms").status_code for _ in range(3)] == [
            200,
            200,
            200,
        ]


def test_header_values_given_as_bytes_are_read_as_a_server_reads_them(world: World) -> None:
    """requests sends a bytes header value as is, and a real server reads it as text: the
    token in ``{"Authorization": b"Bearer ..."}`` works in process too."""
    token = world.token("bot")
    url = f"https://api.pyrus.com/v4/tasks/{world.task.id}"
    headers = {"Authorization": f"Bearer {token}".encode(), "X-Note": "caf\u00e9".encode("latin-1")}
    with world.mock.intercept():
        reply = requests.get(url, headers=headers)
    assert reply.status_code == 200, reply.text
    assert reply.json()["task"]["id"] == world.task.id
    world.mock.start()
    try:
        served = requests.get(
            f"{world.mock.base_url}/v4/tasks/{world.task.id}",
            headers=headers,
            verify=world.mock.ca_path,
        )
    finally:
        world.mock.close()
    assert served.status_code == 200, served.text  # the same as over the network
