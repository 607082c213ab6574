"""Person and file references in a CreateComment request.

Person ref: ``{"id": 1234}`` or ``{"email": "ann@example.com"}`` (a bot's login counts as its
e-mail). Other keys are ignored, so a whole Person object copied from a webhook works too; when
both ``id`` and ``email`` are given they must name the same person. Fired (terminated) persons
are refused, except by the ``*_removed`` keys (a deleted bot must be removable). Codes:
``person_identity_missing`` (neither key), ``invalid_person_id`` (unknown or fired id),
``invalid_person_id_email`` (unknown e-mail, or an e-mail of someone else than ``id``).

NewFile: a guid string from ``/files/upload``, ``{"guid", "root_id"?}``, ``{"attachment_id"}``
or ``{"url", "name"?}``. An unknown guid, attachment or root id is
``unrecognized_attachment_id``.
"""

from __future__ import annotations

from ..domain.model import Person
from .common import Report, describe, is_int
from .context import Directory
from .plan import FileRef

__all__ = ["new_file", "new_files", "person_list", "person_ref"]

_PERSON_SHAPE = '{"id": 1234} or {"email": "name@example.com"}'
_FILE_SHAPE = (
    'a guid string from /files/upload, {"guid": "..."}, {"attachment_id": 123} '
    'or {"url": "https://...", "name": "..."}'
)


def person_ref(
    report: Report, path: str, value: object, directory: Directory, *, allow_fired: bool = False
) -> Person | None:
    """The person ``value`` names, or None after reporting why it names nobody usable.

    A terminated (fired) person is refused unless ``allow_fired``: removal keys take them, or a
    deleted bot (D8) could never be taken off a task it waits on.
    """
    if not isinstance(value, dict):
        report.error(
            path,
            "invalid_value_format",
            f"expected a person {_PERSON_SHAPE}, got {describe(value)}",
        )
        return None
    pid = value.get("id")
    email = value.get("email")
    if email == "":
        email = None
    if pid is None and email is None:
        report.error(
            path,
            "person_identity_missing",
            f"a person reference needs an id or an e-mail: {_PERSON_SHAPE}",
        )
        return None
    person: Person | None = None
    if pid is not None:
        if not is_int(pid):
            report.error(
                f"{path}/id", "invalid_person_id",
                f"a person id is an integer, got {describe(pid)}",
            )  # fmt: skip
            return None
        person = directory.find_person(pid)
        if person is None:
            report.error(
                f"{path}/id", "invalid_person_id",
                f"no person has the id {pid}; use the id of a member, bot or role",
            )  # fmt: skip
            return None
    if email is not None:
        if not isinstance(email, str):
            report.error(
                f"{path}/email", "invalid_person_id_email",
                f"an e-mail is a string, got {describe(email)}",
            )  # fmt: skip
            return None
        by_email = directory.find_person_by_email(email)
        if person is None:
            if by_email is None:
                report.error(
                    f"{path}/email", "invalid_person_id_email",
                    f"no person has the e-mail {email!r}; use a member's e-mail or a bot's login",
                )  # fmt: skip
                return None
            person = by_email
        elif by_email is not person:
            report.error(
                path, "invalid_person_id_email",
                f"the id {person.id} and the e-mail {email!r} name different persons; "
                "give one of them, or both for the same person",
            )  # fmt: skip
            return None
    if person is None:  # unreachable: one of id / email resolved it
        return None
    if person.fired and not allow_fired:
        where = f"{path}/id" if pid is not None else f"{path}/email"
        report.error(
            where, "invalid_person_id",
            f"{person.name or person.email} (id {person.id}) is terminated (fired); "
            "only active persons can be referenced",
        )  # fmt: skip
        return None
    return person


