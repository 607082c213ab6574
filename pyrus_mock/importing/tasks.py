"""Importing a task: ``GET /tasks/{id}`` or a webhook body, with its people, form and comments.

The task keeps its id, dates, field values, approvals (with their choices), step, comments
(ids, authors, dates, texts, approval choices) and closed state. The people it names are
created with their ids, names and e-mails (``type: bot`` people and a webhook's ``user_id``
as bots without a URL: give them one with ``bot.update(url=...)``). A task whose form the fake
lacks gets a form inferred from the task's fields; import ``GET /forms/{id}`` first for the
whole form. Nothing is delivered to bots while importing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from ..domain.errors import CommentRejected, InvalidArgument
from ..domain.model import READ_ONLY_TYPES, Comment, TableRow
from ..engine.common import parse_timestamp
from .forms import Imported, ImportRefused, import_form, with_id

if TYPE_CHECKING:
    from ..domain.model import Form, Task
    from ..mock.fake import PyrusMock

__all__ = ["import_task"]

_SCALAR = frozenset(
    {
        "text",
        "money",
        "number",
        "date",
        "time",
        "checkmark",
        "due_date",
        "email",
        "phone",
        "flag",
        "due_date_time",
    }
)
_CHOICES = frozenset({"waiting", "approved", "rejected", "acknowledged", "revoked"})


def import_task(mock: PyrusMock, data: Mapping[str, Any], result: Imported) -> Task:
    """Create the task of a webhook body or ``GET /tasks/{id}`` reply (see the module doc)."""
    task_json = data["task"]
    if "task_id" in data and data["task_id"] != task_json.get("id"):
        result.notes.append(
            f"task_id {data['task_id']} differs from task.id "
            f"{task_json.get('id')}; task.id was used"
        )
    backend = mock._backend
    with backend.lock:
        people = _collect_people(task_json)
        receiver = data.get("user_id")
        if isinstance(receiver, int) and receiver not in people:
            people[receiver] = {"id": receiver, "type": "bot", "first_name": f"Bot {receiver}"}
        elif isinstance(receiver, int):
            people[receiver] = {**people[receiver], "type": "bot"}
        for ref in people.values():
            _person(mock, ref, result, str(data.get("bot_settings") or ""))
        form = _form(mock, task_json, result)
        return _create(mock, task_json, form, result)


def _pid(result: Imported, ref: Any) -> int | None:
    if isinstance(ref, Mapping):
        ref = ref.get("id")
    if isinstance(ref, int) and not isinstance(ref, bool):
        return result.id_map.get(("person", ref), ref)
    return None


def _collect_people(task: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    """Every person the task names, by id, with the most complete object seen for each."""
    found: dict[int, dict[str, Any]] = {}

    def add(ref: Any) -> None:
        if isinstance(ref, Mapping) and isinstance(ref.get("id"), int):
            seen = found.setdefault(ref["id"], {})
            seen.update({k: v for k, v in ref.items() if v not in (None, "")})

    for ref in _people_refs(task):
        add(ref)
    return found


def _people_refs(task: Mapping[str, Any]) -> Iterator[Any]:
    yield task.get("author")
    yield task.get("responsible")
    yield from task.get("participants") or []
    for sub in task.get("subscribers") or []:
        yield sub.get("person") if isinstance(sub, Mapping) else None
    for step in task.get("approvals") or []:
        for item in step or []:
            yield item.get("person") if isinstance(item, Mapping) else None
    for comment in task.get("comments") or []:
        if isinstance(comment, Mapping):
            yield comment.get("author")
            yield comment.get("reassigned_to")
    for f in _all_fields(task.get("fields") or []):
        if f.get("type") in ("person", "author") and isinstance(f.get("value"), Mapping):
            yield f["value"]


def _all_fields(fields: Any) -> Iterator[Mapping[str, Any]]:
    for f in fields if isinstance(fields, list) else []:
        if not isinstance(f, Mapping):
            continue
        yield f
        value = f.get("value")
        if f.get("type") == "title" and isinstance(value, Mapping):
            yield from _all_fields(value.get("fields"))
        if f.get("type") == "table" and isinstance(value, list):
            for row in value:
                yield from _all_fields(row.get("cells") if isinstance(row, Mapping) else None)


def _person(mock: PyrusMock, ref: Mapping[str, Any], result: Imported, settings: str) -> None:
    backend = mock._backend
    wanted = ref["id"]
    if backend.find_person(wanted) is not None:
        return  # already there (imported before, or made by the test)
    first = str(ref.get("first_name") or "")
    last = str(ref.get("last_name") or "")
    email = str(ref.get("email") or "") or None
    if email is not None and backend.find_person_by_email(email) is not None:
        result.notes.append(f"person {wanted}: the e-mail {email} is taken; a new one was made")
        email = None
    kind = ref.get("type") or "user"
    if kind == "bot":
        bot = with_id(
            backend.ids,
            "person",
            wanted,
            True,
            lambda: mock.add_bot(first or f"Bot {wanted}", "", settings=settings),
        )
        if email is not None:  # the bot's login is its e-mail in Pyrus
            bot.person.email = email
            backend.accounts.find_bot(bot.id).login = email  # type: ignore[union-attr]
        result.bots.append(bot.id)
        got = bot.id
    else:
        person_type: Literal["user", "role"] = "role" if kind == "role" else "user"
        person = with_id(
            backend.ids,
            "person",
            wanted,
            True,
            lambda: backend.add_person(
                first or f"Person {wanted}", last, email=email, type=person_type
            ),
        )
        result.persons.append(person.id)
        got = person.id
    result.id_map[("person", wanted)] = got


def _form(mock: PyrusMock, task: Mapping[str, Any], result: Imported) -> Form | None:
    form_id = task.get("form_id")
    if form_id is None:
        if task.get("fields"):
            raise ImportRefused("/task/fields", "a task without form_id has fields")
        return None
    mapped = result.id_map.get(("form", form_id), form_id)
    existing = mock._backend.find_form(mapped) if isinstance(mapped, int) else None
    if existing is not None:
        return existing
    fields = [
        _inferred_field(mock, f, f"/task/fields/{i}", result)
        for i, f in enumerate(task.get("fields") or [])
    ]
    steps = {
        str(s["step"]): s.get("name") or f"Step {s['step']}"
        for s in task.get("steps") or []
        if isinstance(s, Mapping) and "step" in s
    }
    for number in range(1, len(task.get("approvals") or []) + 1):
        steps.setdefault(str(number), f"Step {number}")
    result.notes.append(
        f"form {form_id} was inferred from task {task.get('id')}'s fields (its "
        f"name and unused fields are unknown): import GET /forms/{form_id} "
        "first for the whole form"
    )
    return import_form(
        mock, {"id": form_id, "name": f"Form {form_id}", "fields": fields, "steps": steps}, result
    )


def _inferred_field(
    mock: PyrusMock, f: Mapping[str, Any], where: str, result: Imported
) -> dict[str, Any]:
    spec: dict[str, Any] = {k: f[k] for k in ("id", "type", "name", "code") if k in f}
    value = f.get("value")
    kind = f.get("type")
    info: dict[str, Any] = {}
    if kind == "catalog":
        item_ids = (
            value.get("item_ids") or [value.get("item_id")] if isinstance(value, Mapping) else []
        )
        catalog = next(
            (c for c in mock._backend.catalogs() if any(i.id in item_ids for i in c.items)), None
        )
        if catalog is None:
            raise ImportRefused(
                where,
                f"the catalog field {f.get('name')!r} needs its catalog, "
                "which the fake does not have",
                "import GET /catalogs/{id} (and GET /forms/{id}) first",
            )
        info["catalog_id"] = catalog.id
        info["multiple_choice"] = len(item_ids) > 1
    elif kind == "multiple_choice":
        ids = value.get("choice_ids") or [] if isinstance(value, Mapping) else []
        names = value.get("choice_names") or [] if isinstance(value, Mapping) else []
        info["options"] = [
            {"choice_id": i, "choice_value": n} for i, n in zip(ids, names, strict=False)
        ] or [{"choice_id": 1, "choice_value": "Option 1"}]
    elif kind == "title":
        children = value.get("fields") if isinstance(value, Mapping) else None
        info["fields"] = [
            _inferred_field(mock, c, f"{where}/value/fields/{i}", result)
            for i, c in enumerate(children or [])
        ]
    elif kind == "table":
        first = value[0].get("cells") if isinstance(value, list) and value else []
        info["columns"] = [
            _inferred_field(mock, c, f"{where}/value/0/cells/{i}", result)
            for i, c in enumerate(first or [])
        ]
    if info:
        spec["info"] = info
    return spec


def _write_values(
    fields: Any, result: Imported, where: str, out: dict[str | int, Any]
) -> dict[str | int, Any]:
    """The task's field values in the shape ``POST /tasks`` writes them, by field id."""
    for index, f in enumerate(fields if isinstance(fields, list) else []):
        here = f"{where}/{index}"
        kind, value, fid = f.get("type"), f.get("value"), f.get("id")
        if kind == "title" and isinstance(value, Mapping):
            _write_values(value.get("fields"), result, f"{here}/value/fields", out)
            continue
        if value is None or kind in READ_ONLY_TYPES or not isinstance(fid, int):
            continue
        out[fid] = _write_value(kind, value, result, here)
    return out


