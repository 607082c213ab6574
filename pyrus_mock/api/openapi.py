"""An OpenAPI 3.1 description of the API the fake serves, generated from the route table.

:func:`openapi_spec` walks :data:`pyrus_mock.api.routes.ENDPOINTS`: one operation per method of
each endpoint, under its first prefix (``/v4`` for most), with the path parameters of its
werkzeug rule, Bearer authentication unless the endpoint is public, a JSON request body for
methods that take one (the shipped CreateComment schema for task comments, ``multipart/form-data``
for uploads) and the Pyrus error envelope ``{"error_code", "error"}`` for every non-2xx status
(decision D10). The fake serves it at ``GET /openapi.json``; the test suite fuzzes the API
against it with schemathesis.

Every successful JSON reply has a data schema in ``components/schemas``, named after the
official C# client's model (TaskResponse, FormRegisterResponse, Catalog, SyncCatalogResponse,
PlainTaskList, Member, Role, DepartmentsResponse, PermissionsResponse, AnnouncementResponse,
KnowledgeBaseEntity, ... and ``Empty`` for the ``{}`` of deletes) and typed as that model
types its members; raw downloads and CSV reports are
described as bytes. The write operations whose C# request model is clear take typed bodies
(auth, tasks, bulk comments, catalogs, lists, bots, members, roles, org chart, form
permissions, announcements, knowledge base, telephony), open to unknown keys as Pyrus is.
The schemas live in :mod:`pyrus_mock.api.openapi_schemas` and its per-area modules.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from typing import Any

from .._version import __version__
from ..schema import load as load_schema
from .endpoint import API_PREFIXES, Endpoint
from .openapi_schemas import REQUEST_BODIES, RESPONSES, SCHEMAS

__all__ = ["ERROR_SCHEMA", "openapi_spec"]

#: The body of every error reply (D10); ``violations`` lists a refused comment's problems (the
#: first 200; ``violations_omitted`` counts the rest).
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error_code", "error"],
    "properties": {
        "error_code": {"type": "string", "minLength": 1},
        "error": {"type": "string", "minLength": 1},
        "violations": {"type": "array", "items": {"type": "object"}, "maxItems": 200},
        "violations_omitted": {"type": "integer", "minimum": 1},
    },
}

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_BODY_METHODS = {"POST", "PUT", "DELETE"}
_CSV_HINT = "csv"


def _path_and_parameters(endpoint: Endpoint) -> tuple[str, list[dict[str, Any]]]:
    prefix = "/v4" if "/v4" in endpoint.prefixes else endpoint.prefixes[0]
    parameters = []
    for converter, name in _PARAM.findall(endpoint.path):
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 0} if converter == "int" else {"type": "string"}
        )
        if converter != "int":
            schema["pattern"] = "^[^/]+$"
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return prefix + _PARAM.sub(r"{\2}", endpoint.path), parameters


def _request_body(endpoint: Endpoint, method: str) -> dict[str, Any] | None:
    if method not in _BODY_METHODS:
        return None
    if endpoint.upload:
        return {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    schema: dict[str, Any] = {"type": "object"}
    name = REQUEST_BODIES.get((method, endpoint.display_path))
    if name is not None:
        schema = _ref(name)
    elif endpoint.path.endswith("/comments") and "<int:" in endpoint.path:
        schema = _ref("CreateComment")
    return {"required": False, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _create_comment_schemas() -> dict[str, Any]:
    """The shipped CreateComment schema as named components: ``CreateComment`` and one
    ``CreateComment_<name>`` per ``$defs`` entry, its ``#/$defs/`` references rewritten (in
    the document, ``#`` is the OpenAPI root, not the schema)."""
    schema = load_schema()
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    defs = schema.pop("$defs", {})
    text = json.dumps(
        {"CreateComment": schema, **{f"CreateComment_{k}": v for k, v in defs.items()}}
    )
    rewritten: dict[str, Any] = json.loads(
        text.replace('"#/$defs/', '"#/components/schemas/CreateComment_')
    )
    return rewritten


def _success(endpoint: Endpoint, method: str) -> dict[str, Any]:
    if endpoint.raw:
        media = {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string"}},
        }
        return {"description": "raw bytes", "content": media}
    name = RESPONSES.get((method, endpoint.display_path))
    schema = _ref(name) if name is not None else {"type": "object"}
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if _CSV_HINT in endpoint.notes.lower():
        content["text/csv"] = {"schema": {"type": "string"}}
    return {"description": "OK", "content": content}


def _operation(endpoint: Endpoint, method: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    name = getattr(endpoint.view, "__name__", "view")
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{name}",
        "summary": endpoint.notes,
        "responses": {
            "200": _success(endpoint, method),
            "default": {
                "description": "a Pyrus error",
                "content": {"application/json": {"schema": _ref("Error")}},
            },
        },
    }
    if parameters:
        operation["parameters"] = parameters
    body = _request_body(endpoint, method)
    if body is not None:
        operation["requestBody"] = body
    operation["security"] = [] if endpoint.public else [{"bearer": []}]
    return operation


def openapi_spec(endpoints: Iterable[Endpoint]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``endpoints`` (a new dict on every call).

    Args:
        endpoints: the route table to describe (:data:`pyrus_mock.api.routes.ENDPOINTS`).
    """
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        path, parameters = _path_and_parameters(endpoint)
        item = paths.setdefault(path, {})
        for method in endpoint.methods:
            item[method.lower()] = _operation(endpoint, method, parameters)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pyrus-mock: the Pyrus API v4 as the fake serves it",
            "version": __version__,
            "description": (
                "Generated from pyrus_mock/api/routes.py. Every path also answers under "
                f"{' and '.join(API_PREFIXES)} unless its summary says otherwise; see "
                "COVERAGE.md and docs/contract.md."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": ERROR_SCHEMA,
                **copy.deepcopy(SCHEMAS),
                **_create_comment_schemas(),
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
