"""What is in the fake's world, read by test authors: the public side of the backend's records.

The backend itself is private (``PyrusMock._backend``); these methods give tests what they used
to reach it for. Each returns the live records (changes the bot makes show on them), in a new
list, so iterating is safe while the fake changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..domain.errors import UnknownEntity

if TYPE_CHECKING:
    from ..domain.model import Catalog, Form, Person, Task, TaskList
    from ..state.backend import PyrusBackend

__all__ = ["WorldReaders"]


class WorldReaders:
    """Read-only views of the fake's world; mixed into :class:`~pyrus_mock.PyrusMock`."""

    _backend: PyrusBackend

    def tasks(self) -> list[Task]:
        """Every task, in id order (created by the test, by bots or through the API)."""
        return self._backend.tasks()

    def forms(self) -> list[Form]:
        """Every form."""
        return self._backend.forms()

    def form(self, form_id: int) -> Form:
        """The form with that id (raises :class:`~pyrus_mock.domain.errors.UnknownEntity`)."""
        form = self._backend.find_form(form_id)
        if form is None:
            raise UnknownEntity("form", form_id, "create one with add_form()")
        return form

    def people(self) -> list[Person]:
        """Every person (users, roles and bots' accounts), in id order."""
        return self._backend.persons()

    def person(self, person_id: int) -> Person:
        """The person with that id (raises :class:`~pyrus_mock.domain.errors.UnknownEntity`)."""
        return self._backend.person(person_id)

    def catalogs(self) -> list[Catalog]:
        """Every catalog."""
        return self._backend.catalogs()

    def lists(self) -> list[TaskList]:
        """Every list (project), deleted ones included."""
        return self._backend.lists()
