"""``PyrusMock.intercept()`` also serves ``httpx`` (sync and async) and aiopyrus in-process."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests

from pyrus_mock import PyrusMock
from pyrus_mock.transport.intercept import Interceptor
from pyrus_mock.transport.server import TLSServer

from ._api_helpers import World, open_world


@pytest.fixture
def world() -> Iterator[World]:
    with open_world() as world:
        yield world


def _hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = f"hello from {environ['PATH_INFO']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def local_tls(world: World) -> Iterator[TLSServer]:
    with TLSServer(_hello, world.mock.ca.server_context()) as server:
        yield server


def _sync_session(world: World, client: httpx.Client) -> None:
    """Auth, read a task, comment on it, upload and download a file: all in-process."""
    auth = client.post(
        "https://accounts.pyrus.com/api/v4/auth",
        json={"login": world.bot.login, "security_key": world.bot.security_key},
    )
    assert auth.status_code == 200, auth.text
    assert auth.json()["api_url"] == "https://api.pyrus.com/v4/"
    client.headers["Authorization"] = f"Bearer {auth.json()['access_token']}"
    task = client.get(f"https://api.pyrus.com/v4/tasks/{world.task.id}")
    assert task.status_code == 200
    assert task.headers["X-RateLimit-Limit"] == "5000"
    assert task.json()["task"]["id"] == world.task.id
    upload = client.post(
        "https://api.pyrus.com/v4/files/upload",
        files={"file": ("note.txt", b"sync bytes", "text/plain")},
    )
    assert upload.status_code == 200, upload.text
    guid = upload.json()["guid"]
    comment = client.post(
        f"https://api.pyrus.com/v4/tasks/{world.task.id}/comments",
        json={"text": "from httpx", "attachments": [guid]},
    )
    assert comment.status_code == 200, comment.text
    last = comment.json()["task"]["comments"][-1]
    assert last["text"] == "from httpx"
    file_id = last["attachments"][0]["id"]
    download = client.get(f"https://files.pyrus.com/services/attachment?Id={file_id}")
    assert (download.status_code, download.content) == (200, b"sync bytes")


def test_httpx_client_is_served_in_process(world: World) -> None:
    with world.mock.intercept() as interceptor, httpx.Client() as client:
        assert interceptor.clients == ("requests", "httpx")
        _sync_session(world, client)
        assert httpx.get("https://api.pyrus.com/v4/forms").status_code == 401
        head = client.head(f"https://api.pyrus.com/v4/tasks/{world.task.id}")
        assert (head.status_code, head.content) == (200, b"")
    paths = [c.path for c in world.mock._backend.log.calls]
    assert "/api/v4/auth" in paths
    assert paths[-1] == f"/v4/tasks/{world.task.id}"
    assert world.mock._backend.task(world.task.id).comments[-1].text == "from httpx"


def test_httpx_async_client_is_served_in_process(world: World) -> None:
    async def run() -> tuple[int, bytes, str]:
        async with httpx.AsyncClient() as client:
            auth = await client.post(
                "https://accounts.pyrus.com/api/v4/auth",
                json={"login": world.bot.login, "security_key": world.bot.security_key},
            )
            client.headers["Authorization"] = f"Bearer {auth.json()['access_token']}"
            upload = await client.post(
                "https://api.pyrus.com/v4/files/upload",
                files={"file": ("a.bin", b"async bytes")},
            )
            guid = upload.json()["guid"]
            comment = await client.post(
                f"https://api.pyrus.com/v4/tasks/{world.task.id}/comments",
                json={"text": "from async httpx", "attachments": [guid]},
            )
            file_id = comment.json()["task"]["comments"][-1]["attachments"][0]["id"]
            async with client.stream(
                "GET", f"https://files.pyrus.com/v4/files/download/{file_id}"
            ) as download:
                content = b"".join([chunk async for chunk in download.aiter_bytes()])
                status = download.status_code
            task = await client.get(f"https://api.pyrus.com/v4/tasks/{world.task.id}")
            return status, content, task.json()["task"]["comments"][-1]["text"]

    with world.mock.intercept():
        assert asyncio.run(run()) == (200, b"async bytes", "from async httpx")


def test_chunked_httpx_bodies(world: World) -> None:
    url = f"https://api.pyrus.com/v4/tasks/{world.task.id}/comments"
    headers = world.headers("bot")

    async def agen() -> Any:
        for chunk in (b'{"text": ', b'"async chunked"}'):
            yield chunk

    async def run() -> int:
        async with httpx.AsyncClient() as client:
            reply = await client.post(url, content=agen(), headers=headers)
            return reply.status_code

    with world.mock.intercept(), httpx.Client() as client:
        reply = client.post(url, content=iter([b'{"text": ', b'"chunked"}']), headers=headers)
        assert reply.status_code == 200, reply.text
        assert reply.json()["task"]["comments"][-1]["text"] == "chunked"
        assert asyncio.run(run()) == 200
    assert world.mock._backend.task(world.task.id).comments[-1].text == "async chunked"


def test_other_hosts_pass_through(world: World, local_tls: TLSServer) -> None:
    async def fetch() -> str:
        async with httpx.AsyncClient(verify=world.mock.ssl_context) as client:
            return (await client.get(local_tls.url + "/async")).text

    with world.mock.intercept(), httpx.Client(verify=world.mock.ssl_context) as client:
        assert client.get(local_tls.url + "/bot").text == "hello from /bot"
        assert asyncio.run(fetch()) == "hello from /async"
        with pytest.raises(httpx.ConnectError):  # a look-alike host is not Pyrus
            client.get("https://api.pyrus.com.invalid/v4/forms", timeout=5)
    assert local_tls.accepted_connections == 2


def test_leaving_restores_httpx(world: World, local_tls: TLSServer) -> None:
    """Inside, the 'Pyrus' host (here the local server's) answers from the fake; after, not."""
    sync_before = httpx.HTTPTransport.handle_request
    async_before = httpx.AsyncHTTPTransport.handle_async_request
    url = local_tls.url + "/v4/forms"

    async def fetch() -> int:
        async with httpx.AsyncClient(verify=world.mock.ssl_context) as client:
            return (await client.get(url)).status_code

    client = httpx.Client(verify=world.mock.ssl_context)  # built before: intercepted too
    with Interceptor(world.app, hosts=["127.0.0.1"]) as interceptor:
        assert httpx.HTTPTransport.handle_request is not sync_before
        reply = client.get(url)
        assert (reply.status_code, reply.json()["error_code"]) == (401, "token_not_specified")
        assert asyncio.run(fetch()) == 401
    assert not interceptor.active
    assert interceptor.clients == ()
    assert httpx.HTTPTransport.handle_request is sync_before
    assert httpx.AsyncHTTPTransport.handle_async_request is async_before
    assert client.get(url).text == "hello from /v4/forms"
    assert asyncio.run(fetch()) == 200
    client.close()
    assert local_tls.accepted_connections == 2


def test_requests_and_httpx_get_the_same_reply(world: World) -> None:
    url = f"https://api.pyrus.com/v4/tasks/{world.task.id}"
    with world.mock.intercept():
        by_requests = requests.get(url, headers=world.headers("bot"))
        by_httpx = httpx.get(url, headers=world.headers("bot"))
    assert by_httpx.content == by_requests.content
    assert dict(by_httpx.headers) | {"x-ratelimit-remaining": "-"} == {
        k.lower(): v for k, v in by_requests.headers.items()
    } | {"x-ratelimit-remaining": "-"}


def test_aiopyrus_client_in_process(world: World) -> None:
    """aiopyrus (an async Pyrus framework on httpx) against the fake, with its cloud defaults."""
    aiopyrus = pytest.importorskip("aiopyrus")

    async def run() -> tuple[Any, ...]:
        async with aiopyrus.UserClient(world.bot.login, world.bot.security_key) as client:
            task = await client.get_task(world.task.id)
            uploaded = await client.upload_file(b"aiopyrus bytes", "hello.txt")
            commented = await client.comment_task(
                world.task.id, text="from aiopyrus", attachments=[uploaded.guid]
            )
            file_id = commented.comments[-1].attachments[0].id
            data = await client.download_file(str(file_id))
            forms = await client.get_forms()
            return task.id, commented.comments[-1].text, data, [f.id for f in forms]

    with world.mock.intercept():
        task_id, text, data, forms = asyncio.run(run())
    assert (task_id, text, data) == (world.task.id, "from aiopyrus", b"aiopyrus bytes")
    assert forms == [world.form.id]
    assert world.mock._backend.log.calls[0].path == "/api/v4/auth"


def test_without_httpx_only_requests_is_intercepted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # as if not installed: import fails
    with world.mock.intercept() as interceptor:
        assert interceptor.clients == ("requests",)
        reply = requests.get("https://api.pyrus.com/v4/forms", headers=world.headers("bot"))
        assert reply.status_code == 200
    monkeypatch.undo()
    assert httpx.HTTPTransport.handle_request.__name__ == "handle_request"
    assert not hasattr(httpx.HTTPTransport.handle_request, "__wrapped__")


def test_an_aiopyrus_webhook_bot_in_the_same_event_loop() -> None:
    """The fake delivers to an aiopyrus bot served by the loop that made the API call.

    A user's async httpx call creates a task with the bot responsible; the fake delivers to the
    bot (aiohttp, same loop) inside that call, and the bot's handler calls the API back through
    aiopyrus. This works because the async side serves the fake in a worker thread: the loop
    stays free to run the bot.
    """
    pytest.importorskip("aiopyrus")
    from aiohttp import web
    from aiopyrus import Dispatcher, PyrusBot, Router
    from aiopyrus.bot.webhook.server import create_app

    fake = PyrusMock(delivery_timeout=10)
    user = fake.add_user("Ann", "Author", security_key="user-key")
    account = fake.add_bot("Aio", "https://127.0.0.1:9/hook")
    handled: list[int] = []

    async def main() -> tuple[int, int]:
        router = Router()

        @router.task_received()
        async def on_task(task: Any, bot: Any) -> dict[str, Any]:
            await bot.comment_task(task.id, text="seen by aiopyrus")
            handled.append(task.id)
            return {"text": "inline reply"}

        dispatcher = Dispatcher()
        dispatcher.include_router(router)
        with warnings.catch_warnings():  # aiopyrus keys its aiohttp app with plain strings
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            app = create_app(
                dispatcher=dispatcher,
                bot=PyrusBot(login=account.login, security_key=account.security_key),
                path="/hook",
            )
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=fake.ca.server_context())
        await site.start()
        try:
            port = runner.addresses[0][1]
            account.update(url=f"https://127.0.0.1:{port}/hook")
            async with httpx.AsyncClient() as client:
                auth = await client.post(
                    "https://accounts.pyrus.com/api/v4/auth",
                    json={"login": user.email, "security_key": "user-key"},
                )
                client.headers["Authorization"] = f"Bearer {auth.json()['access_token']}"
                created = await client.post(
                    "https://api.pyrus.com/v4/tasks",
                    json={"text": "Please look", "responsible": {"id": account.id}},
                )
                return created.status_code, created.json()["task"]["id"]
        finally:
            fake._dispatcher.close()  # the fake's pooled connection to the bot, then the bot
            await runner.cleanup()

    with fake, fake.intercept():
        status, task_id = asyncio.run(main())
    assert status == 200
    assert handled == [task_id]
    (delivery,) = fake.deliveries
    assert delivery.ok, delivery.summary()
    texts = [c.text for c in fake._backend.task(task_id).comments]
    assert texts[-2:] == ["seen by aiopyrus", "inline reply"]


def test_httpx_is_imported_only_when_an_interceptor_starts() -> None:
    code = (
        "import sys, pyrus_mock;"
        "fake = pyrus_mock.PyrusMock(); interceptor = fake.intercept();"
        "before = 'httpx' in sys.modules; interceptor.start();"
        "print(before, 'httpx' in sys.modules, interceptor.clients); interceptor.stop()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split(maxsplit=2) == ["False", "True", "('requests', 'httpx')\n"]
