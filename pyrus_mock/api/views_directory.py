"""Directory views: forms, the register, members, profile, contacts, inbox.

Catalogs are in :mod:`.views_catalogs`, lists in :mod:`.views_lists`.

All of them only read, so each runs under ``backend.lock`` as a whole. Entities are rendered by
:mod:`pyrus_mock.state.serialize`; the views only assemble the response envelopes.
"""

from __future__ import annotations

from typing import Any

from ..domain.model import Person, Task
from ..state import serialize
from . import body, register, register_csv
from .call import Call, Reply
from .errors import ApiError

__all__ = [
    "get_contacts",
    "get_form",
    "get_forms",
    "get_inbox",
    "get_member",
    "get_members",
    "get_profile",
    "get_register",
]


# -- forms ---------------------------------------------------------------------------------------


def get_forms(call: Call) -> dict[str, Any]:
    """``GET /forms``: every form (form permissions are not modelled)."""
    with call.backend.lock:
        return {"forms": [serialize.form(f) for f in call.backend.forms()]}


def get_form(call: Call, form_id: int) -> dict[str, Any]:
    """``GET /forms/{id}``: the Form at the top level; 403 ``access_denied_form``."""
    with call.backend.lock:
        form = call.backend.find_form(form_id)
        if form is None:
            raise ApiError("access_denied_form", f"form {form_id} does not exist")
        return serialize.form(form)


def get_register(call: Call, form_id: int) -> Reply:
    """``GET|POST /forms/{id}/register``: ``{"tasks": [Task]}`` (see :mod:`.register`), or
    with ``format=csv`` the same tasks as ``text/csv`` (see :mod:`.register_csv`)."""
    params: dict[str, Any] = dict(call.request.args.items())
    if call.request.method == "POST":
        params.update(call.json(required=False))
    backend = call.backend
    with backend.lock:
        form = backend.find_form(form_id)
        if form is None:
            raise ApiError("access_denied_form", f"form {form_id} does not exist")
        tasks, field_ids = register.select(
            form, backend.tasks(), call.me, backend.can_see, params, backend.now()
        )
        if str(params.get("format") or "json").lower() == "csv":
            return register_csv.render(
                backend,
                form,
                tasks,
                field_ids,
                params,
                files_url=call.files_url,
                creation_date_format=backend.settings.creation_date_format,
            )
        rendered = []
        for task in tasks:
            data = serialize.task(
                backend,
                task,
                comments=False,
                files_url=call.files_url,
                creation_date_format=backend.settings.creation_date_format,
            )
            if field_ids is not None and "fields" in data:
                keep = set(field_ids)
                data["fields"] = [f for f in data["fields"] if f.get("id") in keep]
            rendered.append(data)
        return {"tasks": rendered}


# -- persons -------------------------------------------------------------------------------------


def _members(call: Call, include_inactive: bool) -> list[Person]:
    return [
        p for p in call.backend.persons() if p.type != "role" and (include_inactive or not p.fired)
    ]


def _organization(call: Call, include_inactive: bool) -> dict[str, Any]:
    org = call.backend.organisation
    roles = [p for p in call.backend.persons() if p.type == "role"]
    data: dict[str, Any] = {
        "organization_id": org.id,
        "name": org.name,
        "persons": [serialize.person(p, full=True) for p in _members(call, include_inactive)],
    }
    if roles:
        data["roles"] = [serialize.role(r) for r in roles]
    return data


def get_members(call: Call) -> dict[str, Any]:
    """``GET /members[?include_fired=true]``: the users and bots of the organisation.

    Fired persons (deleted bots among them) are listed, flagged ``fired``, only with
    ``include_fired`` (the C# client sends ``True``/``False``, the TypeScript one
    ``true``/``false``; the Python client sends nothing, so it sees active members only).
    """
    fired = body.query_bool(call.arg("include_fired"), "include_fired")
    with call.backend.lock:
        return {"members": [serialize.person(p, full=True) for p in _members(call, fired)]}


def get_member(call: Call, member_id: int) -> dict[str, Any]:
    """``GET /members/{id}``: the Person at the top level; 403 ``access_denied_person``."""
    with call.backend.lock:
        person = call.backend.find_person(member_id)
        if person is None or person.type == "role":
            raise ApiError("access_denied_person", f"person {member_id} does not exist")
        return serialize.person(person, full=True)


def get_profile(call: Call) -> dict[str, Any]:
    """``GET /profile[?withinactive=|include_inactive=]``: the caller and its organisation."""
    inactive = body.query_bool(
        call.arg("withinactive") or call.arg("include_inactive"), "withinactive"
    )
    me = call.me
    with call.backend.lock:
        data: dict[str, Any] = {"person_id": me.id}
        for key, value in serialize.person(me).items():
            if key in ("first_name", "last_name", "email"):
                data[key] = value
        data["locale"] = me.locale
        data["timezone_offset"] = me.timezone_offset
        data["organization_id"] = call.backend.organisation.id
        data["organization"] = _organization(call, inactive)
        return data


def get_contacts(call: Call) -> dict[str, Any]:
    """``GET /contacts[?include_inactive=]``: ``{"organizations": [Organization]}``."""
    inactive = body.query_bool(call.arg("include_inactive"), "include_inactive")
    with call.backend.lock:
        return {"organizations": [_organization(call, inactive)]}


# -- inbox ---------------------------------------------------------------------------------------


def get_inbox(call: Call) -> dict[str, Any]:
    """``GET /inbox[?item_count=50&group_item_count=50]``: open tasks waiting for the caller
    (responsible, or an approver of the current step who has not answered).

    Tasks of a form added with ``inbox_group=True`` are not among ``tasks``: they form one
    TaskGroup per such form in ``task_groups`` (``id`` and ``name`` of the form, its waiting
    tasks, at most ``group_item_count`` of them, and ``has_more``). Every other waiting task is
    in ``tasks``, at most ``item_count`` of them. Both counts default to 50 as the official
    clients send them; ``task_groups`` is always present (``[]`` when no group has a task).
    """
    count = body.query_int(call.arg("item_count"), "item_count", 50)
    group_count = body.query_int(call.arg("group_item_count"), "group_item_count", 50)
    backend = call.backend
    me = call.me
    with backend.lock:
        loose: list[Task] = []
        groups: dict[int, list[Task]] = {}
        for task in backend.tasks():
            if me.id not in backend.inbox_ids(task):
                continue
            form = backend.find_form(task.form_id) if task.form_id else None
            if form is not None and form.inbox_group:
                groups.setdefault(form.id, []).append(task)
            else:
                loose.append(task)
        chosen = loose[: max(count, 0)]
        task_groups = []
        for form_id, waiting in groups.items():
            form = backend.find_form(form_id)
            shown = waiting[: max(group_count, 0)]
            task_groups.append(
                {
                    "id": form_id,
                    "name": form.name if form is not None else "",
                    "has_more": len(waiting) > len(shown),
                    "tasks": [serialize.task_header(backend, t) for t in shown],
                }
            )
        return {
            "tasks": [serialize.task_header(backend, t) for t in chosen],
            "has_more": len(loose) > len(chosen),
            "task_groups": task_groups,
        }
