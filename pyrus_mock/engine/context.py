"""What the comment engine needs to look up: implemented by the backend, easy to fake in tests."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ..model import Catalog, FileRecord, Form, Person
from ..settings import Settings

__all__ = ["Directory"]


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

    def list_exists(self, list_id: int) -> bool:
        """Whether a list (project) with that id exists."""
        ...

    def next_id(self, kind: str) -> int:
        """A fresh id of ``kind``: ``comment``, ``row``, ``file``."""
        ...

    def add_link_file(self, url: str, name: str, author_id: int) -> FileRecord:
        """Record a link attachment (``{url, name}`` NewFile) and return it."""
        ...
