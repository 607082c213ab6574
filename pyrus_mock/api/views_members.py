"""Member administration (CS ``PyrusClient.cs`` CreateMember, UpdateMember(s), SetAvatar,
DeleteMember; PY ``create_member``, ``update_member``, ``set_avatar``).

Changing members needs ``Rights.MANAGE_PERSONS_IN_ORGANIZATION`` (the "Organization manager"
preset), else 403 ``access_denied``; a person may set its own avatar without it. Users only:
an unknown id or a role answers 403 ``access_denied_person``, a bot 400 ``invalid_person_id``
(bots are managed through ``/bots``). A banned member's tokens answer ``account_blocked``, a
fired one's ``revoked_token`` (as for bots, D8).

``POST /members/bulk`` takes CS ``ChangeMembersRequest``, whose members the C# client sends
in PascalCase (``AddMembers``, ``ChangeMembers``, ``BanMembers``, ``FireMembers``: the class
has no JSON names); they are matched without regard to case or underscores. Every part is
checked before anything is applied, and the reply ``{"members": [Person]}`` lists the persons
touched, in that order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..domain.model import Person, Rights
from ..state import serialize_directory
from . import body
from ._admin import check_receiver, fire_and_hand_over, get_int32, item_object, require_right
from .call import Call
from .errors import ApiError

if TYPE_CHECKING:
    from ..state.events import TaskEvent

__all__ = ["create_member", "delete_member", "set_avatar", "update_member", "update_members"]

_WHAT = "managing members"
_RIGHT = Rights.MANAGE_PERSONS_IN_ORGANIZATION
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TEXT = ("first_name", "last_name", "status", "position", "phone", "mobile_phone", "external_id")

_Apply = Callable[[], Person]


def _member_or_403(call: Call, member_id: int, path: str = "") -> Person:
    person = call.backend.find_person(member_id)
    where = f"{path}: " if path else ""
    if person is None or person.type == "role":
        raise ApiError("access_denied_person", f"{where}person {member_id} does not exist")
    if person.type == "bot":
        raise ApiError(
            "invalid_person_id",
            f"{where}person {member_id} is a bot; manage bots with PUT|DELETE /bots/{{id}}",
        )
    return person


def _email(call: Call, data: dict[str, Any], path: str, taken: set[str], me: int | None) -> str:
    email = body.get_str(data, "email", path=path)
    if email is None:
        return ""
    if not _EMAIL.fullmatch(email.strip()):
        raise ApiError("incorrect_email_format", f"{path}/email: {email!r} is not an e-mail")
    found = call.backend.find_person_by_email(email)
    key = email.strip().lower()
    if (found is not None and found.id != me) or key in taken:
        raise ApiError(
            "person_email_already_in_use", f"{path}/email: {email!r} is used by another person"
        )
    taken.add(key)
    return email.strip()


def _fields(call: Call, data: dict[str, Any], path: str) -> dict[str, Any]:
    """The Person attributes a create or update request sets (validated)."""
    changes: dict[str, Any] = {}
    for key in _TEXT:
        value = body.get_str(data, key, path=path)
        if value is not None:
            changes[key] = value
    rights = get_int32(data, "rights", path=path)
    if rights is not None:
        if rights < 0:
            raise ApiError("invalid_value_format", f"{path}/rights: {rights} is not a mask")
        changes["rights"] = rights
    department_id = get_int32(data, "department_id", path=path)
    if department_id is not None:
        if call.backend.org.find_department(department_id) is None:
            raise ApiError(
                "invalid_department", f"{path}/department_id: no department {department_id}"
            )
        changes["department_id"] = department_id
    return changes


def _names_left(person_first: str, person_last: str, path: str) -> None:
    if not person_first.strip() and not person_last.strip():
        raise ApiError(
            "required_parameter_missing", f"{path}/first_name: give a first or a last name"
        )


# -- create ----------------------------------------------------------------------------------


def _plan_create(call: Call, data: dict[str, Any], path: str, taken: set[str]) -> _Apply:
    email = _email(call, data, path, taken, None)
    if not email:
        raise ApiError("required_parameter_missing", f"{path}/email: a member needs an e-mail")
    changes = _fields(call, data, path)
    first, last = changes.pop("first_name", ""), changes.pop("last_name", "")
    _names_left(first, last, path)
    backend = call.backend

    def apply() -> Person:
        person = backend.add_person(first, last, email=email)
        return backend.org.update_member(person, changes)

    return apply


def create_member(call: Call) -> dict[str, Any]:
    """``POST /members`` CreateMemberRequest: the new user (it logs in with a generated
    security key, ``backend.user_key(id)``)."""
    require_right(call, _RIGHT, _WHAT)
    data = call.json()
    with call.backend.lock:
        return serialize_directory.person(_plan_create(call, data, "", set())(), full=True)


# -- update ----------------------------------------------------------------------------------


def _plan_update(
    call: Call, data: dict[str, Any], path: str, person: Person, taken: set[str]
) -> _Apply:
    changes = _fields(call, data, path)
    email = _email(call, data, path, taken, person.id)
    if email:
        changes["email"] = email
    banned = body.get_bool(data, "banned", path=path)
    if banned is not None:
        changes["banned"] = banned
    if body.get_bool(data, "drop_department", path=path):
        changes["department_id"] = None
    _names_left(
        changes.get("first_name", person.first_name),
        changes.get("last_name", person.last_name),
        path,
    )
    return lambda: call.backend.org.update_member(person, changes)


def update_member(call: Call, member_id: int) -> dict[str, Any]:
    """``PUT /members/{id}`` UpdateMemberRequest: names, email, status, banned, rights,
    position, department_id / drop_department, phone, mobile_phone."""
    require_right(call, _RIGHT, _WHAT)
    data = call.json()
    with call.backend.lock:
        person = _member_or_403(call, member_id)
        return serialize_directory.person(_plan_update(call, data, "", person, set())(), full=True)


# -- fire ------------------------------------------------------------------------------------


def _plan_fire(
    call: Call, person: Person, path: str, receiver: int | None, events: list[TaskEvent]
) -> _Apply:
    """Fire ``person``; with ``receiver`` (not 0) its open tasks go to that active person
    (:meth:`~pyrus_mock.state.backend.PyrusBackend.hand_over_tasks`), the events into ``events``."""
    if person.id == call.me.id:
        raise ApiError("cannot_be_fired", f"{path or '/'}: a member cannot fire itself")
    if receiver:  # the C# client sends 0 for "nobody"
        check_receiver(call, receiver, person.id, f"{path}/task_receiver_id")
    return fire_and_hand_over(call, person, receiver, events)


def delete_member(call: Call, member_id: int) -> dict[str, Any]:
    """``DELETE /members/{id}`` (no body, as the C# client sends it): the member is fired
    (``fired: true``); its tasks stay with it (``FireMembers`` of ``POST /members/bulk``
    takes a ``task_receiver_id``)."""
    require_right(call, _RIGHT, _WHAT)
    with call.backend.lock:
        person = _member_or_403(call, member_id)
        return serialize_directory.person(_plan_fire(call, person, "", None, [])(), full=True)


# -- bulk ------------------------------------------------------------------------------------


def _parts(data: dict[str, Any]) -> dict[str, tuple[str, list[Any]]]:
    """``{"addmembers": (key as sent, items)}`` for the four parts, keys folded."""
    wanted = {"addmembers", "changemembers", "banmembers", "firemembers"}
    parts: dict[str, tuple[str, list[Any]]] = {}
    for key in data:
        folded = key.replace("_", "").lower()
        if folded in wanted:
            items = body.get_list(data, key)
            parts[folded] = (key, items or [])
    return parts


def _person_ref(call: Call, item: dict[str, Any], path: str) -> Person:
    person_id = get_int32(item, "id", path=path)
    if person_id is None:
        email = body.get_str(item, "email", path=path)
        found = call.backend.find_person_by_email(email) if email else None
        if found is None:
            raise ApiError("person_identity_missing", f"{path}: give an existing id or email")
        person_id = found.id
    return _member_or_403(call, person_id, path)


def _plan_ban(call: Call, person: Person) -> _Apply:
    return lambda: call.backend.org.update_member(person, {"banned": True})


def update_members(call: Call) -> dict[str, Any]:
    """``POST /members/bulk`` ChangeMembersRequest: ``{"members": [Person]}``."""
    require_right(call, _RIGHT, _WHAT)
    data = call.json()
    backend = call.backend
    events: list[TaskEvent] = []
    with backend.lock:
        parts = _parts(data)
        taken: set[str] = set()
        steps: list[_Apply] = []
        key, items = parts.get("addmembers", ("AddMembers", []))
        for i, raw in enumerate(items):
            path = f"/{key}/{i}"
            steps.append(_plan_create(call, item_object(raw, path), path, taken))
        key, items = parts.get("changemembers", ("ChangeMembers", []))
        for i, raw in enumerate(items):
            path = f"/{key}/{i}"
            item = item_object(raw, path)
            person = _person_ref(call, item, path)
            steps.append(_plan_update(call, item, path, person, taken))
        leaving: dict[int, str] = {}  # who this request bans or fires -> the item's path
        key, items = parts.get("banmembers", ("BanMembers", []))
        for i, raw in enumerate(items):
            path = f"/{key}/{i}"
            person = _person_ref(call, item_object(raw, path), path)
            leaving.setdefault(person.id, path)
            steps.append(_plan_ban(call, person))
        key, items = parts.get("firemembers", ("FireMembers", []))
        fires: list[tuple[str, Person, int | None]] = []
        for i, raw in enumerate(items):
            path = f"/{key}/{i}"
            item = item_object(raw, path)
            person = _person_ref(call, item, path)
            leaving.setdefault(person.id, path)
            fires.append((path, person, get_int32(item, "task_receiver_id", path=path)))
        for path, person, receiver in fires:
            gone = leaving.get(receiver or 0)
            if gone is not None and receiver != person.id:
                raise ApiError(
                    "invalid_person_id",
                    f"{path}/task_receiver_id: {receiver} leaves in this same request ({gone}); "
                    "name someone who stays to receive the tasks (or 0 to leave them)",
                )
            steps.append(_plan_fire(call, person, path, receiver, events))
        reply = {"members": [serialize_directory.person(step(), full=True) for step in steps]}
    backend.announce(events)
    return reply


# -- avatar ----------------------------------------------------------------------------------


def set_avatar(call: Call, member_id: int) -> dict[str, Any]:
    """``PUT /members/{id}/avatar`` ``{guid?, external_avatar_id?}``: ``guid`` is an upload
    (``POST /files/upload``), which becomes the member's ``avatar_id``."""
    if member_id != call.me.id:
        require_right(call, _RIGHT, "setting another member's avatar")
    data = call.json()
    guid = body.get_str(data, "guid")
    external = get_int32(data, "external_avatar_id")
    backend = call.backend
    with backend.lock:
        person = _member_or_403(call, member_id)
        if guid is None and external is None:
            raise ApiError("required_parameter_missing", "/guid: give an uploaded file's guid")
        changes: dict[str, Any] = {}
        if guid is not None:
            record = backend.files.find_by_guid(guid)
            if record is None or record.url:
                raise ApiError(
                    "unrecognized_attachment_id", f"/guid: no uploaded file has the guid {guid!r}"
                )
            changes["avatar_id"] = record.id
        if external is not None:
            changes["external_avatar_id"] = external
        return serialize_directory.person(backend.org.update_member(person, changes), full=True)
