"""Building blocks of the OpenAPI data schemas (:mod:`pyrus_mock.api.openapi_schemas`).

Scalars typed as the official C# client types them, ``$ref`` and list helpers, and
:func:`object_schema`, which keeps every object open (``additionalProperties`` is not
restricted: Pyrus adds members over time and a client must ignore the ones it does not know).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BOOL",
    "DATE",
    "INT",
    "INT32",
    "INTS",
    "STR",
    "STRS",
    "TIMESTAMP",
    "array",
    "list_of",
    "object_schema",
    "ref",
]

INT: dict[str, Any] = {"type": "integer"}
#: A C# ``int`` the fake checks is in range (ids, offsets, masks of requests).
INT32: dict[str, Any] = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
STR: dict[str, Any] = {"type": "string"}
BOOL: dict[str, Any] = {"type": "boolean"}
INTS: dict[str, Any] = {"type": "array", "items": INT}
STRS: dict[str, Any] = {"type": "array", "items": STR}
#: ``YYYY-MM-DD`` (D11).
DATE: dict[str, Any] = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
#: ``YYYY-MM-DDThh:mm:ssZ``, no fractions (D11).
TIMESTAMP: dict[str, Any] = {
    "type": "string",
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
}


def ref(name: str) -> dict[str, Any]:
    """A reference to the named schema of ``components/schemas``."""
    return {"$ref": f"#/components/schemas/{name}"}


def list_of(name: str) -> dict[str, Any]:
    """An array of the named schema."""
    return {"type": "array", "items": ref(name)}


def array(items: dict[str, Any], **keywords: Any) -> dict[str, Any]:
    """An array of ``items`` (an inline schema), with extra keywords (``minItems``...)."""
    return {"type": "array", "items": items, **keywords}


def object_schema(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    """An open object with ``properties``; ``required`` lists the members always present."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema
