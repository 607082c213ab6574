"""The form register (``GET|POST /forms/{id}/register``): which tasks a filter selects.

Filters come from the query string (``GET``) or the JSON body (``POST``, PY's
``FormRegisterRequest``); both are accepted in either place. Implemented:

==========================  ================================================================
``steps``                   tasks on these steps (``[1, 2]`` or ``"1,2"``)
``include_archived``        closed tasks too (default: open tasks only)
``task_ids``                only these tasks (``[1, 2]`` or ``"1,2"``)
``id``                      the task id, with the ``fld`` operators below
``fld<ID>``                 ``"v"`` equals, ``"a,b"`` one of, ``"gtX"``, ``"ltX"``,
                            ``"gtX,ltY"``, ``"empty"`` (no value), ``"*"`` (any value);
                            top-level fields only (not table cells)
``item_count``              at most this many tasks (1 to 20000; default 20000)
``modified_before/after``   on ``last_modified_date`` (``YYYY-MM-DDThh:mm:ssZ``)
``created_before/after``    on ``create_date``
``closed_before/after``     on ``close_date`` (implies closed tasks)
``include_text``            substring of the text or subject (case-insensitive)
``field_ids``               only these fields in each task
``sort``                    accepted; tasks are always in id order
``due_filter``              open tasks past a deadline: ``overdue`` (the task's ``due`` /
                            ``due_date``, or a top-level ``due_date`` / ``due_date_time``
                            field value, has passed), ``overdue_on_step`` (longer on the
                            current step than its ``due_minutes``), ``past_due`` (either), or
                            ``{"overdue_steps": [2, 3]}`` (overdue on one of these steps)
``format=csv``              the tasks as CSV (:mod:`.register_csv`), with ``delimiter``,
                            ``encoding`` and ``simple_format``
==========================  ================================================================

Visibility: the caller sees the tasks of the form it could open with ``GET /tasks/{id}`` (form
permissions are not modelled).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from ..domain.ids import parse_decimal
from ..domain.model import FieldDef, Form, Person, Task
from ..engine.common import parse_date, parse_timestamp
from .errors import ApiError

__all__ = ["REGISTER_FILTERS", "select"]

#: Every filter name this module understands (``fld<ID>`` aside).
REGISTER_FILTERS = (
    "steps",
    "include_archived",
    "task_ids",
    "id",
    "item_count",
    "modified_before",
    "modified_after",
    "created_before",
    "created_after",
    "closed_before",
    "closed_after",
    "include_text",
    "field_ids",
    "sort",
    "format",
    "delimiter",
    "simple_format",
    "encoding",
    "due_filter",
)

_MAX_ITEMS = 20000


def _ints(value: Any, name: str) -> list[int]:
    if isinstance(value, list):
        items = value
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [value]
    elif isinstance(value, str):
        items = [part for part in value.split(",") if part.strip()]
    else:
        raise ApiError("invalid_json", f"{name} must be a list of integers")
    out = []
    for item in items:
        try:
            if isinstance(item, bool):
                raise ValueError
            out.append(int(item))
        except (TypeError, ValueError):
            raise ApiError("invalid_json", f"{name}: {item!r} is not an integer") from None
    if not out:
        raise ApiError("invalid_json", f"{name} is empty: give at least one integer")
    return out


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("y", "yes", "true", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("n", "no", "false", "0", ""):
        return False
    raise ApiError("invalid_json", f'{name} must be a boolean (or "y")')


def _moment(value: Any, name: str) -> datetime:
    if isinstance(value, str):
        for pattern in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
            try:
                return datetime.strptime(value, pattern).replace(tzinfo=timezone.utc)
            except ValueError:
                continue
    raise ApiError("invalid_json", f"{name} must be a timestamp YYYY-MM-DDThh:mm:ssZ")


def _scalar(raw: Any) -> list[str]:
    """The comparable strings of an internal field value (ids for references)."""
    if raw is None or raw == "" or raw == []:
        return []
    if isinstance(raw, list):
        return [str(item) for item in raw if not hasattr(item, "cells")]
    return [str(raw)]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _compare(values: list[str], op: str, bound: str) -> bool:
    """Numbers compare as numbers; anything else (dates, text) as strings."""
    limit = _number(bound)
    for value in values:
        number = _number(value)
        if number is not None and limit is not None:
            hit = number > limit if op == "gt" else number < limit
        else:
            hit = value > bound if op == "gt" else value < bound
        if hit:
            return True
    return False


def _matcher(spec: Any, name: str) -> Callable[[list[str]], bool]:
    """A predicate over a value's comparable strings from a ``fld``/``id`` filter."""
    if isinstance(spec, list):
        wanted = {str(v) for v in spec}
        return lambda values: any(v in wanted for v in values)
    if isinstance(spec, bool) or spec is None or isinstance(spec, (dict, float)):
        raise ApiError("invalid_json", f"{name}: unsupported filter value {spec!r}")
    text = str(spec).strip()
    if text == "empty":
        return lambda values: not values
    if text == "*":
        return lambda values: bool(values)
    parts = [p.strip() for p in text.split(",")]
    if all(p[:2] in ("gt", "lt") and len(p) > 2 for p in parts):
        bounds = [(p[:2], p[2:]) for p in parts]
        return lambda values: all(_compare(values, op, b) for op, b in bounds)
    wanted = set(parts)
    return lambda values: any(v in wanted for v in values)


