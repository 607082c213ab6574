"""Forms and tasks saved from real Pyrus, loaded into the fake.

``GET /forms/{id}`` and ``GET /tasks/{id}`` of real Pyrus answer JSON a test can save to a file.
:func:`load_form` and :func:`load_task` turn that JSON into the fake's records, so a bot that
only works on its own form can be called (and conformance-checked) with a task that looks like
production's::

    form = load_form(pyrus_mock, json.load(open("form.json")))
    task = load_task(pyrus_mock, json.load(open("task.json")), form=form, approver=bot)

What is kept: the form's id, name and steps (numbers and names); every field's id, type, name,
code and ``info`` (required and read-only steps, choices with their ids, table columns, title
children, decimal places, multiline); the task's text, subject, current step and field values.

What cannot be kept, and what the fake does instead:

* catalogs live in the real organisation: each catalog the form refers to becomes a catalog of
  the fake (new ids) holding the rows the task's values show; a value selects its rows by name.
* persons in ``person`` fields become users of the fake with the same names and e-mail (new ids).
* files in ``file`` fields become empty files with the same names (the bytes are not in the
  JSON).
* ``form_link`` values name tasks the fake does not have: they are left out.
* read-only fields (``step``, ``status``, ``note``, ``author``, ``creation_date``, ``project``)
  are computed by the fake, as Pyrus computes them.
* approvals: the given ``approver`` (the bot) approves the task's current step; the real
  organisation's approvers are left out.

Every problem is a :class:`SavedJsonError` whose message is one line naming the JSON path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from ..domain.errors import CommentRejected, InvalidArgument, PyrusMockError
from ..domain.model import FIELD_TYPES

if TYPE_CHECKING:
    from ..domain.model import Form, Task
    from .bots import Bot
    from .fake import PyrusMock

__all__ = ["SavedJsonError", "load_form", "load_task", "read_json"]

_READ_ONLY = frozenset({"step", "status", "note", "author", "creation_date", "project"})
_SCALARS = frozenset(
    {"text", "money", "number", "date", "time", "checkmark", "due_date", "due_date_time",
     "email", "phone", "flag"}
)  # fmt: skip
_INFO_KEYS = ("code", "required_step", "immutable_step", "decimal_places", "multiline",
              "multiple_choice", "form_id")  # fmt: skip


class SavedJsonError(PyrusMockError, ValueError):
    """Saved Pyrus JSON the fake cannot load; the message is one line naming where and why."""


def read_json(path: str | Path, what: str) -> Any:
    """Parse the JSON file at ``path``; ``what`` names it in errors (e.g. ``--form``).

    Raises:
        SavedJsonError: the file cannot be read or is not JSON.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SavedJsonError(f"{what} {str(path)!r}: cannot read it ({reason})") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SavedJsonError(f"{what} {str(path)!r} is not JSON ({exc})") from None


# -- forms ----------------------------------------------------------------------------------------


