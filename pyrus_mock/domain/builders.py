"""Turning what test authors write into domain records, with errors that say what is allowed.

Form fields may be given as dicts in the Pyrus form-field JSON shape (``{"name": "Amount",
"type": "money", "code": "u_amount"}``, ``info`` included) or as
:class:`~pyrus_mock.domain.model.FieldDef`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import InvalidArgument
from .model import FIELD_TYPES, READ_ONLY_TYPES, Choice, FieldDef, FormStep

__all__ = ["parse_fields", "parse_steps"]

_FIELD_KEYS = {
    "id",
    "type",
    "name",
    "code",
    "info",
    "required",
    "read_only",
    "required_step",
    "immutable_step",
    "options",
    "choices",
    "catalog_id",
    "catalog",
    "multiple",
    "columns",
    "fields",
    "form_id",
    "form",
    "decimal_places",
    "multiline",
    "text",
    "value",
    "default",
}


def parse_fields(
    specs: Sequence[FieldDef | Mapping[str, Any]],
    next_id: Callable[[], int],
    catalog_exists: Callable[[int], bool],
    *,
    argument: str = "fields",
) -> tuple[list[FieldDef], dict[int, FieldDef]]:
    """Build field definitions; returns the top-level list and every field by id."""
    by_id: dict[int, FieldDef] = {}
    used_ids: set[int] = set()
    top: list[FieldDef] = []
    for index, spec in enumerate(specs):
        top.append(
            _parse_field(spec, f"{argument}[{index}]", next_id, catalog_exists, by_id, used_ids)
        )
    names: dict[str, int] = {}
    codes: dict[str, int] = {}
    for fd in by_id.values():
        if fd.code:
            if fd.code in codes:
                raise InvalidArgument(
                    argument, f"the code {fd.code!r} is used by two fields", "unique codes"
                )
            codes[fd.code] = fd.id
        names[fd.name] = names.get(fd.name, 0) + 1
    return top, by_id


def _parse_field(
    spec: FieldDef | Mapping[str, Any],
    where: str,
    next_id: Callable[[], int],
    catalog_exists: Callable[[int], bool],
    by_id: dict[int, FieldDef],
    used_ids: set[int],
    parent_id: int | None = None,
    table_id: int | None = None,
) -> FieldDef:
    if isinstance(spec, FieldDef):
        fd = spec
        if fd.id in used_ids:
            raise InvalidArgument(where, f"field id {fd.id} is used twice", "unique ids")
        _register(fd, by_id, used_ids)
        for child in [*fd.children, *fd.columns, *(f for o in fd.options for f in o.fields)]:
            _register(child, by_id, used_ids)
        return fd
    if not isinstance(spec, Mapping):
        raise InvalidArgument(
            where,
            f"got {type(spec).__name__}",
            'a dict such as {"name": "Amount", "type": "money", "code": "u_amount"} or a FieldDef',
        )
    unknown = set(spec) - _FIELD_KEYS
    if unknown:
        raise InvalidArgument(
            where, f"unknown keys {sorted(unknown)}", ", ".join(sorted(_FIELD_KEYS))
        )
    ftype = spec.get("type")
    if ftype not in FIELD_TYPES:
        raise InvalidArgument(f"{where}.type", repr(ftype), ", ".join(sorted(FIELD_TYPES)))
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidArgument(f"{where}.name", repr(name), "a non-empty string")
    info: Mapping[str, Any] = spec.get("info") or {}
    if not isinstance(info, Mapping):
        raise InvalidArgument(f"{where}.info", repr(info), "a dict (Pyrus FormFieldInfo)")
    fid = spec.get("id")
    if fid is None:
        fid = next_id()
        while fid in used_ids:
            fid = next_id()
    if not isinstance(fid, int) or isinstance(fid, bool) or fid <= 0:
        raise InvalidArgument(f"{where}.id", repr(fid), "a positive int")
    if fid in used_ids:
        raise InvalidArgument(f"{where}.id", f"field id {fid} is used twice", "unique ids")
    code = spec.get("code") or info.get("code") or ""
    required_step = spec.get("required_step", info.get("required_step"))
    if spec.get("required"):
        required_step = required_step or 1
    immutable_step = spec.get("immutable_step", info.get("immutable_step"))
    if spec.get("read_only"):
        immutable_step = immutable_step or 1
    fd = FieldDef(
        id=fid,
        type=ftype,
        name=name,
        code=str(code),
        required_step=required_step,
        immutable_step=immutable_step,
        parent_id=parent_id,
        table_id=table_id,
        decimal_places=spec.get("decimal_places", info.get("decimal_places")),
        multiline=bool(spec.get("multiline", info.get("multiline", False))),
        text=str(spec.get("text", spec.get("value", "")) if ftype == "note" else ""),
    )
    _register(fd, by_id, used_ids)
    if spec.get("default") is not None:
        if ftype in READ_ONLY_TYPES or ftype in ("table", "title") or table_id is not None:
            raise InvalidArgument(
                f"{where}.default",
                f"a {ftype} field{' in a table' if table_id is not None else ''} takes no default",
                "defaults on writable fields outside tables (text, number, choice, person, ...)",
            )
        fd.default = spec["default"]
    if ftype == "catalog":
        catalog = spec.get("catalog", spec.get("catalog_id", info.get("catalog_id")))
        catalog_id = getattr(catalog, "id", catalog)
        if not isinstance(catalog_id, int) or not catalog_exists(catalog_id):
            raise InvalidArgument(
                f"{where}.catalog_id",
                f"{catalog_id!r} is not a catalog of this fake",
                "the id (or the object) returned by add_catalog()",
            )
        fd.catalog_id = catalog_id
        fd.multiple = bool(spec.get("multiple", info.get("multiple_choice", False)))
    elif ftype == "multiple_choice":
        options = spec.get("options", spec.get("choices", info.get("options")))
        if not options:
            raise InvalidArgument(
                f"{where}.options", "a multiple_choice field needs options", '["Yes", "No"]'
            )
        for oi, option in enumerate(options):
            fd.options.append(
                _parse_choice(
                    option,
                    f"{where}.options[{oi}]",
                    fd,
                    next_id,
                    catalog_exists,
                    by_id,
                    used_ids,
                    oi + 1,
                )
            )
    elif ftype == "table":
        columns = spec.get("columns", info.get("columns"))
        if not columns:
            raise InvalidArgument(
                f"{where}.columns", "a table needs columns", '[{"name": "Item", "type": "text"}]'
            )
        for ci, col in enumerate(columns):
            fd.columns.append(
                _parse_field(
                    col,
                    f"{where}.columns[{ci}]",
                    next_id,
                    catalog_exists,
                    by_id,
                    used_ids,
                    parent_id=None,
                    table_id=fid,
                )
            )
    elif ftype == "title":
        for ci, child in enumerate(spec.get("fields", info.get("fields")) or []):
            fd.children.append(
                _parse_field(
                    child,
                    f"{where}.fields[{ci}]",
                    next_id,
                    catalog_exists,
                    by_id,
                    used_ids,
                    parent_id=fid,
                    table_id=table_id,
                )
            )
    elif ftype == "form_link":
        linked = spec.get("form", spec.get("form_id", info.get("form_id")))
        linked_id = getattr(linked, "id", linked)  # a Form from add_form(), or its id
        if linked_id is not None and (
            not isinstance(linked_id, int) or isinstance(linked_id, bool) or linked_id <= 0
        ):
            raise InvalidArgument(
                f"{where}.form_id",
                f"{linked!r} is not a form",
                "the id (or the Form) returned by add_form(), or None for tasks of any form",
            )
        fd.linked_form_id = linked_id
    return fd


def _parse_choice(
    option: Any,
    where: str,
    parent: FieldDef,
    next_id: Callable[[], int],
    catalog_exists: Callable[[int], bool],
    by_id: dict[int, FieldDef],
    used_ids: set[int],
    default_id: int,
) -> Choice:
    if isinstance(option, Choice):
        return option
    if isinstance(option, str):
        return Choice(id=default_id, value=option)
    if isinstance(option, Mapping):
        value = option.get("choice_value", option.get("value"))
        if not isinstance(value, str):
            raise InvalidArgument(f"{where}.choice_value", repr(value), "a string")
        choice = Choice(id=int(option.get("choice_id", option.get("id", default_id))), value=value)
        for ci, child in enumerate(option.get("fields") or []):
            choice.fields.append(
                _parse_field(
                    child,
                    f"{where}.fields[{ci}]",
                    next_id,
                    catalog_exists,
                    by_id,
                    used_ids,
                    parent_id=parent.id,
                )
            )
        return choice
    raise InvalidArgument(
        where, repr(option), 'a string or {"choice_id": 1, "choice_value": "Yes"}'
    )


def _register(fd: FieldDef, by_id: dict[int, FieldDef], used_ids: set[int]) -> None:
    by_id[fd.id] = fd
    used_ids.add(fd.id)


def parse_steps(
    steps: Sequence[str | Mapping[str, Any] | FormStep],
    resolve_person: Callable[[object, str], int],
) -> list[FormStep]:
    """Build form steps from names, dicts ``{"name", "approvers"}`` or :class:`FormStep`."""
    out: list[FormStep] = []
    for index, step in enumerate(steps):
        number = index + 1
        where = f"steps[{index}]"
        if isinstance(step, FormStep):
            out.append(step)
        elif isinstance(step, str):
            out.append(FormStep(number, step))
        elif isinstance(step, Mapping):
            name = step.get("name", f"Step {number}")
            approvers = step.get("approvers", [])
            if not isinstance(approvers, (list, tuple)):
                approvers = [approvers]
            ids = [resolve_person(p, f"{where}.approvers[{i}]") for i, p in enumerate(approvers)]
            due = step.get("due_minutes")
            if due is not None and (not isinstance(due, int) or isinstance(due, bool) or due < 1):
                raise InvalidArgument(
                    f"{where}.due_minutes", repr(due), "minutes allowed on the step, an int >= 1"
                )
            given = step.get("step", number)
            if not isinstance(given, int) or isinstance(given, bool) or given < 1:
                raise InvalidArgument(f"{where}.step", repr(given), "the step number, an int >= 1")
            out.append(FormStep(given, str(name), ids, due))
        else:
            raise InvalidArgument(
                where, repr(step), '"Step name" or {"name": "Review", "approvers": [bot]}'
            )
    if len(out) > 20:
        raise InvalidArgument("steps", f"{len(out)} steps", "at most 20 (a Pyrus limit)")
    return out
