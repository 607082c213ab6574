"""JSON parsing for untrusted input: bot replies, API and control request bodies.

``json.loads`` raises ``RecursionError`` on deeply nested input (``[[[[...``), which is not a
``ValueError`` and would escape the handlers; later ``json.dumps`` of a value nested close to the
recursion limit fails the same way. :func:`loads` turns both into a ``ValueError``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_DEPTH", "loads"]

#: Deeper nesting is refused; no Pyrus request or reply comes near it.
MAX_DEPTH = 64


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
    if isinstance(value, (dict, list)):
        stack: list[tuple[Any, int]] = [(value, 1)]
        while stack:
            item, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return value
