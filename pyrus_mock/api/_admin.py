"""Helpers shared by the directory-administration views (roles, members, org chart, form
permissions): rights checks, JSON-array bodies (the ``/bulk`` endpoints), typed members with
JSON-pointer paths, and person-id checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..domain.model import Person, Rights
from . import body
from .call import Call
from .errors import ApiError

if TYPE_CHECKING:
    from ..state.events import TaskEvent

__all__ = [
    "INT32",
    "active_person",
    "check_receiver",
    "fire_and_hand_over",
    "get_int32",
    "item_object",
    "json_array",
    "require_right",
]

#: The range of the C# client's ``int`` ids and masks.
INT32 = (-(2**31), 2**31 - 1)


def require_right(call: Call, right: Rights, what: str) -> None:
    """403 ``access_denied`` unless the caller holds every bit of ``right``."""
    if not call.me.has_right(right):
        raise ApiError(
            "access_denied",
            f"{what} needs the {right.name} right (Rights.{right.name} = {int(right)}); "
            f"person {call.me.id} has rights {call.me.rights}",
        )


def json_array(call: Call) -> list[Any]:
    """The body as a JSON array (the ``/bulk`` endpoints); the errors of
    :func:`~pyrus_mock.api.body.json_object` otherwise."""
    raw = body.read_body(call.request, call.body_limit)
    if not raw.strip():
        raise ApiError("empty_body", "the request body is empty; send a JSON array")
    data = body.parse_json(raw)
    if not isinstance(data, list):
        raise ApiError("invalid_json", f"/ must be an array, got {body.type_name(data)}")
    return data


def item_object(value: Any, path: str) -> dict[str, Any]:
    """One element of a bulk array, which must be an object."""
    if not isinstance(value, dict):
        raise ApiError("invalid_json", f"{path} must be an object, got {body.type_name(value)}")
    return value


def get_int32(obj: Mapping[str, Any], key: str, *, path: str = "") -> int | None:
    """:func:`~pyrus_mock.api.body.get_int` limited to 32 bits (the C# client reads ints)."""
    value = body.get_int(obj, key, path=path)
    if value is not None and not INT32[0] <= value <= INT32[1]:
        raise ApiError("invalid_json", f"{path}/{key}: {value} is outside the 32-bit range")
    return value


def active_person(call: Call, person_id: int, path: str, *, roles: bool = False) -> Person:
    """The active (not fired) user or bot ``person_id`` (a role too with ``roles``);
    400 ``invalid_person_id`` naming ``path`` otherwise."""
    person = call.backend.find_person(person_id)
    if person is None or person.fired or (person.type == "role" and not roles):
        raise ApiError(
            "invalid_person_id",
            f"{path}: {person_id} is not an active "
            + ("person" if roles else "user or bot")
            + " of the organisation",
        )
    return person


def fire_and_hand_over(
    call: Call, person: Person, receiver: int | None, events: list[TaskEvent]
) -> Callable[[], Person]:
    """The step that fires ``person`` (a member or a role) and hands its open tasks to
    ``receiver`` (checked with :func:`check_receiver`; None or 0: they stay), the events into
    ``events`` to announce once the lock is released."""

    def apply() -> Person:
        fired = call.backend.org.fire_person(person)
        events.extend(call.backend.hand_over_tasks(fired, receiver, call.me.id))
        return fired

    return apply


def check_receiver(call: Call, receiver_id: int, gone_id: int, path: str) -> Person:
    """``task_receiver_id``: an active user or bot other than ``gone_id`` (who is leaving);
    400 ``invalid_person_id`` naming ``path`` otherwise."""
    if receiver_id == gone_id:
        raise ApiError(
            "invalid_person_id",
            f"{path}: {receiver_id} is the person being removed; name someone who stays to "
            "receive the tasks (or 0 to leave them)",
        )
    return active_person(call, receiver_id, path)
