"""The OpenAPI description the fake publishes, and schemathesis fuzzing the API against it.

The description is generated from the route table (``pyrus_mock.api.openapi``) and served at
``GET /openapi.json``. schemathesis (an established API fuzzer) generates requests for every
operation from it, with a valid token, and checks each reply: no 5xx, a documented status and
content type, and a body valid against the description (errors are ``{"error_code", "error"}``).
The example count per operation is bounded, so the run stays a few seconds.
"""

from __future__ import annotations

from typing import Any

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

from pyrus_mock.api.openapi import openapi_spec
from pyrus_mock.api.routes import ENDPOINTS

from ._api_helpers import make_world

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
    schema = comment["requestBody"]["content"]["application/json"]["schema"]
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

    before = len(world.mock._backend.api_calls)
    try:
        fuzz()
    finally:
        world.mock.close()
    assert not world.app.errors, world.app.errors
    assert len(world.mock._backend.api_calls) > before  # the requests reached the app


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