def load_form(mock: PyrusMock, data: Any, *, task: Any = None, what: str = "form") -> Form:
    """Add the form of saved ``GET /forms/{id}`` JSON to ``mock``, keeping its ids.

    Args:
        mock: the fake.
        data: the parsed JSON: a Form object (``{"id", "name", "steps", "fields"}``).
        task: the saved task (``load_task`` passes it): catalogs are filled with the rows its
            values show.
        what: how errors name the JSON (``--form FILE`` on the command line).

    Raises:
        SavedJsonError: the JSON is not a form the fake can hold.
    """
    if not isinstance(data, Mapping):
        raise SavedJsonError(f"{what}: expected the JSON object of GET /forms/{{id}}, got "
                             f"{_kind(data)}")  # fmt: skip
    form_id = data.get("id")
    if not _positive_int(form_id):
        raise SavedJsonError(f"{what}: id: expected the form's id (a positive integer), got "
                             f"{_show(form_id)}")  # fmt: skip
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise SavedJsonError(f"{what}: name: expected a non-empty string, got {_show(name)}")
    fields = data.get("fields", [])
    if not isinstance(fields, list):
        raise SavedJsonError(f"{what}: fields: expected a list of fields, got {_kind(fields)}")
    steps = _steps(data.get("steps", {}), what)
    if mock._backend.find_form(form_id) is not None:
        raise SavedJsonError(f"{what}: the fake already has a form {form_id}; load a form once "
                             "(a fresh PyrusMock, or pyrus_mock.reset() first)")  # fmt: skip
    rows = _catalog_rows(fields, saved_task_object(task) if task is not None else None)
    catalogs: dict[int, int] = {}
    specs = [_field_spec(mock, f, f"{what}: fields[{i}]", catalogs, rows)
             for i, f in enumerate(fields)]  # fmt: skip
    from ..domain.builders import parse_fields

    backend = mock._backend
    with backend.lock:
        counter = iter(range(1, 1_000_000))
        try:
            top, by_id = parse_fields(
                specs, lambda: next(counter), lambda cid: backend.find_catalog(cid) is not None
            )
            from ..domain.model import FormStep

            parsed = [FormStep(number, step_name) for number, step_name in steps]
            return backend.add_form(name, top, by_id, parsed, form_id=form_id)
        except InvalidArgument as exc:
            where = str(exc).replace("fields[", f"{what}: fields[", 1)
            raise SavedJsonError(
                where if where.startswith(f"{what}: ") else f"{what}: {exc}"
            ) from None


def _steps(steps: Any, what: str) -> list[tuple[int, str]]:
    if not isinstance(steps, Mapping):
        raise SavedJsonError(f'{what}: steps: expected an object such as {{"1": "Manager"}}, '
                             f"got {_kind(steps)}")  # fmt: skip
    out = []
    for key, step_name in steps.items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit() and 0 < int(key) <= 20):
            raise SavedJsonError(f"{what}: steps: {key!r} is not a step number (1 to 20)")
        if not isinstance(step_name, str):
            raise SavedJsonError(f"{what}: steps.{key}: expected the step's name, got "
                                 f"{_show(step_name)}")  # fmt: skip
        out.append((int(key), step_name))
    return sorted(out)


