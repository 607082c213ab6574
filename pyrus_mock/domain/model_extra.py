"""Records of the smaller Pyrus areas: announcements, the knowledge base, telephony calls.

Kept apart from :mod:`pyrus_mock.domain.model` (tasks, forms, persons), which is near its size
limit. Like those records these are plain dataclasses owned by the backend and changed only
under ``backend.lock``; persons and files are referred to by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

__all__ = [
    "Announcement",
    "AnnouncementComment",
    "CallIntegration",
    "CallRecord",
    "KbAccess",
    "KbEntity",
    "KbType",
]

KbType = Literal["article", "topic"]
KbAccess = Literal["none", "read", "write"]


@dataclass(slots=True, eq=False)
class AnnouncementComment:
    """A comment on an announcement."""

    id: int
    author_id: int
    create_date: datetime
    text: str = ""
    formatted_text: str = ""
    attachment_ids: list[int] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Announcement:
    """An announcement of the organisation (every member may read and comment on it)."""

    id: int
    author_id: int
    create_date: datetime
    last_modified_date: datetime
    text: str = ""
    formatted_text: str = ""
    attachment_ids: list[int] = field(default_factory=list)
    comments: list[AnnouncementComment] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class KbEntity:
    """An article or topic of the knowledge base.

    Attributes:
        id: a UUID string (the clients type knowledge-base ids as strings).
        parent_id: the topic it sits in; None at the root.
        inherit: permissions are inherited from the parent topic (the organisation at the root).
        readers: persons given read access on this entity itself.
        editors: persons given write access on this entity itself.
    """

    id: str
    type: KbType
    title: str
    author_id: int
    created_at: datetime
    updated_at: datetime
    last_edited_by: int
    body: str = ""
    parent_id: str | None = None
    version: int = 1
    inherit: bool = True
    readers: list[int] = field(default_factory=list)
    editors: list[int] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class CallIntegration:
    """A telephony integration account: calls registered with its ``account_id`` become tasks
    on ``form_id``; call mappings name fields of that form by their ``code``."""

    account_id: str
    form_id: int


@dataclass(slots=True, eq=False)
class CallRecord:
    """A call registered with ``POST /integrations/call``, and the records attached to it."""

    task_id: int
    account_id: str
    person_id: int
    at: datetime
    from_number: str
    to_number: str
    internal_number: str = ""
    external_id: str = ""
    record_file_ids: list[int] = field(default_factory=list)