def person_list(
    report: Report, path: str, value: object, directory: Directory, *, allow_fired: bool = False
) -> list[int]:
    """Person ids from a list of person refs (bad items are reported and skipped)."""
    if not isinstance(value, list):
        report.error(
            path, "invalid_value_format",
            f"expected a list of persons [{_PERSON_SHAPE}, ...], got {describe(value)}",
        )  # fmt: skip
        return []
    ids: list[int] = []
    for index, item in enumerate(value):
        person = person_ref(report, f"{path}/{index}", item, directory, allow_fired=allow_fired)
        if person is not None and person.id not in ids:
            ids.append(person.id)
    return ids


def new_file(report: Report, path: str, value: object, directory: Directory) -> FileRef | None:
    """The file a NewFile item names, or None after reporting the problem."""
    if isinstance(value, str):
        return _by_guid(report, path, value, directory)
    if not isinstance(value, dict):
        report.error(path, "invalid_value_format", f"expected {_FILE_SHAPE}, got {describe(value)}")
        return None
    if "guid" in value:
        guid = value["guid"]
        if not isinstance(guid, str):
            report.error(
                f"{path}/guid", "invalid_value_format",
                f"a guid is the string /files/upload returned, got {describe(guid)}",
            )  # fmt: skip
            return None
        found = _by_guid(report, f"{path}/guid", guid, directory)
        if found is None:
            return None
        root_id = value.get("root_id")
        if root_id is None:
            return found
        if not is_int(root_id) or directory.find_file(root_id) is None:
            report.error(
                f"{path}/root_id", "unrecognized_attachment_id",
                f"root_id must be the id of a file the author may use (uploaded by them, or on a "
                f"task they can see) to add a version to, got {describe(root_id)}",
            )  # fmt: skip
            return None
        return FileRef(file_id=found.file_id, root_id=root_id)
    if "attachment_id" in value:
        attachment_id = value["attachment_id"]
        if not is_int(attachment_id) or directory.find_file(attachment_id) is None:
            report.error(
                f"{path}/attachment_id", "unrecognized_attachment_id",
                f"attachment_id must be the id of a file the author may use (uploaded by them, "
                f"or on a task they can see), got {describe(attachment_id)}",
            )  # fmt: skip
            return None
        return FileRef(file_id=attachment_id)
    if "url" in value:
        url = value["url"]
        name = value.get("name", "")
        if not isinstance(url, str) or not url.strip():
            report.error(
                f"{path}/url", "invalid_value_format",
                f"a link attachment needs a non-empty url string, got {describe(url)}",
            )  # fmt: skip
            return None
        if name is None:
            name = ""
        if not isinstance(name, str):
            report.error(
                f"{path}/name", "invalid_value_format",
                f"a link's name is a string, got {describe(name)}",
            )  # fmt: skip
            return None
        return FileRef(url=url, name=name)
    hint = ""
    if "id" in value:
        hint = ' ({"id": ...} is not a NewFile: use {"guid": ...} for uploads, '
        hint += '{"attachment_id": ...} for existing files)'
    report.error(
        path, "invalid_value_format", f"expected {_FILE_SHAPE}, got {describe(value)}{hint}"
    )
    return None


def new_files(report: Report, path: str, value: object, directory: Directory) -> list[FileRef]:
    """Resolved NewFile items from a list (bad items are reported and skipped)."""
    if not isinstance(value, list):
        report.error(
            path,
            "invalid_value_format",
            f"expected a list of files ({_FILE_SHAPE}), got {describe(value)}",
        )
        return []
    refs: list[FileRef] = []
    for index, item in enumerate(value):
        ref = new_file(report, f"{path}/{index}", item, directory)
        if ref is not None:
            refs.append(ref)
    return refs


def _by_guid(report: Report, path: str, guid: str, directory: Directory) -> FileRef | None:
    record = directory.find_file_by_guid(guid)
    if record is None:
        shown = guid if len(guid) <= 40 else guid[:37] + "..."
        report.error(
            path, "unrecognized_attachment_id",
            f"no uploaded file has the guid {shown!r}; upload it first (POST /files/upload) "
            "and pass the guid it returns",
        )  # fmt: skip
        return None
    return FileRef(file_id=record.id)
