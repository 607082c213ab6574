"""The OpenAPI description the fake publishes, and schemathesis fuzzing the API against it.

The description is generated from the route table (``pyrus_mock.api.openapi``) and served at
``GET /openapi.json``. schemathesis (an established API fuzzer) generates requests for every
operation from it, with a valid token, and checks each reply: no 5xx, a documented status and
content type, and a body valid against the description (errors are ``{"error_code", "error"}``).
The example count per operation is bounded, so the run stays a few seconds.

Every JSON reply has a named data schema (typed after the official C# client's models); the
reply of each operation's sample request (``tests/_api_helpers.SAMPLES``) is valid against it,
and replies with a missing or mistyped member are refused. ``tests/test_openapi_rich.py``
checks replies that carry the optional members.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from pyrus_mock.api import catalog_edits, views_knowledge, views_orgchart
from pyrus_mock.api.call import Call
from pyrus_mock.api.openapi import openapi_spec
from pyrus_mock.api.openapi_schemas import REQUEST_BODIES, RESPONSES
from pyrus_mock.api.routes import ENDPOINTS, Endpoint
from pyrus_mock.state import serialize_directory

from ._api_helpers import SAMPLES, World, make_world, sample_body

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_route_is_described() -> None:
    spec = openapi_spec(ENDPOINTS)
    operations = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    assert len(operations) == sum(len(ep.methods) for ep in ENDPOINTS)
    assert ("GET", "/v4/tasks/{task_id}") in operations
    assert ("POST", "/v4/auth") in operations
    comment = spec["paths"]["/v4/tasks/{task_id}/comments"]["post"]
    schema = _resolve(spec, comment["requestBody"]["content"]["application/json"]["schema"])
    assert "approval_choice" in schema["properties"]
    assert spec["paths"]["/v4/auth"]["post"]["security"] == []
    assert spec["paths"]["/v4/tasks/{task_id}"]["get"]["security"] == [{"bearer": []}]


def test_the_description_is_served_without_a_token() -> None:
    world = make_world()
    response = Client(world.app).get("/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == openapi_spec(ENDPOINTS)


def _operations() -> list[tuple[str, str]]:
    return [
        (method, path) for path, item in openapi_spec(ENDPOINTS)["paths"].items() for method in item
    ]


@pytest.mark.parametrize(("method", "path"), _operations())
def test_api_fuzzed_by_schemathesis(method: str, path: str) -> None:
    world = make_world()
    operation = schemathesis.openapi.from_wsgi("/openapi.json", world.app)[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=8,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        response = case.call(headers=world.headers("manager"))
        case.validate_response(response, checks=CHECKS)

    before = len(world.mock._backend.log.calls)
    try:
        fuzz()
    finally:
        world.mock.close()
    assert not world.app.errors, world.app.errors
    assert len(world.mock._backend.log.calls) > before  # the requests reached the app


def test_the_fuzzing_catches_a_server_error() -> None:
    """The checks fail on a 5xx: a reply the fuzz test would have let through is refused."""
    world = make_world()
    operation = schemathesis.openapi.from_wsgi("/openapi.json", world.app)["/v4/forms"]["GET"]
    case = operation.Case()
    response = case.call(headers=world.headers("manager"))
    case.validate_response(response, checks=CHECKS)  # a good reply passes
    response.status_code = 500
    with pytest.raises(BaseException) as failure:  # noqa: PT011 (a BaseExceptionGroup)
        case.validate_response(response, checks=CHECKS)
    assert "ServerError" in _names(failure.value), failure.value


def _names(error: BaseException) -> set[str]:
    names = {type(error).__name__}
    for inner in getattr(error, "exceptions", ()):
        names |= _names(inner)
    return names


# -- the data schemas of the core replies --------------------------------------------------------

#: The core operations and who calls them, successfully, in :func:`make_world`'s organisation
#: (path parameters and bodies: :func:`_core_case`).
CORE: list[tuple[str, str, str | None]] = [
    ("POST", "/v4/auth", None),
    ("GET", "/v4/tasks/{task_id}", "author"),
    ("POST", "/v4/tasks", "author"),
    ("POST", "/v4/tasks/{task_id}/comments", "bot"),  # the approver of step 1
    ("GET", "/v4/forms", "author"),
    ("GET", "/v4/forms/{form_id}", "author"),
    ("GET", "/v4/catalogs", "author"),
    ("GET", "/v4/catalogs/{catalog_id}", "author"),
    ("PUT", "/v4/catalogs", "manager"),
    ("GET", "/v4/members", "author"),
    ("GET", "/v4/members/{member_id}", "author"),
    ("GET", "/v4/profile", "author"),
    ("GET", "/v4/lists", "author"),
    ("GET", "/v4/inbox", "author"),
    ("GET", "/v4/bots", "manager"),
    ("GET", "/v4/roles", "author"),
]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _reply_schema(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    reply = spec["paths"][path][method.lower()]["responses"]["200"]
    return _resolve(spec, reply["content"]["application/json"]["schema"])


#: Operations whose JSON 200 reply may stay a bare object, each with its reason. Empty: every
#: JSON reply the fake sends is described.
BARE_REPLY_ALLOWED: dict[tuple[str, str], str] = {}


def _json_operations() -> list[tuple[str, str]]:
    """Every operation whose 200 reply is JSON (raw downloads and CSV reports excepted)."""
    return [
        (method.upper(), path)
        for path, item in openapi_spec(ENDPOINTS)["paths"].items()
        for method, operation in item.items()
        if "application/json" in operation["responses"]["200"].get("content", {})
    ]


def _undescribed(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """The JSON operations of ``spec`` whose 200 reply is not a named, described schema."""
    found = []
    for method, path in _json_operations():
        reply = spec["paths"][path][method.lower()]["responses"]["200"]
        declared = reply["content"]["application/json"]["schema"]
        schema = _resolve(spec, declared) if "$ref" in declared else {}
        if schema.get("maxProperties") == 0:  # Empty: the C# ResponseBase, ``{}``
            continue
        properties: dict[str, Any] = dict(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            properties.update(_resolve(spec, part).get("properties", {}))
        lists = [m["items"] for m in properties.values() if "$ref" in m.get("items", {})]
        if not properties or not all(_resolve(spec, item)["properties"] for item in lists):
            found.append((method, path))
    return found


def test_every_json_reply_has_a_named_data_schema() -> None:
    """Every JSON 200 reply references a named schema that describes its members (or, for the
    empty C# ResponseBase, says it has none); an envelope's list holds described objects."""
    assert len(_json_operations()) > 70
    assert sorted(_undescribed(openapi_spec(ENDPOINTS))) == sorted(BARE_REPLY_ALLOWED)


def test_a_reply_without_a_schema_is_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above fails for an operation whose reply falls back to a bare object."""
    monkeypatch.delitem(RESPONSES, ("GET", "/orgchart"))
    assert _undescribed(openapi_spec(ENDPOINTS)) == [("GET", "/v4/orgchart")]


def test_the_schema_mappings_name_real_operations_and_schemas() -> None:
    """A renamed route or schema cannot silently drop its data schema."""
    spec = openapi_spec(ENDPOINTS)
    for method, path in [*RESPONSES, *REQUEST_BODIES]:
        assert method.lower() in spec["paths"]["/v4" + path], (method, path)
    names = [*RESPONSES.values(), *REQUEST_BODIES.values()]
    assert set(names) <= set(spec["components"]["schemas"])
    for method, path in [("POST", "/v4/auth"), ("POST", "/v4/tasks"), ("PUT", "/v4/catalogs")]:
        body = spec["paths"][path][method.lower()]["requestBody"]
        assert _resolve(spec, body["content"]["application/json"]["schema"])["properties"]


def _core_case(world: World, method: str, path: str) -> Any:
    operation = schemathesis.openapi.from_wsgi("/openapi.json", world.app)[path][method]
    ids = {
        "task_id": world.task.id,
        "form_id": world.form.id,
        "catalog_id": world.catalog.id,
        "member_id": world.author.id,
    }
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/v4/auth"): {"login": world.bot.login, "security_key": world.bot.security_key},
        ("POST", "/v4/tasks"): {"text": "Call Bob", "responsible": world.author.id},
        ("POST", "/v4/tasks/{task_id}/comments"): {"text": "done", "approval_choice": "approved"},
        ("PUT", "/v4/catalogs"): {
            "name": "Sizes",
            "catalog_headers": ["Size"],
            "items": [{"values": ["S"]}],
        },
    }
    params = {name: value for name, value in ids.items() if "{" + name + "}" in path}
    if (method, path) in bodies:
        return operation.Case(path_parameters=params, body=bodies[method, path])
    return operation.Case(path_parameters=params)


@pytest.mark.parametrize(("method", "path", "who"), CORE)
def test_core_replies_conform_to_their_schemas(method: str, path: str, who: str | None) -> None:
    """A real, successful reply of each core operation (rich data: a form task with fields,
    approvals, comments and attachments; a role; a list) is valid against its schema."""
    world = make_world()
    world.made_id("role")
    case = _core_case(world, method, path)
    response = case.call(headers=world.headers(who) if who else {})
    assert response.status_code == 200, response.text
    case.validate_response(response, checks=CHECKS)


def _endpoint(method: str, path: str) -> Endpoint:
    return next(
        ep
        for ep in ENDPOINTS
        if method in ep.methods and path in {p + ep.display_path for p in ep.prefixes}
    )


def _sample_case(world: World, method: str, path: str) -> tuple[Any, str | None]:
    """The schemathesis case of the route table's sample request for the operation
    (``tests/_api_helpers.SAMPLES``), and who sends it. The world gets a role and a
    department first, so directory replies are not empty."""
    world.made_id("role")
    world.made_id("department")
    endpoint = _endpoint(method, path)
    sample = SAMPLES[(method, endpoint.path)]
    url = urlsplit(sample.url(world))
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    match = re.fullmatch(pattern, url.path)
    assert match is not None, (path, url.path)
    params: dict[str, Any] = {
        name: int(value) if value.isdigit() else value for name, value in match.groupdict().items()
    }
    operation = schemathesis.openapi.from_wsgi("/openapi.json", world.app)[path][method]
    extra: dict[str, Any] = {}
    if url.query:
        extra["query"] = dict(parse_qsl(url.query))
    if sample.multipart:
        extra["body"] = {"file": b"hello"}
        extra["media_type"] = "multipart/form-data"
    else:
        body = sample_body(world, sample)
        if body is not None:
            extra["body"] = body
    return operation.Case(path_parameters=params, **extra), sample.who


@pytest.mark.parametrize(("method", "path"), _json_operations())
def test_every_reply_conforms_to_its_schema(method: str, path: str) -> None:
    """The reply of each operation's sample request (a valid call by the right person, in
    :func:`make_world`'s organisation) is a 200 valid against the operation's data schema."""
    world = make_world()
    try:
        case, who = _sample_case(world, method, path)
        response = case.call(headers=world.headers(who) if who else {})
        assert response.status_code == 200, response.text
        case.validate_response(response, checks=CHECKS)
    finally:
        world.mock.close()


def _refused(world: World, method: str, path: str, who: str) -> set[str]:
    case = _core_case(world, method, path)
    response = case.call(headers=world.headers(who))
    assert response.status_code == 200, response.text
    with pytest.raises(BaseException) as failure:  # noqa: PT011 (a BaseExceptionGroup)
        case.validate_response(response, checks=CHECKS)
    return _names(failure.value)


def test_a_task_reply_missing_a_required_member_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The conformance check has teeth: a TaskWithComments without ``create_date`` fails."""
    world = make_world()
    original = Call.task_json

    def broken(self: Call, task: Any) -> dict[str, Any]:
        data = original(self, task)
        del data["create_date"]
        return data

    monkeypatch.setattr(Call, "task_json", broken)
    assert "JsonSchemaError" in _refused(world, "GET", "/v4/tasks/{task_id}", "author")


@pytest.mark.parametrize(
    ("code", "wrong"),
    [("u_amount", "120.5"), ("u_note", 7), ("u_colour", "Red")],
)
def test_a_task_field_value_of_the_wrong_type_is_refused(
    monkeypatch: pytest.MonkeyPatch, code: str, wrong: Any
) -> None:
    """A field value is typed by the field's type, as the C# FormField classes read it: money
    as text (``decimal``), text as a number, a catalog value as a bare string fail."""
    world = make_world()
    original = Call.task_json

    def broken(self: Call, task: Any) -> dict[str, Any]:
        data = original(self, task)
        for field in data["fields"]:
            if field.get("code") == code:
                field["value"] = wrong
        return data

    monkeypatch.setattr(Call, "task_json", broken)
    assert "JsonSchemaError" in _refused(world, "GET", "/v4/tasks/{task_id}", "author")


def test_a_form_reply_with_a_mistyped_member_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Form whose field definitions carry string ids fails the conformance check."""
    world = make_world()
    original = serialize_directory.form

    def broken(form: Any) -> dict[str, Any]:
        data = original(form)
        data["fields"] = [{**fd, "id": str(fd["id"])} for fd in data["fields"]]
        return data

    monkeypatch.setattr(serialize_directory, "form", broken)
    assert "JsonSchemaError" in _refused(world, "GET", "/v4/forms/{form_id}", "author")


def _sample_refused(method: str, path: str) -> set[str]:
    """The failures the conformance checks report on the operation's sample reply (which
    must still be a 200: the schema, not the fake, refuses it)."""
    world = make_world()
    try:
        case, who = _sample_case(world, method, path)
        response = case.call(headers=world.headers(who) if who else {})
        assert response.status_code == 200, response.text
        with pytest.raises(BaseException) as failure:  # noqa: PT011 (a BaseExceptionGroup)
            case.validate_response(response, checks=CHECKS)
        return _names(failure.value)
    finally:
        world.mock.close()


def test_a_department_with_a_text_external_id_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """C# ``Department.ExternalId`` is a long: an org chart whose department carries it as
    text (the official client would fail to parse it) fails the conformance check."""
    original = views_orgchart.department_json

    def broken(department: Any) -> dict[str, Any]:
        return {**original(department), "external_id": "ext-1"}

    monkeypatch.setattr(views_orgchart, "department_json", broken)
    assert "JsonSchemaError" in _sample_refused("GET", "/v4/orgchart")


def test_knowledge_base_permissions_missing_inherit_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A KnowledgeBasePermissionsResponse without ``inherit`` (always sent) fails the check."""
    original = views_knowledge._permissions

    def broken(call: Any, entity: Any) -> dict[str, Any]:
        data = original(call, entity)
        del data["inherit"]
        return data

    monkeypatch.setattr(views_knowledge, "_permissions", broken)
    assert "JsonSchemaError" in _sample_refused("GET", "/v4/knowledgebase/{entity_id}/permissions")


def test_a_sync_reply_with_a_wrong_apply_type_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """C# ``SyncCatalogResponse.Apply`` is a bool: ``"true"`` fails the conformance check."""
    original = catalog_edits.Edit.reply

    def broken(self: Any, applied: bool) -> dict[str, Any]:
        return {**original(self, applied), "apply": str(applied).lower()}

    monkeypatch.setattr(catalog_edits.Edit, "reply", broken)
    assert "JsonSchemaError" in _sample_refused("POST", "/v4/catalogs/{catalog_id}")
