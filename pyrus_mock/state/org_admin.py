"""Roles, members, the org chart and form permissions: the directory-administration half of
:class:`~pyrus_mock.state.backend.PyrusBackend`.

A component of the backend (``backend.org``) like :class:`~pyrus_mock.state.accounts.Accounts`, on
its
one lock and one state. The methods here change state that the API views have already validated
(ids exist, types are right); they only keep derived data consistent (a member's
``department_name``, a role's member list).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..domain.model import Person
from ..domain.orgchart import Department
from .core import Core

__all__ = ["OrgAdmin"]


class OrgAdmin:
    """Roles, members, departments and form permissions, on the backend's state
    (``backend.org``).

    Args:
        core: the backend whose lock, ids, state and persons it works with.
    """

    def __init__(self, core: Core) -> None:
        self._core = core

    # -- roles -----------------------------------------------------------------------------

    def roles(self, *, include_fired: bool = True) -> list[Person]:
        """Every role (persons of type ``role``), deleted ones only with ``include_fired``."""
        return [
            p
            for p in self._core.state.persons.values()
            if p.type == "role" and (include_fired or not p.fired)
        ]

    def find_role(self, role_id: int) -> Person | None:
        """A role by id, or None (also for users and bots)."""
        person = self._core.state.persons.get(role_id)
        return person if person is not None and person.type == "role" else None

    def create_role(
        self, name: str, member_ids: Iterable[int] = (), external_id: str = ""
    ) -> Person:
        """A new role with these members (duplicates dropped, order kept)."""
        with self._core.lock:
            role = self._core.add_person(name, "", type="role", external_id=external_id)
            role.member_ids = list(dict.fromkeys(member_ids))
            return role

    def update_role(
        self,
        role: Person,
        *,
        name: str | None = None,
        external_id: str | None = None,
        banned: bool | None = None,
        add: Iterable[int] = (),
        remove: Iterable[int] = (),
    ) -> Person:
        """Rename, ban or unban a role, add and remove members (removals after additions)."""
        with self._core.lock:
            if name is not None:
                role.first_name = name
            if external_id is not None:
                role.external_id = external_id
            if banned is not None:
                role.banned = banned
            members = list(dict.fromkeys([*role.member_ids, *add]))
            dropped = set(remove)
            role.member_ids = [m for m in members if m not in dropped]
            return role

    # -- members ---------------------------------------------------------------------------

    def update_member(self, person: Person, changes: Mapping[str, Any]) -> Person:
        """Set ``Person`` attributes (already validated); a department change also sets the
        ``department_name``, ``department_id=None`` drops the department."""
        with self._core.lock:
            for key, value in changes.items():
                if key == "department_id":
                    self._place(person, value)
                else:
                    setattr(person, key, value)
            return person

    def _place(self, person: Person, department_id: int | None) -> None:
        department = self._core.state.departments.get(department_id) if department_id else None
        person.department_id = department.id if department else None
        person.department_name = department.name if department else ""

    def fire_person(self, person: Person) -> Person:
        """A member leaves: fired; ``/auth`` refuses it and its tokens answer ``revoked_token``."""
        with self._core.lock:
            person.fired = True
            return person

    # -- departments -------------------------------------------------------------------------

    def departments(self) -> list[Department]:
        """Every department of the org chart, in id order."""
        return list(self._core.state.departments.values())

    def find_department(self, department_id: int) -> Department | None:
        """A department by id, or None."""
        return self._core.state.departments.get(department_id)

    def create_department(
        self,
        name: str,
        *,
        parent_id: int | None = None,
        manager_id: int | None = None,
        external_id: int | None = None,
    ) -> Department:
        """A new department (parent and manager already checked)."""
        with self._core.lock:
            department = Department(
                self._core.ids.next("department"), name, parent_id, manager_id, external_id
            )
            self._core.state.departments[department.id] = department
            return department

    def update_department(self, department: Department, changes: Mapping[str, Any]) -> Department:
        """Set ``name``, ``parent_id``, ``manager_id``, ``external_id``; a new name reaches the
        ``department_name`` of its members."""
        with self._core.lock:
            for key, value in changes.items():
                setattr(department, key, value)
            if "name" in changes:
                for person in self._core.state.persons.values():
                    if person.department_id == department.id:
                        person.department_name = department.name
            return department

    def delete_department(self, department: Department) -> None:
        """Remove a department (without sub-departments); its members lose their department."""
        with self._core.lock:
            del self._core.state.departments[department.id]
            for person in self._core.state.persons.values():
                if person.department_id == department.id:
                    self._place(person, None)

    # -- form permissions --------------------------------------------------------------------

    def form_permissions(self, form_id: int) -> dict[int, str]:
        """``{person_id: level}`` of a form (a copy); levels as in ``PERMISSION_LEVELS``."""
        return dict(self._core.state.form_permissions.get(form_id, {}))

    def set_form_permissions(self, form_id: int, changes: Mapping[int, str]) -> dict[int, str]:
        """Apply ``{person_id: level}``; ``none`` removes the person. Returns the new table."""
        with self._core.lock:
            table = self._core.state.form_permissions.setdefault(form_id, {})
            for person_id, level in changes.items():
                if level == "none":
                    table.pop(person_id, None)
                else:
                    table[person_id] = level
            return dict(table)
