"""File views: upload (``POST …/files/upload``) and the two download forms (contract §7.3)."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import quote

from werkzeug.datastructures import Headers

from ..domain.ids import parse_decimal
from ..domain.model import FileRecord, Person
from .call import Call, RawReply
from .errors import ApiError

__all__ = ["download", "download_attachment", "upload"]

_MAX_HEADER_NAME = 255
"""Characters of a file name that go into a download's ``Content-Disposition``."""


def upload(call: Call) -> dict[str, Any]:
    """Store the one file of a multipart body, whatever its part name; ``{guid, md5_hash}``."""
    request = call.request
    if request.mimetype != "multipart/form-data":
        raise ApiError(
            "file_is_missing",
            f"send the file as multipart/form-data (got {request.mimetype or 'no Content-Type'})",
        )
    try:
        parts = list(request.files.items(multi=True))
    except ValueError as exc:  # a body that does not parse as multipart
        raise ApiError("file_is_missing", f"the multipart body does not parse: {exc}") from None
    if len(parts) != 1:
        names = ", ".join(name for name, _ in parts)
        raise ApiError(
            "file_is_missing" if not parts else "too_many_attachments",
            f"send exactly one file part (any part name); got {len(parts)}"
            + (f": {names}" if names else ""),
        )
    part_name, storage = parts[0]
    try:
        content = storage.read()
    finally:
        storage.close()
    record = call.backend.files.upload(storage.filename or part_name, content, call.me.id)
    return {"guid": record.guid, "md5_hash": record.md5}


def _may_download(call: Call, person: Person, record: FileRecord) -> bool:
    """The uploader, or anyone who can see a task the file is attached to."""
    if record.uploaded_by == person.id:
        return True
    token = call.token
    granted = None
    if token is not None and token.task_id is not None:  # a delivery's token: its task's files
        granted = call.backend.find_task(token.task_id)
    return call.backend.files.visible(person, record.id, granted)


def _disposition(name: str) -> str:
    """``Content-Disposition`` for a download of ``name``, which can never break the header nor
    hand a client a dangerous name.

    Control and format characters (Unicode categories Cc, Cf: CR, LF, NUL, DEL, C1, the
    right-to-left override ...), path separators, quotes and backslashes become ``_`` in what
    the header says; the exact name stays in the file's JSON record. A printable-ASCII name:
    ``attachment; filename=…``. A non-ASCII name: RFC 6266 ``filename*=UTF-8''…`` only, because
    the official Python client reads the name with ``email.message.Message.get_filename()``,
    which prefers a plain ``filename`` when both are present.

    A name over :data:`_MAX_HEADER_NAME` characters (most file systems' limit) is cut in the
    header, keeping its start and its extension: a longer one could take the header line past
    the 64 KiB that http.client (requests, the official Python client) accepts.
    """
    safe = "".join(
        "_" if unicodedata.category(char) in ("Cc", "Cf") or char in '/\\"' else char
        for char in name
    )
    if len(safe) > _MAX_HEADER_NAME:
        stem, dot, extension = safe.rpartition(".")
        tail = dot + extension if stem and len(extension) < 16 else ""
        safe = safe[: _MAX_HEADER_NAME - len(tail)] + tail
    headers = Headers()
    if safe.isascii():
        headers.set("Content-Disposition", "attachment", filename=safe)
    else:
        exact = "UTF-8''" + quote(safe, safe="!#$&+^`|~")
        headers.set("Content-Disposition", "attachment", **{"filename*": exact})
    return headers["Content-Disposition"]


def download(call: Call, file_id: int) -> RawReply:
    """``GET …/files/download/{id}``: the bytes; 403 ``access_denied_file``."""
    with call.backend.lock:
        record = call.backend.files.find(file_id)
        if record is None or not _may_download(call, call.me, record):
            raise ApiError(
                "access_denied_file",
                f"file {file_id} does not exist or is not accessible to person {call.me.id}",
            )
        content, name = record.content, record.name
    return RawReply(
        content,
        [
            ("Content-Type", "application/octet-stream"),
            ("Content-Disposition", _disposition(name)),
        ],
    )


def download_attachment(call: Call) -> RawReply:
    """``GET /services/attachment?Id={id}`` (the official Python and C# clients)."""
    raw = call.arg("Id")
    file_id = parse_decimal(raw.strip()) if raw is not None else None
    if file_id is None:
        raise ApiError("access_denied_file", f"Id={(raw or '')[:40]!r} is not a file id")
    return download(call, file_id)
