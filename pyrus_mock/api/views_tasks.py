"""Task views: read a task, comment on it, create one (contract §4, §7).

Views parse, call the backend, and serialise through :mod:`pyrus_mock.state.serialize`. Reads and
serialisation happen under ``backend.lock``; the backend's mutating calls (``comment``,
``create_task``) take the lock themselves and notify bots after releasing it, so a view never
holds the lock across them (a bot answering synchronously may call this API back).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.errors import CommentRejected
from ..domain.model import Form
from . import body
from .call import Call
from .errors import ApiError
from .refs import file_ids, person_id, person_ids, rejected

__all__ = ["comment_task", "create_task", "get_task"]


def get_task(call: Call, task_id: int) -> dict[str, Any]:
    """``GET /tasks/{id}``: ``{"task": TaskWithComments}``; 403 ``access_denied_task``."""
    with call.backend.lock:
        return {"task": call.task_json(call.visible_task(task_id))}


def comment_task(call: Call, task_id: int) -> dict[str, Any]:
    """``POST /tasks/{id}/comments``: apply a CreateComment as the caller.

    A refused request answers 400 (403 for ``access_denied_*`` codes) with the first error's
    code, every problem in ``error``, and all of them in ``violations``. Warnings do not fail
    the request.
    """
    request = call.json()
    backend = call.backend
    with backend.lock:
        task = call.visible_task(task_id)
    try:
        backend.comment(task, request, call.me)
    except CommentRejected as exc:
        raise rejected(exc.violations) from None
    with backend.lock:
        return {"task": call.task_json(task)}


def _fields(data: dict[str, Any]) -> dict[str | int, Any] | None:
    """``fields: [{id|code|name, value}]`` as the ``{key: value}`` the backend takes."""
    items = body.get_list(data, "fields")
    if items is None:
        return None
    out: dict[str | int, Any] = {}
    for index, item in enumerate(items):
        path = f"/fields/{index}"
        if not isinstance(item, dict):
            raise ApiError("invalid_json", f"{path} must be an object, got {body.type_name(item)}")
        key: str | int | None = body.get_int(item, "id", path=path)
        if key is None:
            key = body.get_str(item, "code", path=path) or body.get_str(item, "name", path=path)
        if key is None:
            raise ApiError("field_identity_missing", f"{path}: give the field's id, code or name")
        if key in out:
            raise ApiError("duplicate_field", f"{path}: field {key!r} is given twice")
        out[key] = item.get("value")
    return out


def _with_defaults(form: Form, fields: dict[str | int, Any] | None) -> dict[str | int, Any]:
    """``fields`` plus the form's default values (``FieldDef.default``) of the fields they do
    not name (by id, code or name, as the engine resolves keys)."""
    out: dict[str | int, Any] = dict(fields or {})
    named: set[int] = set()
    for key in out:
        for fd in form.by_id.values():
            if key == fd.id or (isinstance(key, str) and key in (fd.code, fd.name, str(fd.id))):
                named.add(fd.id)
    for fd in form.all_fields():
        if fd.default is not None and fd.id not in named:
            out[fd.id] = fd.default
    return out


def _dates(
    data: dict[str, Any], max_minutes: int, now: datetime
) -> tuple[str | None, str | None, int | None, str | None, str | None]:
    """``due_date``, ``due``, ``duration``, ``scheduled_date`` and ``scheduled_datetime_utc``,
    checked by the rules CreateComment uses (``engine.common``; D11, §5.2). Empty means absent.
    """
    from ..engine.common import DATE_SHAPES, duration_problem, parse_moment, schedule_problem

    given = {key: body.get_str(data, key) or None for key in DATE_SHAPES}
    for key in ("due_date", "due"):
        value = given[key]
        if value is not None and parse_moment(key, value) is None:
            raise ApiError(
                "invalid_value_format", f"/{key}: {value[:40]!r} is not {DATE_SHAPES[key]}"
            )
    due_date, due = given["due_date"], given["due"]
    if due_date and due:
        raise ApiError("either_due_date_or_due_can_be_set", "give due_date or due, not both")
    duration = body.get_int(data, "duration")
    if duration is not None:
        if not due:
            raise ApiError("due_missing", "duration needs due")
        problem = duration_problem(duration, max_minutes)
        if problem is not None:
            raise ApiError(*problem)
    day, moment = given["scheduled_date"], given["scheduled_datetime_utc"]
    if day is not None and moment is not None:
        raise ApiError(
            "invalid_value_format", "give either scheduled_date or scheduled_datetime_utc, not both"
        )
    for key in ("scheduled_date", "scheduled_datetime_utc"):
        if given[key] is not None and (problem := schedule_problem(key, given[key], now)):
            raise ApiError(problem[0], f"/{key}: {problem[1]}")
    return due_date, due, duration, day, moment


def create_task(call: Call) -> dict[str, Any]:
    """``POST /tasks``: create a simple or form task as the caller; ``{"task": ...}``.

    Accepted members: ``text`` or ``formatted_text``, ``subject``, ``form_id``, ``fields``
    (``[{id|code|name, value}]``), ``approvals`` (``[[person ref]]``, form tasks),
    ``responsible``, ``participants``, ``subscribers``, ``due_date`` / ``due`` + ``duration``,
    ``scheduled_date`` / ``scheduled_datetime_utc``, ``list_ids``, ``parent_task_id``,
    ``attachments`` (guids or NewFile objects). ``fill_defaults: true`` writes the form's
    default values (``default`` of :meth:`PyrusMock.add_form` fields) into the fields the
    request gives no value, through the same checks as given values.
    The new task's first comment records its creation (:mod:`pyrus_mock.engine.creation`).
    """
    data = call.json()
    backend = call.backend
    me = call.me
    text = body.get_str(data, "text") or ""
    formatted_text = body.get_str(data, "formatted_text") or ""
    if text and formatted_text:
        raise ApiError(
            "both_text_and_formatted_text_specified", "give text or formatted_text, not both"
        )
    from ..engine.common import text_problem  # the engine loads on first use

    for key, value in (("text", text), ("formatted_text", formatted_text)):
        problem = text_problem(key, value, backend.settings.max_comment_text_length)
        if problem is not None:
            raise ApiError(*problem)
    subject = body.get_str(data, "subject") or ""
    form_id = body.get_int(data, "form_id")
    fields = _fields(data)
    fill_defaults = body.get_bool(data, "fill_defaults") or False
    approvals_raw = body.get_list(data, "approvals")
    due_date, due, duration, scheduled_date, scheduled_datetime_utc = _dates(
        data, backend.settings.max_duration_minutes, backend.now()
    )
    list_ids = body.get_int_list(data, "list_ids") or []
    parent_task_id = body.get_int(data, "parent_task_id")
    participants = body.get_list(data, "participants")
    subscribers = body.get_list(data, "subscribers")
    attachments = body.get_list(data, "attachments")
    with backend.lock:
        form: Form | None = None
        if form_id is not None:
            form = backend.find_form(form_id)
            if form is None:
                raise ApiError("access_denied_form", f"form {form_id} does not exist")
            if fill_defaults:
                fields = _with_defaults(form, fields)
        else:
            if not text.strip() and not formatted_text.strip() and not subject.strip():
                raise ApiError(
                    "text_missing", "a task without a form needs text, formatted_text or subject"
                )
            if fields:
                raise ApiError("task_has_no_form", "fields need form_id")
            if approvals_raw:
                raise ApiError("task_has_no_form", "approvals need form_id (a form task)")
        approvals = None
        if approvals_raw is not None:
            approvals = []
            for step, group in enumerate(approvals_raw):
                if not isinstance(group, list):
                    raise ApiError("invalid_json", f"/approvals/{step} must be an array")
                approvals.append(person_ids(backend, group, f"/approvals/{step}"))
        responsible = data.get("responsible")
        responsible_id = (
            None if responsible is None else person_id(backend, responsible, "/responsible")
        )
        for index, list_id in enumerate(list_ids):
            if not backend.list_exists(list_id):
                raise ApiError("access_denied_project", f"/list_ids/{index}: no list {list_id}")
        if parent_task_id is not None:
            call.visible_task(parent_task_id)
        participant_ids = person_ids(backend, participants, "/participants")
        subscriber_ids = person_ids(backend, subscribers, "/subscribers")
        attachment_ids = file_ids(backend, attachments, "/attachments", me.id)
    try:
        task = backend.create_task(
            author_id=me.id,
            form=form,
            fields=fields,
            approvals=approvals,
            responsible_id=responsible_id,
            text=text,
            formatted_text=formatted_text,
            subject=subject,
            participant_ids=participant_ids,
            subscriber_ids=subscriber_ids,
            due_date=due_date,
            due=due,
            duration=duration,
            scheduled_date=scheduled_date,
            scheduled_datetime_utc=scheduled_datetime_utc,
            list_ids=list_ids,
            parent_task_id=parent_task_id,
            attachment_ids=attachment_ids,
            as_author=True,
        )
    except CommentRejected as exc:
        raise rejected(exc.violations) from None
    with backend.lock:
        return {"task": call.task_json(task)}
