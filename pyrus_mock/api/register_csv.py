"""The form register as CSV (``format=csv``): what ``get_registry`` hands back as text.

The official clients recognise the CSV by its media type: the C# client takes a reply whose
``Content-Type`` media type is exactly ``text/csv`` as ``FormRegisterResponse.Csv``; the Python
client stores ``response.text`` as ``FormRegisterResponse.csv`` (decoded with the reply's
charset); the TypeScript client returns the body as a Blob.

Shape (the fake's; Pyrus documents none): a header row, then one row per task, in register
order. Columns: ``ID``, ``Created``, ``Modified``, ``Step``, ``Status``, then one per field of
the form (``field_ids`` keeps only those; tables, titles and notes have none), named by the
field's name. Values are text: numbers as written, dates and timestamps as the API sends them
(``YYYY-MM-DD``, ``YYYY-MM-DDThh:mm:ssZ``), persons as ``First Last``, catalog items by their
first column, choices by name, files by name, linked tasks and lists by id and name, several
values joined with ``", "``. Options:

``delimiter``      one character between values (default ``,``)
``encoding``       a codec name (``utf-8`` default, ``windows-1251``, ...); the C# client's
                   ``Encoding.EncodingName`` form (``Unicode (UTF-8)``) works too. Characters the
                   codec cannot encode become ``?``. The charset is named in ``Content-Type``.
``simple_format``  accepted; the fake's CSV is always the plain shape above
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..domain.model import FieldDef, Form, Task
from ..state import serialize
from .call import RawReply
from .errors import ApiError

__all__ = ["render"]

_NO_COLUMN = frozenset({"table", "title", "note"})


def _columns(form: Form, field_ids: list[int] | None) -> list[FieldDef]:
    keep = set(field_ids) if field_ids is not None else None
    return [
        fd
        for fd in form.all_fields()
        if fd.type not in _NO_COLUMN and fd.table_id is None and (keep is None or fd.id in keep)
    ]


def _flat(fields: Iterable[Mapping[str, Any]]) -> dict[int, Any]:
    """Field id -> JSON value, nested title / choice fields included (tables left out)."""
    out: dict[int, Any] = {}
    for f in fields:
        out[f["id"]] = f.get("value")
        value = f.get("value")
        if isinstance(value, dict) and isinstance(value.get("fields"), list):
            out.update(_flat(value["fields"]))
    return out


def _text(value: Any) -> str:
    """A field's JSON value as CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list):  # files
        return ", ".join(str(v.get("name", "")) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, dict):
        if "rows" in value:  # catalog
            return ", ".join(str(row[0]) for row in value["rows"] if row)
        if "choice_names" in value:
            return ", ".join(map(str, value["choice_names"]))
        if "projects" in value:
            return ", ".join(str(p.get("name", p.get("id"))) for p in value["projects"])
        if "task_ids" in value:
            return ", ".join(map(str, value["task_ids"]))
        if "id" in value:  # a person
            name = " ".join(p for p in (value.get("first_name"), value.get("last_name")) if p)
            return name or str(value.get("email") or value["id"])
    return str(value)


def _codec(raw: Any) -> str:
    """The Python codec for ``encoding`` (also C#'s ``Unicode (UTF-8)`` naming)."""
    if raw in (None, ""):
        return "utf-8"
    text = str(raw)
    for candidate in (text, *re.findall(r"\(([^)]+)\)", text)):
        try:
            return codecs.lookup(candidate.strip()).name
        except LookupError:
            continue
    raise ApiError(
        "invalid_value_format",
        f"encoding {text[:40]!r} is no known character set; give e.g. utf-8 or windows-1251",
    )


def _delimiter(raw: Any) -> str:
    if raw in (None, ""):
        return ","
    if isinstance(raw, str) and len(raw) == 1 and raw not in '"\r\n':
        return raw
    raise ApiError(
        "invalid_value_format",
        f"delimiter {raw!r} must be one character other than a quote or a line break, e.g. ;",
    )


def render(
    lookup: serialize.Lookup,
    form: Form,
    tasks: list[Task],
    field_ids: list[int] | None,
    params: Mapping[str, Any],
    *,
    files_url: str = "",
    creation_date_format: str = "datetime",
) -> RawReply:
    """The register reply as CSV (call under the backend lock)."""
    delimiter = _delimiter(params.get("delimiter"))
    codec = _codec(params.get("encoding"))
    columns = _columns(form, field_ids)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["ID", "Created", "Modified", "Step", "Status", *(fd.name for fd in columns)])
    for task in tasks:
        data = serialize.task(
            lookup,
            task,
            comments=False,
            files_url=files_url,
            creation_date_format=creation_date_format,
        )
        values = _flat(data.get("fields", []))
        writer.writerow(
            [
                task.id,
                data.get("create_date", ""),
                data.get("last_modified_date", ""),
                task.current_step or "",
                "closed" if task.is_closed else "open",
                *(_text(values.get(fd.id)) for fd in columns),
            ]
        )
    body = out.getvalue().encode(codec, errors="replace")
    return RawReply(body, [("Content-Type", f"text/csv; charset={codec}")])
