"""The test-data builders of :class:`~pyrus_mock.PyrusMock`: users, roles, forms, catalogs,
lists and tasks, in the shapes a test author writes.

A mixin of ``PyrusMock`` (its state stays in the one backend object, ``self._backend``); kept
apart so that the facade module holds transports, bots and deliveries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..api.catalog_edits import SOURCE_TYPES
from ..domain.builders import parse_fields, parse_steps
from ..domain.errors import InvalidArgument
from ..domain.model import (
    Catalog,
    CatalogHeader,
    FieldDef,
    Form,
    FormStep,
    Person,
    Rights,
    Task,
    TaskList,
)
from ..domain.model_extra import (
    Announcement,
    AnnouncementComment,
    CallIntegration,
    KbEntity,
    KbType,
)
from ..domain.orgchart import Department

if TYPE_CHECKING:
    from ..state.backend import PyrusBackend

__all__ = ["DataBuilders", "PersonRef", "parse_rights"]

PersonRef = Any  # a Person, a Bot, an int id, an e-mail, or {"id": ...} / {"email": ...}


class DataBuilders:
    """Builders of test data; mixed into :class:`~pyrus_mock.PyrusMock`."""

    _backend: PyrusBackend
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
            rights: a :class:`Rights` mask or names (``"supervisor"``, ``"organization_manager"``,
                ``"configuration_manager"``).
            security_key: the key the user logs in with; generated when omitted
                (read it with ``pyrus_mock.backend.user_key(user.id)``).
            position: job title.
        """
        if not isinstance(first_name, str) or not first_name:
            raise InvalidArgument("first_name", repr(first_name), "a non-empty string")
        return self._backend.add_person(
            first_name,
            last_name,
            email=email,
            rights=parse_rights(rights),
            security_key=security_key,
            position=position,
        )

    def add_role(
        self, name: str, members: Sequence[PersonRef] = (), *, external_id: str = ""
    ) -> Person:
        """Add a role (a person of type ``role``) with member persons.

        Roles approve and comment through their members (the comment engine), and are
        managed through ``/roles`` like any role made by the API.
        """
        if not isinstance(name, str) or not name.strip():
            raise InvalidArgument("name", repr(name), "a non-empty string")
        ids = [self._backend.resolve_person(m, f"members[{i}]") for i, m in enumerate(members)]
        return self._backend.org.create_role(name, ids, external_id)

    def add_department(
        self,
        name: str,
        *,
        parent: Department | int | None = None,
        manager: PersonRef | None = None,
        members: Sequence[PersonRef] = (),
        external_id: int | None = None,
    ) -> Department:
        """Add a department to the org chart (``GET /orgchart``).

        Args:
            name: ``department_name``.
            parent: the parent department (or its id); top level when omitted.
            manager: the person heading it.
            members: persons placed in it (their ``department_id``/``department_name``).
            external_id: an integer of the caller's own.
        """
        if not isinstance(name, str) or not name.strip():
            raise InvalidArgument("name", repr(name), "a non-empty string")
        backend = self._backend
        with backend.lock:
            parent_id = getattr(parent, "id", parent)
            if parent_id is not None and (
                not isinstance(parent_id, int) or backend.org.find_department(parent_id) is None
            ):
                raise InvalidArgument(
                    "parent", f"{parent!r} is not a department of this fake", "add_department()"
                )
            manager_id = None if manager is None else backend.resolve_person(manager, "manager")
            placed = [backend.resolve_person(m, f"members[{i}]") for i, m in enumerate(members)]
            department = backend.org.create_department(
                name, parent_id=parent_id, manager_id=manager_id, external_id=external_id
            )
            for person_id in placed:
                backend.org.update_member(
                    backend.person(person_id), {"department_id": department.id}
                )
            return department

    def set_form_permissions(
        self, form: Form | int, permissions: Mapping[PersonRef, str]
    ) -> dict[int, str]:
        """Give persons access levels to a form (``GET /forms/{id}/permissions``):
        ``{user: "manager"}``; levels ``none``, ``member``, ``manager``,
        ``restricted_manager``, ``administrator`` (``none`` removes). Returns the whole table.
        """
        from ..domain.orgchart import PERMISSION_LEVELS

        backend = self._backend
        form_id = getattr(form, "id", form)
        if not isinstance(form_id, int) or backend.find_form(form_id) is None:
            raise InvalidArgument("form", f"{form!r} is not a form of this fake", "add_form()")
        changes: dict[int, str] = {}
        for ref, level in permissions.items():
            if level not in PERMISSION_LEVELS:
                raise InvalidArgument(
                    f"permissions[{ref!r}]", repr(level), " / ".join(PERMISSION_LEVELS)
                )
            changes[backend.resolve_person(ref, f"permissions[{ref!r}]")] = level
        return backend.org.set_form_permissions(form_id, changes)

    def add_form(
        self,
        name: str,
        fields: Sequence[FieldDef | Mapping[str, Any]] = (),
        steps: Sequence[str | Mapping[str, Any] | FormStep] = (),
        *,
        inbox_group: bool = False,
    ) -> Form:
        """Add a form template.

        Args:
            name: the form's name.
            fields: field definitions in the Pyrus form-field JSON shape, e.g.
                ``{"name": "Amount", "type": "money", "code": "u_amount", "required": True}``,
                or :class:`FieldDef` objects. Tables take ``columns``, titles ``fields``,
                multiple_choice ``options`` (strings or ``{"choice_id", "choice_value"}``),
                catalog fields ``catalog`` (the object from :meth:`add_catalog`) or
                ``catalog_id``. ``default`` (a value as ``POST /tasks`` ``fields`` take it) is
                written into tasks created with ``fill_defaults: true`` that give no value.
            steps: approval steps: names, or ``{"name": "Review", "approvers": [bot, user]}``;
                approvers given here are the default approvers of tasks on this form.
                ``"due_minutes": 60`` gives the step a deadline (minutes from entering it),
                which the register's ``due_filter`` tests.
            inbox_group: show this form's waiting tasks in the inbox as one group
                (``task_groups`` of ``GET /inbox``, id and name of the form) rather than among
                the inbox's ``tasks``.
        """
        if not isinstance(name, str) or not name:
            raise InvalidArgument("name", repr(name), "a non-empty string")
        if isinstance(fields, (str, bytes, Mapping)):
            raise InvalidArgument("fields", f"got {type(fields).__name__}", "a list of fields")
        with self._backend.lock:
            counter = iter(range(1, 1_000_000))
            top, by_id = parse_fields(
                list(fields),
                lambda: next(counter),
                lambda cid: self._backend.find_catalog(cid) is not None,
            )
            parsed_steps = parse_steps(list(steps), self._backend.resolve_person)
            form = self._backend.add_form(name, top, by_id, parsed_steps)
            form.inbox_group = bool(inbox_group)
            return form

    def add_catalog(
        self,
        name: str,
        headers: Sequence[str | CatalogHeader],
        rows: Iterable[Sequence[str]] = (),
        *,
        supervisors: Sequence[PersonRef] = (),
        source_type: str = "default",
    ) -> Catalog:
        """Add a catalog: column names and rows of text values.

        Args:
            name: the catalog's name.
            headers: column names (or :class:`CatalogHeader` objects).
            rows: one list of text values per item, one value per column.
            supervisors: persons who may change the catalog through the API (sync, diff,
                delete) without the Configuration manager right.
            source_type: a value of the clients' SourceType enum (``"default"``,
                ``"fill_table"``...).
        """
        if not headers:
            raise InvalidArgument("headers", "a catalog needs at least one column", '["Name"]')
        if source_type not in SOURCE_TYPES:
            raise InvalidArgument(
                "source_type", repr(source_type), '"default", "fill_table" or another SourceType'
            )
        ids = [
            self._backend.resolve_person(p, f"supervisors[{i}]") for i, p in enumerate(supervisors)
        ]
        return self._backend.add_catalog(
            name, headers, rows, supervisors=ids, source_type=source_type
        )

    def add_list(
        self,
        name: str,
        *,
        parent: TaskList | int | None = None,
        managers: Sequence[PersonRef] = (),
        members: Sequence[PersonRef] = (),
        private: bool = False,
    ) -> TaskList:
        """Add a list (project) tasks can be put in.

        Args:
            name: the list's name.
            parent: the list (or its id) this one is a sub-list of.
            managers: persons who may change or delete the list through the API.
            members: persons who see the list when it is private.
            private: a private list (``list_type: "private"``), seen only by its managers and
                members; otherwise every member sees it (``"org_wide"``).
        """
        parent_id = getattr(parent, "id", parent)
        if parent_id is not None and (
            not isinstance(parent_id, int) or self._backend.find_list(parent_id) is None
        ):
            raise InvalidArgument(
                "parent", f"{parent!r} is not a list of this fake", "a list from add_list()"
            )
        backend = self._backend
        return backend.add_list(
            name,
            parent_id,
            manager_ids=[
                backend.resolve_person(p, f"managers[{i}]") for i, p in enumerate(managers)
            ],
            member_ids=[backend.resolve_person(p, f"members[{i}]") for i, p in enumerate(members)],
            list_type="private" if private else "org_wide",
            is_private=private,
        )

    def _author(self) -> Person:
        if (
            self._default_author is None
            or self._backend.find_person(self._default_author.id) is not self._default_author
        ):
            self._default_author = self.add_user("Task", "Author")
        return self._default_author

    def add_task(
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
        due: str | None = None,
        duration: int | None = None,
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
            due: due moment ``YYYY-MM-DDThh:mm:ssZ`` (instead of ``due_date``).
            duration: minutes the task lasts from ``due`` (an event in the calendar).
        """
        from ..engine.common import parse_timestamp

        if due is not None and (due_date is not None or parse_timestamp(due) is None):
            raise InvalidArgument(
                "due", repr(due), "a YYYY-MM-DDThh:mm:ssZ moment, and no due_date with it"
            )
        if duration is not None and (due is None or isinstance(duration, bool) or duration < 0):
            raise InvalidArgument("duration", repr(duration), "minutes >= 0, given with due")
        backend = self._backend
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
            due=due,
            duration=duration,
            list_ids=list_ids,
        )

    def task(self, task_id: int) -> Task:
        """The task with that id (raises :class:`~pyrus_mock.domain.errors.UnknownEntity`)."""
        return self._backend.task(task_id)

    # -- announcements, knowledge base, telephony ------------------------------------------------

    def add_announcement(
        self,
        text: str,
        *,
        author: PersonRef | None = None,
        comments: Sequence[str | tuple[PersonRef, str]] = (),
    ) -> Announcement:
        """Add an announcement (``GET /announcements`` lists it, newest first).

        Args:
            text: the announcement's text.
            author: who posted it; a default user when omitted.
            comments: comment texts, or ``(author, text)`` pairs.
        """
        if not isinstance(text, str) or not text.strip():
            raise InvalidArgument("text", repr(text), "a non-empty string")
        backend = self._backend
        with backend.lock:
            author_id = (
                backend.resolve_person(author, "author")
                if author is not None
                else self._author().id
            )
            now = backend.now()
            made = Announcement(backend.ids.next("announcement"), author_id, now, now, text)
            for index, item in enumerate(comments):
                who, said = (author_id, item) if isinstance(item, str) else item
                made.comments.append(
                    AnnouncementComment(
                        backend.ids.next("comment"),
                        backend.resolve_person(who, f"comments[{index}]"),
                        now,
                        str(said),
                    )
                )
            backend.extra.announcements[made.id] = made
            return made

    def add_kb_entity(
        self,
        type: KbType,
        title: str,
        body: str = "",
        *,
        parent: KbEntity | str | None = None,
        author: PersonRef | None = None,
        inherit: bool = True,
        readers: Sequence[PersonRef] = (),
        editors: Sequence[PersonRef] = (),
    ) -> KbEntity:
        """Add a knowledge-base article or topic (the ``/knowledgebase`` endpoints).

        Args:
            type: ``"article"`` or ``"topic"``.
            title: the title.
            body: the article's markdown text.
            parent: the topic it goes in (the entity or its id); the root when omitted.
            author: its author (who has write access); a default user when omitted.
            inherit: take the parent's permissions (every member reads root entities).
            readers: persons given read access on it.
            editors: persons given write access on it.
        """
        if type not in ("article", "topic"):
            raise InvalidArgument("type", repr(type), "'article' or 'topic'")
        if not isinstance(title, str) or not title.strip():
            raise InvalidArgument("title", repr(title), "a non-empty string")
        backend = self._backend
        with backend.lock:
            parent_id: str | None = None
            if parent is not None:
                wanted = parent.id if isinstance(parent, KbEntity) else parent
                found = backend.extra.kb.get(wanted) if isinstance(wanted, str) else None
                if found is None or found.type != "topic":
                    raise InvalidArgument(
                        "parent", f"{parent!r} is not a topic of this fake", "a topic or its id"
                    )
                parent_id = found.id
            author_id = (
                backend.resolve_person(author, "author")
                if author is not None
                else self._author().id
            )
            now = backend.now()
            entity = KbEntity(
                id=backend.ids.uuid(),
                type=type,
                title=title,
                author_id=author_id,
                created_at=now,
                updated_at=now,
                last_edited_by=author_id,
                body=body,
                parent_id=parent_id,
                inherit=inherit,
                readers=[backend.resolve_person(p, f"readers[{i}]") for i, p in enumerate(readers)],
                editors=[backend.resolve_person(p, f"editors[{i}]") for i, p in enumerate(editors)],
            )
            backend.extra.kb[entity.id] = entity
            return entity

    def add_call_integration(self, account_id: str, form: Form | int) -> CallIntegration:
        """Register a telephony integration account: ``POST /integrations/call`` with this
        ``account_id`` creates a task on ``form`` (the form or its id), filling the fields whose
        ``code`` the call's ``mappings`` name."""
        if not isinstance(account_id, str) or not account_id:
            raise InvalidArgument("account_id", repr(account_id), "a non-empty string")
        backend = self._backend
        with backend.lock:
            form_id = getattr(form, "id", form)
            if not isinstance(form_id, int) or backend.find_form(form_id) is None:
                raise InvalidArgument(
                    "form", f"{form!r} is not a form of this fake", "a Form from add_form()"
                )
            made = CallIntegration(account_id, form_id)
            backend.extra.call_integrations[account_id] = made
            return made


_RIGHT_NAMES = {
    "organization_manager": Rights.ORGANIZATION_MANAGER,
    "organization manager": Rights.ORGANIZATION_MANAGER,
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
                "'supervisor', 'configuration_manager', 'organization_manager', "
                "a Rights mask or an int",
            )
    return mask
