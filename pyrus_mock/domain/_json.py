"""JSON parsing for untrusted input: bot replies, API and control request bodies.

``json.loads`` raises ``RecursionError`` on deeply nested input (``[[[[...``), which is not a
``ValueError`` and would escape the handlers; later ``json.dumps`` of a value nested close to the
recursion limit fails the same way. :func:`loads` turns both into a ``ValueError``.

Python's parser also accepts escaped lone UTF-16 surrogates (``"\\ud800"``), which are no
Unicode characters: stored, such a string would make every later UTF-8 encoding of the task
fail. RFC 8259 §8.2 leaves their handling open; the fake refuses them as invalid input.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

__all__ = ["MAX_DEPTH", "loads"]

#: Deeper nesting is refused; no Pyrus request or reply comes near it.
MAX_DEPTH = 64

_MAX_DOUBLE = int(sys.float_info.max)

# Where a lone surrogate can come from once bytes are decoded strictly: a \uD800-\uDFFF escape
# (valid pairs match too, and are then checked string by string), or text given as str.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")


def loads(raw: str | bytes) -> Any:
    """Parse JSON, raising ``ValueError`` for anything that is not JSON or is nested too deeply.

    Args:
        raw: the text or UTF-8 bytes.

    Raises:
        ValueError: not JSON (``NaN`` and ``Infinity`` included, and numbers beyond a double),
            not in a Unicode encoding, a lone surrogate, or nested deeper than
            :data:`MAX_DEPTH`.
    """
    if isinstance(raw, bytes | bytearray):
        # Decoded strictly here: json.loads would decode UTF-16/32 and even UTF-8 with
        # "surrogatepass", letting encoded lone surrogates through.
        raw = bytes(raw).decode(json.detect_encoding(raw))
    try:
        value = json.loads(
            raw, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_int
        )
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    if _SURROGATE_ESCAPE.search(raw):
        _refuse_lone_surrogates(value)
    if isinstance(value, (dict, list)):
        stack: list[tuple[Any, int]] = [(value, 1)]
        while stack:
            item, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 has no NaN or Infinity); send a number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large for a double; send a smaller one")
    return value


def _int(text: str) -> int:
    value = int(text)  # more than 4,300 digits: ValueError already
    if abs(value) > _MAX_DOUBLE:
        raise ValueError(f"the number {text[:40]}... is too large for a double; send a smaller one")
    return value


def _refuse_lone_surrogates(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(
                    f"a string holds a lone UTF-16 surrogate ({item[exc.start]!r} at character "
                    f"{exc.start} of {item[:40]!r}), which is not a Unicode character: send text "
                    "as valid UTF-8, surrogates only in pairs"
                ) from None
