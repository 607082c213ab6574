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

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.test import Client, TestResponse

from pyrus_mock import PyrusMock, Rights
from pyrus_mock.api.app import PyrusApp
from pyrus_mock.api.routes import ENDPOINTS, Endpoint
from pyrus_mock.domain.model import Catalog, FileRecord, Form, Person, Task, TaskList
from pyrus_mock.domain.model_extra import Announcement, CallRecord, KbEntity
from pyrus_mock.mock.bots import Bot

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
CSV = "text/csv; charset=utf-8"


def check_reply(response: TestResponse | Any, *, raw_ok: bool = False) -> Any:
    """Assert the invariants of every API reply; return the parsed JSON (None for raw bytes)."""
    status = response.status_code
    assert status != 500, response.get_data(as_text=True)
    content_type = response.headers.get("Content-Type", "")
    data = response.get_data() if hasattr(response, "get_data") else response.content
    assert not data.lstrip().startswith(b"<"), data[:200]
    for name in RATE_HEADERS:
        assert name in response.headers, (name, dict(response.headers))
    if raw_ok and status == 200 and content_type in ("application/octet-stream", CSV):
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
    admin: Person  # Rights.ORGANIZATION_MANAGER: roles, members, org chart
    announcement: Announcement
    topic: KbEntity
    article: KbEntity
    tokens: dict[str, str] = field(default_factory=dict)
    made: dict[str, int] = field(default_factory=dict)

    def made_id(self, kind: str) -> int:
        """The id of a ``role`` or ``department`` made for the samples (made on first use, so
        worlds that do not need one keep an empty directory)."""
        if kind not in self.made:
            if kind == "role":
                self.made[kind] = self.mock.add_role("Sample role", [self.author]).id
            else:
                self.made[kind] = self.mock.add_department("Sample department").id
        return self.made[kind]

    def token(self, who: str) -> str:
        """A token for ``author``, ``outsider``, ``supervisor``, ``manager`` or ``bot``."""
        if who not in self.tokens:
            person_id = self.bot.id if who == "bot" else getattr(self, who).id
            self.tokens[who] = self.mock._backend.accounts.issue_token(person_id).value
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


@contextlib.contextmanager
def open_world(*, intercept: bool = False, **settings: Any) -> Iterator[World]:
    """:func:`make_world`, served in-process to ``requests``/``httpx`` while open when
    ``intercept``; closed on the way out, then errors its app kept are raised."""
    world = make_world(**settings)
    try:
        if intercept:
            with world.mock.intercept():
                yield world
        else:
            yield world
    finally:
        world.mock.close()
    world.app.raise_errors()


