"""PyrusBackend: all the state of one fake Pyrus, and the operations on it.

One lock guards the state, so API threads, delivery threads and the test thread can all act
at once. The backend returns domain records (:mod:`pyrus_mock.domain.model`), raises
:class:`~pyrus_mock.api.errors.ApiError` for what the API answers, and
:class:`~pyrus_mock.domain.errors.PyrusMockError` subclasses for misuse by test authors.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ..domain.clock import Clock, VirtualClock
from ..domain.errors import InvalidArgument, UnknownEntity
from ..domain.field_values import FormRef
from ..domain.ids import IdSource
from ..domain.model import (
    Approval,
    Catalog,
    CatalogHeader,
    CatalogItem,
    Comment,
    FieldDef,
    FileRecord,
    Form,
    FormStep,
    Organisation,
    Person,
    Rights,
    Subscriber,
    Task,
    TaskList,
)
from ..domain.settings import Settings
from ..domain.violations import Violation, errors_of
from .accounts import Accounts
from .core import ApiCall, Rate, State
from .extra_store import ExtraStore
from .org_admin import OrgAdmin

__all__ = ["ApiCall", "PyrusBackend", "RateState", "TaskEvent"]


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """Something happened to a task; the delivery dispatcher listens for these.

    Attributes:
        kind: ``created`` or ``comment``.
        task: the task.
        actor_id: who acted (author of the task or of the comment).
        comment: the new comment, for ``comment`` events.
        closed: the task was closed by this event.
        depth: how many bot deliveries led to this event (for the chain limit).
    """

    kind: Literal["created", "comment"]
    task: Task
    actor_id: int
    comment: Comment | None = None
    closed: bool = False
    depth: int = 0
    inbox_before: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class RateState:
    """Rate-limit counters for one person (D11)."""

    limit: int
    remaining: int
    reset: int
    exceeded: bool


class PyrusBackend:
    """The state of one fake organisation.

    Args:
        clock: where time comes from; a fresh :class:`VirtualClock` by default.
        ids: where ids come from; ``IdSource(0)`` by default.
        settings: the fake's settings.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        ids: IdSource | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.clock: Clock = clock or VirtualClock()
        self.ids = ids or IdSource()
        self.settings = settings or Settings()
        self.lock = threading.RLock()
        self.listeners: list[Callable[[TaskEvent], None]] = []
        self._state = self._new_state()
        self._last_now = datetime.min
        #: Logins, tokens and the bot lifecycle (:class:`~pyrus_mock.state.accounts.Accounts`).
        self.accounts = Accounts(self)
        #: Roles, members, departments, form permissions
        #: (:class:`~pyrus_mock.state.org_admin.OrgAdmin`).
        self.org = OrgAdmin(self)

    @property
    def state(self) -> State:
        """The current state (:class:`~pyrus_mock.state.core.State`); read and change it under
        :attr:`lock`."""
        return self._state

    # -- state -----------------------------------------------------------------------------

    def _new_state(self) -> State:
        return State(organisation=Organisation(self.ids.next("organisation"), "Test organisation"))

    def reset(self) -> None:
        """Forget everything: persons, forms, tasks, bots, tokens, files, the API log."""
        with self.lock:
            self.ids.reset()
            self._state = self._new_state()

    @property
    def extra(self) -> ExtraStore:
        """Announcements, knowledge base, calls (:mod:`pyrus_mock.state.extra_store`); under the
        lock."""
        return self._state.extra

    @property
    def organisation(self) -> Organisation:
        """The organisation."""
        return self._state.organisation

    def now(self) -> datetime:
        """The fake's time, whole seconds (Pyrus timestamps have no fractions)."""
        current = self.clock.now().replace(microsecond=0)
        last = self._last_now
        if current == last and current.tzinfo is last.tzinfo:
            # The same (immutable) object while the second lasts: every recorded delivery and
            # attempt keeps one, so thousands of them then share it.
            return last
        self._last_now = current
        return current

    def next_id(self, kind: str) -> int:
        """A fresh id of ``kind``."""
        with self.lock:
            return self.ids.next(kind)

    def _emit(self, event: TaskEvent) -> None:
        for listener in list(self.listeners):
            listener(event)

    def hand_over_tasks(
        self, gone: Person, receiver_id: int | None, actor_id: int
    ) -> list[TaskEvent]:
        """Give ``gone``'s place on its open tasks to ``receiver_id`` (``task_receiver_id``):
        responsible, waiting approvals on the current and later steps, a participant; one
        comment by ``actor_id`` per task records it (:mod:`pyrus_mock.engine.handover`).

        ``receiver_id`` None or 0 moves nothing. The receiver is already checked to be an
        active person. Returns the events to :meth:`announce` once the lock is released.
        """
        if not receiver_id or receiver_id == gone.id:
            return []
        from ..engine.handover import hand_over

        with self.lock:
            involved = [
                t
                for t in self._state.tasks.values()
                if not t.is_closed
                and (
                    t.responsible_id == gone.id
                    or any(a.person_id == gone.id for step in t.approvals for a in step)
                )
            ]
            before = {t.id: self.inbox_ids(t) for t in involved}
            changed = hand_over(involved, gone.id, receiver_id, actor_id, self.now(),
                                lambda: self.ids.next("comment"))  # fmt: skip
            return [
                TaskEvent("comment", t, actor_id, c, False, 0, before[t.id]) for t, c in changed
            ]

    def announce(self, events: Iterable[TaskEvent]) -> None:
        """Tell the listeners (the delivery dispatcher) of ``events``. Call it without holding
        the lock: a bot that receives a task may call the API back at once."""
        for event in events:
            self._emit(event)

    # -- persons ---------------------------------------------------------------------------

    def add_person(
        self,
        first_name: str,
        last_name: str = "",
        *,
        email: str | None = None,
        type: Literal["user", "bot", "role"] = "user",
        rights: int = 0,
        security_key: str | None = None,
        **extra: Any,
    ) -> Person:
        """Add a user or role. Users get a security key for ``/auth`` (see :meth:`user_key`)."""
        with self.lock:
            pid = self.ids.next("person")
            if email is None and type == "user":
                base = (first_name + "." + last_name).strip(".").lower().replace(" ", ".")
                email = f"{base or 'user'}.{pid}@example.com"
            if email and self.find_person_by_email(email) is not None:
                raise InvalidArgument("email", f"{email!r} is already used by another person")
            person = Person(
                id=pid,
                first_name=first_name,
                last_name=last_name,
                email=email or "",
                type=type,
                rights=int(rights),
                **extra,
            )
            self._state.persons[pid] = person
            if type == "user":
                self._state.user_keys[pid] = security_key or self.accounts.new_key()
            return person

    def user_key(self, person_id: int) -> str:
        """The security key a user logs in to ``/auth`` with."""
        return self._state.user_keys[person_id]

    def persons(self) -> list[Person]:
        """Every person, in id order."""
        return list(self._state.persons.values())

    def find_person(self, person_id: int) -> Person | None:
        """A person by id, or None."""
        return self._state.persons.get(person_id)

    def find_person_by_email(self, email: str) -> Person | None:
        """A person by e-mail or bot login (case-insensitive), or None."""
        wanted = email.strip().lower()
        for person in self._state.persons.values():
            if person.email and person.email.lower() == wanted:
                return person
        return None

    def person(self, person_id: int) -> Person:
        """A person by id; raises :class:`UnknownEntity`."""
        person = self._state.persons.get(person_id)
        if person is None:
            raise UnknownEntity("person", person_id, "create one with add_user() or add_bot()")
        return person

    def resolve_person(self, ref: object, argument: str) -> int:
        """A person id from a Person, a bot handle, an int id, an e-mail or ``{"id"|"email"}``."""
        if isinstance(ref, Mapping):
            ref = ref.get("id", ref.get("email"))
        if isinstance(ref, str):
            found = self.find_person_by_email(ref)
            if found is None:
                raise InvalidArgument(argument, f"no person has the e-mail {ref!r}")
            return found.id
        pid = getattr(ref, "id", ref)
        if isinstance(pid, bool) or not isinstance(pid, int) or pid not in self._state.persons:
            raise InvalidArgument(
                argument,
                f"{ref!r} is not a person of this fake",
                "a Person or Bot returned by add_user()/add_bot(), its id, or its e-mail",
            )
        return pid

    # -- forms, catalogs, lists, files ---------------------------------------------------------

    def add_form(
        self,
        name: str,
        fields: list[FieldDef],
        by_id: dict[int, FieldDef],
        steps: list[FormStep],
        *,
        form_id: int | None = None,
    ) -> Form:
        """Add a form built by :mod:`pyrus_mock.domain.builders`; ``form_id`` keeps a saved form's
        id.

        Raises:
            InvalidArgument: ``form_id`` is the id of a form already there.
        """
        with self.lock:
            if form_id is None:
                form_id = self.ids.next("form")
                while form_id in self._state.forms:  # past a kept id
                    form_id = self.ids.next("form")
            elif form_id in self._state.forms:
                raise InvalidArgument(
                    "form_id", f"the fake already has a form {form_id}", "an id no form has"
                )
            form = Form(form_id, name, fields, steps, by_id=by_id)
            self._state.forms[form.id] = form
            return form

    def find_form(self, form_id: int) -> Form | None:
        """A form by id, or None."""
        return self._state.forms.get(form_id)

    def forms(self) -> list[Form]:
        """Every form."""
        return list(self._state.forms.values())

    def add_catalog(
        self,
        name: str,
        headers: Sequence[str | CatalogHeader],
        rows: Iterable[Sequence[str]],
        **attributes: Any,
    ) -> Catalog:
        """Add a catalog with headers and rows of text values; ``attributes`` set more
        :class:`Catalog` members (``source_type``, ``supervisors``, ``external_id``...)."""
        with self.lock:
            hdrs = [h if isinstance(h, CatalogHeader) else CatalogHeader(str(h)) for h in headers]
            catalog = Catalog(self.ids.next("catalog"), name, hdrs, **attributes)
            for index, row in enumerate(rows):
                values = [str(v) for v in row]
                if len(values) != len(hdrs):
                    raise InvalidArgument(
                        f"rows[{index}]",
                        f"has {len(values)} values for {len(hdrs)} headers",
                        "one value per header",
                    )
                catalog.items.append(CatalogItem(self.ids.next("catalog_item"), values))
            self._state.catalogs[catalog.id] = catalog
            return catalog

    def find_catalog(self, catalog_id: int) -> Catalog | None:
        """A catalog by id, or None."""
        return self._state.catalogs.get(catalog_id)

    def catalogs(self) -> list[Catalog]:
        """Every catalog."""
        return list(self._state.catalogs.values())

    def add_list(self, name: str, parent_id: int | None = None, **attributes: Any) -> TaskList:
        """Add a list (project); ``attributes`` set more :class:`TaskList` members
        (``list_type``, ``manager_ids``, ``member_ids``, ``color``...)."""
        with self.lock:
            lst = TaskList(self.ids.next("list"), name, parent_id, **attributes)
            self._state.lists[lst.id] = lst
            return lst

    def lists(self) -> list[TaskList]:
        """Every list, deleted ones included."""
        return list(self._state.lists.values())

    def find_list(self, list_id: int) -> TaskList | None:
        """A list by id (deleted ones too), or None."""
        return self._state.lists.get(list_id)

    def list_exists(self, list_id: int) -> bool:
        """Whether the list exists and is not deleted (tasks can be put in it)."""
        lst = self._state.lists.get(list_id)
        return lst is not None and not lst.deleted

    def upload(self, name: str, content: bytes, uploader_id: int) -> FileRecord:
        """Store an uploaded file; attach it later by its guid."""
        with self.lock:
            record = FileRecord(
                id=self.ids.next("file"),
                guid=self.ids.uuid(),
                name=name,
                content=content,
                md5=hashlib.md5(content).hexdigest(),
                uploaded_by=uploader_id,
            )
            record.root_id = record.id
            self._state.files[record.id] = record
            self._state.files_by_guid[record.guid] = record
            return record

    def add_link_file(self, url: str, name: str, author_id: int) -> FileRecord:
        """Record a link attachment."""
        with self.lock:
            record = FileRecord(
                self.ids.next("file"), self.ids.uuid(), name or url, b"", "", author_id, url=url
            )
            self._state.files[record.id] = record
            self._state.files_by_guid[record.guid] = record
            return record

    def find_file(self, file_id: int) -> FileRecord | None:
        """A file by id, or None."""
        return self._state.files.get(file_id)

    def find_file_by_guid(self, guid: str) -> FileRecord | None:
        """A file by upload guid (case-insensitive), or None."""
        return self._state.files_by_guid.get(guid.lower())

    # -- tasks -------------------------------------------------------------------------------

    def create_task(
        self,
        *,
        author_id: int,
        form: Form | None = None,
        fields: Mapping[str | int, Any] | None = None,
        approvals: Sequence[Sequence[int]] | None = None,
        responsible_id: int | None = None,
        text: str = "",
        subject: str = "",
        formatted_text: str = "",
        participant_ids: Sequence[int] = (),
        subscriber_ids: Sequence[int] = (),
        due_date: str | None = None,
        due: str | None = None,
        duration: int | None = None,
        scheduled_date: str | None = None,
        scheduled_datetime_utc: str | None = None,
        list_ids: Sequence[int] = (),
        parent_task_id: int | None = None,
        attachment_ids: Sequence[int] = (),
        emit: bool = True,
        as_author: bool = False,
    ) -> Task:
        """Create a task, with its first comment; field values are validated by the comment
        engine.

        The creation comment is the author's and records what the creation set; on a task
        without a form the responsible and the author become participants
        (:mod:`pyrus_mock.engine.creation`). ``approvals`` given here are the comment's
        ``approvals_added``; without them a form task takes its steps' default approvers.

        With ``as_author`` (``POST /tasks``) field values may only link tasks and attach files
        the author may see (D10); without it (the test-data builders) anything may be linked.

        Raises:
            CommentRejected: a field value Pyrus would refuse.
        """
        from ..engine.creation import creation_comment, simple_task_participants

        explicit_approvals = approvals
        participants_added: list[int] = []
        if form is None:
            participants_added = simple_task_participants(
                responsible_id, author_id, participant_ids
            )
            participant_ids = participants_added
        snapshots: list[tuple[int, Any, int | None]] = []
        with self.lock:
            now = self.now()
            task = Task(
                id=self.ids.next("task"),
                author_id=author_id,
                create_date=now,
                last_modified_date=now,
                form_id=form.id if form else None,
                text=text,
                formatted_text=formatted_text,
                subject=subject,
                responsible_id=responsible_id,
                participant_ids=list(participant_ids),
                subscribers=[Subscriber(pid) for pid in subscriber_ids],
                due_date=due_date,
                due=due,
                duration=duration,
                scheduled_date=scheduled_date,
                scheduled_datetime_utc=scheduled_datetime_utc,
                list_ids=list(list_ids),
                parent_task_id=parent_task_id,
                attachment_ids=list(attachment_ids),
            )
            if form is not None:
                task._form = FormRef(form)
                if approvals is None:
                    # By step number: steps may have gaps (1, 2, 4; contract §6.6), and the
                    # approvals list is indexed by step - 1, so a gap is a step nobody approves.
                    by_number = {step.number: step.approver_ids for step in form.steps}
                    last = max(by_number, default=0)
                    approvals = [by_number.get(n, []) for n in range(1, last + 1)]
                task.approvals = [[Approval(pid) for pid in step] for step in approvals]
                step_count = max(len(form.steps), len(task.approvals))
                while len(task.approvals) < step_count:
                    task.approvals.append([])
                task.current_step = 1
                task.step_entered_at[1] = self.clock.time()
                if fields:
                    from ..engine.application import write_initial_fields
                    from ..engine.context import Directory, SeenBy

                    directory: Directory = self
                    if as_author:
                        directory = SeenBy(self, self.person(author_id), task)
                    problems = write_initial_fields(
                        task, form, fields, directory, snapshots=snapshots
                    )
                    errors = errors_of(problems)
                    if errors:
                        from ..domain.errors import CommentRejected

                        raise CommentRejected(errors)
            task.comments.append(
                creation_comment(
                    task,
                    self.ids.next("comment"),
                    now,
                    participants_added=participants_added,
                    field_updates=snapshots,
                    approvals_added=explicit_approvals,
                    subscribers_added=subscriber_ids,
                )
            )
            self._state.tasks[task.id] = task
        if emit:
            self._emit(TaskEvent("created", task, author_id))
        return task

    def find_task(self, task_id: int) -> Task | None:
        """A task by id, or None."""
        return self._state.tasks.get(task_id)

    def task(self, task_id: int) -> Task:
        """A task by id; raises :class:`UnknownEntity`."""
        task = self._state.tasks.get(task_id)
        if task is None:
            raise UnknownEntity("task", task_id, "create one with add_task()")
        return task

    def task_exists(self, task_id: int) -> bool:
        """Whether the task exists."""
        return task_id in self._state.tasks

    def tasks(self) -> list[Task]:
        """Every task, in id order."""
        return list(self._state.tasks.values())

    def task_visible(self, person: Person, task_id: int) -> bool:
        """Whether the task exists and ``person`` may see it (:meth:`can_see`)."""
        task = self._state.tasks.get(task_id)
        return task is not None and self.can_see(person, task)

    def task_form_id(self, task_id: int) -> int | None:
        """The form of an existing task; None for a task without a form (or no such task)."""
        task = self._state.tasks.get(task_id)
        return task.form_id if task is not None else None

    def file_visible(self, person: Person, file_id: int, task: Task | None = None) -> bool:
        """Whether the file exists and ``person`` uploaded it, may see a task it is attached to,
        or it is on an announcement; ``task`` (e.g. one the caller holds a delivery token for)
        counts as visible."""
        record = self._state.files.get(file_id)
        if record is None:
            return False
        if record.uploaded_by == person.id or self._announced(file_id):
            return True
        return any(
            (other is task or self.can_see(person, other)) and file_id in self.task_file_ids(other)
            for other in self._state.tasks.values()
        )

    def _announced(self, file_id: int) -> bool:
        """Whether the file is on an announcement (or its comments): every member reads those."""
        return any(
            file_id in a.attachment_ids or any(file_id in c.attachment_ids for c in a.comments)
            for a in self._state.extra.announcements.values()
        )

    def task_file_ids(self, task: Task) -> set[int]:
        """Every file on ``task``: its attachments, its comments', its file fields' (tables too)."""
        ids = set(task.attachment_ids)
        for comment in task.comments:
            ids.update(comment.attachments)
        form = self.find_form(task.form_id) if task.form_id else None
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

    def can_see(self, person: Person, task: Task) -> bool:
        """Author, responsible, approver, participant, subscriber (in person or as a member of
        a role that is one), or the Supervisor right."""
        if person.rights & Rights.CAN_SEE_ALL_TASKS:
            return True
        ids = task.person_ids()
        if person.id in ids:
            return True
        persons = self._state.persons
        return any(
            (role := persons.get(pid)) is not None
            and role.type == "role"
            and person.id in role.member_ids
            for pid in ids
        )

    def inbox_ids(self, task: Task) -> frozenset[int]:
        """Persons in whose inbox the task is: responsible, and waiting approvers of the step."""
        if task.is_closed:
            return frozenset()
        ids: set[int] = set()
        if task.responsible_id is not None:
            ids.add(task.responsible_id)
        if task.current_step is not None:
            ids.update(
                a.person_id for a in task.approvers(task.current_step) if a.choice == "waiting"
            )
        return frozenset(ids)

    def comment(
        self,
        task: Task,
        request: Mapping[str, Any],
        author: Person,
        *,
        depth: int = 0,
        report: list[Violation] | None = None,
    ) -> Comment:
        """Validate and apply a CreateComment request as ``author``.

        ``report``, when given, receives every violation found, warnings included.

        Raises:
            CommentRejected: Pyrus would refuse the request; ``violations`` says why.
        """
        with self.lock:
            was_closed = task.is_closed
            before = self.inbox_ids(task)
            from ..engine.application import apply as apply_comment  # loaded on first use

            comment = apply_comment(request, task, author, self, report=report)
            closed = task.is_closed and not was_closed
        self._emit(TaskEvent("comment", task, author.id, comment, closed, depth, before))
        return comment

    def comment_many(
        self, items: Sequence[tuple[Task, Mapping[str, Any]]], author: Person
    ) -> list[Comment]:
        """Apply CreateComment requests on several tasks as ``author``: all or none
        (:mod:`pyrus_mock.engine.batch`); bots hear of each comment after the lock is released.

        Raises:
            CommentRejected: a request has errors (paths ``/comments/<i>/comment/...``).
        """
        from ..engine.batch import apply_all

        with self.lock:
            before = [(t.is_closed, self.inbox_ids(t)) for t, _ in items]
            comments = apply_all(items, author, self)
            events = [
                TaskEvent("comment", t, author.id, c, t.is_closed and not was, 0, inbox)
                for (t, _), c, (was, inbox) in zip(items, comments, before, strict=True)
            ]
        for event in events:
            self._emit(event)
        return comments

    def rate_check(self, person_id: int) -> RateState:
        """Count one request for ``person_id`` against the rate limit (D11)."""
        limit, window = self.settings.rate_limit, self.settings.rate_window
        with self.lock:
            now = self.clock.time()
            rate = self._state.rates.get(person_id)
            if rate is None or now >= rate.window_start + window:
                rate = self._state.rates[person_id] = Rate(now)
            rate.count += 1
            reset = max(0, int(rate.window_start + window - now))
            return RateState(limit, max(0, limit - rate.count), reset, rate.count > limit)

    def record_api_call(self, call: ApiCall) -> None:
        """Remember an API request for transcripts.

        At most ``max_api_calls_recorded`` calls are kept: the oldest are dropped and counted
        (:attr:`api_calls_dropped`), so a long run or a flood of requests keeps memory flat.
        """
        with self.lock:
            state = self._state
            state.api_calls.append(call)
            state.api_calls_total += 1
            excess = len(state.api_calls) - self.settings.max_api_calls_recorded
            for _ in range(max(0, excess)):
                state.api_calls.popleft()
            state.api_calls_dropped += max(0, excess)

    @property
    def api_calls(self) -> list[ApiCall]:
        """The API requests served since the last reset, oldest first (a copy).

        Only the newest ``max_api_calls_recorded`` are kept; :attr:`api_calls_dropped` counts
        the older ones.
        """
        with self.lock:
            return list(self._state.api_calls)

    @property
    def api_calls_dropped(self) -> int:
        """How many older API calls were dropped from :attr:`api_calls` (setting
        ``max_api_calls_recorded``) since the last reset."""
        return self._state.api_calls_dropped

    @property
    def api_calls_total(self) -> int:
        """How many API calls were recorded since the last reset, dropped ones included: a mark
        to pass to :meth:`api_calls_since`."""
        return self._state.api_calls_total

    def api_calls_since(self, mark: int) -> list[ApiCall]:
        """The recorded API calls made after :attr:`api_calls_total` was ``mark`` (those still
        kept)."""
        with self.lock:
            state = self._state
            count = min(len(state.api_calls), max(0, state.api_calls_total - mark))
            calls = state.api_calls
            return [calls[i] for i in range(len(calls) - count, len(calls))]
