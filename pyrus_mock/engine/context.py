"""What the comment engine needs to look up: implemented by the backend, easy to fake in tests."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ..domain.model import Catalog, FileRecord, Form, Person, Task
from ..domain.settings import Settings

__all__ = ["Directory", "SeenBy"]


class Directory(Protocol):
    """Lookups, id allocation and settings for validating and applying comments."""

    @property
    def settings(self) -> Settings:
        """The fake's settings: workflow rules (``on_rejection``, ...) and engine limits."""
        ...

    def now(self) -> datetime:
        """The fake's current time (UTC, aware)."""
        ...

    def find_person(self, person_id: int) -> Person | None:
        """A person (user, bot or role) by id, fired ones included."""
        ...

    def find_person_by_email(self, email: str) -> Person | None:
        """A person by e-mail (a bot's login counts as its e-mail), case-insensitive."""
        ...

    def find_form(self, form_id: int) -> Form | None:
        """A form by id."""
        ...

    def find_catalog(self, catalog_id: int) -> Catalog | None:
        """A catalog by id."""
        ...

    def find_file(self, file_id: int) -> FileRecord | None:
        """A file by its integer id."""
        ...

    def find_file_by_guid(self, guid: str) -> FileRecord | None:
        """An uploaded file by the guid ``/files/upload`` returned (case-insensitive)."""
        ...

    def task_exists(self, task_id: int) -> bool:
        """Whether a task with that id exists (for form_link values)."""
        ...

    def task_visible(self, person: Person, task_id: int) -> bool:
        """Whether the task exists and ``person`` may see it (D10)."""
        ...

    def task_form_id(self, task_id: int) -> int | None:
        """The form of an existing task; None for a task without a form."""
        ...

    def file_visible(self, person: Person, file_id: int, task: Task | None = None) -> bool:
        """Whether the file exists and ``person`` uploaded it or may see a task it is attached
        to (``task`` counts as visible: the one being commented)."""
        ...

    def list_exists(self, list_id: int) -> bool:
        """Whether a list (project) with that id exists."""
        ...

    def next_id(self, kind: str) -> int:
        """A fresh id of ``kind``: ``comment``, ``row``, ``file``."""
        ...

    def add_link_file(self, url: str, name: str, author_id: int) -> FileRecord:
        """Record a link attachment (``{url, name}`` NewFile) and return it."""
        ...


class SeenBy:
    """``directory`` as the author of a comment on ``task`` sees it: other tasks and files exist
    only when the author may see them, so a request cannot link, attach, or learn the subject of
    what the author would get 403 for (D10). Everything else is passed through.
    """

    def __init__(self, directory: Directory, author: Person, task: Task) -> None:
        self._directory = directory
        self._author = author
        self._task = task

    @property
    def settings(self) -> Settings:
        """The fake's settings."""
        return self._directory.settings

    def now(self) -> datetime:
        """The fake's current time."""
        return self._directory.now()

    def find_person(self, person_id: int) -> Person | None:
        """A person by id."""
        return self._directory.find_person(person_id)

    def find_person_by_email(self, email: str) -> Person | None:
        """A person by e-mail."""
        return self._directory.find_person_by_email(email)

    def find_form(self, form_id: int) -> Form | None:
        """A form by id."""
        return self._directory.find_form(form_id)

    def find_catalog(self, catalog_id: int) -> Catalog | None:
        """A catalog by id."""
        return self._directory.find_catalog(catalog_id)

    def find_file(self, file_id: int) -> FileRecord | None:
        """A file by id, when the author may use it."""
        if not self._directory.file_visible(self._author, file_id, self._task):
            return None
        return self._directory.find_file(file_id)

    def find_file_by_guid(self, guid: str) -> FileRecord | None:
        """An uploaded file by guid (a guid is the uploader's to hand on)."""
        return self._directory.find_file_by_guid(guid)

    def task_exists(self, task_id: int) -> bool:
        """Whether the task exists and the author may see it (the commented task always)."""
        return task_id == self._task.id or self._directory.task_visible(self._author, task_id)

    def task_visible(self, person: Person, task_id: int) -> bool:
        """Passed through."""
        return self._directory.task_visible(person, task_id)

    def task_form_id(self, task_id: int) -> int | None:
        """Passed through."""
        return self._directory.task_form_id(task_id)

    def file_visible(self, person: Person, file_id: int, task: Task | None = None) -> bool:
        """Passed through."""
        return self._directory.file_visible(person, file_id, task)

    def list_exists(self, list_id: int) -> bool:
        """Whether a list exists."""
        return self._directory.list_exists(list_id)

    def next_id(self, kind: str) -> int:
        """A fresh id."""
        return self._directory.next_id(kind)

    def add_link_file(self, url: str, name: str, author_id: int) -> FileRecord:
        """Record a link attachment."""
        return self._directory.add_link_file(url, name, author_id)