def _field_spec(
    mock: PyrusMock,
    raw: Any,
    where: str,
    catalogs: dict[int, int],
    rows: dict[int, tuple[list[str], list[list[str]]]],
) -> dict[str, Any]:
    """A builder spec for one saved field definition (recursively), catalogs made as needed."""
    if not isinstance(raw, Mapping):
        raise SavedJsonError(f"{where}: expected a field object, got {_kind(raw)}")
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        raise SavedJsonError(f"{where}.type: {_show(ftype)} is not a Pyrus field type "
                             f"({', '.join(sorted(FIELD_TYPES))})")  # fmt: skip
    if not _positive_int(raw.get("id")):
        raise SavedJsonError(f"{where}.id: expected a positive integer, got {_show(raw.get('id'))}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise SavedJsonError(f"{where}.name: expected a non-empty string, got {_show(name)}")
    info = raw.get("info") or {}
    if not isinstance(info, Mapping):
        raise SavedJsonError(f"{where}.info: expected an object, got {_kind(info)}")
    kept = {k: info[k] for k in _INFO_KEYS if info.get(k) is not None}
    spec: dict[str, Any] = {"id": raw["id"], "type": ftype, "name": name, "info": kept}
    code = raw.get("code") or info.get("code")
    if code:
        spec["code"] = str(code)
    if ftype == "note":
        spec["text"] = str(raw.get("value") or "")
    if ftype == "table":
        spec["columns"] = [_field_spec(mock, c, f"{where}.info.columns[{i}]", catalogs, rows)
                           for i, c in enumerate(_list(info, "columns", where))]  # fmt: skip
    elif ftype == "title":
        spec["fields"] = [_field_spec(mock, c, f"{where}.info.fields[{i}]", catalogs, rows)
                          for i, c in enumerate(_list(info, "fields", where))]  # fmt: skip
    elif ftype == "multiple_choice":
        options = []
        for i, option in enumerate(_list(info, "options", where)):
            at = f"{where}.info.options[{i}]"
            if not isinstance(option, Mapping):
                raise SavedJsonError(f"{at}: expected {{choice_id, choice_value}}, got "
                                     f"{_kind(option)}")  # fmt: skip
            if not _positive_int(option.get("choice_id")):
                raise SavedJsonError(f"{at}.choice_id: expected a positive integer, got "
                                     f"{_show(option.get('choice_id'))}")  # fmt: skip
            children = option.get("fields") or []
            options.append({
                "choice_id": option["choice_id"],
                "choice_value": option.get("choice_value"),
                "fields": [_field_spec(mock, c, f"{at}.fields[{j}]", catalogs, rows)
                           for j, c in enumerate(children)],
            })  # fmt: skip
        spec["options"] = options
    elif ftype == "catalog":
        real_id = info.get("catalog_id")
        if not isinstance(real_id, int) or not _positive_int(real_id):
            raise SavedJsonError(f"{where}.info.catalog_id: expected the catalog's id, got "
                                 f"{_show(real_id)}")  # fmt: skip
        if real_id not in catalogs:
            headers, found = rows.get(real_id, (["Name"], []))
            catalogs[real_id] = mock.add_catalog(f"Catalog {real_id} (saved)", headers, found).id
        spec["catalog_id"] = catalogs[real_id]
    return spec


def _list(info: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = info.get(key) or []
    if not isinstance(value, list):
        raise SavedJsonError(f"{where}.info.{key}: expected a list, got {_kind(value)}")
    return value


def _catalog_rows(form_fields: Any, task: Any) -> dict[int, tuple[list[str], list[list[str]]]]:
    """Headers and rows of each catalog (by its real id), from a saved task's catalog values."""
    found: dict[int, tuple[list[str], list[list[str]]]] = {}
    if not isinstance(task, Mapping):
        return found
    catalog_of = {}
    for fd in _walk_definitions(form_fields):
        info = fd.get("info")
        if fd.get("type") == "catalog" and isinstance(info, Mapping):
            catalog_of[fd.get("id")] = info.get("catalog_id")
    for fd in _walk(task.get("fields")):
        value, catalog_id = fd.get("value"), catalog_of.get(fd.get("id"))
        if not isinstance(value, Mapping) or not isinstance(catalog_id, int):
            continue
        headers = [str(h) for h in value.get("headers") or []] or ["Name"]
        rows = value.get("rows") or ([value["values"]] if value.get("values") else [])
        have = found.setdefault(catalog_id, (headers, []))
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, list):
                continue
            cells = [str(c) for c in row][: len(have[0])]
            cells += [""] * (len(have[0]) - len(cells))
            if cells not in have[1]:
                have[1].append(cells)
    return found


def _walk_definitions(fields: Any) -> list[Mapping[str, Any]]:
    """Every field definition of a saved form, nested ones (columns, children, choices) too."""
    out: list[Mapping[str, Any]] = []
    for fd in fields if isinstance(fields, list) else []:
        if not isinstance(fd, Mapping):
            continue
        out.append(fd)
        info = fd.get("info")
        if isinstance(info, Mapping):
            out.extend(_walk_definitions(info.get("columns")))
            out.extend(_walk_definitions(info.get("fields")))
            for option in info.get("options") or []:
                if isinstance(option, Mapping):
                    out.extend(_walk_definitions(option.get("fields")))
    return out


def _walk(fields: Any) -> list[Mapping[str, Any]]:
    """Every field object in a saved task's fields, nested ones (titles, choices, rows) too."""
    out: list[Mapping[str, Any]] = []
    for fd in fields if isinstance(fields, list) else []:
        if not isinstance(fd, Mapping):
            continue
        out.append(fd)
        value = fd.get("value")
        if isinstance(value, Mapping):
            out.extend(_walk(value.get("fields")))
        elif isinstance(value, list) and fd.get("type") == "table":
            for row in value:
                if isinstance(row, Mapping):
                    out.extend(_walk(row.get("cells")))
    return out


# -- tasks ----------------------------------------------------------------------------------------


def load_task(
    mock: PyrusMock,
    data: Any,
    *,
    form: Form,
    approver: Bot | None = None,
    what: str = "task",
) -> Task:
    """Create a task of ``form`` from saved ``GET /tasks/{id}`` JSON (field values kept).

    Args:
        mock: the fake.
        data: the parsed JSON: ``{"task": {...}}`` as the API answers, or the task itself.
        form: the task's form, already in the fake (see :func:`load_form`).
        approver: who approves the task's current step (the bot under test); nobody when None.
        what: how errors name the JSON (``--task FILE`` on the command line).

    Raises:
        SavedJsonError: the JSON is not a task of ``form``, or a value is one the form refuses.
    """
    task = saved_task_object(data, what)
    if task.get("form_id") != form.id:
        raise SavedJsonError(f"{what}: form_id is {_show(task.get('form_id'))}, but the form "
                             f"is {form.id}: save the task of that form")  # fmt: skip
    step = task.get("current_step", 1)
    numbers = [s.number for s in form.steps] or [1]
    if not _positive_int(step) or step > max(numbers):
        raise SavedJsonError(f"{what}: current_step {_show(step)} is not a step of form "
                             f"{form.id} (steps {', '.join(map(str, numbers))})")  # fmt: skip
    text, subject = _text_and_subject(task, what)
    values: dict[str | int, Any] = {}
    top = task.get("fields") or []
    # Children of titles and choices come inside their parent's value, and may come flat too.
    nested = {inner.get("id") for outer in top for inner in _walk([outer])[1:]}
    for index, fd in enumerate(top):
        where = f"{what}: fields[{index}]"
        if not isinstance(fd, Mapping) or not _positive_int(fd.get("id")):
            raise SavedJsonError(f"{where}: expected a field object with an id, got "
                                 f"{_show(fd)}")  # fmt: skip
        if fd.get("parent_id") and fd["id"] in nested:  # also in its title or choice's value
            continue
        written = _write_value(mock, form, fd, where)
        if written is not None:
            values[fd["id"]] = written
    approvals: list[list[Any]] = [[] for _ in range(max(numbers))]
    if approver is not None:
        approvals[step - 1] = [approver]
    try:
        created = mock.add_task(form=form, fields=values, approvals=approvals, text=text,
                                   subject=subject)  # fmt: skip
    except CommentRejected as exc:
        first = exc.violations[0]
        raise SavedJsonError(
            f"{what}: {first.path}: {first.error_code}: {first.message} (the form refuses the "
            "saved value; save the task and its form from the same Pyrus)"
        ) from None
    if step != 1:
        backend = mock._backend
        with backend.lock:  # a saved task may be past step 1: start it where it was
            created.current_step = step
            created.step_entered_at[step] = backend.clock.time()
    return created


def saved_task_object(data: Any, what: str = "task") -> dict[str, Any]:
    """The task object of saved task JSON (``{"task": {...}}`` or the bare task).

    Raises:
        SavedJsonError: it is neither.
    """
    if isinstance(data, Mapping) and isinstance(data.get("task"), Mapping):
        data = data["task"]
    if not isinstance(data, Mapping) or not {"fields", "form_id", "text"} & set(data):
        raise SavedJsonError(f'{what}: expected the JSON of GET /tasks/{{id}} ({{"task": {{...}}}}'
                             f") with form_id and fields (or a simple task's text), got "
                             f"{_kind(data)}")  # fmt: skip
    if not isinstance(data.get("fields", []), list):
        raise SavedJsonError(f"{what}: fields: expected a list, got {_kind(data.get('fields'))}")
    return dict(data)


def _write_value(mock: PyrusMock, form: Form, fd: Mapping[str, Any], where: str) -> Any:
    """The write shape of one saved field value; None when nothing is to be written."""
    definition = form.by_id.get(fd["id"])
    if definition is None:
        raise SavedJsonError(f"{where}: field {fd['id']} ({_show(fd.get('name'))}) is not a "
                             f"field of form {form.id}")  # fmt: skip
    ftype, value = definition.type, fd.get("value")
    if value is None or ftype in _READ_ONLY or ftype == "form_link":
        return None
    if ftype in _SCALARS:
        return value
    if not isinstance(value, (Mapping, list)):
        raise SavedJsonError(f"{where}.value: a {ftype} value is an object or a list, got "
                             f"{_show(value)}")  # fmt: skip
    if ftype == "title" and isinstance(value, Mapping):
        title: dict[str, Any] = {}
        if value.get("checkmark") is not None:
            title["checkmark"] = value["checkmark"]
        nested = _nested(mock, form, value.get("fields"), f"{where}.value.fields")
        if nested:
            title["fields"] = nested
        return title or None
    if ftype == "multiple_choice" and isinstance(value, Mapping):
        ids = value.get("choice_ids") or ([value["choice_id"]] if value.get("choice_id") else [])
        choice: dict[str, Any] = {"choice_ids": ids}
        nested = _nested(mock, form, value.get("fields"), f"{where}.value.fields")
        if nested:
            choice["fields"] = nested
        return choice
    if ftype == "table" and isinstance(value, list):
        rows = []
        for i, row in enumerate(value):
            if not isinstance(row, Mapping) or row.get("deleted"):
                continue
            cells = _nested(mock, form, row.get("cells"), f"{where}.value[{i}].cells")
            rows.append({"row_id": row.get("row_id", i), "cells": cells})
        return rows or None
    if ftype == "catalog" and isinstance(value, Mapping):
        rows_shown = value.get("rows") or ([value["values"]] if value.get("values") else [])
        names = [str(r[0]) for r in rows_shown if isinstance(r, list) and r]
        return {"item_names": names} if names else None
    if ftype == "person" and isinstance(value, Mapping):
        return {"id": _person(mock, value)}
    if ftype == "file" and isinstance(value, list):
        uploader = form_author(mock)
        files = [{"guid": _file(mock, f, uploader)} for f in value if isinstance(f, Mapping)]
        return files or None
    raise SavedJsonError(f"{where}.value: not the read shape of a {ftype} field: {_show(value)}")


def _nested(mock: PyrusMock, form: Form, fields: Any, where: str) -> list[dict[str, Any]]:
    out = []
    for i, fd in enumerate(fields if isinstance(fields, list) else []):
        if not isinstance(fd, Mapping) or not _positive_int(fd.get("id")):
            raise SavedJsonError(f"{where}[{i}]: expected a field object with an id")
        written = _write_value(mock, form, fd, f"{where}[{i}]")
        if written is not None:
            out.append({"id": fd["id"], "value": written})
    return out


def _person(mock: PyrusMock, value: Mapping[str, Any]) -> int:
    """A user of the fake standing for a saved person (found again by e-mail)."""
    email = value.get("email") if isinstance(value.get("email"), str) else ""
    backend = mock._backend
    if email:
        with backend.lock:
            found = backend.find_person_by_email(email)
        if found is not None:
            return found.id
    first = str(value.get("first_name") or value.get("name") or "Person")
    last = str(value.get("last_name") or "")
    return mock.add_user(first, last, email=email or None).id


def _file(mock: PyrusMock, value: Mapping[str, Any], uploader: int) -> str:
    """An empty file of the fake standing for a saved attachment (the bytes are not saved)."""
    name = str(value.get("name") or "file")
    return mock._backend.files.upload(name, b"", uploader).guid


def form_author(mock: PyrusMock) -> int:
    """The person saved files are uploaded as: the fake's default task author."""
    return mock._author().id


# -- helpers --------------------------------------------------------------------------------------


def _positive_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _kind(value: object) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else f"a {type(value).__name__} ({_show(value)})"


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if _jsonable(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _jsonable(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


# -- the conformance checks' task --------------------------------------------------------------


def task_for_check(
    mock: PyrusMock,
    bot: Bot,
    *,
    form: Form | Mapping[str, Any] | None = None,
    task: Task | Mapping[str, Any] | None = None,
    text: str | None = None,
    what_form: str = "form",
    what_task: str = "task",
) -> Task | None:
    """The task :func:`~pyrus_mock.mock.conformance.check_bot` sends, from what it was given.

    A saved form (JSON) is loaded; a saved task (JSON) becomes a task of that form (or of the
    fake's form with its ``form_id``) whose current step ``bot`` approves; a saved simple task
    (no ``form_id``) keeps its text and subject, with ``bot`` responsible; a form alone gets a
    new task with no values at step 1, approved by ``bot``, with ``text`` (the checks' own by
    default). None when neither is given (the checks make their own task); a
    :class:`~pyrus_mock.domain.model.Task` is used as it is.

    Raises:
        SavedJsonError: saved JSON the fake cannot load, or a saved task without its form.
    """
    if task is not None and not isinstance(task, Mapping):
        return task
    if form is None and task is None:
        return None
    from .conformance import _TASK_TEXT, _no_auto_delivery

    with _no_auto_delivery(mock):  # the checks call the bot, not the fake itself
        return _task_for_check(mock, bot, form, task, text or _TASK_TEXT, what_form, what_task)


def _task_for_check(
    mock: PyrusMock,
    bot: Bot,
    form: Form | Mapping[str, Any] | None,
    task: Mapping[str, Any] | None,
    text: str,
    what_form: str,
    what_task: str,
) -> Task:
    from ..domain.model import Form as FormRecord

    if form is not None and not isinstance(form, FormRecord):
        form = load_form(mock, form, task=task, what=what_form)
    if task is not None:
        if form is None:
            saved = saved_task_object(task, what_task)
            form_id = saved.get("form_id")
            if form_id is None:
                return _simple_task(mock, bot, saved, text, what_task)
            found = mock._backend.find_form(form_id) if isinstance(form_id, int) else None
            if found is None:
                raise SavedJsonError(
                    f"{what_task}: its form {_show(form_id)} is not in the fake: give the form "
                    "too (GET /forms/{id} saved as JSON: form=..., --form FILE.json)"
                )
            form = found
        return load_task(mock, task, form=form, approver=bot, what=what_task)
    assert form is not None  # task_for_check returned early without either
    first = min((s.number for s in form.steps), default=1)
    approvals: list[list[Any]] = [[] for _ in range(max([first, *(s.number for s in form.steps)]))]
    approvals[first - 1] = [bot]
    return mock.add_task(form=form, approvals=approvals, text=text)


def _simple_task(
    mock: PyrusMock, bot: Bot, task: Mapping[str, Any], default_text: str, what: str
) -> Task:
    """A saved task without a form: its text and subject (``default_text`` when it has neither),
    the bot responsible for it."""
    if task.get("fields"):
        raise SavedJsonError(
            f"{what}: it has fields but no form_id: save the whole GET /tasks/{{id}} reply, and "
            "give its form too (--form FILE.json)"
        )
    text, subject = _text_and_subject(task, what)
    return mock.add_task(text=text or subject or default_text, subject=subject, responsible=bot)


def _text_and_subject(task: Mapping[str, Any], what: str) -> tuple[str, str]:
    """A saved task's ``text`` and ``subject`` ("" when absent or null)."""
    text, subject = task.get("text") or "", task.get("subject") or ""
    if not isinstance(text, str) or not isinstance(subject, str):
        raise SavedJsonError(f"{what}: text and subject must be strings")
    return text, subject
