"""Form permissions (CS ``PyrusClient.cs`` GetFormPermissions / ChangeFormPermissions; PY
``get_form_permissions`` / ``change_form_permissions``).

The backend keeps ``{person_id: level}`` per form (levels of CS ``Enums/PermissionLevel.cs``:
``member``, ``manager``, ``restricted_manager``, ``administrator``; ``none`` removes). Reading
and changing them needs the Configuration manager right (the ``MANAGE_INTEGRATIONS_AND_CATALOGS``
bit, as for ``/bots``) or the ``administrator`` or ``manager`` level on that form; others get
403 ``access_denied``, an unknown form 403 ``access_denied_form``. The fake records the levels
only: ``GET /forms`` and the register do not filter by them.
"""

from __future__ import annotations

from typing import Any

from ..domain.model import Rights
from ..domain.orgchart import PERMISSION_LEVELS
from . import body
from ._admin import active_person
from .call import Call
from .errors import ApiError

__all__ = ["change_form_permissions", "get_form_permissions"]

_MANAGING = frozenset({"administrator", "manager"})


def _check(call: Call, form_id: int) -> None:
    backend = call.backend
    if backend.find_form(form_id) is None:
        raise ApiError("access_denied_form", f"form {form_id} does not exist")
    me = call.me
    if me.rights & Rights.MANAGE_INTEGRATIONS_AND_CATALOGS:
        return
    if backend.org.form_permissions(form_id).get(me.id) in _MANAGING:
        return
    raise ApiError(
        "access_denied",
        f"form {form_id}'s permissions need the Configuration manager right "
        "(Rights.MANAGE_INTEGRATIONS_AND_CATALOGS) or the administrator or manager level on "
        f"the form; person {me.id} has neither",
    )


def _render(table: dict[int, str]) -> dict[str, Any]:
    return {"permissions": {str(person_id): level for person_id, level in table.items()}}


def get_form_permissions(call: Call, form_id: int) -> dict[str, Any]:
    """``GET /forms/{id}/permissions``: ``{"permissions": {"<person id>": level}}``."""
    with call.backend.lock:
        _check(call, form_id)
        return _render(call.backend.org.form_permissions(form_id))


def change_form_permissions(call: Call, form_id: int) -> dict[str, Any]:
    """``POST /forms/{id}/permissions`` ``{"permissions": {"<person id>": level}}``: the whole
    table after the change."""
    data = call.json()
    with call.backend.lock:
        _check(call, form_id)
        permissions = body.get_object(data, "permissions")
        if permissions is None:
            raise ApiError(
                "required_parameter_missing", "/permissions: give {person id: level} to change"
            )
        changes: dict[int, str] = {}
        for key, level in permissions.items():
            path = f"/permissions/{key}"
            try:
                person_id = int(key)
            except ValueError:
                raise ApiError("invalid_json", f"{path}: {key!r} is not a person id") from None
            if not isinstance(level, str):
                raise ApiError(
                    "invalid_json", f"{path} must be a string, got {body.type_name(level)}"
                )
            if level not in PERMISSION_LEVELS:
                raise ApiError(
                    "invalid_value_format",
                    f"{path}: {level!r} is not one of " + ", ".join(PERMISSION_LEVELS),
                )
            if level != "none":
                active_person(call, person_id, path, roles=True)
            changes[person_id] = level
        return _render(call.backend.org.set_form_permissions(form_id, changes))
