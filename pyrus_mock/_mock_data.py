"""The test-data builders of :class:`~pyrus_mock.PyrusMock`: users, roles, forms, catalogs,
lists and tasks, in the shapes a test author writes.

A mixin of ``PyrusMock`` (its state stays in the one backend object, ``self.backend``); kept
apart so that the facade module holds transports, bots and deliveries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .builders import parse_fields, parse_steps
from .errors import InvalidArgument
from .model import Catalog, CatalogHeader, FieldDef, Form, FormStep, Person, Rights, Task

if TYPE_CHECKING:
    from .backend import PyrusBackend

__all__ = ["DataBuilders", "PersonRef", "parse_rights"]

PersonRef = Any  # a Person, a Bot, an int id, an e-mail, or {"id": ...} / {"email": ...}


class DataBuilders:
    """Builders of test data; mixed into :class:`~pyrus_mock.PyrusMock`."""

    backend: PyrusBackend
    _default_author: Person | None

    def add_user(
        self,
        first_name: str = "Test",
        last_name: str = "User",
        *,
        email: str | None = None,
        rights: int | Iterable[str | Rights] = 0,
        security_key: str | None = None,
        position: str = "",
    ) -> Person:
        """Add a user of the organisation.

        Args:
            first_name: first name.
            last_name: last name.
            email: e-mail (also the ``/auth`` login); generated when omitted.
            rights: a :class:`Rights` mask or names (``"supervisor"``,
                ``"configuration_manager"``).
            security_key: the key the user logs in with; generated when omitted
                (read it with ``pyrus_mock.backend.user_key(user.id)``).
            position: job title.
        """
        if not isinstance(first_name, str) or not first_name:
            raise InvalidArgument("first_name", repr(first_name), "a non-empty string")
        return self.backend.add_person(
            first_name,
            last_name,
            email=email,
            rights=parse_rights(rights),
            security_key=security_key,
            position=position,
        )

    def add_role(self, name: str, members: Sequence[PersonRef] = ()) -> Person:
        """Add a role (a person of type ``role``) with member persons."""
        ids = [self.backend.resolve_person(m, f"members[{i}]") for i, m in enumerate(members)]
        role = self.backend.add_person(name, "", type="role")
        role.member_ids = ids
        return role

    def add_form(
        self,
        name: str,
        fields: Sequence[FieldDef | Mapping[str, Any]] = (),
        steps: Sequence[str | Mapping[str, Any] | FormStep] = (),
    ) -> Form:
        """Add a form template.

        Args:
            name: the form's name.
            fields: field definitions in the Pyrus form-field JSON shape, e.g.
                ``{"name": "Amount", "type": "money", "code": "u_amount", "required": True}``,
                or :class:`FieldDef` objects. Tables take ``columns``, titles ``fields``,
                multiple_choice ``options`` (strings or ``{"choice_id", "choice_value"}``),
                catalog fields ``catalog`` (the object from :meth:`add_catalog`) or
                ``catalog_id``.
            steps: approval steps: names, or ``{"name": "Review", "approvers": [bot, user]}``;
                approvers given here are the default approvers of tasks on this form.
        """
        if not isinstance(name, str) or not name:
            raise InvalidArgument("name", repr(name), "a non-empty string")
        if isinstance(fields, (str, bytes, Mapping)):
            raise InvalidArgument("fields", f"got {type(fields).__name__}", "a list of fields")
        with self.backend.lock:
            counter = iter(range(1, 1_000_000))
            top, by_id = parse_fields(
                list(fields),
                lambda: next(counter),
                lambda cid: self.backend.find_catalog(cid) is not None,
            )
            parsed_steps = parse_steps(list(steps), self.backend.resolve_person)
            return self.backend.add_form(name, top, by_id, parsed_steps)

    def add_catalog(
        self,
        name: str,
        headers: Sequence[str | CatalogHeader],
        rows: Iterable[Sequence[str]] = (),
    ) -> Catalog:
        """Add a catalog: column names and rows of text values."""
        if not headers:
            raise InvalidArgument("headers", "a catalog needs at least one column", '["Name"]')
        return self.backend.add_catalog(name, headers, rows)

    def add_list(self, name: str) -> Any:
        """Add a list (project) tasks can be put in."""
        return self.backend.add_list(name)

    def _author(self) -> Person:
        if (
            self._default_author is None
            or self.backend.find_person(self._default_author.id) is not self._default_author
        ):
            self._default_author = self.add_user("Task", "Author")
        return self._default_author

    def create_task(
        self,
        *,
        form: Form | int | None = None,
        fields: Mapping[str | int, Any] | None = None,
        approvals: Sequence[Sequence[PersonRef]] | None = None,
        responsible: PersonRef | None = None,
        text: str = "",
        subject: str = "",
        author: PersonRef | None = None,
        participants: Sequence[PersonRef] = (),
        subscribers: Sequence[PersonRef] = (),
        due_date: str | None = None,
        list_ids: Sequence[int] = (),
    ) -> Task:
        """Create a task (a form task when ``form`` is given), with its first comment.

        As in Pyrus, the creation is recorded as the task's first comment, by its author: the
        text, the responsible (``reassigned_to``), the participants who joined, the field
        values set (``field_updates``), the approvers named in ``approvals``
        (``approvals_added``). On a task without a form the responsible and the author become
        participants. A bot reading ``task["comments"][-1]`` finds it on the first delivery.

        Args:
            form: the form (or its id).
            fields: values by field code, name or id, in the Pyrus write shape of the field's
                type (``{"u_amount": 120.5, "Due": "2026-02-01"}``).
            approvals: approvers per step, overriding the form's default approvers.
            responsible: who is responsible.
            text: the task text (also the creation comment's text).
            subject: the subject.
            author: who created it; a default user when omitted.
            participants: more participants (simple tasks; after the responsible and the
                author).
            subscribers: subscribers.
            due_date: ``YYYY-MM-DD``.
            list_ids: lists to add the task to.
        """
        backend = self.backend
        form_obj: Form | None
        if form is None:
            form_obj = None
            if fields:
                raise InvalidArgument("fields", "only form tasks have fields", "pass form=...")
        else:
            form_id = getattr(form, "id", form)
            form_obj = backend.find_form(form_id) if isinstance(form_id, int) else None
            if form_obj is None:
                raise InvalidArgument(
                    "form",
                    f"{form!r} is not a form of this fake",
                    "a Form from add_form() or its id",
                )
        if fields is not None and not isinstance(fields, Mapping):
            raise InvalidArgument(
                "fields", f"got {type(fields).__name__}", "a dict {code_or_name_or_id: value}"
            )
        author_id = (
            backend.resolve_person(author, "author") if author is not None else self._author().id
        )
        approval_ids = None
        if approvals is not None:
            if form_obj is None:
                raise InvalidArgument("approvals", "only form tasks have approvals", "form=...")
            approval_ids = [
                [backend.resolve_person(p, f"approvals[{s}][{i}]") for i, p in enumerate(step)]
                for s, step in enumerate(approvals)
            ]
        return backend.create_task(
            author_id=author_id,
            form=form_obj,
            fields=fields,
            approvals=approval_ids,
            responsible_id=(
                backend.resolve_person(responsible, "responsible")
                if responsible is not None
                else None
            ),
            text=text,
            subject=subject,
            participant_ids=[
                backend.resolve_person(p, f"participants[{i}]") for i, p in enumerate(participants)
            ],
            subscriber_ids=[
                backend.resolve_person(p, f"subscribers[{i}]") for i, p in enumerate(subscribers)
            ],
            due_date=due_date,
            list_ids=list_ids,
        )

    def task(self, task_id: int) -> Task:
        """The task with that id (raises :class:`~pyrus_mock.errors.UnknownEntity`)."""
        return self.backend.task(task_id)


_RIGHT_NAMES = {
    "supervisor": Rights.SUPERVISOR,
    "configuration_manager": Rights.CONFIGURATION_MANAGER,
    "configuration manager": Rights.CONFIGURATION_MANAGER,
}


def parse_rights(rights: int | Iterable[str | Rights]) -> int:
    """A rights mask from an int or names such as ``("supervisor", "configuration_manager")``."""
    if isinstance(rights, int):
        return int(rights)
    if isinstance(rights, str):
        rights = [rights]
    mask = 0
    for item in rights:
        if isinstance(item, Rights):
            mask |= item
        elif isinstance(item, str) and item.lower() in _RIGHT_NAMES:
            mask |= _RIGHT_NAMES[item.lower()]
        else:
            raise InvalidArgument(
                "rights",
                repr(item),
                "'supervisor', 'configuration_manager', a Rights mask or an int",
            )
    return mask
