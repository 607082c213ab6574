"""Per-type parsing of ``field_updates`` values: the write shape in, the internal value out.

Write shapes (contract §6.9) and the internal value each becomes (see
:mod:`pyrus_mock.domain.model`):

=================  =====================================================  ==================
type               write shape                                            internal value
=================  =====================================================  ==================
text, phone        string                                                 ``str``
email              string with one ``@`` and a dot in the domain          ``str``
number, money      JSON number (not a string, not a boolean)              ``int | float``
date               ``"YYYY-MM-DD"``                                       ``str``
time               ``"HH:mm"`` (00:00 to 23:59)                           ``str``
checkmark          ``"checked"`` / ``"unchecked"``                        ``str``
flag               ``"none"`` / ``"checked"`` / ``"unchecked"``           ``str``
due_date           ``"YYYY-MM-DD"``, sibling ``duration`` (int or "140")  ``str`` + duration
due_date_time      ``"YYYY-MM-DDThh:mm:ssZ"``, sibling ``duration``        ``str`` + duration
catalog            ``{item_id}``, ``{item_ids}``, ``{item_name}``,         ``list[int]``
                   ``{item_names}`` (names match the first column)
person             ``{"id"}`` / ``{"email"}``                              ``int``
file               list of NewFile (guid strings or objects)              ``list[int]``
form_link          ``{"task_ids": [...]}`` (or ``{"task_id"}``)            ``list[int]``
multiple_choice    ``{"choice_ids"}``, ``{"choice_names"}``,               ``list[int]``
                   ``{"choice_id"}`` (+ nested ``fields``, see fieldupdates)
=================  =====================================================  ==================

An empty string clears a text-like field. ``"value": null`` (handled by the caller) clears any
writable field. Catalog choices: an unknown id is ``invalid_catalog_item_id``, an unknown name
``invalid_catalog_item_name``, a name several items share ``non_unique_catalog_item_name``,
``item_id`` and ``item_name`` for different items ``catalog_item_id_name_mismatch``, and more
than one item on a catalog field without multiple choice ``invalid_value_format``. Unknown
choice ids or names of a multiple_choice field are ``invalid_value_format`` (Pyrus has no more
precise code). A linked task that does not exist is ``access_denied_task`` (what Pyrus answers
for any task the caller cannot see).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..domain.model import FieldDef
from .common import (
    INVALID,
    Invalid,
    Report,
    describe,
    duration_of,
    is_int,
    is_number,
    parse_date,
    parse_time,
    parse_timestamp,
)
from .context import Directory
from .refs import new_files, person_ref

__all__ = ["LEAF_TYPES", "choice_ids", "due_duration", "parse_leaf"]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

Parser = Callable[[Report, Directory, str, FieldDef, Any], Any]


def _fail(report: Report, path: str, fd: FieldDef, expected: str, value: object) -> Invalid:
    report.error(
        path, "invalid_value_format",
        f"field {fd.name!r} ({fd.type}) takes {expected}, got {describe(value)}",
    )  # fmt: skip
    return INVALID


def _text(report: Report, directory: Directory, path: str, fd: FieldDef, value: Any) -> Any:
    if not isinstance(value, str):
        return _fail(report, path, fd, "a string", value)
    limit = directory.settings.max_text_field_length
    if fd.type == "text" and len(value) > limit:
        report.error(
            path, "text_field_value_limit_exceeded",
            f"field {fd.name!r} holds at most {limit} characters (setting "
            f"max_text_field_length), got {len(value)}",
        )  # fmt: skip
        return INVALID
    if fd.type == "email" and value and not _EMAIL.fullmatch(value.strip()):
        report.error(
            path, "invalid_email",
            f"field {fd.name!r} takes an e-mail address such as 'ann@example.com', "
            f"got {describe(value)}",
        )  # fmt: skip
        return INVALID
    return value or None


def _number(report: Report, directory: Directory, path: str, fd: FieldDef, value: Any) -> Any:
    if not is_number(value):
        return _fail(report, path, fd, "a JSON number such as 1365.27 (not a string)", value)
    places = fd.decimal_places
    if places is not None and isinstance(value, float) and not value.is_integer():
        exponent = Decimal(repr(value)).as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if decimals > places:
            report.error(
                path, "too_many_decimal_places",
                f"field {fd.name!r} allows {places} decimal place(s), got {value!r}",
            )  # fmt: skip
            return INVALID
    return value


def _date(report: Report, directory: Directory, path: str, fd: FieldDef, value: Any) -> Any:
    if parse_date(value) is None:
        return _fail(report, path, fd, 'a date "YYYY-MM-DD" such as "2026-02-01"', value)
    return value


def _datetime(report: Report, directory: Directory, path: str, fd: FieldDef, value: Any) -> Any:
    if parse_timestamp(value) is None:
        return _fail(
            report, path, fd, 'a UTC timestamp "YYYY-MM-DDThh:mm:ssZ" such as '
            '"2026-02-01T10:30:00Z"', value,
        )  # fmt: skip
    return value


def _time(report: Report, directory: Directory, path: str, fd: FieldDef, value: Any) -> Any:
    if parse_time(value) is None:
        return _fail(report, path, fd, 'a time "HH:mm" from "00:00" to "23:59"', value)
    return value


def _enum(*allowed: str) -> Parser:
    shown = " or ".join(f'"{a}"' for a in allowed)

    def parse(report: Report, directory: Directory, path: str, fd: FieldDef, value: Any) -> Any:
        if not isinstance(value, str) or value not in allowed:
            return _fail(report, path, fd, shown, value)
        return value

    return parse


def _person(report: Report, directory: Directory, path: str, fd: FieldDef, value: Any) -> Any:
    person = person_ref(report, path, value, directory)
    return INVALID if person is None else person.id


def _file(report: Report, directory: Directory, path: str, fd: FieldDef, value: Any) -> Any:
    before = report.errors
    refs = new_files(report, path, value, directory)
    return INVALID if report.errors > before else refs


def _form_link(report: Report, directory: Directory, path: str, fd: FieldDef, value: Any) -> Any:
    shape = '{"task_ids": [12345, ...]}'
    if not isinstance(value, dict):
        return _fail(report, path, fd, shape, value)
    if "task_ids" in value:
        ids, where = value["task_ids"], f"{path}/task_ids"
        if not isinstance(ids, list):
            return _fail(report, where, fd, shape, ids)
    elif "task_id" in value:
        ids, where = [value["task_id"]], f"{path}/task_id"
    else:
        return _fail(report, path, fd, shape, value)
    out: list[int] = []
    for index, task_id in enumerate(ids):
        item_path = f"{where}/{index}" if where.endswith("task_ids") else where
        if not is_int(task_id):
            return _fail(report, item_path, fd, f"task ids (integers) as in {shape}", task_id)
        if not directory.task_exists(task_id):
            report.error(
                item_path, "access_denied_task",
                f"field {fd.name!r} links to task {task_id}, which does not exist "
                "or is not visible; link existing tasks",
            )  # fmt: skip
            return INVALID
        linked = fd.linked_form_id
        if linked is not None and directory.task_form_id(task_id) != linked:
            report.error(
                item_path, "invalid_value_format",
                f"field {fd.name!r} links tasks of form {linked}; task {task_id} is not one "
                f"(its form: {directory.task_form_id(task_id) or 'none'})",
            )  # fmt: skip
            return INVALID
        if task_id not in out:
            out.append(task_id)
    return out or None


def _catalog(report: Report, directory: Directory, path: str, fd: FieldDef, value: Any) -> Any:
    shape = '{"item_ids": [...]}, {"item_id": ...}, {"item_names": [...]} or {"item_name": ...}'
    if not isinstance(value, dict):
        return _fail(report, path, fd, shape, value)
    catalog = directory.find_catalog(fd.catalog_id) if fd.catalog_id is not None else None
    if catalog is None:
        report.error(
            path, "invalid_catalog_id",
            f"field {fd.name!r} refers to catalog {fd.catalog_id}, which does not exist",
        )  # fmt: skip
        return INVALID
    live = {item.id: item for item in catalog.items if not item.deleted}
    by_id: list[int] = []
    by_name: list[int] = []
    given = False
    for key, single in (("item_ids", False), ("item_id", True)):
        if key not in value or value[key] is None:
            continue
        given = True
        raw = [value[key]] if single else value[key]
        if not isinstance(raw, list):
            return _fail(report, f"{path}/{key}", fd, "a list of catalog item ids", raw)
        for index, item_id in enumerate(raw):
            where = f"{path}/{key}" if single else f"{path}/{key}/{index}"
            if not is_int(item_id) or item_id not in live:
                report.error(
                    where, "invalid_catalog_item_id",
                    f"catalog {catalog.name!r} has no item with the id {describe(item_id)}; "
                    "use item_id values from GET /catalogs/{id}",
                )  # fmt: skip
                return INVALID
            if item_id not in by_id:
                by_id.append(item_id)
    for key, single in (("item_names", False), ("item_name", True)):
        if key not in value or value[key] is None:
            continue
        given = True
        raw = [value[key]] if single else value[key]
        if not isinstance(raw, list):
            return _fail(report, f"{path}/{key}", fd, "a list of item names", raw)
        for index, name in enumerate(raw):
            where = f"{path}/{key}" if single else f"{path}/{key}/{index}"
            if not isinstance(name, str):
                return _fail(report, where, fd, "item names (strings)", name)
            matches = [i.id for i in live.values() if i.values and i.values[0] == name]
            if not matches:
                report.error(
                    where, "invalid_catalog_item_name",
                    f"no item of catalog {catalog.name!r} has {name!r} in its first column",
                )  # fmt: skip
                return INVALID
            if len(matches) > 1:
                report.error(
                    where, "non_unique_catalog_item_name",
                    f"{len(matches)} items of catalog {catalog.name!r} are named {name!r}; "
                    "choose by item_ids instead",
                )  # fmt: skip
                return INVALID
            if matches[0] not in by_name:
                by_name.append(matches[0])
    if not given:
        return _fail(report, path, fd, shape, value)
    if by_id and by_name and set(by_id) != set(by_name):
        report.error(
            path, "catalog_item_id_name_mismatch",
            f"the item ids {by_id} and the item names given for field {fd.name!r} "
            "name different items; give ids or names",
        )  # fmt: skip
        return INVALID
    chosen = by_id or by_name
    if len(chosen) > 1 and not fd.multiple:
        report.error(
            path, "invalid_value_format",
            f"field {fd.name!r} takes one catalog item (multiple choice is off), "
            f"got {len(chosen)}",
        )  # fmt: skip
        return INVALID
    return chosen or None


def choice_ids(report: Report, path: str, fd: FieldDef, value: dict[str, Any]) -> Any:
    """The choice ids a multiple_choice value selects.

    Returns:
        a list of choice ids, None when the value selects nothing new (only nested
        ``fields``), or :data:`INVALID`.
    """
    live = {o.id: o for o in fd.options if not o.deleted}
    options = ", ".join(f"{o.id}={o.value!r}" for o in live.values())
    out: list[int] = []
    given = False
    for key, single in (("choice_ids", False), ("choice_id", True)):
        if key not in value or value[key] is None:
            continue
        given = True
        raw = [value[key]] if single else value[key]
        if not isinstance(raw, list):
            return _fail(report, f"{path}/{key}", fd, "a list of choice ids", raw)
        for index, cid in enumerate(raw):
            where = f"{path}/{key}" if single else f"{path}/{key}/{index}"
            if not is_int(cid) or cid not in live:
                report.error(
                    where, "invalid_value_format",
                    f"field {fd.name!r} has no option with the id {describe(cid)}; "
                    f"options: {options}",
                )  # fmt: skip
                return INVALID
            if cid not in out:
                out.append(cid)
    if "choice_names" in value and value["choice_names"] is not None:
        given = True
        names = value["choice_names"]
        if not isinstance(names, list):
            return _fail(report, f"{path}/choice_names", fd, "a list of option names", names)
        for index, name in enumerate(names):
            match = [o.id for o in live.values() if isinstance(name, str) and o.value == name]
            if not match:
                report.error(
                    f"{path}/choice_names/{index}", "invalid_value_format",
                    f"field {fd.name!r} has no option named {describe(name)}; "
                    f"options: {options}",
                )  # fmt: skip
                return INVALID
            if match[0] not in out:
                out.append(match[0])
    if not given:
        return None
    return out


def due_duration(report: Report, directory: Directory, path: str, fd: FieldDef,
                 raw: object) -> int | Invalid | None:  # fmt: skip
    """The sibling ``duration`` of a due field: minutes, None when absent, or INVALID."""
    if raw is None:
        return None
    minutes = duration_of(raw)
    if isinstance(minutes, Invalid):
        return _fail(report, path, fd, 'a duration in minutes (an integer, or a string like "140")',
                     raw)  # fmt: skip
    if minutes < 0:
        report.error(
            path,
            "negative_duration",
            f"the duration of field {fd.name!r} must be 0 or more minutes, got {minutes}",
        )
        return INVALID
    if minutes > (limit := directory.settings.max_duration_minutes):
        report.error(
            path, "duration_is_too_long",
            f"the duration of field {fd.name!r} is at most {limit} minutes (setting "
            f"max_duration_minutes), got {minutes}",
        )  # fmt: skip
        return INVALID
    return minutes


#: Parsers of the types whose value is one self-contained thing (not title, table or choices).
LEAF_TYPES: dict[str, Parser] = {
    "text": _text,
    "email": _text,
    "phone": _text,
    "number": _number,
    "money": _number,
    "date": _date,
    "due_date": _date,
    "due_date_time": _datetime,
    "time": _time,
    "checkmark": _enum("checked", "unchecked"),
    "flag": _enum("none", "checked", "unchecked"),
    "person": _person,
    "file": _file,
    "form_link": _form_link,
    "catalog": _catalog,
}


def parse_leaf(report: Report, directory: Directory, path: str, fd: FieldDef, value: Any) -> Any:
    """The internal value of a leaf-type field, or INVALID (the reason is reported)."""
    return LEAF_TYPES[fd.type](report, directory, path, fd, value)
