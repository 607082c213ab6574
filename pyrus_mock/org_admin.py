"""Roles, members, the org chart and form permissions: the directory-administration half of
:class:`~pyrus_mock.backend.PyrusBackend`.

A mixin like :class:`~pyrus_mock.accounts.Accounts`, so the backend stays one object with one
lock and one state. The methods here change state that the API views have already validated
(ids exist, types are right); they only keep derived data consistent (a member's
``department_name``, a role's member list).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from .model import Person, Task
from .orgchart import Department

if TYPE_CHECKING:
    from .backend import TaskEvent, _State
    from .ids import IdSource

__all__ = ["OrgAdmin"]


class OrgAdmin:
    """Roles, members, departments and form permissions, on the backend's state."""

    lock: threading.RLock
    ids: IdSource
    _state: _State

    if TYPE_CHECKING:  # provided by PyrusBackend

        def find_person(self, person_id: int) -> Person | None: ...

        def inbox_ids(self, task: Task) -> frozenset[int]: ...

        def now(self) -> datetime: ...

        def _emit(self, event: TaskEvent) -> None: ...

        def add_person(
            self,
            first_name: str,
            last_name: str = "",
            *,
            email: str | None = None,
            type: Literal["user", "bot", "role"] = "user",
            rights: int = 0,
            security_key: str | None = None,
            **extra: Any,
        ) -> Person: ...

    # -- roles -----------------------------------------------------------------------------

    def roles(self, *, include_fired: bool = True) -> list[Person]:
        """Every role (persons of type ``role``), deleted ones only with ``include_fired``."""
        return [
            p
            for p in self._state.persons.values()
            if p.type == "role" and (include_fired or not p.fired)
        ]

    def find_role(self, role_id: int) -> Person | None:
        """A role by id, or None (also for users and bots)."""
        person = self._state.persons.get(role_id)
        return person if person is not None and person.type == "role" else None

    def create_role(
        self, name: str, member_ids: Iterable[int] = (), external_id: str = ""
    ) -> Person:
        """A new role with these members (duplicates dropped, order kept)."""
        with self.lock:
            role = self.add_person(name, "", type="role", external_id=external_id)
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
        with self.lock:
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
        with self.lock:
            for key, value in changes.items():
                if key == "department_id":
                    self._place(person, value)
                else:
                    setattr(person, key, value)
            return person

    def _place(self, person: Person, department_id: int | None) -> None:
        department = self._state.departments.get(department_id) if department_id else None
        person.department_id = department.id if department else None
        person.department_name = department.name if department else ""

    def fire_person(self, person: Person) -> Person:
        """A member leaves: fired; ``/auth`` refuses it and its tokens answer ``revoked_token``."""
        with self.lock:
            person.fired = True
            return person

    def hand_over_tasks(
        self, gone: Person, receiver_id: int | None, actor_id: int
    ) -> list[TaskEvent]:
        """Give ``gone``'s place on its open tasks to ``receiver_id`` (``task_receiver_id``):
        responsible, waiting approvals on the current and later steps, a participant; one
        comment by ``actor_id`` per task records it (:mod:`pyrus_mock.engine.handover`).

        ``receiver_id`` None or 0 moves nothing. The receiver is already checked to be an
        active person. Returns the events to :meth:`announce` once the lock is released.
        """
        if not receiver_id or receiver_id == gone.id:
            return []
        from .backend import TaskEvent
        from .engine.handover import hand_over

        with self.lock:
            involved = [
                t
                for t in self._state.tasks.values()
                if not t.is_closed
                and (
                    t.responsible_id == gone.id
                    or any(a.person_id == gone.id for step in t.approvals for a in step)
                )
            ]
            before = {t.id: self.inbox_ids(t) for t in involved}
            changed = hand_over(involved, gone.id, receiver_id, actor_id, self.now(),
                                lambda: self.ids.next("comment"))  # fmt: skip
            return [
                TaskEvent("comment", t, actor_id, c, False, 0, before[t.id]) for t, c in changed
            ]

    def announce(self, events: Iterable[TaskEvent]) -> None:
        """Tell the listeners (the delivery dispatcher) of ``events``. Call it without holding
        the lock: a bot that receives a task may call the API back at once."""
        for event in events:
            self._emit(event)

    # -- departments -------------------------------------------------------------------------

    def departments(self) -> list[Department]:
        """Every department of the org chart, in id order."""
        return list(self._state.departments.values())

    def find_department(self, department_id: int) -> Department | None:
        """A department by id, or None."""
        return self._state.departments.get(department_id)

    def create_department(
        self,
        name: str,
        *,
        parent_id: int | None = None,
        manager_id: int | None = None,
        external_id: int | None = None,
    ) -> Department:
        """A new department (parent and manager already checked)."""
        with self.lock:
            department = Department(
                self.ids.next("department"), name, parent_id, manager_id, external_id
            )
            self._state.departments[department.id] = department
            return department

    def update_department(self, department: Department, changes: Mapping[str, Any]) -> Department:
        """Set ``name``, ``parent_id``, ``manager_id``, ``external_id``; a new name reaches the
        ``department_name`` of its members."""
        with self.lock:
            for key, value in changes.items():
                setattr(department, key, value)
            if "name" in changes:
                for person in self._state.persons.values():
                    if person.department_id == department.id:
                        person.department_name = department.name
            return department

    def delete_department(self, department: Department) -> None:
        """Remove a department (without sub-departments); its members lose their department."""
        with self.lock:
            del self._state.departments[department.id]
            for person in self._state.persons.values():
                if person.department_id == department.id:
                    self._place(person, None)

    # -- form permissions --------------------------------------------------------------------

    def form_permissions(self, form_id: int) -> dict[int, str]:
        """``{person_id: level}`` of a form (a copy); levels as in ``PERMISSION_LEVELS``."""
        return dict(self._state.form_permissions.get(form_id, {}))

    def set_form_permissions(self, form_id: int, changes: Mapping[int, str]) -> dict[int, str]:
        """Apply ``{person_id: level}``; ``none`` removes the person. Returns the new table."""
        with self.lock:
            table = self._state.form_permissions.setdefault(form_id, {})
            for person_id, level in changes.items():
                if level == "none":
                    table.pop(person_id, None)
                else:
                    table[person_id] = level
            return dict(table)
