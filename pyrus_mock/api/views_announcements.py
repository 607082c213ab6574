"""Announcement views: list, read, create, comment (official Python client
``get_announcements`` / ``get_announcement`` / ``create_announcement`` /
``comment_announcement``; C# ``AnnouncementsEndpoint``).

Every member of the organisation reads every announcement and may comment on it. The shapes are
the clients' ``AnnouncementWithComments`` and ``AnnouncementComment``: ``{id, text,
formatted_text, create_date, last_modified_date, author, attachments, comments}``, empty values
omitted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..domain.model_extra import Announcement, AnnouncementComment
from ..state import serialize
from . import body
from .call import Call
from .errors import ApiError
from .refs import file_ids

if TYPE_CHECKING:
    from ..state.backend import PyrusBackend

__all__ = [
    "comment_announcement",
    "create_announcement",
    "get_announcement",
    "get_announcements",
    "render_announcement",
]

#: The clients refuse other counts (PY ``MAX_ANNOUNCEMENT_COUNT``, CS ``AnnouncementMaxCount``).
MAX_ITEM_COUNT = 10_000


def _prune(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != "" and v != []}


def _files(backend: PyrusBackend, ids: list[int], files_url: str) -> list[dict[str, Any]]:
    return [
        serialize.file(f, files_url) for f in (backend.find_file(i) for i in ids) if f is not None
    ]


def _author(backend: PyrusBackend, person_id: int) -> dict[str, Any]:
    found = backend.find_person(person_id)
    return serialize.person(found) if found is not None else {"id": person_id}


def _comment(backend: PyrusBackend, c: AnnouncementComment, files_url: str) -> dict[str, Any]:
    return _prune(
        {
            "id": c.id,
            "text": c.text,
            "formatted_text": c.formatted_text,
            "create_date": serialize.timestamp(c.create_date),
            "author": _author(backend, c.author_id),
            "attachments": _files(backend, c.attachment_ids, files_url),
        }
    )


def render_announcement(backend: PyrusBackend, a: Announcement, files_url: str) -> dict[str, Any]:
    """An AnnouncementWithComments (call under the lock)."""
    return _prune(
        {
            "id": a.id,
            "text": a.text,
            "formatted_text": a.formatted_text,
            "create_date": serialize.timestamp(a.create_date),
            "last_modified_date": serialize.timestamp(a.last_modified_date),
            "author": _author(backend, a.author_id),
            "attachments": _files(backend, a.attachment_ids, files_url),
            "comments": [_comment(backend, c, files_url) for c in a.comments],
        }
    )


def _find(call: Call, announcement_id: int) -> Announcement:
    found = call.backend.extra.announcements.get(announcement_id)
    if found is None:
        # The clients' ErrorCodeType has no announcement-specific code: the generic one.
        raise ApiError("access_denied", f"announcement {announcement_id} does not exist")
    return found


def _content(call: Call, data: dict[str, Any]) -> tuple[str, str, list[int]]:
    """``text``, ``formatted_text`` and the attachment ids of a create or comment request
    (call under the lock); 400 ``text_missing`` when all three are empty."""
    text = body.get_str(data, "text") or ""
    formatted = body.get_str(data, "formatted_text") or ""
    if text and formatted:
        raise ApiError(
            "both_text_and_formatted_text_specified", "give text or formatted_text, not both"
        )
    attachments = file_ids(
        call.backend, body.get_list(data, "attachments"), "/attachments", call.me.id
    )
    if not text.strip() and not formatted.strip() and not attachments:
        raise ApiError("text_missing", "give text, formatted_text or attachments")
    return text, formatted, attachments


def get_announcements(call: Call) -> dict[str, Any]:
    """``GET /announcements[?item_count=100]``: the newest announcements first."""
    count = body.query_int(call.arg("item_count"), "item_count", 100)
    if not 1 <= count <= MAX_ITEM_COUNT:
        raise ApiError(
            "invalid_value_format",
            f"item_count={count} is outside 1..{MAX_ITEM_COUNT} (the clients')",
        )
    backend = call.backend
    with backend.lock:
        newest = sorted(backend.extra.announcements.values(), key=lambda a: a.id, reverse=True)
        return {
            "announcements": [
                render_announcement(backend, a, call.files_url) for a in newest[:count]
            ]
        }


def get_announcement(call: Call, announcement_id: int) -> dict[str, Any]:
    """``GET /announcements/{id}``: ``{"announcement": ...}``; 403 ``access_denied``."""
    with call.backend.lock:
        found = _find(call, announcement_id)
        return {"announcement": render_announcement(call.backend, found, call.files_url)}


def create_announcement(call: Call) -> dict[str, Any]:
    """``POST /announcements`` ``{text | formatted_text, attachments?}`` as the caller."""
    data = call.json()
    backend = call.backend
    with backend.lock:
        text, formatted, attachments = _content(call, data)
        now = backend.now()
        created = Announcement(
            id=backend.ids.next("announcement"),
            author_id=call.me.id,
            create_date=now,
            last_modified_date=now,
            text=text,
            formatted_text=formatted,
            attachment_ids=attachments,
        )
        backend.extra.announcements[created.id] = created
        return {"announcement": render_announcement(backend, created, call.files_url)}


def comment_announcement(call: Call, announcement_id: int) -> dict[str, Any]:
    """``POST /announcements/{id}/comments`` ``{text | formatted_text, attachments?}``: the
    announcement with every comment, the new one last."""
    data = call.json()
    backend = call.backend
    with backend.lock:
        found = _find(call, announcement_id)
        text, formatted, attachments = _content(call, data)
        now = backend.now()
        found.comments.append(
            AnnouncementComment(
                id=backend.ids.next("comment"),
                author_id=call.me.id,
                create_date=now,
                text=text,
                formatted_text=formatted,
                attachment_ids=attachments,
            )
        )
        found.last_modified_date = now
        return {"announcement": render_announcement(backend, found, call.files_url)}
