"""JSON Schemas shipped with pyrus-mock, for the structural checks and for other languages.

``create_comment.schema.json`` (draft 2020-12) describes a CreateComment request as
:func:`pyrus_mock.engine.validate` checks its structure. The semantic checks (against the task,
its form and the directory) exist only in Python.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

__all__ = ["CREATE_COMMENT_SCHEMA", "load"]

#: File name of the CreateComment request schema inside this package.
CREATE_COMMENT_SCHEMA = "create_comment.schema.json"


def load(name: str = CREATE_COMMENT_SCHEMA) -> dict[str, Any]:
    """A fresh copy of a shipped schema, parsed.

    Args:
        name: the schema's file name in ``pyrus_mock/schema``.

    Returns:
        The schema as a dict (a new one on every call, so callers may change it).
    """
    text = files(__name__).joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
