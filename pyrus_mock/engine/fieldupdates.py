"""``field_updates``: which field each item means, and what it writes.

Identity (contract §4.3): an item names its field by ``id`` (an integer), ``code`` or ``name``.
Codes: none of them ``field_identity_missing``; unknown id / code / name ``invalid_field_id`` /
``invalid_field_code`` / ``invalid_field_name``; identifiers naming different fields
``invalid_field_id_name``; a name several fields share ``non_unique_name``; the same field
twice in one request ``duplicate_field``. At the top level every field of the form can be
named (title children and multiple_choice option fields included), except table columns,
which are written through their table (``field_is_in_table``). Nested updates (a title's or a
multiple_choice's ``fields``, a table row's ``cells``) name fields among that parent's children.

Rules: read-only types (step, status, note, author, project, creation_date) are
``unable_to_edit_field``; a field whose ``immutable_step`` is at or before the task's current
step is ``field_editing_is_not_allowed``; an optional ``type`` must be the field's type
(``invalid_value_format``); ``value`` is required (``null`` clears the field).

Composite write shapes:

* title: ``{"checkmark"?: "checked"|"unchecked", "fields"?: [updates of its children]}``.
* multiple_choice: ``{"choice_ids"|"choice_names"|"choice_id": ..., "fields"?: [updates]}``.
* table: a list of rows. ``{"row_id", "cells": [updates of columns], "position"?}`` adds the
  row when ``row_id`` is new (a row without ``row_id`` gets the next free id) and updates it
  otherwise; ``{"row_id", "delete": true}`` removes it. Rows not named are kept. ``null``
  removes every row. Bad rows are ``invalid_table_row``; a position that is not an integer of
  at least 1 is ``invalid_position``, two rows at one position ``duplicate_position``.

Required fields (``required_step``): a field that is required at a step the task leaves must
hold a value afterwards (``required_field_missing``; table columns, per row,
``required_table_field_missing``). "A value": not empty; for a checkmark, ``checked``; for a
flag, not ``none``. Option fields of a multiple_choice count only when their option is chosen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..domain.model import READ_ONLY_TYPES, FieldDef, Form, TableRow, Task
from .common import INVALID, Report, describe, is_int
from .context import Directory
from .fieldvalues import LEAF_TYPES, choice_ids, due_duration, parse_leaf
from .plan import RowWrite, TableWrite, ValueWrite

__all__ = ["FieldContext", "missing_required", "update_list", "update_one"]

_DUE_TYPES = frozenset({"due_date", "due_date_time"})
_UPDATE_SHAPE = '{"id": 12 | "code": "u_x" | "name": "Amount", "value": ...}'


class FieldContext:
    """What the field-update checks share for one request.

    Attributes:
        writes: the resolved writes, in request order.
        seen: ids of fields the request writes outside tables (for ``duplicate_field``).
        tried: ids of every field an update named, valid or not (required checks skip them).
    """

    __slots__ = ("check_immutable", "directory", "form", "report", "seen", "task", "tried",
                 "writes")  # fmt: skip

    def __init__(
        self,
        report: Report,
        directory: Directory,
        form: Form,
        task: Task,
        *,
        check_immutable: bool = True,
    ) -> None:
        self.report = report
        self.directory = directory
        self.form = form
        self.task = task
        self.check_immutable = check_immutable
        self.writes: list[ValueWrite | TableWrite] = []
        self.seen: set[int] = set()
        self.tried: set[int] = set()


def update_list(ctx: FieldContext, path: str, value: object) -> None:
    """Check a top-level ``field_updates`` list and add its writes to ``ctx.writes``."""
    if not isinstance(value, list):
        ctx.report.error(
            path, "invalid_value_format",
            f"field_updates is a list of {_UPDATE_SHAPE}, got {describe(value)}",
        )  # fmt: skip
        return
    for index, item in enumerate(value):
        update_one(ctx, f"{path}/{index}", item, None, ctx.writes, ctx.seen)


def update_one(
    ctx: FieldContext,
    path: str,
    item: object,
    scope: Sequence[FieldDef] | None,
    out: list[ValueWrite | TableWrite],
    seen: set[int],
    parent: FieldDef | None = None,
) -> None:
    """Check one field update; ``scope`` None means the whole form (top level)."""
    report = ctx.report
    if not isinstance(item, dict):
        report.error(
            path,
            "invalid_value_format",
            f"a field update is an object {_UPDATE_SHAPE}, got {describe(item)}",
        )
        return
    fd = _resolve(ctx, path, item, scope, parent)
    if fd is None:
        return
    ctx.tried.add(fd.id)
    if scope is None and fd.table_id is not None:
        table = ctx.form.by_id.get(fd.table_id)
        table_name = table.name if table else fd.table_id
        report.error(
            path, "field_is_in_table",
            f"field {fd.name!r} is a column of table {table_name!r}; write it through the "
            'table: {"id": <table id>, "value": [{"row_id": 0, "cells": [...]}]}',
        )  # fmt: skip
        return
    if fd.id in seen:
        report.error(
            path,
            "duplicate_field",
            f"field {fd.name!r} (id {fd.id}) is updated twice; update each field once",
        )
        return
    seen.add(fd.id)
    given_type = item.get("type")
    if given_type is not None and given_type != fd.type:
        report.error(
            f"{path}/type", "invalid_value_format",
            f"field {fd.name!r} is of type {fd.type!r}, the update says {describe(given_type)}; "
            "omit type or give the field's own",
        )  # fmt: skip
        return
    if fd.type in READ_ONLY_TYPES:
        report.error(
            path, "unable_to_edit_field",
            f"field {fd.name!r} is of the read-only type {fd.type!r}; "
            "step, status, note, author, project and creation_date cannot be written",
        )  # fmt: skip
        return
    step = ctx.task.current_step
    if (ctx.check_immutable and fd.immutable_step is not None and step is not None
            and fd.immutable_step <= step):  # fmt: skip
        report.error(
            path, "field_editing_is_not_allowed",
            f"field {fd.name!r} is read-only from step {fd.immutable_step} and the task is at "
            f"step {step}",
        )  # fmt: skip
        return
    if "value" not in item:
        report.error(
            path,
            "invalid_value_format",
            f'the update of field {fd.name!r} has no "value"; send "value": null to clear',
        )
        return
    write_value(ctx, path, fd, item["value"], item, out, seen)


def write_value(
    ctx: FieldContext,
    path: str,
    fd: FieldDef,
    value: Any,
    item: dict[str, Any],
    out: list[ValueWrite | TableWrite],
    seen: set[int],
) -> None:
    """Parse ``value`` for ``fd`` (an update at ``path``) and append the writes to ``out``."""
    report = ctx.report
    vpath = f"{path}/value"
    t = fd.type
    duration_raw = item.get("duration")
    if duration_raw is not None and t not in _DUE_TYPES:
        report.warn(
            f"{path}/duration",
            "ignored_parameter",
            "duration is ignored: only due_date and due_date_time fields have one",
        )
    if value is None:
        if t == "table":
            out.append(TableWrite(fd.id, clear=True))
        else:
            out.append(ValueWrite(fd.id, None, None, set_duration=t in _DUE_TYPES))
        return
    if t in LEAF_TYPES:
        parsed = parse_leaf(report, ctx.directory, vpath, fd, value)
        if parsed is INVALID:
            return
        write = ValueWrite(fd.id, parsed, is_file=t == "file")
        if t in _DUE_TYPES:
            minutes = due_duration(report, ctx.directory, f"{path}/duration", fd, duration_raw)
            if minutes is INVALID:
                return
            write.duration = minutes if isinstance(minutes, int) else None
            write.set_duration = True
        out.append(write)
    elif t == "title":
        _title(ctx, vpath, fd, value, out, seen)
    elif t == "multiple_choice":
        _choice(ctx, vpath, fd, value, out, seen)
    elif t == "table":
        _table(ctx, vpath, fd, value, out)
    else:  # a type the fake does not model
        report.error(path, "type_is_not_supported", f"field type {t!r} cannot be written")


def _resolve(
    ctx: FieldContext,
    path: str,
    item: dict[str, Any],
    scope: Sequence[FieldDef] | None,
    parent: FieldDef | None,
) -> FieldDef | None:
    report = ctx.report
    fid = item.get("id")
    code = item.get("code")
    name = item.get("name")
    if code == "":  # an empty code or name names nothing (copied fields may carry one)
        code = None
    if name == "":
        name = None
    candidates: Iterable[FieldDef] = ctx.form.by_id.values() if scope is None else scope
    where = f"the form {ctx.form.name!r}" if parent is None else f"{parent.name!r}"
    fd: FieldDef | None = None
    if fid is not None:
        if not is_int(fid):
            report.error(
                f"{path}/id", "invalid_field_id", f"a field id is an integer, got {describe(fid)}"
            )
            return None
        fd = ctx.form.by_id.get(fid)
        if fd is not None and scope is not None and fd not in scope:
            fd = None
        if fd is None:
            report.error(
                f"{path}/id",
                "invalid_field_id",
                f"{where} has no field with the id {fid}{_listing(candidates)}",
            )
            return None
    if code is not None:
        if not isinstance(code, str):
            report.error(
                f"{path}/code",
                "invalid_field_code",
                f"a field code is a string, got {describe(code)}",
            )
            return None
        by_code = next((f for f in candidates if f.code == code), None)
        if by_code is None:
            report.error(
                f"{path}/code",
                "invalid_field_code",
                f"{where} has no field with the code {code!r}{_listing(candidates)}",
            )
            return None
        if fd is not None and by_code is not fd:
            report.error(
                path, "invalid_field_id_name",
                f"id {fd.id} is field {fd.name!r} but code {code!r} is field {by_code.name!r}; "
                "the identifiers of one update must name the same field",
            )  # fmt: skip
            return None
        fd = by_code
    if name is not None:
        if not isinstance(name, str):
            report.error(
                f"{path}/name",
                "invalid_field_name",
                f"a field name is a string, got {describe(name)}",
            )
            return None
        if fd is not None:
            if fd.name != name:
                report.error(
                    path, "invalid_field_id_name",
                    f"field {fd.id} is named {fd.name!r}, not {name!r}; "
                    "the identifiers of one update must name the same field",
                )  # fmt: skip
                return None
            return fd
        matches = [f for f in candidates if f.name == name]
        if len(matches) > 1 and scope is None:
            # At the top level a table column cannot be written, so a name shared by one
            # top-level field and columns means that field.
            outside = [f for f in matches if f.table_id is None]
            if len(outside) == 1:
                matches = outside
        if not matches:
            report.error(
                f"{path}/name",
                "invalid_field_name",
                f"{where} has no field named {name!r}{_listing(candidates)}",
            )
            return None
        if len(matches) > 1:
            ids = ", ".join(str(f.id) for f in matches)
            report.error(
                f"{path}/name",
                "non_unique_name",
                f"{len(matches)} fields are named {name!r} (ids {ids}); use id or code",
            )
            return None
        return matches[0]
    if fd is None:
        report.error(
            path,
            "field_identity_missing",
            f"a field update names its field by id, code or name: {_UPDATE_SHAPE}",
        )
    return fd


def _listing(fields: Iterable[FieldDef]) -> str:
    shown = [f"{f.id}={f.name!r}" + (f"/{f.code}" if f.code else "") for f in fields]
    if not shown:
        return ""
    more = f" and {len(shown) - 12} more" if len(shown) > 12 else ""
    return "; fields: " + ", ".join(shown[:12]) + more


def _title(ctx: FieldContext, vpath: str, fd: FieldDef, value: Any,
           out: list[ValueWrite | TableWrite], seen: set[int]) -> None:  # fmt: skip
    report = ctx.report
    shape = '{"checkmark": "checked" | "unchecked", "fields": [updates of its fields]}'
    if not isinstance(value, dict) or ("checkmark" not in value and "fields" not in value):
        report.error(
            vpath, "invalid_value_format", f"title {fd.name!r} takes {shape}, got {describe(value)}"
        )
        return
    checkmark = value.get("checkmark")
    if checkmark is not None:
        if not isinstance(checkmark, str) or checkmark not in ("checked", "unchecked"):
            report.error(
                f"{vpath}/checkmark",
                "invalid_value_format",
                f'a title checkmark is "checked" or "unchecked", got {describe(checkmark)}',
            )
            return
        out.append(ValueWrite(fd.id, checkmark))
    _nested(ctx, f"{vpath}/fields", fd, value.get("fields"), fd.children, out, seen)


def _choice(ctx: FieldContext, vpath: str, fd: FieldDef, value: Any,
            out: list[ValueWrite | TableWrite], seen: set[int]) -> None:  # fmt: skip
    report = ctx.report
    shape = '{"choice_ids": [...]} (or "choice_names", "choice_id"; nested "fields" optional)'
    if not isinstance(value, dict):
        report.error(
            vpath,
            "invalid_value_format",
            f"field {fd.name!r} (multiple_choice) takes {shape}, got {describe(value)}",
        )
        return
    chosen = choice_ids(report, vpath, fd, value)
    if chosen is INVALID:
        return
    if chosen is None and value.get("fields") is None:
        report.error(
            vpath,
            "invalid_value_format",
            f"field {fd.name!r} (multiple_choice) takes {shape}, got {describe(value)}",
        )
        return
    if chosen is not None:
        out.append(ValueWrite(fd.id, chosen or None))
    option_fields = [f for o in fd.options for f in o.fields]
    _nested(ctx, f"{vpath}/fields", fd, value.get("fields"), option_fields, out, seen)


def _nested(ctx: FieldContext, path: str, parent: FieldDef, updates: object,
            scope: Sequence[FieldDef], out: list[ValueWrite | TableWrite],
            seen: set[int]) -> None:  # fmt: skip
    if updates is None:
        return
    if not isinstance(updates, list):
        ctx.report.error(path, "invalid_value_format",
                         f"fields of {parent.name!r} is a list of {_UPDATE_SHAPE}, "
                         f"got {describe(updates)}")  # fmt: skip
        return
    for index, child in enumerate(updates):
        update_one(ctx, f"{path}/{index}", child, scope, out, seen, parent)


def _table(ctx: FieldContext, vpath: str, fd: FieldDef, value: Any,
           out: list[ValueWrite | TableWrite]) -> None:  # fmt: skip
    report = ctx.report
    if not isinstance(value, list):
        report.error(
            vpath, "invalid_value_format",
            f'table {fd.name!r} takes a list of rows [{{"row_id": 0, "cells": [...]}}, '
            f'{{"row_id": 1, "delete": true}}], got {describe(value)}',
        )  # fmt: skip
        return
    existing_rows = ctx.task.values.get(fd.id) or []
    existing = {row.row_id for row in existing_rows if isinstance(row, TableRow)}
    asked = [r["row_id"] for r in value if isinstance(r, dict) and is_int(r.get("row_id"))]
    next_free = max([*existing, *asked, -1]) + 1
    write = TableWrite(fd.id)
    rows_seen: set[int] = set()
    positions: set[int] = set()
    before = report.errors
    for index, row in enumerate(value):
        rpath = f"{vpath}/{index}"
        if not isinstance(row, dict):
            report.error(rpath, "invalid_table_row",
                         f'a table row is an object {{"row_id": 0, "cells": [...]}}, '
                         f"got {describe(row)}")  # fmt: skip
            continue
        row_id = row.get("row_id")
        if row_id is None:
            row_id = next_free
            next_free += 1
        elif not is_int(row_id) or row_id < 0:
            report.error(
                f"{rpath}/row_id",
                "invalid_table_row",
                f"a row_id is an integer of at least 0, got {describe(row_id)}",
            )
            continue
        if row_id in rows_seen:
            report.error(
                f"{rpath}/row_id",
                "invalid_table_row",
                f"row {row_id} appears twice in table {fd.name!r}; name each row once",
            )
            continue
        rows_seen.add(row_id)
        delete = row.get("delete", False)
        if not isinstance(delete, bool):
            report.error(
                f"{rpath}/delete",
                "invalid_table_row",
                f"delete is true or false, got {describe(delete)}",
            )
            continue
        if delete:
            if row_id not in existing:
                report.error(f"{rpath}/row_id", "invalid_table_row",
                             f"table {fd.name!r} has no row {row_id} to delete; "
                             f"rows: {sorted(existing)}")  # fmt: skip
                continue
            write.rows.append(RowWrite(row_id, delete=True))
            continue
        position = row.get("position")
        if position is not None:
            if not is_int(position) or position < 1:
                report.error(
                    f"{rpath}/position",
                    "invalid_position",
                    f"a row position is an integer from 1, got {describe(position)}",
                )
                continue
            if position in positions:
                report.error(
                    f"{rpath}/position",
                    "duplicate_position",
                    f"two rows of table {fd.name!r} ask for position {position}",
                )
                continue
            positions.add(position)
        row_write = RowWrite(row_id, new=row_id not in existing, position=position)
        cells = row.get("cells")
        if cells is not None:
            if not isinstance(cells, list):
                report.error(
                    f"{rpath}/cells",
                    "invalid_value_format",
                    f"cells is a list of {_UPDATE_SHAPE}, got {describe(cells)}",
                )
                continue
            cell_writes: list[ValueWrite | TableWrite] = []
            cell_seen: set[int] = set()
            for ci, cell in enumerate(cells):
                update_one(ctx, f"{rpath}/cells/{ci}", cell, fd.columns, cell_writes,
                           cell_seen, fd)  # fmt: skip
            row_write.cells = [w for w in cell_writes if isinstance(w, ValueWrite)]
        write.rows.append(row_write)
    if report.errors == before:
        out.append(write)


def _has_value(fd: FieldDef, value: Any) -> bool:
    if value is None or value == "" or value == []:
        return False
    if fd.type == "checkmark":
        return bool(value == "checked")
    if fd.type == "flag":
        return bool(value != "none")
    return True


def _projected_rows(
    task: Task, write: TableWrite | None, table_id: int
) -> list[tuple[int, dict[int, Any]]]:
    """The table's rows, ``(row_id, cells by column id)``, as they will be after ``write``."""
    current = task.values.get(table_id) or []
    rows: dict[int, dict[int, Any]] = {}
    if write is None or not write.clear:
        rows = {r.row_id: dict(r.cells) for r in current if isinstance(r, TableRow)}
    if write is not None:
        for rw in write.rows:
            if rw.delete:
                rows.pop(rw.row_id, None)
                continue
            cells = rows.setdefault(rw.row_id, {})
            for cell in rw.cells:
                cells[cell.field_id] = cell.value
    return list(rows.items())


