"""Roles (CS ``PyrusClient.cs`` GetRoles..DeleteRoles; PY ``get_roles``..``delete_role``).

A role is a person of type ``role`` (:class:`~pyrus_mock.domain.model.Person` with ``member_ids``):
the comment engine already lets its members approve for it and comment as it. Reading roles
needs no right; creating, changing and deleting them needs ``Rights.MANAGE_ROLES`` (the
"Organization manager" preset), else 403 ``access_denied``.

``/roles/bulk`` takes a JSON array (POST: CreateRoleRequest[], PUT: UpdateRoleRequest[] with
``id``, DELETE: ``[{id, task_receiver_id}]``) and answers ``{"roles": [Role]}``; every element
is checked before any is applied, so a refused bulk request changes nothing. Members Pyrus
does not know are ignored, as everywhere in the API (the official Python client's
``UpdateRoleRequest`` sends removals as ``memebr_remove``, which is therefore ignored too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..domain.model import Person, Rights
from ..state import serialize_directory
from . import body
from ._admin import (
    active_person,
    check_receiver,
    fire_and_hand_over,
    get_int32,
    item_object,
    json_array,
    require_right,
)
from .call import Call
from .errors import ApiError

if TYPE_CHECKING:
    from ..state.events import TaskEvent

__all__ = [
    "create_role",
    "create_roles",
    "delete_role",
    "delete_roles",
    "get_role",
    "get_roles",
    "update_role",
    "update_roles",
]

_WHAT = "managing roles"


def _role_or_403(call: Call, role_id: int, path: str = "") -> Person:
    role = call.backend.org.find_role(role_id)
    if role is None:
        where = f"{path}: " if path else ""
        raise ApiError("access_denied_person", f"{where}role {role_id} does not exist")
    return role


def _member_ids(call: Call, data: dict[str, Any], key: str, path: str) -> list[int]:
    ids = body.get_int_list(data, key, path=path) or []
    for index, person_id in enumerate(ids):
        active_person(call, person_id, f"{path}/{key}/{index}")
    return ids


def _name(data: dict[str, Any], path: str, *, required: bool) -> str | None:
    name = body.get_str(data, "name", path=path)
    if (name is None and required) or (name is not None and not name.strip()):
        raise ApiError("required_parameter_missing", f"{path}/name: a role needs a name")
    return name


# -- read ------------------------------------------------------------------------------------


def get_roles(call: Call) -> dict[str, Any]:
    """``GET /roles[?include_fired=True]``: ``{"roles": [Role]}``."""
    fired = body.query_bool(call.arg("include_fired"), "include_fired")
    with call.backend.lock:
        return {
            "roles": [
                serialize_directory.role(r) for r in call.backend.org.roles(include_fired=fired)
            ]
        }


def get_role(call: Call, role_id: int) -> dict[str, Any]:
    """``GET /roles/{id}``: the Role at the top level; 403 ``access_denied_person``."""
    with call.backend.lock:
        return serialize_directory.role(_role_or_403(call, role_id))


# -- create ----------------------------------------------------------------------------------

_Apply = Callable[[], Person]


def _plan_create(call: Call, data: dict[str, Any], path: str) -> _Apply:
    name = _name(data, path, required=True)
    assert name is not None
    external_id = body.get_str(data, "external_id", path=path) or ""
    members = _member_ids(call, data, "member_add", path)
    return lambda: call.backend.org.create_role(name, members, external_id)


def create_role(call: Call) -> dict[str, Any]:
    """``POST /roles`` ``{name, external_id?, member_add?}``: the new Role."""
    require_right(call, Rights.MANAGE_ROLES, _WHAT)
    data = call.json()
    with call.backend.lock:
        return serialize_directory.role(_plan_create(call, data, "")())


def _bulk(call: Call, plan: Callable[[Call, dict[str, Any], str], _Apply]) -> dict[str, Any]:
    require_right(call, Rights.MANAGE_ROLES, _WHAT)
    items = json_array(call)
    with call.backend.lock:
        steps = [plan(call, item_object(item, f"/{i}"), f"/{i}") for i, item in enumerate(items)]
        return {"roles": [serialize_directory.role(step()) for step in steps]}


def create_roles(call: Call) -> dict[str, Any]:
    """``POST /roles/bulk`` ``[CreateRoleRequest]``: ``{"roles": [Role]}``."""
    return _bulk(call, _plan_create)


# -- update ----------------------------------------------------------------------------------


def _plan_update(call: Call, data: dict[str, Any], path: str, role_id: int | None) -> _Apply:
    if role_id is None:
        role_id = get_int32(data, "id", path=path)
        if role_id is None:
            raise ApiError("required_parameter_missing", f"{path}/id: give the role's id")
    role = _role_or_403(call, role_id, f"{path}/id" if path else "")
    name = _name(data, path, required=False)
    external_id = body.get_str(data, "external_id", path=path)
    banned = body.get_bool(data, "banned", path=path)
    add = _member_ids(call, data, "member_add", path)
    remove = body.get_int_list(data, "member_remove", path=path) or []
    return lambda: call.backend.org.update_role(
        role, name=name, external_id=external_id, banned=banned, add=add, remove=remove
    )


def update_role(call: Call, role_id: int) -> dict[str, Any]:
    """``PUT /roles/{id}`` ``{name?, external_id?, banned?, member_add?, member_remove?}``."""
    require_right(call, Rights.MANAGE_ROLES, _WHAT)
    data = call.json()
    with call.backend.lock:
        return serialize_directory.role(_plan_update(call, data, "", role_id)())


def update_roles(call: Call) -> dict[str, Any]:
    """``PUT /roles/bulk`` ``[UpdateRoleRequest]`` (each with ``id``): ``{"roles": [Role]}``."""
    return _bulk(call, lambda c, d, p: _plan_update(c, d, p, None))


# -- delete ----------------------------------------------------------------------------------


def _plan_delete(call: Call, data: dict[str, Any], path: str, role_id: int | None,
                 events: list[TaskEvent]) -> _Apply:  # fmt: skip
    if role_id is None:
        role_id = get_int32(data, "id", path=path)
        if role_id is None:
            raise ApiError("required_parameter_missing", f"{path}/id: give the role's id")
    role = _role_or_403(call, role_id, f"{path}/id" if path else "")
    receiver = get_int32(data, "task_receiver_id", path=path)
    if receiver:  # the C# client sends 0 for "nobody"
        check_receiver(call, receiver, role.id, f"{path}/task_receiver_id")
    return fire_and_hand_over(call, role, receiver, events)


def delete_role(call: Call, role_id: int) -> dict[str, Any]:
    """``DELETE /roles/{id}`` ``{task_receiver_id?}``: the role is deleted (``fired``).

    With ``task_receiver_id`` (an active user or bot) the role's open tasks go to that person
    (responsible, waiting approvals, a participant; :mod:`pyrus_mock.engine.handover`).
    Absent or ``0``: the tasks stay with the role.
    """
    require_right(call, Rights.MANAGE_ROLES, _WHAT)
    data = call.json(required=False)
    events: list[TaskEvent] = []
    with call.backend.lock:
        reply = serialize_directory.role(_plan_delete(call, data, "", role_id, events)())
    call.backend.announce(events)
    return reply


def delete_roles(call: Call) -> dict[str, Any]:
    """``DELETE /roles/bulk`` ``[{id, task_receiver_id}]``: ``{"roles": [Role]}``; each
    role's tasks go to its receiver as for ``DELETE /roles/{id}``."""
    events: list[TaskEvent] = []
    reply = _bulk(call, lambda c, d, p: _plan_delete(c, d, p, None, events))
    call.backend.announce(events)
    return reply
