"""``POST /auth`` and the Bearer token (contract §3, D7 to D9, D12)."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from pyrus_mock import PyrusMock
from pyrus_mock.api.app import default_map
from pyrus_mock.api.auth import bearer_token, origins

from ._api_helpers import World, make_world
from ._tls_helpers import wsgi_reply


@pytest.fixture
def world() -> World:
    return make_world()


def _login(world: World, path: str = "/api/v4/auth", **body: object) -> tuple[int, dict[str, str]]:
    response, data = world.call("POST", path, who=None, json_body=body)
    return response.status_code, data


@pytest.mark.parametrize(
    "path",
    ["/auth", "/auth/", "/v4/auth", "/v4/auth/", "/api/v4/auth", "/api/v4/auth/"],
)
def test_auth_answers_on_every_prefix(world: World, path: str) -> None:
    status, data = _login(world, path, login=world.bot.login, security_key=world.bot.security_key)
    assert status == 200, data
    assert set(data) == {"access_token", "api_url", "files_url"}
    world.ok(
        "GET",
        f"/v4/tasks/{world.task.id}",
        who=None,
        headers={"Authorization": f"Bearer {data['access_token']}"},
    )


@pytest.mark.parametrize(
    ("base", "api_url", "files_url"),
    [
        ("https://accounts.pyrus.com", "https://api.pyrus.com/v4/", "https://files.pyrus.com/"),
        ("https://api.pyrus.com", "https://api.pyrus.com/v4/", "https://files.pyrus.com/"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443/v4/", "https://127.0.0.1:8443/"),
        ("https://localhost:9000", "https://localhost:9000/v4/", "https://localhost:9000/"),
        ("http://pyrus.corp", "http://pyrus.corp/v4/", "http://pyrus.corp/"),
    ],
)
def test_auth_urls_point_back_at_the_host(
    world: World, base: str, api_url: str, files_url: str
) -> None:
    response, data = world.call(
        "POST",
        "/api/v4/auth",
        who=None,
        base_url=base,
        json_body={"login": world.bot.login, "security_key": world.bot.security_key},
    )
    assert response.status_code == 200
    assert (data["api_url"], data["files_url"]) == (api_url, files_url)


def test_users_log_in_with_their_key(world: World) -> None:
    key = world.mock._backend.user_key(world.author.id)
    status, data = _login(world, login=world.author.email.upper(), security_key=key)
    assert status == 200, data
    status, data = _login(
        world, login=world.author.email, security_key=key, person_id=world.author.id
    )
    assert status == 200, data
    status, data = _login(
        world, login=world.author.email, security_key=key, person_id=str(world.author.id)
    )
    assert status == 200, data
    status, data = _login(world, login=world.author.email, security_key=key, person_id=1)
    assert (status, data["error_code"]) == (401, "invalid_credentials")


@pytest.mark.parametrize(
    "body",
    [
        {"login": "nobody@example.com", "security_key": "x"},
        {"login": "BOT", "security_key": "BOT"},
        {"security_key": "x"},
        {"login": "x"},
        {},
    ],
)
def test_bad_credentials(world: World, body: dict[str, str]) -> None:
    if body.get("login") == "BOT":
        body = {"login": world.bot.login, "security_key": world.bot.security_key + "x"}
    status, data = _login(world, **body)
    assert (status, data["error_code"]) == (401, "invalid_credentials")
    assert "access_token" not in data


@pytest.mark.parametrize(
    "body",
    [
        {"login": 5, "security_key": "x"},
        {"login": "a@b.c", "security_key": ["x"]},
        {"login": "a@b.c", "security_key": "x", "person_id": 1.5},
        {"login": "a@b.c", "security_key": "x", "person_id": True},
    ],
)
def test_wrong_types_are_400(world: World, body: dict[str, object]) -> None:
    status, data = _login(world, **body)
    assert (status, data["error_code"]) == (400, "invalid_json")
    assert "/" in data["error"]


def test_blocked_and_deleted_bots(world: World) -> None:
    bot = world.bot
    token = world.token("bot")
    bot.block()
    status, data = _login(world, login=bot.login, security_key=bot.security_key)
    assert (status, data["error_code"]) == (401, "account_blocked")
    world.fail("GET", "/v4/forms", 401, "account_blocked")
    bot.restore()
    world.ok("GET", "/v4/forms")
    assert _login(world, login=bot.login, security_key=bot.security_key)[0] == 200
    bot.delete()
    status, data = _login(world, login=bot.login, security_key=bot.security_key)
    assert (status, data["error_code"]) == (401, "invalid_credentials")
    response, data = world.call(
        "GET", "/v4/forms", who=None, headers={"Authorization": f"Bearer {token}"}
    )
    assert (response.status_code, data["error_code"]) == (401, "revoked_token")


def test_key_reset_keeps_old_tokens_by_default(world: World) -> None:
    bot = world.bot
    old_key, token = bot.security_key, world.token("bot")
    new_key = bot.reset_security_key()
    status, data = _login(world, login=bot.login, security_key=old_key)
    assert (status, data["error_code"]) == (401, "invalid_credentials")
    assert _login(world, login=bot.login, security_key=new_key)[0] == 200
    world.ok("GET", "/v4/forms", who=None, headers={"Authorization": f"Bearer {token}"})


def test_key_reset_can_revoke_old_tokens() -> None:
    world = make_world(revoke_tokens_on_reset=True)
    token = world.token("bot")
    world.bot.reset_security_key()
    world.fail(
        "GET",
        "/v4/forms",
        401,
        "revoked_token",
        who=None,
        headers={"Authorization": f"Bearer {token}"},
    )


def test_token_expires_on_the_fake_clock(world: World) -> None:
    token = world.token("bot")
    lifetime = world.mock.settings.token_lifetime
    world.mock.clock.advance(lifetime - 1)  # type: ignore[attr-defined]
    world.ok("GET", "/v4/forms")
    world.mock.clock.advance(1)  # type: ignore[attr-defined]
    body = world.fail("GET", "/v4/forms", 401, "expired_token")
    assert token not in body["error"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER   abc  ", "abc"),
        ("Bearer", None),
        ("Bearer ", None),
        ("Token abc", None),
        ("abc", None),
        ("", None),
    ],
)
def test_bearer_header_parsing(world: World, header: str, expected: str | None) -> None:
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    request = Request(EnvironBuilder(headers={"Authorization": header}).get_environ())
    assert bearer_token(request) == expected


def test_origins_of_an_ipv6_host() -> None:
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    request = Request(EnvironBuilder(base_url="https://[::1]:8443/").get_environ())
    assert origins(request) == ("https://[::1]:8443/v4/", "https://[::1]:8443/")


def test_rate_limit_headers_count_down_per_person(world: World) -> None:
    seen = []
    for _ in range(3):
        response, _ = world.call("GET", "/v4/forms")
        seen.append(int(response.headers["X-RateLimit-Remaining"]))
    assert seen == [4999, 4998, 4997]
    response, _ = world.call("GET", "/v4/forms", who="author")
    assert response.headers["X-RateLimit-Remaining"] == "4999"
    response, _ = world.call("GET", "/v4/forms", who=None)  # unknown caller: a fresh window
    assert response.headers["X-RateLimit-Remaining"] == "5000"
    assert response.headers["X-RateLimit-Reset"] == "600"


def test_successful_auth_counts_for_the_person(world: World) -> None:
    response, _ = world.call(
        "POST",
        "/auth",
        who=None,
        json_body={"login": world.bot.login, "security_key": world.bot.security_key},
    )
    assert response.headers["X-RateLimit-Remaining"] == "4999"
    assert world.mock._backend.log.calls[-1].person_id == world.bot.id


def test_the_route_map_is_shared_and_immutable() -> None:
    assert make_world().app.url_map is make_world().app.url_map is default_map()


def test_a_delivered_token_reaches_its_task_and_files_only() -> None:
    with PyrusMock() as fake, fake.serve_bot(wsgi_reply()) as url:
        ann = fake.add_user("Ann", "Lee")
        bot = fake.add_bot("Bot", url)  # holds no role on the task: an explicit delivery
        task = fake.add_task(text="with a file", author=ann)
        other = fake.add_task(text="not delivered", author=ann)
        mine = fake._backend.files.upload("a.txt", b"hello", ann.id)
        theirs = fake._backend.files.upload("b.txt", b"secret", ann.id)
        fake._backend.comment(task, {"text": "see file", "attachments": [mine.guid]}, ann)
        fake._backend.comment(other, {"text": "see file", "attachments": [theirs.guid]}, ann)
        delivery = fake.deliver(task, to=bot)
        client = Client(fake.app)
        headers = {"Authorization": f"Bearer {delivery.access_token}"}
        assert client.get(f"/v4/tasks/{task.id}", headers=headers).status_code == 200
        got = client.get(f"/v4/files/download/{mine.id}", headers=headers)
        assert (got.status_code, got.data) == (200, b"hello")
        assert client.get(f"/v4/tasks/{other.id}", headers=headers).status_code == 403
        refused = client.get(f"/v4/files/download/{theirs.id}", headers=headers)
        assert refused.get_json()["error_code"] == "access_denied_file"
        # an ordinary token of the same bot sees neither
        plain = {"Authorization": f"Bearer {bot.token()}"}
        assert client.get(f"/v4/tasks/{task.id}", headers=plain).status_code == 403


@pytest.mark.parametrize("host", ["", "bad host", "exämple", "a/b"])
def test_auth_urls_stay_well_formed_with_a_forged_host(host: str) -> None:
    from urllib.parse import urlsplit

    fake = PyrusMock()
    bot = fake.add_bot("Bot", "https://localhost:1/")
    reply = Client(fake.app).post(
        "/api/v4/auth",
        json={"login": bot.login, "security_key": bot.security_key},
        headers={"Host": host},
    )
    assert reply.status_code == 200
    for key in ("api_url", "files_url"):
        assert urlsplit(reply.get_json()[key]).hostname, reply.get_json()
    fake.close()