def missing_required(
    report: Report,
    path: str,
    form: Form,
    task: Task,
    up_to_step: int,
    writes: Sequence[ValueWrite | TableWrite],
    tried: set[int],
) -> None:
    """Report fields required at or before ``up_to_step`` that will have no value."""
    overlay: dict[int, Any] = {}
    tables: dict[int, TableWrite] = {}
    for w in writes:
        if isinstance(w, TableWrite):
            tables[w.field_id] = w
        else:
            overlay[w.field_id] = w.value

    def value_of(field_id: int) -> Any:
        return overlay[field_id] if field_id in overlay else task.values.get(field_id)

    for fd in form.by_id.values():
        if fd.type == "table":
            if fd.id in tried and fd.id not in tables:
                continue  # its update was refused; that error is already reported
            _missing_in_table(report, path, fd, task, tables.get(fd.id), up_to_step)
            continue
        if (fd.required_step is None or fd.required_step > up_to_step or fd.table_id is not None
                or fd.type in READ_ONLY_TYPES or fd.type == "title"):  # fmt: skip
            continue
        if fd.id in tried and fd.id not in overlay and report.errors:
            # Probably its update was refused, and that error is reported. With no error at
            # all the update was accepted but wrote nothing (a multiple_choice given only
            # nested "fields"): the field is still empty, and checked as such.
            continue
        parent = form.by_id.get(fd.parent_id) if fd.parent_id is not None else None
        if parent is not None and parent.type == "multiple_choice":
            option = next((o for o in parent.options if fd in o.fields), None)
            chosen = value_of(parent.id) or []
            if option is None or option.id not in chosen:
                continue
        if not _has_value(fd, value_of(fd.id)):
            label = f"{fd.name!r} (id {fd.id}" + (f", code {fd.code!r})" if fd.code else ")")
            report.error(
                path, "required_field_missing",
                f"field {label} is required from step {fd.required_step}, which this comment "
                "completes; fill it in the same request (field_updates) or before",
            )  # fmt: skip


def _missing_in_table(report: Report, path: str, fd: FieldDef, task: Task,
                      write: TableWrite | None, up_to_step: int) -> None:  # fmt: skip
    required = [c for c in fd.columns
                if c.required_step is not None and c.required_step <= up_to_step]  # fmt: skip
    table_required = fd.required_step is not None and fd.required_step <= up_to_step
    if not required and not table_required:
        return
    rows = _projected_rows(task, write, fd.id)
    if not rows and table_required:
        report.error(path, "required_field_missing",
                     f"table {fd.name!r} (id {fd.id}) needs at least one row from step "
                     f"{fd.required_step}, which this comment completes")  # fmt: skip
        return
    for column in required:
        for row_id, cells in rows:
            if not _has_value(column, cells.get(column.id)):
                report.error(
                    path, "required_table_field_missing",
                    f"column {column.name!r} (id {column.id}) of table {fd.name!r} is required "
                    f"from step {column.required_step} and row {row_id} has no value",
                )  # fmt: skip
