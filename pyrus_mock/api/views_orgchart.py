"""The org chart and the caller's identity (CS ``PyrusClient.cs`` GetOrgChart,
Create/Update/DeleteDepartment(s), GetIdentity; the other clients have none of them).

The C# client's verbs: ``PUT /orgchart[/bulk]`` creates, ``POST /orgchart/{id}`` and
``POST /orgchart/bulk`` update, ``DELETE /orgchart/{id}`` (no body) and ``DELETE
/orgchart/bulk`` (``[{id}]``) delete. Reading needs no right; changing needs
``Rights.MANAGE_PERSONS_IN_ORGANIZATION`` (the "Organization manager" preset), else 403
``access_denied``. An unknown department, a parent that would close a loop, and deleting a
department that still has sub-departments answer 400 ``invalid_department``. Bulk requests
are checked whole before anything changes. Deleting a department drops it from its members.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..domain.model import Rights
from ..domain.orgchart import Department, department_json
from . import body
from ._admin import active_person, get_int32, item_object, json_array, require_right
from .call import Call
from .errors import ApiError

__all__ = [
    "create_department",
    "create_departments",
    "delete_department",
    "delete_departments",
    "get_identity",
    "get_orgchart",
    "update_department",
    "update_departments",
]

_WHAT = "changing the org chart"
_RIGHT = Rights.MANAGE_PERSONS_IN_ORGANIZATION

_Apply = Callable[[], Department]
#: Department id -> parent id, as it will be once a request is applied.
_Parents = dict[int, int | None]


def get_identity(call: Call) -> dict[str, Any]:
    """``GET /profile/identity``: ``{email, organization_id}`` of the caller (a bot's e-mail is
    its login)."""
    with call.backend.lock:
        return {"email": call.me.email, "organization_id": call.backend.organisation.id}


def get_orgchart(call: Call) -> dict[str, Any]:
    """``GET /orgchart``: ``{"departments": [Department]}``."""
    with call.backend.lock:
        return {"departments": [department_json(d) for d in call.backend.org.departments()]}


def _department(call: Call, department_id: int, path: str) -> Department:
    found = call.backend.org.find_department(department_id)
    if found is None:
        raise ApiError("invalid_department", f"{path or '/'}: no department {department_id}")
    return found


def _common(call: Call, data: dict[str, Any], path: str) -> dict[str, Any]:
    """``name``, ``parent_id``, ``manager_id``, ``external_id`` the request sets."""
    changes: dict[str, Any] = {}
    name = body.get_str(data, "department_name", path=path)
    if name is not None:
        if not name.strip():
            raise ApiError(
                "required_parameter_missing", f"{path}/department_name: give a non-empty name"
            )
        changes["name"] = name
    parent_id = body.get_int(data, "parent_id", path=path)
    if parent_id is not None:
        changes["parent_id"] = _department(call, parent_id, f"{path}/parent_id").id
    manager_id = get_int32(data, "manager_id", path=path)
    if manager_id is not None:
        changes["manager_id"] = active_person(call, manager_id, f"{path}/manager_id").id
    external_id = body.get_int(data, "external_id", path=path)
    if external_id is not None:
        changes["external_id"] = external_id
    return changes


def _loops(parents: _Parents, start: int) -> bool:
    seen: set[int] = set()
    current: int | None = parents.get(start)
    while current is not None and current not in seen:
        if current == start:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def _parents(call: Call) -> _Parents:
    return {d.id: d.parent_id for d in call.backend.org.departments()}


# -- create ----------------------------------------------------------------------------------


def _plan_create(call: Call, data: dict[str, Any], path: str) -> _Apply:
    changes = _common(call, data, path)
    name = changes.pop("name", None)
    if name is None:
        raise ApiError(
            "required_parameter_missing", f"{path}/department_name: a department needs a name"
        )
    return lambda: call.backend.org.create_department(name, **changes)


def create_department(call: Call) -> dict[str, Any]:
    """``PUT /orgchart`` CreateDepartmentRequest: the Department at the top level."""
    require_right(call, _RIGHT, _WHAT)
    data = call.json()
    with call.backend.lock:
        return department_json(_plan_create(call, data, "")())


def create_departments(call: Call) -> dict[str, Any]:
    """``PUT /orgchart/bulk`` ``[CreateDepartmentRequest]``: ``{"departments": [...]}``."""
    require_right(call, _RIGHT, _WHAT)
    items = json_array(call)
    with call.backend.lock:
        steps = [_plan_create(call, item_object(x, f"/{i}"), f"/{i}") for i, x in enumerate(items)]
        return {"departments": [department_json(step()) for step in steps]}


# -- update ----------------------------------------------------------------------------------


def _plan_update(
    call: Call, data: dict[str, Any], path: str, department_id: int | None, parents: _Parents
) -> _Apply:
    if department_id is None:
        department_id = body.get_int(data, "id", path=path)
        if department_id is None:
            raise ApiError("required_parameter_missing", f"{path}/id: give the department's id")
    department = _department(call, department_id, f"{path}/id" if path else "")
    changes = _common(call, data, path)
    if body.get_bool(data, "remove_manager", path=path):
        changes["manager_id"] = None
    if "parent_id" in changes:
        parents[department.id] = changes["parent_id"]
        if _loops(parents, department.id):
            raise ApiError(
                "invalid_department",
                f"{path}/parent_id: department {changes['parent_id']} is {department.id} itself "
                "or below it",
            )
    return lambda: call.backend.org.update_department(department, changes)


def update_department(call: Call, department_id: int) -> dict[str, Any]:
    """``POST /orgchart/{id}`` UpdateDepartmentRequest (``remove_manager`` drops the
    manager): the Department at the top level."""
    require_right(call, _RIGHT, _WHAT)
    data = call.json()
    with call.backend.lock:
        return department_json(_plan_update(call, data, "", department_id, _parents(call))())


def update_departments(call: Call) -> dict[str, Any]:
    """``POST /orgchart/bulk`` ``[UpdateDepartmentRequest]`` (each with ``id``)."""
    require_right(call, _RIGHT, _WHAT)
    items = json_array(call)
    with call.backend.lock:
        parents = _parents(call)
        steps = [
            _plan_update(call, item_object(x, f"/{i}"), f"/{i}", None, parents)
            for i, x in enumerate(items)
        ]
        return {"departments": [department_json(step()) for step in steps]}


# -- delete ----------------------------------------------------------------------------------


def _delete(call: Call, targets: list[tuple[int, str]]) -> dict[str, Any]:
    backend = call.backend
    departments = [_department(call, department_id, path) for department_id, path in targets]
    doomed = {d.id for d in departments}
    for department, (_, path) in zip(departments, targets, strict=True):
        children = [
            d.id
            for d in backend.org.departments()
            if d.parent_id == department.id and d.id not in doomed
        ]
        if children:
            raise ApiError(
                "invalid_department",
                f"{path or '/'}: department {department.id} has sub-departments {children}; "
                "delete or move them first",
            )
    for department in departments:
        if backend.org.find_department(department.id) is not None:
            backend.org.delete_department(department)
    return {}


def delete_department(call: Call, department_id: int) -> dict[str, Any]:
    """``DELETE /orgchart/{id}`` (no body): ``{}``."""
    require_right(call, _RIGHT, _WHAT)
    with call.backend.lock:
        return _delete(call, [(department_id, "")])


def delete_departments(call: Call) -> dict[str, Any]:
    """``DELETE /orgchart/bulk`` ``[{id}]``: ``{}``."""
    require_right(call, _RIGHT, _WHAT)
    items = json_array(call)
    with call.backend.lock:
        targets: list[tuple[int, str]] = []
        for i, raw in enumerate(items):
            department_id = body.get_int(item_object(raw, f"/{i}"), "id", path=f"/{i}")
            if department_id is None:
                raise ApiError("required_parameter_missing", f"/{i}/id: give the department's id")
            targets.append((department_id, f"/{i}/id"))
        return _delete(call, targets)
