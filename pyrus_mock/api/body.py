"""Reading request bodies and query strings, with the errors Pyrus answers for bad ones.

Everything here raises :class:`~pyrus_mock.api.errors.ApiError`:

* 413 ``too_large_request_length``: a body over the limit (checked on ``Content-Length``
  before anything is read, and while reading a chunked body);
* 400 ``empty_body``: no body where one is required;
* 400 ``invalid_request_encoding``: a body that is not UTF-8;
* 400 ``invalid_json``: a body that is not JSON, or JSON of the wrong shape (a list where an
  object is expected, a number where a string is expected). The message names the member by
  its JSON pointer, e.g. ``/login``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Request

from ..domain import _json
from .errors import ApiError

__all__ = [
    "check_length",
    "get_bool",
    "get_int",
    "get_int_list",
    "get_list",
    "get_object",
    "get_str",
    "json_array",
    "json_object",
    "parse_json",
    "query_bool",
    "query_int",
    "read_body",
    "too_large",
    "type_name",
    "wrong",
]


def too_large(limit: int, what: str = "request body") -> ApiError:
    """The 413 answered for a body over ``limit`` bytes."""
    return ApiError(
        "too_large_request_length",
        f"the {what} is larger than {limit} bytes (the fake's max_request_bytes / "
        "max_upload_bytes setting)",
        status=413,
    )


def check_length(request: Request, limit: int, what: str = "request body") -> None:
    """Refuse a declared ``Content-Length`` over ``limit`` before reading anything.

    Also arms werkzeug's own cap, so a chunked body (no ``Content-Length``) stops being read at
    ``limit`` bytes and answers 413 too.
    """
    length = request.content_length
    if length is not None and length > limit:
        raise too_large(limit, what)
    request.max_content_length = limit


def read_body(request: Request, limit: int) -> bytes:
    """The whole body, at most ``limit`` bytes (413 beyond, also for chunked bodies)."""
    check_length(request, limit)
    if request.content_length is not None:
        return request.get_data(cache=True)
    if "wsgi.input_terminated" not in request.environ:
        return b""  # no length and no terminated stream: no body (werkzeug's rule too)
    # A chunked body: read one byte past the limit to tell "exactly at" from "over".
    stream = request.environ["wsgi.input"]
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def type_name(value: object) -> str:
    """The JSON name of a Python value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def wrong(path: str, expected: str, value: object) -> ApiError:
    """The 400 ``invalid_json`` for a member of the wrong type: ``/a/0 must be X, got Y``."""
    return ApiError("invalid_json", f"{path or '/'} must be {expected}, got {type_name(value)}")


def json_object(request: Request, limit: int, *, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object.

    Args:
        request: the request.
        limit: the body limit in bytes.
        required: an empty body answers ``empty_body`` (else it counts as ``{}``).
    """
    raw = read_body(request, limit)
    if not raw.strip():
        if required:
            raise ApiError("empty_body", "the request body is empty; send a JSON object")
        return {}
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise wrong("", "a JSON object", data)
    return data


def json_array(request: Request, limit: int) -> list[dict[str, Any]]:
    """The body as a JSON array of objects (the ``/bulk`` endpoints); empty_body when empty."""
    raw = read_body(request, limit)
    if not raw.strip():
        raise ApiError("empty_body", "the request body is empty; send a JSON array of objects")
    data = parse_json(raw)
    if not isinstance(data, list):
        raise wrong("", "a JSON array", data)
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise wrong(f"/{index}", "an object", item)
    return data


def parse_json(raw: bytes) -> Any:
    """UTF-8 JSON text to a value (400 ``invalid_request_encoding`` / ``invalid_json``)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(
            "invalid_request_encoding", "the request body is not UTF-8 encoded"
        ) from None
    try:
        data = _json.loads(text)
    except ValueError as exc:
        raise ApiError("invalid_json", f"the request body is not valid JSON: {exc}") from None
    return data


def get_str(obj: Mapping[str, Any], key: str, *, path: str = "") -> str | None:
    """``obj[key]`` when it is a string; None when absent or null; 400 otherwise."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise wrong(f"{path}/{key}", "a string", value)


def get_int(obj: Mapping[str, Any], key: str, *, path: str = "") -> int | None:
    """``obj[key]`` when it is an integer (not a boolean); None when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise wrong(f"{path}/{key}", "an integer", value)
    return value


def get_bool(obj: Mapping[str, Any], key: str, *, path: str = "") -> bool | None:
    """``obj[key]`` when it is a boolean; None when absent or null."""
    value = obj.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise wrong(f"{path}/{key}", "a boolean", value)


def get_list(obj: Mapping[str, Any], key: str, *, path: str = "") -> list[Any] | None:
    """``obj[key]`` when it is an array; None when absent or null."""
    value = obj.get(key)
    if value is None or isinstance(value, list):
        return value
    raise wrong(f"{path}/{key}", "an array", value)


def get_object(obj: Mapping[str, Any], key: str, *, path: str = "") -> dict[str, Any] | None:
    """``obj[key]`` when it is an object; None when absent or null."""
    value = obj.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise wrong(f"{path}/{key}", "an object", value)


def get_int_list(obj: Mapping[str, Any], key: str, *, path: str = "") -> list[int] | None:
    """``obj[key]`` when it is an array of integers; None when absent or null."""
    items = get_list(obj, key, path=path)
    if items is None:
        return None
    for index, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, int):
            raise wrong(f"{path}/{key}/{index}", "an integer", item)
    return items


_TRUE = frozenset({"true", "1", "y", "yes"})
_FALSE = frozenset({"false", "0", "n", "no", ""})


def query_bool(value: str | None, name: str, default: bool = False) -> bool:
    """A boolean query parameter; clients send ``True``/``False`` (contract §5.1)."""
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ApiError("invalid_value_format", f"query parameter {name}={value!r} is not a boolean")


def query_int(value: str | None, name: str, default: int) -> int:
    """An integer query parameter."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ApiError(
            "invalid_value_format", f"query parameter {name}={value!r} is not an integer"
        ) from None
