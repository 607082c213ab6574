"""Turning references in request bodies into domain ids: persons, uploaded files, rejections.

Shared by the task views (create) and anything else that accepts ``{"id"}``/``{"email"}``
person references or NewFile attachments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .body import type_name
from .errors import ApiError

if TYPE_CHECKING:
    from ..domain.violations import Violation
    from ..state.backend import PyrusBackend

__all__ = ["file_ids", "person_id", "person_ids", "rejected"]


def person_id(backend: PyrusBackend, ref: object, path: str) -> int:
    """A person id from ``{"id": n}``, ``{"email": s}`` or a bare id (call under the lock)."""
    if isinstance(ref, dict):
        if ref.get("id") is not None:
            ref = ref["id"]
        elif ref.get("email") is not None:
            ref = ref["email"]
        else:
            raise ApiError("person_identity_missing", f"{path}: give the person's id or email")
    if isinstance(ref, str):
        found = backend.find_person_by_email(ref)
        if found is None:
            raise ApiError("invalid_email", f"{path}: no person has the e-mail {ref!r}")
    elif isinstance(ref, bool) or not isinstance(ref, int):
        raise ApiError(
            "invalid_json",
            f"{path} must be a person reference {{id}} or {{email}}, got {type_name(ref)}",
        )
    else:
        found = backend.find_person(ref)
        if found is None:
            raise ApiError("invalid_person_id", f"{path}: no person has the id {ref}")
    if found.fired:  # as CreateComment refuses them
        raise ApiError(
            "invalid_person_id", f"{path}: person {found.id} is terminated (fired) in Pyrus"
        )
    return found.id


def person_ids(backend: PyrusBackend, refs: Sequence[Any] | None, path: str) -> list[int]:
    """Person ids from a list of references (call under the lock)."""
    return [person_id(backend, ref, f"{path}/{i}") for i, ref in enumerate(refs or ())]


def file_ids(
    backend: PyrusBackend, items: Sequence[Any] | None, path: str, author: int
) -> list[int]:
    """File ids from NewFile items: a guid string, ``{guid}``, ``{attachment_id}`` or
    ``{url, name?}`` (contract §6.2). Call under the lock."""
    out: list[int] = []
    for index, item in enumerate(items or ()):
        where = f"{path}/{index}"
        if isinstance(item, dict):
            if isinstance(item.get("guid"), str):
                item = item["guid"]
            elif item.get("attachment_id") is not None:
                attachment = item["attachment_id"]
                person = backend.find_person(author)
                if (
                    isinstance(attachment, int)
                    and not isinstance(attachment, bool)
                    and person is not None
                    and backend.files.visible(person, attachment)
                ):
                    out.append(attachment)
                    continue
                raise ApiError(  # the same for a hidden file as for none: ids cannot be probed
                    "unrecognized_attachment_id",
                    f"{where}: no file {attachment!r} that person {author} may attach (one they "
                    "uploaded, or on a task they can see)",
                )
            elif isinstance(item.get("url"), str):
                name = item.get("name")
                link = backend.files.add_link(
                    item["url"], name if isinstance(name, str) else "", author
                )
                out.append(link.id)
                continue
        if not isinstance(item, str):
            raise ApiError(
                "invalid_json", f"{where} must be a guid or {{guid}}, got {type_name(item)}"
            )
        found = backend.files.find_by_guid(item)
        if found is None:
            raise ApiError(
                "unrecognized_attachment_id",
                f"{where}: no uploaded file has the guid {item!r}; upload it with "
                "POST /files/upload first",
            )
        out.append(found.id)
    return out


_TEXT_LISTS = 20
"""How many problems the ``error`` text spells out; the rest are counted."""
_LISTED = 200
"""How many violations the ``violations`` member carries: a 4 MB request with half a million
bad ids must not get a reply thirty times its size."""


def rejected(violations: Sequence[Violation]) -> ApiError:
    """The reply to a refused CreateComment (or task creation).

    ``error_code`` is the first error's code; ``error`` lists the problems as ``path: message``
    (the first 20, then how many more); the extension member ``violations`` carries them,
    structured (the first 200, errors before warnings; ``violations_omitted`` counts the rest).
    """
    errors = [v for v in violations if v.severity == "error"]
    warnings = [v for v in violations if v.severity != "error"]
    # Warning codes (unknown_parameter, ...) are the fake's own: never the top-level code.
    first = errors[0].error_code if errors else "validation_error"
    told = errors or warnings
    text = "; ".join(f"{v.path or '/'}: {v.message}" for v in told[:_TEXT_LISTS])
    if len(told) > _TEXT_LISTS:
        text += f"; and {len(told) - _TEXT_LISTS} more (see the violations member)"
    ordered = errors + warnings
    extra: dict[str, Any] = {
        "violations": [
            {"path": v.path, "error_code": v.error_code, "message": v.message,
             "severity": v.severity}
            for v in ordered[:_LISTED]
        ]
    }  # fmt: skip
    if len(ordered) > _LISTED:
        extra["violations_omitted"] = len(ordered) - _LISTED
    return ApiError(first, text or "the request is invalid", extra=extra)