def _write_value(kind: Any, value: Any, result: Imported, where: str) -> Any:
    if kind in _SCALAR:
        return value
    if kind == "person":
        return {"id": _pid(result, value)}
    if kind == "catalog" and isinstance(value, Mapping):
        return {"item_ids": value.get("item_ids") or [value.get("item_id")]}
    if kind == "multiple_choice" and isinstance(value, Mapping):
        return {"choice_ids": value.get("choice_ids") or [value.get("choice_id")]}
    if kind == "table" and isinstance(value, list):
        rows = []
        for r, row in enumerate(value):
            cells = [
                {
                    "id": c["id"],
                    "value": _write_value(
                        c.get("type"), c["value"], result, f"{where}/value/{r}/cells/{i}"
                    ),
                }
                for i, c in enumerate(row.get("cells") or [])
                if c.get("value") is not None and c.get("type") not in READ_ONLY_TYPES
            ]
            rows.append({"cells": cells})
        return rows
    if kind == "file":
        raise ImportRefused(
            where,
            "a file field's value cannot be imported: the JSON holds no file contents",
            "remove the value, or attach the file in the test (upload it, then set the field)",
        )
    raise ImportRefused(
        where, f"the fake cannot import a {kind} value {value!r}", "remove the value from the JSON"
    )