def make_world(**settings: Any) -> World:
    """A fresh fake organisation; ``settings`` override :class:`pyrus_mock.Settings`."""
    settings.setdefault("auto_deliver", False)
    mock = PyrusMock(**settings)
    author = mock.add_user("Ann", "Author")
    outsider = mock.add_user("Oscar", "Outsider")
    supervisor = mock.add_user("Sue", "Visor", rights=Rights.SUPERVISOR)
    manager = mock.add_user("Max", "Manager", rights=Rights.CONFIGURATION_MANAGER)
    bot = mock.add_bot("Helper", "https://bot.invalid/hook")
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
    task = mock.add_task(
        form=form, fields={"u_amount": 120.5, "u_note": "taxi"}, author=author, list_ids=[lst.id]
    )
    simple = mock.add_task(text="Buy milk", author=author, responsible=author)
    backend = mock._backend
    uploaded = backend.files.upload("receipt.txt", b"receipt bytes", author.id)
    backend.comment(task, {"text": "scan", "attachments": [uploaded.guid]}, author)
    admin = mock.add_user("Ada", "Admin", rights=Rights.ORGANIZATION_MANAGER)
    announcement = mock.add_announcement("Office closed on Friday", author=author)
    topic = mock.add_kb_entity("topic", "Policies", author=author)
    article = mock.add_kb_entity(
        "article", "Expenses", "Keep receipts.", parent=topic, author=author
    )
    mock.add_call_integration("tel-1", form)
    backend.extra.calls.append(  # a call registered earlier, for attachcallrecord
        CallRecord(task.id, "tel-1", bot.id, backend.now(), "+100", "+200", external_id="call-1")
    )
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
        admin,
        announcement,
        topic,
        article,
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
        made = {k: world.made_id(k) for k in ("role", "department") if f"{{{k}}}" in self.path}
        path = self.path.format(
            **made,
            task=world.task.id,
            form=world.form.id,
            catalog=world.catalog.id,
            member=world.author.id,
            list=world.lst.id,
            file=world.file.id,
            bot=world.bot.id,
            announcement=world.announcement.id,
            topic=world.topic.id,
            article=world.article.id,
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
    ("GET", "/tasksbyapprover/<int:person_id>"): Sample("GET", "/tasksbyapprover/{bot}"),
    # Both task ids are filled in by send_sample().
    ("POST", "/tasks/comments"): Sample("POST", "/tasks/comments", json_body={"comments": []}),
    ("POST", "/tasks//comments"): Sample("POST", "/tasks//comments", json_body={"comments": []}),
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
    ("GET", "/openapi.json"): Sample("GET", "/openapi.json", who=None),
    # -- directory administration ("{role}", "{department}" in a body become the ids) --
    ("GET", "/roles"): Sample("GET", "/roles?include_fired=True"),
    ("GET", "/roles/<int:role_id>"): Sample("GET", "/roles/{role}"),
    ("POST", "/roles"): Sample("POST", "/roles", who="admin", json_body={"name": "Cashiers"}),
    ("POST", "/roles/bulk"): Sample(
        "POST", "/roles/bulk", who="admin", json_body=[{"name": "A"}, {"name": "B"}]
    ),
    ("PUT", "/roles/<int:role_id>"): Sample(
        "PUT", "/roles/{role}", who="admin", json_body={"name": "Renamed"}
    ),
    ("PUT", "/roles/bulk"): Sample(
        "PUT", "/roles/bulk", who="admin", json_body=[{"id": "{role}", "banned": True}]
    ),
    ("DELETE", "/roles/<int:role_id>"): Sample(
        "DELETE", "/roles/{role}", who="admin", json_body={"task_receiver_id": 0}
    ),
    ("DELETE", "/roles/bulk"): Sample(
        "DELETE", "/roles/bulk", who="admin", json_body=[{"id": "{role}"}]
    ),
    ("POST", "/members"): Sample(
        "POST",
        "/members",
        who="admin",
        json_body={"first_name": "New", "last_name": "Hire", "email": "new.hire@example.com"},
    ),
    ("PUT", "/members/<int:member_id>"): Sample(
        "PUT", "/members/{member}", who="admin", json_body={"position": "Lead"}
    ),
    ("DELETE", "/members/<int:member_id>"): Sample("DELETE", "/members/{member}", who="admin"),
    ("POST", "/members/bulk"): Sample(
        "POST",
        "/members/bulk",
        who="admin",
        json_body={"AddMembers": [{"first_name": "Bulk", "email": "bulk@example.com"}]},
    ),
    ("PUT", "/members/<int:member_id>/avatar"): Sample(
        "PUT", "/members/{member}/avatar", who="admin", json_body={"guid": "{guid}"}
    ),
    ("GET", "/profile/identity"): Sample("GET", "/profile/identity"),
    ("GET", "/orgchart"): Sample("GET", "/orgchart"),
    ("PUT", "/orgchart"): Sample(
        "PUT", "/orgchart", who="admin", json_body={"department_name": "Sales"}
    ),
    ("PUT", "/orgchart/bulk"): Sample(
        "PUT", "/orgchart/bulk", who="admin", json_body=[{"department_name": "Sales"}]
    ),
    ("POST", "/orgchart/<int:department_id>"): Sample(
        "POST",
        "/orgchart/{department}",
        who="admin",
        json_body={"department_name": "Renamed", "remove_manager": False},
    ),
    ("POST", "/orgchart/bulk"): Sample(
        "POST",
        "/orgchart/bulk",
        who="admin",
        json_body=[{"id": "{department}", "department_name": "Renamed"}],
    ),
    ("DELETE", "/orgchart/<int:department_id>"): Sample(
        "DELETE", "/orgchart/{department}", who="admin"
    ),
    ("DELETE", "/orgchart/bulk"): Sample(
        "DELETE", "/orgchart/bulk", who="admin", json_body=[{"id": "{department}"}]
    ),
    ("GET", "/forms/<int:form_id>/permissions"): Sample(
        "GET", "/forms/{form}/permissions", who="manager"
    ),
    ("POST", "/forms/<int:form_id>/permissions"): Sample(
        "POST",
        "/forms/{form}/permissions",
        who="manager",
        json_body={"permissions": {"{member}": "member"}},
    ),
    ("GET", "/announcements"): Sample("GET", "/announcements?item_count=10"),
    ("GET", "/announcements/<int:announcement_id>"): Sample("GET", "/announcements/{announcement}"),
    ("POST", "/announcements"): Sample("POST", "/announcements", json_body={"text": "Hello"}),
    ("POST", "/announcements/<int:announcement_id>/comments"): Sample(
        "POST", "/announcements/{announcement}/comments", json_body={"text": "Thanks"}
    ),
    ("GET", "/calendar"): Sample(
        "GET", "/calendar?start_date_utc=2026-01-01T00:00:00Z&end_date_utc=2026-02-01T00:00:00Z"
    ),
    ("GET", "/knowledgebase/structure"): Sample("GET", "/knowledgebase/structure"),
    ("POST", "/knowledgebase"): Sample(
        "POST", "/knowledgebase", json_body={"type": "topic", "title": "HR"}
    ),
    ("GET", "/knowledgebase/<entity_id>"): Sample("GET", "/knowledgebase/{article}"),
    ("PUT", "/knowledgebase/<entity_id>"): Sample(
        "PUT", "/knowledgebase/{article}", who="author", json_body={"title": "Costs"}
    ),
    ("DELETE", "/knowledgebase/<entity_id>"): Sample(
        "DELETE", "/knowledgebase/{article}", who="author"
    ),
    ("GET", "/knowledgebase/<entity_id>/permissions"): Sample(
        "GET", "/knowledgebase/{article}/permissions"
    ),
    ("PUT", "/knowledgebase/<entity_id>/permissions"): Sample(
        "PUT", "/knowledgebase/{article}/permissions", who="author", json_body={"inherit": False}
    ),
    ("POST", "/integrations/call"): Sample(
        "POST",
        "/integrations/call",
        json_body={"account_id": "tel-1", "from_number": "+100", "to_number": "+200"},
    ),
    # record_file is filled in by send_sample() (the guid of world.file)
    ("POST", "/integrations/attachcallrecord"): Sample(
        "POST", "/integrations/attachcallrecord", json_body={"external_id": "call-1"}
    ),
    ("GET", "/eventhistory"): Sample(
        "GET", "/eventhistory?after=0&count=10", who="supervisor", raw=True
    ),
    ("GET", "/fileaccesshistory"): Sample(
        "GET", "/fileaccesshistory?after=0&count=10", who="supervisor", raw=True
    ),
    ("GET", "/taskaccesshistory"): Sample(
        "GET", "/taskaccesshistory?after=0&count=10", who="supervisor", raw=True
    ),
    ("GET", "/registryaccesshistory"): Sample(
        "GET", "/registryaccesshistory?after=0&count=10", who="supervisor", raw=True
    ),
    ("GET", "/registrydownloadhistory"): Sample(
        "GET", "/registrydownloadhistory?after=0&count=10", who="supervisor", raw=True
    ),
    ("GET", "/personlastaction"): Sample("GET", "/personlastaction", who="supervisor", raw=True),
    ("GET", "/handlingtime"): Sample("GET", "/handlingtime", who="supervisor", raw=True),
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
    body = sample_body(world, sample)
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


def sample_body(world: World, sample: Sample) -> Any:
    """The JSON body of ``sample`` with the world's ids, credentials and guids filled in (the
    bulk comment samples add a second task to comment on)."""
    body = sample.json_body
    if sample.path == "/auth" and body is not None:
        body = {"login": world.bot.login, "security_key": world.bot.security_key}
    if sample.path.startswith("/bots/") and sample.method == "DELETE":
        body = {"task_receiver_id": world.manager.id}
    body = fill_ids(world, body)
    if body == {"guid": "{guid}"}:
        body = {"guid": world.file.guid}
    if body == {"permissions": {"{member}": "member"}}:
        body = {"permissions": {str(world.author.id): "member"}}
    for kind in ("role", "department"):
        if body is not None and f'"{{{kind}}}"' in json.dumps(body):
            body = json.loads(json.dumps(body).replace(f'"{{{kind}}}"', str(world.made_id(kind))))
    if sample.path == "/integrations/attachcallrecord" and body is not None:
        body = {**body, "record_file": world.file.guid}
    if sample.path in ("/tasks/comments", "/tasks//comments"):
        other = world.mock.add_task(text="second", author=world.author, responsible=world.bot)
        body = {
            "comments": [
                {"task_id": world.task.id, "comment": {"text": "one"}},
                {"task_id": other.id, "comment": {"text": "two"}},
            ]
        }
    return body


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
