"""The error matrix of the API (D10): every endpoint, every way a request can go wrong.

Every reply goes through ``check_reply``: JSON (downloads excepted), never HTML, never a 500,
rate-limit headers present.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.test import Client, EnvironBuilder, run_wsgi_app

from pyrus_mock import PyrusMock
from pyrus_mock.api.routes import ENDPOINTS, Endpoint
from pyrus_mock.domain.errors import ServerThreadError

from ._api_helpers import (
    SAMPLES,
    World,
    check_reply,
    endpoint_methods,
    make_world,
    sample_for,
    send_sample,
)


@pytest.fixture
def world() -> World:
    return make_world()


def _id(pair: tuple[Endpoint, str]) -> str:
    endpoint, method = pair
    return f"{method} {endpoint.display_path}"


ALL = endpoint_methods()
PROTECTED = [(ep, m) for ep, m in ALL if not ep.public]
JSON_BODY = [(ep, m) for ep, m in ALL if sample_for(ep, m).json_body is not None]
WITH_BODY = [(ep, m) for ep, m in ALL if sample_for(ep, m).has_body]
BODY_REQUIRED = [
    (ep, m)
    for ep, m in JSON_BODY
    if (m, ep.path)
    not in {
        ("POST", "/forms/<int:form_id>/register"),
        ("POST", "/lists/<int:list_id>/tasks"),
        ("DELETE", "/bots/<int:bot_id>"),
        ("DELETE", "/roles/<int:role_id>"),
    }
]


def test_every_endpoint_has_a_sample() -> None:
    assert {(m, ep.path) for ep, m in ALL} == set(SAMPLES)


@pytest.mark.parametrize(
    ("pair", "prefix"),
    [((ep, m), p) for ep, m in ALL for p in ep.prefixes],
    ids=[f"{m} {p}{ep.display_path}" for ep, m in ALL for p in ep.prefixes],
)
def test_success_under_every_prefix(world: World, pair: tuple[Endpoint, str], prefix: str) -> None:
    response, _ = send_sample(world, sample_for(*pair), prefix=prefix)
    assert response.status_code == 200


@pytest.mark.parametrize("pair", PROTECTED, ids=_id)
@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("missing", "token_not_specified"),
        ("not_bearer", "token_not_specified"),
        ("invalid", "invalid_token"),
        ("expired", "expired_token"),
        ("revoked", "revoked_token"),
        ("blocked", "account_blocked"),
    ],
)
def test_401(world: World, pair: tuple[Endpoint, str], kind: str, code: str) -> None:
    sample = sample_for(*pair)
    headers: dict[str, str] = {}
    who: str | None = None
    if kind == "not_bearer":
        headers["Authorization"] = "Basic dXNlcjpwYXNz"
    elif kind == "invalid":
        headers["Authorization"] = "Bearer not-a-token"
    elif kind == "expired":
        who = sample.who
        world.token(str(who))
        world.mock.clock.advance(world.mock.settings.token_lifetime + 1)  # type: ignore[attr-defined]
    elif kind in ("revoked", "blocked"):
        other = world.mock.add_bot("Other", "https://other.invalid/hook")
        headers["Authorization"] = f"Bearer {other.token()}"
        other.delete() if kind == "revoked" else other.block()
    response, body = send_sample(world, sample, who=who, headers=headers)
    assert (response.status_code, body["error_code"]) == (401, code), body


FORBIDDEN = [
    pytest.param("GET", "/v4/tasks/{task}", "outsider", "access_denied_task", id="task-invisible"),
    pytest.param("GET", "/v4/tasks/999999", "author", "access_denied_task", id="task-unknown"),
    pytest.param(
        "POST",
        "/v4/tasks/{task}/comments",
        "outsider",
        "access_denied_task",
        id="comment-invisible",
    ),
    pytest.param(
        "POST", "/v4/tasks/999999/comments", "bot", "access_denied_task", id="comment-unknown"
    ),
    pytest.param("GET", "/v4/forms/999999", "bot", "access_denied_form", id="form-unknown"),
    pytest.param(
        "GET", "/v4/forms/999999/register", "bot", "access_denied_form", id="register-unknown"
    ),
    pytest.param("GET", "/v4/members/999999", "bot", "access_denied_person", id="member"),
    pytest.param("GET", "/v4/catalogs/999999", "bot", "access_denied_catalog", id="catalog"),
    pytest.param("GET", "/v4/lists/999999/tasks", "bot", "access_denied_project", id="list"),
    pytest.param(
        "GET",
        "/v4/files/download/{file}",
        "outsider",
        "access_denied_file",
        id="download-invisible",
    ),
    pytest.param(
        "GET", "/files/download/999999", "author", "access_denied_file", id="download-unknown"
    ),
    pytest.param(
        "GET",
        "/services/attachment?Id={file}",
        "outsider",
        "access_denied_file",
        id="attachment-invisible",
    ),
    pytest.param(
        "GET", "/services/attachment?Id=abc", "author", "access_denied_file", id="attachment-bad-id"
    ),
    pytest.param("GET", "/v4/bots", "bot", "access_denied", id="bots-list"),
    pytest.param("POST", "/v4/bots", "supervisor", "access_denied", id="bots-create"),
    pytest.param("PUT", "/v4/bots/{bot}", "author", "access_denied", id="bots-update"),
    pytest.param("DELETE", "/v4/bots/{bot}", "bot", "access_denied", id="bots-delete"),
]


@pytest.mark.parametrize(("method", "path", "who", "code"), FORBIDDEN)
def test_403(world: World, method: str, path: str, who: str, code: str) -> None:
    url = path.format(task=world.task.id, file=world.file.id, bot=world.bot.id)
    body = {"text": "hi", "name": "x"} if method in ("POST", "PUT") else None
    world.fail(method, url, 403, code, who=who, json_body=body)


@pytest.mark.parametrize("pair", JSON_BODY, ids=_id)
@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"text": ', "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b'"text"', "invalid_json"),
        (b"\xff\xfe{}", "invalid_request_encoding"),
        (b'{"text": "\\ud800"}', "invalid_json"),
        (b'{"text": "x", "duration": NaN}', "invalid_json"),
        (b'{"text": "x", "duration": 1e999}', "invalid_json"),
        (b'{"text": "x", "duration": 1' + b"0" * 400 + b"}", "invalid_json"),
    ],
    ids=[
        "malformed",
        "array",
        "string",
        "not-utf8",
        "lone-surrogate",
        "nan",
        "overflow",
        "int-overflow",
    ],
)
def test_400_bad_json(world: World, pair: tuple[Endpoint, str], raw: bytes, code: str) -> None:
    sample = sample_for(*pair)
    response, body = world.call(
        sample.method,
        sample.url(world),
        who=sample.who,
        data=raw,
        headers={"Content-Type": "application/json"},
    )
    assert (response.status_code, body["error_code"]) == (400, code), body


@pytest.mark.parametrize("pair", BODY_REQUIRED, ids=_id)
def test_400_empty_body(world: World, pair: tuple[Endpoint, str]) -> None:
    sample = sample_for(*pair)
    world.fail(sample.method, sample.url(world), 400, "empty_body", who=sample.who, data=b"")


WRONG_TYPES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/auth"): {"login": 5, "security_key": "x"},
    ("POST", "/tasks/<int:task_id>/comments"): {"text": 5},
    ("POST", "/tasks"): {"text": ["a"]},
    ("POST", "/tasks/comments"): {"comments": "all"},
    ("POST", "/tasks//comments"): {"comments": "all"},
    ("POST", "/forms/<int:form_id>/register"): {"steps": "one"},
    ("POST", "/lists/<int:list_id>/tasks"): {"item_count": True},
    ("POST", "/bots"): {"name": 5},
    ("PUT", "/bots/<int:bot_id>"): {"is_enabled": "yes"},
    ("DELETE", "/bots/<int:bot_id>"): {"task_receiver_id": "me"},
    ("POST", "/roles"): {"name": 5},
    ("POST", "/roles/bulk"): {"name": "not an array"},
    ("PUT", "/roles/<int:role_id>"): {"banned": "yes"},
    ("PUT", "/roles/bulk"): [{"id": "one"}],
    ("DELETE", "/roles/<int:role_id>"): {"task_receiver_id": "me"},
    ("DELETE", "/roles/bulk"): [5],
    ("POST", "/members"): {"email": ["a@b.c"]},
    ("PUT", "/members/<int:member_id>"): {"banned": 1},
    ("POST", "/members/bulk"): {"AddMembers": {"email": "a@b.c"}},
    ("PUT", "/members/<int:member_id>/avatar"): {"guid": 5},
    ("PUT", "/orgchart"): {"department_name": 5},
    ("PUT", "/orgchart/bulk"): [{"parent_id": "top"}],
    ("POST", "/orgchart/<int:department_id>"): {"remove_manager": "yes"},
    ("POST", "/orgchart/bulk"): {"id": 1},
    ("DELETE", "/orgchart/bulk"): [{"id": []}],
    ("POST", "/forms/<int:form_id>/permissions"): {"permissions": ["member"]},
    ("POST", "/announcements"): {"text": 5},
    ("POST", "/announcements/<int:announcement_id>/comments"): {"attachments": "guid"},
    ("POST", "/knowledgebase"): {"type": "article", "title": ["t"]},
    ("PUT", "/knowledgebase/<entity_id>"): {"parent_topic_id_changed": "yes"},
    ("PUT", "/knowledgebase/<entity_id>/permissions"): {"readers": ["me"]},
    ("POST", "/integrations/call"): {"account_id": 5},
    ("POST", "/integrations/attachcallrecord"): {"record_file": "g", "task_id": "1"},
    ("PUT", "/catalogs"): {"name": "x", "catalog_headers": "Name"},
    ("POST", "/catalogs/<int:catalog_id>"): {"apply": "yes", "catalog_headers": ["Name"]},
    ("POST", "/catalogs/<int:catalog_id>/diff"): {"upsert": [{"values": [1, 2]}]},
    ("PUT", "/catalogs/bulk"): [{"name": ["x"], "catalog_headers": ["A"]}],
    ("POST", "/catalogs/bulk"): [{"id": "one"}],
    ("DELETE", "/catalogs/bulk"): [{"id": True}],
    ("PUT", "/lists"): {"name": "x", "added_managers": ["me"]},
    ("POST", "/lists/<int:list_id>"): {"is_private": "no"},
    ("PUT", "/lists/bulk"): [{"name": "x", "parent_id": "root"}],
    ("POST", "/lists/bulk"): [{"id": 1.5}],
    ("DELETE", "/lists/bulk"): [{"id": "x"}],
}


@pytest.mark.parametrize("pair", JSON_BODY, ids=_id)
def test_400_wrong_member_type(world: World, pair: tuple[Endpoint, str]) -> None:
    sample = sample_for(*pair)
    response, body = world.call(
        sample.method,
        sample.url(world),
        who=sample.who,
        json_body=WRONG_TYPES[(sample.method, pair[0].path)],
    )
    assert response.status_code == 400, body


@pytest.mark.parametrize(
    "path",
    [
        "/v4/tasks/1/commentz",
        "/v5/tasks/1",
        "/",
        "/v4/tasks/abc",
        "/v4/tasks/1/print_forms/2",
        "/api/v4/tasks/1/print_forms/2",
    ],
)
def test_404_lists_the_routes(world: World, path: str) -> None:
    body = world.fail("GET", path, 404, "not_found", who=None)
    assert f"GET {path}" in body["error"]
    assert "GET /tasks/{task_id}" in body["error"]
    assert "POST /tasks/{task_id}/comments" in body["error"]
    assert "COVERAGE.md" in body["error"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda ep: ep.label)
def test_405_names_the_allowed_methods(world: World, endpoint: Endpoint) -> None:
    wrong = next(m for m in ("PATCH", "PUT", "DELETE", "POST", "GET") if m not in endpoint.methods)
    url = sample_for(endpoint, endpoint.methods[0]).url(world)
    response, body = world.call(wrong, url, who=None)
    assert (response.status_code, body["error_code"]) == (405, "method_not_allowed"), body
    for method in endpoint.methods:
        assert method in body["error"]
        assert method in response.headers["Allow"]


_PREFIXES = ("", "/v4", "/api/v4")
WRONG_PREFIX = [
    (ep, prefix) for ep in ENDPOINTS for prefix in _PREFIXES if prefix not in ep.prefixes
]


@pytest.mark.parametrize(
    ("endpoint", "prefix"),
    WRONG_PREFIX,
    ids=lambda value: value.label if isinstance(value, Endpoint) else (value or "no-prefix"),
)
def test_a_path_under_a_wrong_prefix_is_404_whatever_the_method(
    world: World, endpoint: Endpoint, prefix: str
) -> None:
    # werkzeug matches the path below the prefix; an endpoint that does not answer under this
    # prefix must not turn a wrong method into a 405 that names methods the path never answers.
    path = prefix + sample_for(endpoint, endpoint.methods[0]).url(world, prefix="")
    wrong = next(m for m in ("PATCH", "PUT", "DELETE", "POST", "GET") if m not in endpoint.methods)
    for method in (*endpoint.methods, wrong):
        response, body = world.call(method, path, who=None)
        assert (response.status_code, body["error_code"]) == (404, "not_found"), (method, body)
        assert "Allow" not in response.headers
        assert f"no such endpoint {method} {path.partition('?')[0]}" in body["error"]


def test_delete_a_task_without_prefix_is_404_and_with_prefix_405(world: World) -> None:
    world.fail("DELETE", f"/tasks/{world.task.id}", 404, "not_found")
    for prefix in ("/v4", "/api/v4"):
        response, body = world.call("DELETE", f"{prefix}/tasks/{world.task.id}")
        assert (response.status_code, body["error_code"]) == (405, "method_not_allowed"), body
        assert response.headers["Allow"] == "GET, HEAD"
        assert body["error"].endswith("allowed: GET, HEAD")


def test_control_routes_below_an_api_prefix_are_404() -> None:
    from werkzeug.test import Client

    from pyrus_mock import PyrusMock
    from pyrus_mock.control import with_control

    mock = PyrusMock()
    try:
        app = with_control(mock, "a" * 32)
        client = Client(app)
        for method in ("GET", "POST"):
            response = client.open("/v4/_mock/reset", method=method)
            assert response.status_code == 404, response.get_data()
            assert check_reply(response)["error_code"] == "not_found"
        assert mock.app.errors == []
    finally:
        mock.close()


@pytest.fixture
def small() -> World:
    return make_world(max_request_bytes=200, max_upload_bytes=300)


@pytest.mark.parametrize("pair", WITH_BODY, ids=_id)
def test_413_on_content_length(small: World, pair: tuple[Endpoint, str]) -> None:
    sample = sample_for(*pair)
    if sample.multipart:
        body = small.fail(
            "POST",
            sample.url(small),
            413,
            "too_large_request_length",
            data={"file": (io.BytesIO(b"x" * 400), "big.bin")},
        )
    else:
        big = json.dumps({"text": "x" * 300}).encode()
        body = small.fail(
            sample.method,
            sample.url(small),
            413,
            "too_large_request_length",
            who=sample.who,
            data=big,
        )
    assert "bytes" in body["error"]


def _chunked(world: World, method: str, path: str, data: bytes, content_type: str) -> Any:
    """Send ``data`` as a body without Content-Length (as a chunked request arrives)."""
    environ = EnvironBuilder(
        path=path,
        method=method,
        input_stream=io.BytesIO(data),
        headers={"Authorization": f"Bearer {world.token('bot')}", "Content-Type": content_type},
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input_terminated"] = True
    app_iter, status, _ = run_wsgi_app(world.app, environ)
    return int(status.split()[0]), json.loads(b"".join(app_iter))


def test_413_on_chunked_json_body(small: World) -> None:
    path = f"/v4/tasks/{small.task.id}/comments"
    ok = json.dumps({"text": "short"}).encode()
    assert _chunked(small, "POST", path, ok, "application/json")[0] == 200
    big = json.dumps({"text": "x" * 300}).encode()
    status, body = _chunked(small, "POST", path, big, "application/json")
    assert (status, body["error_code"]) == (413, "too_large_request_length")


def test_413_on_chunked_upload(small: World) -> None:
    boundary = "BOUNDARY"
    data = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n{'x' * 400}\r\n--{boundary}--\r\n"
    ).encode()
    status, body = _chunked(
        small, "POST", "/v4/files/upload", data, f"multipart/form-data; boundary={boundary}"
    )
    assert (status, body["error_code"]) == (413, "too_large_request_length")


def test_429_after_the_rate_limit() -> None:
    world = make_world(rate_limit=2)
    first, _ = world.call("GET", "/v4/forms")
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert first.headers["X-RateLimit-Limit"] == "2"
    world.ok("GET", "/v4/forms")
    response, body = world.call("GET", "/v4/forms")
    assert (response.status_code, body["error_code"]) == (429, "too_many_requests")
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(response.headers["X-RateLimit-Reset"]) <= 600
    world.ok("GET", "/v4/forms", who="author")  # per person
    world.mock.clock.advance(601)  # type: ignore[attr-defined]
    world.ok("GET", "/v4/forms")


def test_unexpected_exception_is_a_json_500_and_kept(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(form_id: int) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(world.mock._backend, "find_form", broken)
    response = world.client.get(f"/v4/forms/{world.form.id}", headers=world.headers())
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.get_json()
    assert body["error_code"] == "server_error"
    assert "RuntimeError: boom" in body["error"]
    assert [type(e) for e in world.app.errors] == [RuntimeError]
    with pytest.raises(ServerThreadError, match="boom") as info:
        world.app.raise_errors()
    assert isinstance(info.value.__cause__, RuntimeError)
    world.app.clear_errors()
    world.app.raise_errors()
    assert world.mock._backend.log.calls[-1].error_code == "server_error"


def test_every_call_is_recorded(world: World) -> None:
    world.ok("GET", f"/v4/tasks/{world.task.id}?x=1")
    world.fail("GET", "/v4/tasks/999999", 403, "access_denied_task")
    world.fail("GET", "/v4/forms", 401, "token_not_specified", who=None)
    calls = world.mock._backend.log.calls[-3:]
    token = world.token("bot")
    assert [(c.method, c.path, c.status, c.error_code) for c in calls] == [
        ("GET", f"/v4/tasks/{world.task.id}?x=1", 200, None),
        ("GET", "/v4/tasks/999999", 403, "access_denied_task"),
        ("GET", "/v4/forms", 401, "token_not_specified"),
    ]
    assert [c.person_id for c in calls] == [world.bot.id, world.bot.id, None]
    assert [c.token_tail for c in calls] == [token[-4:], token[-4:], ""]
    assert all(c.elapsed > 0 for c in calls)


# -- the same over real HTTPS ----------------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    world = make_world(max_request_bytes=500)
    world.mock.start()
    # requests lets REQUESTS_CA_BUNDLE override Session.verify; point it at the fake's CA.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", world.mock.ca_path)
    try:
        yield world
    finally:
        world.mock.close()


def test_over_https(served: World) -> None:
    mock = served.mock
    with requests.Session() as session:
        auth = {"Authorization": f"Bearer {served.token('bot')}"}
        base = mock.base_url

        def check(response: requests.Response, status: int, code: str | None) -> None:
            assert response.status_code == status, response.text
            body = check_reply(response)
            assert body.get("error_code") == code

        check(session.get(f"{base}/v4/tasks/{served.task.id}", headers=auth), 200, None)
        check(session.get(f"{base}/api/v4/forms", headers=auth), 200, None)
        check(session.get(f"{base}/v4/tasks/{served.task.id}"), 401, "token_not_specified")
        check(session.get(f"{base}/v4/tasks/999999", headers=auth), 403, "access_denied_task")
        check(session.get(f"{base}/v4/nothing", headers=auth), 404, "not_found")
        check(session.delete(f"{base}/v4/forms", headers=auth), 405, "method_not_allowed")
        check(session.post(f"{base}/v4/tasks", data=b"{", headers=auth), 400, "invalid_json")
        check(session.post(f"{base}/v4/tasks", data=b"", headers=auth), 400, "empty_body")
        big = json.dumps({"text": "x" * 1000})
        check(
            session.post(f"{base}/v4/tasks", data=big, headers=auth),
            413,
            "too_large_request_length",
        )
        chunks = iter([b'{"text": "', b"x" * 1000, b'"}'])
        check(
            session.post(f"{base}/v4/tasks", data=chunks, headers=auth),
            413,
            "too_large_request_length",
        )
        check(session.post(f"{base}/v4/tasks", json={"text": "ok"}, headers=auth), 200, None)
    mock.server.raise_errors()
    served.app.raise_errors()


@pytest.mark.parametrize(
    ("method", "path", "status", "says"),
    [
        ("GET", "/v4/tasks/1/print_forms/2", 404, "print_forms/{print_form_id} (AIO)"),
        ("DELETE", "/v4/tasks/4", 405, "Pyrus has DELETE /tasks/{id} (AIO)"),
        ("GET", "/v4/taskz/1", 404, "no such endpoint GET /v4/taskz/1; implemented routes"),
    ],
)
def test_a_pyrus_endpoint_the_fake_lacks_is_told_from_a_typo(
    world: World, method: str, path: str, status: int, says: str
) -> None:
    response, body = world.call(method, path)
    assert response.status_code == status, body
    assert says in body["error"]
    if status == 404 and "taskz" not in path:
        assert "the fake does not implement" in body["error"]


def test_deeply_nested_api_body_answers_400_json() -> None:
    fake = PyrusMock()
    user = fake.add_user()
    task = fake.add_task(text="t", author=user)
    client = Client(fake.app)
    reply = client.post(
        f"/v4/tasks/{task.id}/comments",
        data=b"[" * 100_000,
        headers={"Authorization": f"Bearer {fake._backend.accounts.issue_token(user.id).value}"},
        content_type="application/json",
    )
    assert reply.status_code == 400
    assert reply.get_json()["error_code"] == "invalid_json"
    fake.close()


def test_a_body_that_does_not_arrive_in_time_is_request_timeout_as_a_slow_head_is() -> None:
    from werkzeug.exceptions import RequestTimeout

    from pyrus_mock.api.app import _from_werkzeug

    failure = _from_werkzeug(RequestTimeout())
    assert (failure.code, failure.error_code) == (408, "request_timeout")
