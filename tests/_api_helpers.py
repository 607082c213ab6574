"""A small fake organisation for the API tests, and a client that checks every reply.

:func:`make_world` builds a :class:`World`: users with different rights, a bot, a form with a
catalog field, a form task on which the bot approves step 1, a simple task, a list and an
uploaded file attached to the form task. ``world.call(...)`` drives the WSGI app in-process
with werkzeug's test client and asserts the invariants every reply must keep (D10, D11): JSON
body (file downloads excepted), never HTML, never a 500, ``X-RateLimit-*`` headers.

:data:`SAMPLES` holds a valid request for every endpoint of the route table; a test checks
that no endpoint lacks one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.test import Client, TestResponse

from pyrus_mock import PyrusMock, Rights
from pyrus_mock.api.app import PyrusApp
from pyrus_mock.api.routes import ENDPOINTS, Endpoint
from pyrus_mock.bots import Bot
from pyrus_mock.model import Catalog, FileRecord, Form, Person, Task, TaskList

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def check_reply(response: TestResponse | Any, *, raw_ok: bool = False) -> Any:
    """Assert the invariants of every API reply; return the parsed JSON (None for raw bytes)."""
    status = response.status_code
    assert status != 500, response.get_data(as_text=True)
    content_type = response.headers.get("Content-Type", "")
    data = response.get_data() if hasattr(response, "get_data") else response.content
    assert not data.lstrip().startswith(b"<"), data[:200]
    for name in RATE_HEADERS:
        assert name in response.headers, (name, dict(response.headers))
    if raw_ok and status == 200 and content_type == "application/octet-stream":
        return None
    assert content_type == "application/json; charset=utf-8", content_type
    parsed = json.loads(data.decode("utf-8"))
    assert isinstance(parsed, dict)
    if status >= 400:
        assert set(parsed) >= {"error_code", "error"}, parsed
        assert isinstance(parsed["error_code"], str)
        assert isinstance(parsed["error"], str)
        assert parsed["error"]
    return parsed


@dataclass
class World:
    """The fake organisation of the API tests (see the module docstring)."""

    mock: PyrusMock
    app: PyrusApp
    client: Client
    author: Person
    outsider: Person
    supervisor: Person
    manager: Person
    bot: Bot
    form: Form
    catalog: Catalog
    task: Task
    simple_task: Task
    lst: TaskList
    file: FileRecord
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, who: str) -> str:
        """A token for ``author``, ``outsider``, ``supervisor``, ``manager`` or ``bot``."""
        if who not in self.tokens:
            person_id = self.bot.id if who == "bot" else getattr(self, who).id
            self.tokens[who] = self.mock.backend.issue_token(person_id).value
        return self.tokens[who]

    def headers(self, who: str | None = "bot", **extra: str) -> dict[str, str]:
        """``Authorization: Bearer`` for ``who`` (None: no header)."""
        headers = dict(extra)
        if who is not None:
            headers["Authorization"] = f"Bearer {self.token(who)}"
        return headers

    def call(
        self,
        method: str,
        path: str,
        *,
        who: str | None = "bot",
        json_body: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        raw_ok: bool = False,
        **kwargs: Any,
    ) -> tuple[TestResponse, Any]:
        """Send a request in-process; returns the response and its checked JSON."""
        all_headers = self.headers(who)
        all_headers.update(headers or {})
        if json_body is not None:
            data = json.dumps(json_body)
            all_headers.setdefault("Content-Type", "application/json")
        response = self.client.open(path, method=method, data=data, headers=all_headers, **kwargs)
        return response, check_reply(response, raw_ok=raw_ok)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """Like :meth:`call`, asserting a 200; returns the JSON."""
        response, body = self.call(method, path, **kwargs)
        assert response.status_code == 200, body
        return body

    def fail(self, method: str, path: str, status: int, code: str, **kwargs: Any) -> Any:
        """Like :meth:`call`, asserting the status and error code; returns the JSON."""
        response, body = self.call(method, path, **kwargs)
        assert (response.status_code, body["error_code"]) == (status, code), body
        return body


def make_world(**settings: Any) -> World:
    """A fresh fake organisation; ``settings`` override :class:`pyrus_mock.Settings`."""
    settings.setdefault("auto_deliver", False)
    mock = PyrusMock(**settings)
    author = mock.add_user("Ann", "Author")
    outsider = mock.add_user("Oscar", "Outsider")
    supervisor = mock.add_user("Sue", "Visor", rights=Rights.SUPERVISOR)
    manager = mock.add_user("Max", "Manager", rights=Rights.CONFIGURATION_MANAGER)
    bot = mock.create_bot("Helper", "https://bot.invalid/hook")
    catalog = mock.add_catalog(
        "Colours", ["Name", "Code"], [["Red", "r"], ["Blue", "b"], ["Light blue", "lb"]]
    )
    form = mock.add_form(
        "Expense",
        [
            {"name": "Amount", "type": "money", "code": "u_amount"},
            {"name": "Note", "type": "text", "code": "u_note"},
            {"name": "Colour", "type": "catalog", "catalog": catalog, "code": "u_colour"},
            {"name": "Scan", "type": "file", "code": "u_scan"},
        ],
        steps=[{"name": "Review", "approvers": [bot]}, {"name": "Pay", "approvers": [author]}],
    )
    lst = mock.add_list("Projects")
    task = mock.create_task(
        form=form, fields={"u_amount": 120.5, "u_note": "taxi"}, author=author, list_ids=[lst.id]
    )
    simple = mock.create_task(text="Buy milk", author=author, responsible=author)
    backend = mock.backend
    uploaded = backend.upload("receipt.txt", b"receipt bytes", author.id)
    backend.comment(task, {"text": "scan", "attachments": [uploaded.guid]}, author)
    app = mock.app
    assert isinstance(app, PyrusApp)
    return World(
        mock,
        app,
        Client(app),
        author,
        outsider,
        supervisor,
        manager,
        bot,
        form,
        catalog,
        task,
        simple,
        lst,
        uploaded,
    )


# -- one valid request per endpoint ---------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """A request that succeeds, for one method of one endpoint."""

    method: str
    path: str  # with {task}, {form}, {catalog}, {member}, {list}, {file}, {bot} placeholders
    who: str | None = "bot"
    json_body: Any = None
    multipart: bool = False
    raw: bool = False

    def url(self, world: World, prefix: str = "/v4") -> str:
        """The concrete URL under ``prefix``."""
        path = self.path.format(
            task=world.task.id,
            form=world.form.id,
            catalog=world.catalog.id,
            member=world.author.id,
            list=world.lst.id,
            file=world.file.id,
            bot=world.bot.id,
        )
        return path if path.startswith("/services/") else prefix + path

    @property
    def has_body(self) -> bool:
        """Whether the request carries a body."""
        return self.json_body is not None or self.multipart


def upload_data(name: str = "file", content: bytes = b"hello") -> dict[str, Any]:
    """A multipart body with one file part under ``name``."""
    import io

    return {name: (io.BytesIO(content), "hello.txt")}


SAMPLES: dict[tuple[str, str], Sample] = {
    # The bot's credentials are filled in by send_sample().
    ("POST", "/auth"): Sample("POST", "/auth", who=None, json_body={}),
    ("GET", "/tasks/<int:task_id>"): Sample("GET", "/tasks/{task}"),
    ("POST", "/tasks/<int:task_id>/comments"): Sample(
        "POST", "/tasks/{task}/comments", json_body={"text": "Looks good"}
    ),
    ("POST", "/tasks"): Sample("POST", "/tasks", json_body={"text": "New task"}),
    ("GET", "/forms"): Sample("GET", "/forms"),
    ("GET", "/forms/<int:form_id>"): Sample("GET", "/forms/{form}"),
    ("GET", "/forms/<int:form_id>/register"): Sample("GET", "/forms/{form}/register"),
    ("POST", "/forms/<int:form_id>/register"): Sample(
        "POST", "/forms/{form}/register", json_body={"steps": [1]}
    ),
    ("GET", "/members"): Sample("GET", "/members"),
    ("GET", "/members/<int:member_id>"): Sample("GET", "/members/{member}"),
    ("GET", "/profile"): Sample("GET", "/profile"),
    ("GET", "/contacts"): Sample("GET", "/contacts"),
    ("GET", "/inbox"): Sample("GET", "/inbox"),
    # Catalogs and lists; "{catalog}" and "{list}" in bodies become the world's ids.
    ("GET", "/catalogs"): Sample("GET", "/catalogs"),
    ("PUT", "/catalogs"): Sample(
        "PUT", "/catalogs", json_body={"name": "Sizes", "catalog_headers": ["Size"]}
    ),
    ("GET", "/catalogs/<int:catalog_id>"): Sample("GET", "/catalogs/{catalog}"),
    ("POST", "/catalogs/<int:catalog_id>"): Sample(
        "POST",
        "/catalogs/{catalog}",
        who="manager",
        json_body={"apply": True, "catalog_headers": ["Name", "Code"], "items": []},
    ),
    ("POST", "/catalogs/<int:catalog_id>/diff"): Sample(
        "POST", "/catalogs/{catalog}/diff", who="manager", json_body={"delete": ["Red"]}
    ),
    ("PUT", "/catalogs/bulk"): Sample(
        "PUT", "/catalogs/bulk", json_body=[{"name": "Sizes", "catalog_headers": ["Size"]}]
    ),
    ("POST", "/catalogs/bulk"): Sample(
        "POST",
        "/catalogs/bulk",
        who="manager",
        json_body=[{"id": "{catalog}", "catalog_headers": ["Name", "Code"]}],
    ),
    ("DELETE", "/catalogs/bulk"): Sample(
        "DELETE", "/catalogs/bulk", who="manager", json_body=[{"id": "{catalog}"}]
    ),
    ("GET", "/lists"): Sample("GET", "/lists"),
    ("PUT", "/lists"): Sample("PUT", "/lists", json_body={"name": "New list"}),
    ("GET", "/lists/<int:list_id>"): Sample("GET", "/lists/{list}"),
    ("POST", "/lists/<int:list_id>"): Sample(
        "POST", "/lists/{list}", who="supervisor", json_body={"name": "Renamed"}
    ),
    ("DELETE", "/lists/<int:list_id>"): Sample("DELETE", "/lists/{list}", who="supervisor"),
    ("PUT", "/lists/bulk"): Sample("PUT", "/lists/bulk", json_body=[{"name": "New list"}]),
    ("POST", "/lists/bulk"): Sample(
        "POST", "/lists/bulk", who="supervisor", json_body=[{"id": "{list}", "name": "Renamed"}]
    ),
    ("DELETE", "/lists/bulk"): Sample(
        "DELETE", "/lists/bulk", who="supervisor", json_body=[{"id": "{list}"}]
    ),
    ("GET", "/lists/<int:list_id>/tasks"): Sample("GET", "/lists/{list}/tasks", who="author"),
    ("POST", "/lists/<int:list_id>/tasks"): Sample(
        "POST", "/lists/{list}/tasks", who="author", json_body={"item_count": 5}
    ),
    ("POST", "/files/upload"): Sample("POST", "/files/upload", multipart=True),
    ("GET", "/files/download/<int:file_id>"): Sample(
        "GET", "/files/download/{file}", who="author", raw=True
    ),
    ("GET", "/services/attachment"): Sample(
        "GET", "/services/attachment?Id={file}", who="author", raw=True
    ),
    ("GET", "/bots"): Sample("GET", "/bots", who="manager"),
    ("POST", "/bots"): Sample("POST", "/bots", who="manager", json_body={"name": "New bot"}),
    ("PUT", "/bots/<int:bot_id>"): Sample(
        "PUT", "/bots/{bot}", who="manager", json_body={"description": "d"}
    ),
    ("DELETE", "/bots/<int:bot_id>"): Sample(
        "DELETE", "/bots/{bot}", who="manager", json_body={"task_receiver_id": 0}
    ),
}


def endpoint_methods() -> list[tuple[Endpoint, str]]:
    """Every (endpoint, method) pair of the route table."""
    return [(ep, method) for ep in ENDPOINTS for method in ep.methods]


def sample_for(endpoint: Endpoint, method: str) -> Sample:
    """The sample request of ``method`` on ``endpoint``."""
    return SAMPLES[(method, endpoint.path)]


def send_sample(
    world: World, sample: Sample, *, who: str | None = "default", prefix: str = "/v4", **kwargs: Any
) -> tuple[TestResponse, Any]:
    """Send ``sample`` (as ``who``, default: the sample's own caller)."""
    caller = sample.who if who == "default" else who
    body = sample.json_body
    if sample.path == "/auth" and body is not None:
        body = {"login": world.bot.login, "security_key": world.bot.security_key}
    if sample.path.startswith("/bots/") and sample.method == "DELETE":
        body = {"task_receiver_id": world.manager.id}
    body = fill_ids(world, body)
    if sample.multipart:
        kwargs.setdefault("data", upload_data())
    return world.call(
        sample.method,
        sample.url(world, prefix),
        who=caller,
        json_body=body,
        raw_ok=sample.raw,
        **kwargs,
    )


def fill_ids(world: World, body: Any) -> Any:
    """``body`` with the strings ``"{catalog}"`` and ``"{list}"`` replaced by the world's ids."""
    if isinstance(body, list):
        return [fill_ids(world, item) for item in body]
    if isinstance(body, dict):
        return {key: fill_ids(world, value) for key, value in body.items()}
    return (
        {"{catalog}": world.catalog.id, "{list}": world.lst.id}.get(body, body)
        if isinstance(body, str)
        else body
    )
