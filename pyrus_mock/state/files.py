"""Uploaded files and link attachments, and who may read them: a component of
:class:`~pyrus_mock.state.backend.PyrusBackend` (``backend.files``).

Like :class:`~pyrus_mock.state.accounts.Accounts` it works on the backend's one lock and one
state through :class:`~pyrus_mock.state.core.Core`. The backend still answers the comment
engine's file lookups (``find_file``, ``find_file_by_guid``, ``file_visible``,
``add_link_file`` of :class:`~pyrus_mock.engine.context.Directory`) by handing them to this
store.
"""

from __future__ import annotations

import hashlib

from ..domain.model import FileRecord, Person, Task
from .core import Core

__all__ = ["FileStore"]


class FileStore:
    """The fake's files: uploads (``POST /files/upload``), link attachments, lookups, and the
    read rule (D10) (``backend.files``).

    Args:
        core: the backend whose lock, ids, state and task visibility it works with.
    """

    def __init__(self, core: Core) -> None:
        self._core = core

    def upload(self, name: str, content: bytes, uploader_id: int) -> FileRecord:
        """Store an uploaded file; attach it later by its guid."""
        core = self._core
        with core.lock:
            record = FileRecord(
                id=core.ids.next("file"),
                guid=core.ids.uuid(),
                name=name,
                content=content,
                md5=hashlib.md5(content).hexdigest(),
                uploaded_by=uploader_id,
            )
            record.root_id = record.id
            self._keep(record)
            return record

    def add_link(self, url: str, name: str, author_id: int) -> FileRecord:
        """Record a link attachment."""
        core = self._core
        with core.lock:
            record = FileRecord(
                core.ids.next("file"), core.ids.uuid(), name or url, b"", "", author_id, url=url
            )
            self._keep(record)
            return record

    def _keep(self, record: FileRecord) -> None:
        state = self._core.state
        state.files[record.id] = record
        state.files_by_guid[record.guid] = record

    def find(self, file_id: int) -> FileRecord | None:
        """A file by id, or None."""
        return self._core.state.files.get(file_id)

    def find_by_guid(self, guid: str) -> FileRecord | None:
        """A file by upload guid (case-insensitive), or None."""
        return self._core.state.files_by_guid.get(guid.lower())

    def visible(self, person: Person, file_id: int, task: Task | None = None) -> bool:
        """Whether the file exists and ``person`` uploaded it, may see a task it is attached to,
        or it is on an announcement; ``task`` (e.g. one the caller holds a delivery token for)
        counts as visible."""
        state = self._core.state
        record = state.files.get(file_id)
        if record is None:
            return False
        if record.uploaded_by == person.id or self._announced(file_id):
            return True
        can_see = self._core.can_see
        return any(
            (other is task or can_see(person, other)) and file_id in self.task_file_ids(other)
            for other in state.tasks.values()
        )

    def _announced(self, file_id: int) -> bool:
        """Whether the file is on an announcement (or its comments): every member reads those."""
        return any(
            file_id in a.attachment_ids or any(file_id in c.attachment_ids for c in a.comments)
            for a in self._core.state.extra.announcements.values()
        )

    def task_file_ids(self, task: Task) -> set[int]:
        """Every file on ``task``: its attachments, its comments', its file fields' (tables too)."""
        ids = set(task.attachment_ids)
        for comment in task.comments:
            ids.update(comment.attachments)
        form = self._core.state.forms.get(task.form_id) if task.form_id else None
        if form is None:
            return ids
        for fd in form.all_fields():
            if fd.type != "file":
                continue
            if fd.table_id is None:
                ids.update(task.values.get(fd.id) or ())
                continue
            for row in task.values.get(fd.table_id) or ():
                ids.update(row.cells.get(fd.id) or ())
        return ids
