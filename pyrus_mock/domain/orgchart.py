"""Records of the organisation's structure beyond persons: departments and form permissions.

No HTTP and no JSON here (as in :mod:`pyrus_mock.domain.model`): :mod:`pyrus_mock.state.org_admin`
keeps
them in the backend and the API views render them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["PERMISSION_LEVELS", "Department", "department_json"]

#: The levels of a person's access to a form (CS ``Enums/PermissionLevel.cs``); ``none`` drops
#: the person from the form's permissions.
PERMISSION_LEVELS = ("none", "manager", "member", "restricted_manager", "administrator")


@dataclass(slots=True, eq=False)
class Department:
    """A department of the org chart (CS ``Entities/Department.cs``).

    Attributes:
        id: the department id.
        name: ``department_name``.
        parent_id: the parent department; None for a top-level department.
        manager_id: the person who heads it, or None.
        external_id: an integer the caller keeps (Pyrus models it as a long), or None.
    """

    id: int
    name: str
    parent_id: int | None = None
    manager_id: int | None = None
    external_id: int | None = None


def department_json(d: Department) -> dict[str, Any]:
    """A Department in its wire shape; empty members omitted (Pyrus convention)."""
    data: dict[str, Any] = {"id": d.id, "department_name": d.name}
    for key, value in (
        ("parent_id", d.parent_id),
        ("manager_id", d.manager_id),
        ("external_id", d.external_id),
    ):
        if value is not None:
            data[key] = value
    return data
