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
import re
from typing import Any

__all__ = ["MAX_DEPTH", "loads"]

#: Deeper nesting is refused; no Pyrus request or reply comes near it.
MAX_DEPTH = 64

# What a lone surrogate can come from: a \uD800-\uDFFF escape, or (bytes, which json decodes
# with "surrogatepass") the UTF-8-like encoding of one, ED A0..BF xx. Valid pairs match too;
# they are then checked string by string.
_SURROGATE_TEXT = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_SURROGATE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def loads(raw: str | bytes) -> Any:
    """Parse JSON, raising ``ValueError`` for anything that is not JSON or is nested too deeply.

    Args:
        raw: the text or UTF-8 bytes.

    Raises:
        ValueError: not JSON, not UTF-8, or nested deeper than :data:`MAX_DEPTH`.
    """
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    pattern = _SURROGATE_BYTES if isinstance(raw, bytes | bytearray) else _SURROGATE_TEXT
    if pattern.search(raw):  # type: ignore[arg-type]  # bytes pattern for bytes, str for str
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