def _create(mock: PyrusMock, task: Mapping[str, Any], form: Form | None, result: Imported) -> Task:
    backend = mock._backend
    wanted = task.get("id")
    author = _pid(result, task.get("author"))
    if author is None:
        raise ImportRefused("/task/author", "is missing: a task needs its author {id, ...}")
    approvals = (
        [
            [_pid(result, a.get("person")) or 0 for a in step or []]
            for step in task.get("approvals") or []
        ]
        if form is not None
        else None
    )
    values: dict[str | int, Any] = {}
    _write_values(task.get("fields"), result, "/task/fields", values)
    free = isinstance(wanted, int) and backend.find_task(wanted) is None
    try:
        created = with_id(
            backend.ids,
            "task",
            wanted,
            free,
            lambda: backend.create_task(
                author_id=author,
                form=form,
                fields=values or None,
                approvals=approvals,
                responsible_id=_pid(result, task.get("responsible")),
                text=str(task.get("text") or ""),
                subject=str(task.get("subject") or ""),
                formatted_text=str(task.get("formatted_text") or ""),
                participant_ids=[
                    p for p in (_pid(result, r) for r in task.get("participants") or []) if p
                ],
                due_date=task.get("due_date"),
                due=task.get("due"),
                duration=task.get("duration"),
                parent_task_id=task.get("parent_task_id") or None,
                emit=False,
            ),
        )
    except CommentRejected as exc:
        raise ImportRefused("/task/fields", f"the fake refuses these values: {exc}") from None
    except InvalidArgument as exc:
        raise ImportRefused("/task", str(exc)) from None
    _finish(mock, created, task, result)
    if isinstance(wanted, int):
        result.id_map[("task", wanted)] = created.id
        if created.id != wanted:
            result.notes.append(f"task {wanted} got the id {created.id}: the id was taken")
    result.tasks.append(created.id)
    return created