def _field_test(field_id: int, match: Callable[[list[str]], bool]) -> Callable[[Task], bool]:
    return lambda task: match(_scalar(task.values.get(field_id)))


_DUE_FILTERS = ("overdue", "overdue_on_step", "past_due")


def _overdue(task: Task, form: Form, now: datetime) -> bool:
    """The task's own deadline, or a top-level due field's, has passed."""
    dates = [task.due_date] + [task.values.get(f.id) for f in form.fields if f.type == "due_date"]
    moments = [task.due] + [task.values.get(f.id) for f in form.fields if f.type == "due_date_time"]
    for value in dates:
        day = parse_date(value) if value else None
        if day is not None and day < now.date():
            return True
    for value in moments:
        moment = parse_timestamp(value) if value else None
        if moment is not None and moment < now:
            return True
    return False


def _overdue_on_step(task: Task, form: Form, now: datetime, steps: set[int] | None) -> bool:
    """Longer on the current step (one of ``steps``, if given) than the step allows."""
    number = task.current_step
    step = form.step(number) if number is not None else None
    entered = task.step_entered_at.get(number) if number is not None else None
    if step is None or step.due_minutes is None or entered is None:
        return False
    if steps is not None and step.number not in steps:
        return False
    return now.timestamp() - entered > step.due_minutes * 60


def _due_test(spec: Any, form: Form, now: datetime) -> Callable[[Task], bool]:
    """The ``due_filter`` predicate (open tasks only)."""
    if isinstance(spec, dict) and set(spec) == {"overdue_steps"}:
        steps = set(_ints(spec["overdue_steps"], "due_filter/overdue_steps"))
        return lambda t: not t.is_closed and _overdue_on_step(t, form, now, steps)
    if spec == "overdue":
        return lambda t: not t.is_closed and _overdue(t, form, now)
    if spec == "overdue_on_step":
        return lambda t: not t.is_closed and _overdue_on_step(t, form, now, None)
    if spec == "past_due":
        return lambda t: (
            not t.is_closed and (_overdue(t, form, now) or _overdue_on_step(t, form, now, None))
        )
    raise ApiError(
        "invalid_value_format",
        f"due_filter {spec!r} is none of {', '.join(_DUE_FILTERS)} or "
        '{"overdue_steps": [step numbers]}',
    )


def _field(form: Form, field_id: int, name: str) -> FieldDef:
    fd = form.by_id.get(field_id)
    if fd is None or fd.table_id is not None:
        raise ApiError("invalid_field_id", f"{name}: the form has no top-level field {field_id}")
    return fd


def select(
    form: Form,
    tasks: Iterable[Task],
    viewer: Person,
    can_see: Callable[[Person, Task], bool],
    params: dict[str, Any],
    now: datetime | None = None,
) -> tuple[list[Task], list[int] | None]:
    """The tasks of ``form`` that ``params`` select, and the ``field_ids`` to keep (or None).

    ``now`` is the fake's time, for ``due_filter`` (default: the wall clock).
    """
    tests: list[Callable[[Task], bool]] = []
    if params.get("due_filter") not in (None, "", []):
        moment = now or datetime.now(timezone.utc)
        tests.append(_due_test(params["due_filter"], form, moment))
    archived = _flag(params.get("include_archived", False), "include_archived")
    if "steps" in params:
        steps = set(_ints(params["steps"], "steps"))
        tests.append(lambda t: t.current_step in steps)
    if "task_ids" in params:
        ids = set(_ints(params["task_ids"], "task_ids"))
        tests.append(lambda t: t.id in ids)
    if "id" in params:
        by_id = _matcher(params["id"], "id")
        tests.append(lambda t: by_id([str(t.id)]))
    for name, attr in (
        ("modified", "last_modified_date"),
        ("created", "create_date"),
        ("closed", "close_date"),
    ):
        for side in ("before", "after"):
            key = f"{name}_{side}"
            if params.get(key) in (None, ""):
                continue
            bound = _moment(params[key], key)
            if name == "closed":
                archived = True

            def test(t: Task, attr: str = attr, side: str = side, bound: datetime = bound) -> bool:
                moment = getattr(t, attr)
                if moment is None:
                    return False
                return bool(moment < bound) if side == "before" else bool(moment > bound)

            tests.append(test)
    if params.get("include_text"):
        needle = str(params["include_text"]).lower()
        tests.append(lambda t: needle in t.text.lower() or needle in t.subject.lower())
    for key, spec in params.items():
        if key.startswith("fld") and (field_id := parse_decimal(key[3:])) is not None:
            fd = _field(form, field_id, key)
            tests.append(_field_test(fd.id, _matcher(spec, key)))
    count = _ints(params.get("item_count", _MAX_ITEMS), "item_count")[0]
    if not 0 < count <= _MAX_ITEMS:
        raise ApiError("invalid_json", f"item_count must be 1 to {_MAX_ITEMS}, got {count}")
    field_ids = _ints(params["field_ids"], "field_ids") if params.get("field_ids") else None
    chosen = []
    for task in tasks:
        if task.form_id != form.id or (task.is_closed and not archived):
            continue
        if not can_see(viewer, task) or not all(test(task) for test in tests):
            continue
        chosen.append(task)
        if len(chosen) >= count:
            break
    return chosen, field_ids
