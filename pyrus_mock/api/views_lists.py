"""List (project) views: read, create, update, delete, their bulk forms, and the tasks of a list.

Every list answers as a TaskList (C# ``Entities/PlainTaskList.cs``): ``deleted``, ``list_type``,
``manager_ids`` and ``version`` always present. A member sees the organisation-wide lists and
the private ones they manage or belong to. Changing or deleting a list takes being one of its
managers or the ``EDIT_ORGANIZATION_PROJECTS`` right; whoever creates a list manages it. Unknown,
invisible and (for changes) deleted lists answer 403 ``access_denied_project``.

Deleting a list deletes its sub-lists too; deleted lists stay readable with ``with_deleted=True``
and tasks keep naming them, but no task can be added to them any more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..domain.model import Person, Rights, TaskList
from ..state import serialize
from . import body, refs
from .call import Call
from .errors import ApiError

__all__ = [
    "create_list",
    "create_lists",
    "delete_list",
    "delete_lists",
    "get_list",
    "get_list_tasks",
    "get_lists",
    "update_list",
    "update_lists",
]

_LIST_TYPES = ("private", "org_wide")


def _visible(me: Person, lst: TaskList) -> bool:
    public = lst.list_type == "org_wide" and not lst.is_private
    return public or me.id in lst.manager_ids or me.id in lst.member_ids


def _shown(call: Call, with_deleted: bool) -> list[TaskList]:
    me = call.me
    return [
        lst
        for lst in call.backend.lists()
        if (with_deleted or not lst.deleted) and _visible(me, lst)
    ]


def _tree(lists: list[TaskList], parent: int | None) -> list[dict[str, Any]]:
    """TaskLists nested by parent (``children`` omitted when empty)."""
    out = []
    for lst in lists:
        if lst.parent_id == parent:
            data = serialize.task_list(lst)
            children = _tree(lists, lst.id)
            if children:
                data["children"] = children
            out.append(data)
    return out


def _flags(call: Call) -> tuple[bool, bool]:
    """``with_forms`` and ``with_deleted`` (the C# client always sends both)."""
    with_forms = body.query_bool(call.arg("with_forms"), "with_forms")
    return with_forms, body.query_bool(call.arg("with_deleted"), "with_deleted")


def get_lists(call: Call) -> dict[str, Any]:
    """``GET /lists[?with_forms=&with_deleted=]``: the lists the caller sees, nested.

    Lists of forms are not modelled, so ``with_forms`` changes nothing; a list whose parent is
    not shown appears at the top level.
    """
    _, with_deleted = _flags(call)
    with call.backend.lock:
        shown = _shown(call, with_deleted)
        ids = {lst.id for lst in shown}
        roots = [lst for lst in shown if lst.parent_id is None or lst.parent_id not in ids]
        out = []
        for root in roots:
            data = serialize.task_list(root)
            children = _tree(shown, root.id)
            if children:
                data["children"] = children
            out.append(data)
        return {"lists": out}


def _find(call: Call, list_id: int, with_deleted: bool, where: str = "") -> TaskList:
    lst = call.backend.find_list(list_id)
    if lst is None or not _visible(call.me, lst):
        raise ApiError("access_denied_project", f"{where}list {list_id} does not exist")
    if lst.deleted and not with_deleted:
        raise ApiError(
            "access_denied_project",
            f"{where}list {list_id} is deleted"
            + (" (read it with with_deleted=True)" if not where else ""),
        )
    return lst


def get_list(call: Call, list_id: int) -> dict[str, Any]:
    """``GET /lists/{id}[?with_forms=&with_deleted=]``: the TaskList with its ``children``."""
    _, with_deleted = _flags(call)
    with call.backend.lock:
        lst = _find(call, list_id, with_deleted)
        data = serialize.task_list(lst)
        children = _tree(_shown(call, with_deleted), lst.id)
        if children:
            data["children"] = children
        return data


def get_list_tasks(call: Call, list_id: int) -> dict[str, Any]:
    """``GET|POST /lists/{id}/tasks``: the caller's visible tasks in the list, as headers.

    Filters: ``item_count`` (default 200) and ``include_archived`` (``"y"``), in the query
    string or the JSON body.
    """
    params: dict[str, Any] = dict(call.request.args.items())
    if call.request.method == "POST":
        params.update(call.json(required=False))
    count_raw = params.get("item_count", 200)
    if isinstance(count_raw, bool) or not isinstance(count_raw, (int, str)):
        raise ApiError("invalid_json", "item_count must be an integer")
    count = body.query_int(str(count_raw), "item_count", 200)
    archived_raw = params.get("include_archived")
    archived = archived_raw is True or (
        isinstance(archived_raw, str) and body.query_bool(archived_raw, "include_archived")
    )
    backend = call.backend
    me = call.me
    with backend.lock:
        if not backend.list_exists(list_id):
            raise ApiError("access_denied_project", f"list {list_id} does not exist")
        found = [
            t
            for t in backend.tasks()
            if list_id in t.list_ids and (archived or not t.is_closed) and backend.can_see(me, t)
        ]
        chosen = found[: max(count, 0)]
        return {
            "tasks": [serialize.task_header(backend, t) for t in chosen],
            "has_more": len(found) > len(chosen),
        }


# -- changing ------------------------------------------------------------------------------------


def _editable(call: Call, list_id: int, where: str = "") -> TaskList:
    """The list when the caller may change it (call under the lock); 403 otherwise."""
    lst = _find(call, list_id, False, where)
    me = call.me
    if me.id not in lst.manager_ids and not me.has_right(Rights.EDIT_ORGANIZATION_PROJECTS):
        raise ApiError(
            "access_denied_project",
            f"{where}person {me.id} may not change list {list_id}: that takes being one of its "
            "managers or the EDIT_ORGANIZATION_PROJECTS right",
        )
    return lst


def _common(call: Call, data: Mapping[str, Any], path: str) -> dict[str, Any]:
    """The members CreateListRequest and UpdateListRequest share, checked, as TaskList
    attribute changes (absent or null members are left out)."""
    changes: dict[str, Any] = {}
    name = body.get_str(data, "name", path=path)
    if name is not None:
        if not name.strip():
            raise ApiError("invalid_value_format", f"{path}/name: a list needs a non-empty name")
        changes["name"] = name
    color = body.get_str(data, "color", path=path)
    if color is not None:
        changes["color"] = color
    list_type = body.get_str(data, "list_type", path=path)
    if list_type is not None:
        if list_type not in _LIST_TYPES:
            raise ApiError(
                "invalid_value_format",
                f'{path}/list_type: {list_type!r}; use "private" or "org_wide"',
            )
        changes["list_type"] = list_type
    for key in ("external_id", "external_version"):
        value = body.get_int(data, key, path=path)
        if value is not None:
            changes[key] = value
    private = body.get_bool(data, "is_private", path=path)
    if private is not None:
        changes["is_private"] = private
    return changes


def _people(call: Call, data: Mapping[str, Any], key: str, path: str) -> list[int]:
    ids = body.get_int_list(data, key, path=path)
    return refs.person_ids(call.backend, ids, f"{path}/{key}")


def _merge(current: list[int], added: list[int], removed: list[int]) -> list[int]:
    kept = [p for p in current if p not in removed]
    return kept + [p for p in dict.fromkeys(added) if p not in kept]


def _new_list(call: Call, data: Mapping[str, Any], path: str) -> dict[str, Any]:
    """A checked CreateListRequest as ``add_list`` arguments."""
    changes = _common(call, data, path)
    if "name" not in changes:
        raise ApiError("required_parameter_missing", f"{path}/name: a list needs a name")
    parent = body.get_int(data, "parent_id", path=path)
    if parent is not None:
        _find(call, parent, False, f"{path}/parent_id: ")
    me = call.me.id
    changes["parent_id"] = parent
    changes["manager_ids"] = _merge([me], _people(call, data, "added_managers", path), [])
    changes["member_ids"] = _merge([], _people(call, data, "added_members", path), [])
    return changes


def _create(call: Call, changes: dict[str, Any]) -> TaskList:
    name = changes.pop("name")
    parent = changes.pop("parent_id")
    return call.backend.add_list(name, parent, **changes)


def create_list(call: Call) -> dict[str, Any]:
    """``PUT /lists`` CreateListRequest ``{name, parent_id?, color?, list_type?, added_managers?,
    added_members?, external_id?, external_version?, is_private?}``: the new PlainTaskList."""
    data = call.json()
    with call.backend.lock:
        return serialize.task_list(_create(call, _new_list(call, data, "")))


def create_lists(call: Call) -> dict[str, Any]:
    """``PUT /lists/bulk`` ``[CreateListRequest]`` (C# ``CreateLists``): ``{"lists": [...]}``;
    every item is checked before any list is created."""
    data = body.json_array(call.request, call.body_limit)
    with call.backend.lock:
        specs = [_new_list(call, item, f"/{i}") for i, item in enumerate(data)]
        return {"lists": [serialize.task_list(_create(call, spec)) for spec in specs]}


def _update(call: Call, lst: TaskList, data: Mapping[str, Any], path: str) -> dict[str, Any]:
    """A checked UpdateListRequest as TaskList attribute changes."""
    changes = _common(call, data, path)
    managers = _merge(
        lst.manager_ids,
        _people(call, data, "added_managers", path),
        _people(call, data, "removed_managers", path),
    )
    members = _merge(
        lst.member_ids,
        _people(call, data, "added_members", path),
        _people(call, data, "removed_members", path),
    )
    changes.update(manager_ids=managers, member_ids=members)
    return changes


def _write(lst: TaskList, changes: dict[str, Any]) -> TaskList:
    for key, value in changes.items():
        setattr(lst, key, value)
    lst.version += 1
    return lst


def update_list(call: Call, list_id: int) -> dict[str, Any]:
    """``POST /lists/{id}`` UpdateListRequest: the changed PlainTaskList (``version`` + 1).

    The body's ``id`` (the C# client sends it) must be absent or the path's id.
    """
    data = call.json()
    with call.backend.lock:
        lst = _editable(call, list_id)
        body_id = body.get_int(data, "id")
        if body_id is not None and body_id not in (0, list_id):
            raise ApiError(
                "invalid_value_format", f"/id: {body_id} is not the list of the path ({list_id})"
            )
        return serialize.task_list(_write(lst, _update(call, lst, data, "")))


def update_lists(call: Call) -> dict[str, Any]:
    """``POST /lists/bulk`` ``[UpdateListRequest with id]`` (C# ``UpdateLists``):
    ``{"lists": [...]}``; every item is checked before any list changes."""
    data = body.json_array(call.request, call.body_limit)
    with call.backend.lock:
        plans: list[tuple[TaskList, dict[str, Any]]] = []
        for index, item in enumerate(data):
            lst = _editable(call, _id(item, f"/{index}"), f"/{index}/id: ")
            if any(lst is planned for planned, _ in plans):
                raise ApiError("invalid_value_format", f"/{index}/id: list {lst.id} twice")
            plans.append((lst, _update(call, lst, item, f"/{index}")))
        return {"lists": [serialize.task_list(_write(lst, c)) for lst, c in plans]}


def _id(item: Mapping[str, Any], path: str) -> int:
    list_id = body.get_int(item, "id", path=path)
    if list_id is None:
        raise ApiError("required_parameter_missing", f"{path}/id: name the list")
    return list_id


def _delete(call: Call, lst: TaskList) -> None:
    """Flag ``lst`` and every list below it deleted."""
    doomed = [lst]
    while doomed:
        current = doomed.pop()
        if not current.deleted:
            current.deleted = True
            current.version += 1
        doomed.extend(c for c in call.backend.lists() if c.parent_id == current.id)


def delete_list(call: Call, list_id: int) -> dict[str, Any]:
    """``DELETE /lists/{id}``: ``{}``; the list and its sub-lists are flagged deleted."""
    with call.backend.lock:
        _delete(call, _editable(call, list_id))
        return {}


def delete_lists(call: Call) -> dict[str, Any]:
    """``DELETE /lists/bulk`` ``[{id}]`` (C# ``DeleteLists``): ``{}``; every list is checked
    before any is deleted."""
    data = body.json_array(call.request, call.body_limit)
    with call.backend.lock:
        doomed = [_editable(call, _id(item, f"/{i}"), f"/{i}/id: ") for i, item in enumerate(data)]
        for lst in doomed:
            _delete(call, lst)
        return {}