def _finish(mock: PyrusMock, t: Task, task: Mapping[str, Any], result: Imported) -> None:
    """Dates, approval choices, step, state and comments, as the JSON has them."""
    t.create_date = parse_timestamp(task.get("create_date")) or t.create_date
    t.last_modified_date = parse_timestamp(task.get("last_modified_date")) or t.create_date
    for group, step in zip(t.approvals, task.get("approvals") or [], strict=False):
        for approval, item in zip(group, step or [], strict=False):
            choice = item.get("approval_choice")
            if choice in _CHOICES:
                approval.choice = choice
    if isinstance(task.get("current_step"), int):
        t.current_step = task["current_step"]
        t.step_entered_at = {t.current_step: mock.clock.time()}
    t.is_closed = bool(task.get("is_closed"))
    t.close_date = parse_timestamp(task.get("close_date"))
    if t.is_closed and t.close_date is None:
        t.close_date = t.last_modified_date
    # The JSON's comments replace the creation comment the fake wrote (Pyrus lists its own).
    t.comments = [
        _comment(mock, c, result, f"/task/comments/{index}", t.create_date)
        for index, c in enumerate(task.get("comments") or [])
    ]
    for sub in task.get("subscribers") or []:
        pid = _pid(result, sub.get("person"))
        if pid is not None:
            from ..domain.model import Subscriber

            t.subscribers.append(Subscriber(pid, sub.get("approval_choice")))


_LEFT_OUT = object()


def _raw(kind: Any, value: Any, result: Imported) -> Any:
    """A field value as the fake keeps it (comments' field updates), or ``_LEFT_OUT``."""
    if kind in _SCALAR or value is None:
        return value
    if kind == "person" and isinstance(value, Mapping):
        return _pid(result, value)
    if kind == "catalog" and isinstance(value, Mapping):
        return value.get("item_ids") or [value.get("item_id")]
    if kind == "multiple_choice" and isinstance(value, Mapping):
        return value.get("choice_ids") or [value.get("choice_id")]
    if kind == "table" and isinstance(value, list):
        rows = []
        for index, row in enumerate(value):
            cells = {
                c["id"]: _raw(c.get("type"), c.get("value"), result)
                for c in row.get("cells") or []
                if isinstance(c.get("id"), int)
            }
            if any(v is _LEFT_OUT for v in cells.values()):
                return _LEFT_OUT
            rows.append(TableRow(row_id=row.get("row_id", index), cells=cells))
        return rows
    return _LEFT_OUT


def _comment(
    mock: PyrusMock, c: Mapping[str, Any], result: Imported, where: str, default: Any
) -> Comment:
    ids = mock._backend.ids
    wanted = c.get("id")
    comment_id = wanted if isinstance(wanted, int) and wanted > 0 else ids.next("comment")
    ids.at_least("comment", comment_id)
    updates: list[tuple[int, Any, int | None]] = []
    for f in c.get("field_updates") or []:
        raw = _raw(f.get("type"), f.get("value"), result)
        if raw is _LEFT_OUT:
            result.notes.append(f"{where}: the {f.get('type')} field update was left out")
            continue
        updates.append((f["id"], raw, None))
    return Comment(
        id=comment_id,
        create_date=parse_timestamp(c.get("create_date")) or default,
        author_id=_pid(result, c.get("author")) or 0,
        text=str(c.get("text") or ""),
        formatted_text=str(c.get("formatted_text") or ""),
        subject=str(c.get("subject") or ""),
        reassigned_to=_pid(result, c.get("reassigned_to")),
        field_updates=updates,
        approval_choice=c.get("approval_choice"),
        approval_step=c.get("approval_step"),
        changed_step=c.get("changed_step"),
        reset_to_step=c.get("reset_to_step"),
        action=c.get("action"),
        **_comment_lists(c, result),
    )


def _comment_lists(c: Mapping[str, Any], result: Imported) -> dict[str, Any]:
    """Who was added or removed as approver, subscriber or participant; lists; dates."""
    out: dict[str, Any] = {}
    for name in ("approvals_added", "approvals_removed", "approvals_rerequested"):
        rows = c.get(name) or []
        out[name] = [
            [p for p in (_pid(result, i.get("person")) for i in row or []) if p] for row in rows
        ]
    for name in (
        "subscribers_added",
        "subscribers_removed",
        "subscribers_rerequested",
        "participants_added",
        "participants_removed",
    ):
        out[name] = [p for p in (_pid(result, ref) for ref in c.get(name) or []) if p]
    for name in ("added_list_ids", "removed_list_ids", "mentions"):
        out[name] = [i for i in c.get(name) or [] if isinstance(i, int)]
    for name in (
        "due_date",
        "due",
        "duration",
        "scheduled_date",
        "scheduled_datetime_utc",
        "spent_minutes",
        "edit_comment_id",
        "channel",
    ):
        if c.get(name) is not None:
            out[name] = c[name]
    for name in (
        "cancel_due",
        "cancel_schedule",
        "skip_satisfaction",
        "skip_notification",
        "skip_auto_reopen",
    ):
        out[name] = bool(c.get(name))
    return out
