"""Hypothesis strategies for Pyrus data: forms, task values, and bot replies (CreateComment).

Needs Hypothesis: ``pip install 'pyrus-mock[fuzz]'``. Every value drawn here is built from the
fake's own field rules (:mod:`pyrus_mock.engine.fieldvalues`, :mod:`pyrus_mock.builders`) and,
where the rules depend on the task (comments), checked with :func:`pyrus_mock.engine.validate`,
so a "valid" value is one the fake accepts and an "invalid" one is one it refuses::

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from pyrus_mock import strategies as ps

    @settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(data=st.data())   # the fake is a fixture: draw inside the test
    def test_bot_survives_any_expense(pyrus_mock, bot, data: st.DataObject):
        steps = [{"name": "Check", "approvers": [bot]}]
        form = pyrus_mock.add_form("Expense", fields=[...], steps=steps)
        spec = data.draw(ps.task_specs(pyrus_mock, form))
        task = spec.create(pyrus_mock, form)   # the fake calls the bot, signed, over TLS
        assert bot.deliveries[-1].ok

=====================  ==========================================================================
strategy               draws
=====================  ==========================================================================
form_specs()           a :class:`FormSpec`: fields of every type (tables, titles, catalogs with
                       their rows, choices), steps; ``spec.create(mock, approvers=[bot])``
forms(mock)            ``form_specs()`` created in ``mock``: a :class:`~pyrus_mock.model.Form`
field_values(mock, f)  a valid write-shape value of the field ``f`` (a ``FieldDef``)
task_specs(mock, form) a :class:`TaskSpec` (text and field values by code) the form accepts
tasks(mock, form)      ``task_specs()`` created in ``mock``: a :class:`~pyrus_mock.model.Task`
comments(mock, task)   a CreateComment the fake accepts from ``author`` on ``task``
invalid_comments(...)  a CreateComment the fake refuses (at least one error)
=====================  ==========================================================================

Values that name other things are portable: catalog items by name (``item_names``) when first
columns are unique, persons by ``{"email"}``, files as link attachments (``{"url", "name"}``),
so a drawn task can be printed as a test that recreates it (:meth:`TaskSpec.to_python`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import partial
from typing import TYPE_CHECKING, Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "pyrus_mock.strategies needs Hypothesis, which is not installed: "
        "pip install 'pyrus-mock[fuzz]' (or pip install hypothesis)"
    ) from exc

from ..domain.model import READ_ONLY_TYPES, FieldDef, Form, Person, Task
from ..engine.fieldvalues import _EMAIL

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from .fake import PyrusMock

__all__ = [
    "LEAF_FIELD_TYPES",
    "CatalogSpec",
    "FormSpec",
    "TaskSpec",
    "comments",
    "field_values",
    "form_specs",
    "forms",
    "invalid_comments",
    "task_specs",
    "tasks",
]

#: Field types with a self-contained value (what tables and titles hold in generated forms).
LEAF_FIELD_TYPES: tuple[str, ...] = (
    "text", "money", "number", "date", "time", "checkmark", "due_date", "due_date_time",
    "email", "phone", "flag", "catalog", "file", "person", "form_link",
)  # fmt: skip
_COMPOSITE_TYPES = ("multiple_choice", "table", "title")
_GENERATED_READ_ONLY = ("note", "step", "status", "author", "creation_date", "project")

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
_WORD = (
    st.text(string.ascii_letters + string.digits + " -", min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
)
_FIRST_DATE, _LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)


# -- forms --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogSpec:
    """A catalog a generated form refers to: its name, column names and rows of text."""

    name: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class FormSpec:
    """A generated form, as data: create it in a fake with :meth:`create`.

    Attributes:
        name: the form's name.
        fields: field definitions in the shape ``add_form`` takes; a catalog field names its
            catalog with ``"catalog": "<CatalogSpec.name>"``.
        steps: step names (the first step's approvers are given to :meth:`create`).
        catalogs: the catalogs the fields refer to.
    """

    name: str
    fields: tuple[dict[str, Any], ...]
    steps: tuple[str, ...]
    catalogs: tuple[CatalogSpec, ...] = ()

    def create(self, mock: PyrusMock, approvers: Sequence[Any] = ()) -> Form:
        """Create the catalogs and the form in ``mock``; ``approvers`` approve the first step."""
        made = {c.name: mock.add_catalog(c.name, list(c.headers), c.rows) for c in self.catalogs}
        fields = [_resolve_catalogs(spec, made) for spec in self.fields]
        steps: list[Any] = [{"name": self.steps[0], "approvers": list(approvers)}]
        steps += list(self.steps[1:])
        return mock.add_form(self.name, fields=fields, steps=steps)

    def to_python(self, approver: str = "bot", mock: str = "pyrus_mock") -> str:
        """Python statements that create this form as ``form`` (and its catalogs)."""
        lines = []
        for index, catalog in enumerate(self.catalogs):
            rows = [list(r) for r in catalog.rows]
            lines.append(
                f"catalog_{index} = {mock}.add_catalog({catalog.name!r}, "
                f"{list(catalog.headers)!r}, {rows!r})"
            )
        names = {c.name: f"catalog_{i}" for i, c in enumerate(self.catalogs)}
        fields = repr([_catalog_vars(spec, names) for spec in self.fields])
        steps = [f'{{"name": {self.steps[0]!r}, "approvers": [{approver}]}}']
        steps += [repr(s) for s in self.steps[1:]]
        lines.append(f"form = {mock}.add_form(\n    {self.name!r},\n    fields={fields},\n"
                     f"    steps=[{', '.join(steps)}],\n)")  # fmt: skip
        return "\n".join(lines)


class _Var:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


def _catalog_vars(spec: dict[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    out = dict(spec)
    if out.get("type") == "catalog":
        out["catalog"] = _Var(names[out["catalog"]])
    for key in ("columns", "fields"):
        if key in out:
            out[key] = [_catalog_vars(s, names) for s in out[key]]
    return out


def _resolve_catalogs(spec: dict[str, Any], made: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(spec)
    if out.get("type") == "catalog":
        out["catalog"] = made[out["catalog"]]
    for key in ("columns", "fields"):
        if key in out:
            out[key] = [_resolve_catalogs(s, made) for s in out[key]]
    return out


def form_specs(
    *,
    types: Sequence[str] | None = None,
    max_fields: int = 8,
    max_steps: int = 3,
) -> SearchStrategy[FormSpec]:
    """Forms with fields of the given types (default: every type, read-only ones included).

    Tables get leaf-type columns, titles leaf-type children, multiple_choice fields 2 to 4
    options, catalog fields their own catalog (unique first column, 1 to 4 rows), number and
    money fields sometimes ``decimal_places``. Codes are ``u_<type>_<n>``, names unique.
    """
    allowed = tuple(types) if types is not None else (
        *LEAF_FIELD_TYPES, *_COMPOSITE_TYPES, *_GENERATED_READ_ONLY)  # fmt: skip
    unknown = set(allowed) - {*LEAF_FIELD_TYPES, *_COMPOSITE_TYPES, *_GENERATED_READ_ONLY}
    if unknown:
        raise ValueError(f"unknown field types {sorted(unknown)}; see pyrus_mock.model.FIELD_TYPES")
    leaves = tuple(t for t in allowed if t in LEAF_FIELD_TYPES) or ("text",)

    @st.composite
    def build(draw: Callable[..., Any]) -> FormSpec:
        counter = iter(range(1, 10_000))
        catalogs: list[CatalogSpec] = []

        def leaf(ftype: str) -> dict[str, Any]:
            n = next(counter)
            spec: dict[str, Any] = {"name": f"{ftype.title()} {n}", "type": ftype,
                                    "code": f"u_{ftype}_{n}"}  # fmt: skip
            if ftype in ("number", "money") and draw(st.booleans()):
                spec["decimal_places"] = draw(st.integers(0, 4))
            elif ftype == "text" and draw(st.booleans()):
                spec["multiline"] = True
            elif ftype == "catalog":
                catalog = draw(_catalog_specs(f"Catalog {n}"))
                catalogs.append(catalog)
                spec["catalog"] = catalog.name
                spec["multiple"] = draw(st.booleans())
            elif ftype == "note":
                spec["text"] = "A hint"
            return spec

        fields: list[dict[str, Any]] = []
        for ftype in draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=max_fields)):
            if ftype == "table":
                spec = leaf("table")
                kinds = draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=3))
                spec["columns"] = [leaf(k) for k in kinds]
            elif ftype == "title":
                spec = leaf("title")
                kinds = draw(st.lists(st.sampled_from(leaves), max_size=3))
                spec["fields"] = [leaf(k) for k in kinds]
            elif ftype == "multiple_choice":
                spec = leaf("multiple_choice")
                spec["options"] = draw(st.lists(_WORD, min_size=2, max_size=4, unique=True))
            else:
                spec = leaf(ftype)
            fields.append(spec)
        steps = draw(st.lists(_WORD, min_size=1, max_size=max_steps, unique=True))
        return FormSpec(f"Fuzz form {draw(_WORD)}", tuple(fields), tuple(steps), tuple(catalogs))

    return build()


def _catalog_specs(name: str) -> SearchStrategy[CatalogSpec]:
    rows = st.lists(st.tuples(_WORD, _WORD), min_size=1, max_size=4,
                    unique_by=lambda row: row[0])  # fmt: skip
    return rows.map(lambda r: CatalogSpec(name, ("Name", "Note"), tuple(r)))


def forms(mock: PyrusMock, approvers: Sequence[Any] = (), **options: Any) -> SearchStrategy[Form]:
    """:func:`form_specs` created in ``mock`` (each draw adds a form and its catalogs)."""
    return form_specs(**options).map(lambda spec: spec.create(mock, approvers))


# -- field values -------------------------------------------------------------------------------


def field_values(
    mock: PyrusMock, fd: FieldDef, *, link_tasks: Sequence[int] | None = None
) -> SearchStrategy[Any] | None:
    """Valid write-shape values of the field ``fd`` (the shapes of ``field_updates``).

    Returns None when the field takes no value from a comment (read-only types) or no value
    can be built (a person field in a fake with no users, a form_link with no task to link, an
    empty catalog). ``link_tasks`` are the task ids a form_link may link (default: every task
    of the linked form existing now).
    """
    if fd.type in READ_ONLY_TYPES:
        return None
    maker = _VALUE_MAKERS.get(fd.type)
    if maker is not None:
        return maker(fd)
    backend = mock._backend
    if fd.type == "person":
        with backend.lock:
            emails = [p.email for p in backend.persons() if _assignable(p)]
        return st.sampled_from(emails).map(lambda e: {"email": e}) if emails else None
    if fd.type == "catalog":
        return _catalog_values(mock, fd)
    if fd.type == "form_link":
        if link_tasks is None:
            with backend.lock:
                link_tasks = [t.id for t in backend.tasks()
                              if fd.linked_form_id in (None, t.form_id)]  # fmt: skip
        if not link_tasks:
            return None
        return st.lists(st.sampled_from(list(link_tasks)), min_size=1, max_size=2,
                        unique=True).map(lambda ids: {"task_ids": ids})  # fmt: skip
    if fd.type == "multiple_choice":
        live = [o.id for o in fd.options if not o.deleted]
        return st.sampled_from(live).map(lambda c: {"choice_ids": [c]}) if live else None
    if fd.type == "title":
        children = _nested(mock, fd.children, link_tasks)
        if not children:
            return None
        updates = [strategy.map(partial(_update, child)) for child, strategy in children]
        chosen = st.lists(st.one_of(updates), min_size=1, max_size=3, unique_by=_update_key)
        return chosen.map(lambda items: {"fields": items})
    if fd.type == "table":
        columns = _nested(mock, fd.columns, link_tasks)
        if not columns:
            return None
        row = st.fixed_dictionaries({}, optional={_key(c): s for c, s in columns}).map(
            lambda cells: {"cells": [{_key_name(k): k, "value": v} for k, v in cells.items()]}
        )
        return st.lists(row, min_size=1, max_size=3)
    return None


def _nested(
    mock: PyrusMock, children: Sequence[FieldDef], link_tasks: Sequence[int] | None
) -> list[tuple[FieldDef, SearchStrategy[Any]]]:
    out = []
    for child in children:
        strategy = field_values(mock, child, link_tasks=link_tasks)
        if strategy is not None:
            out.append((child, strategy))
    return out


def _key(fd: FieldDef) -> str | int:
    return fd.code or fd.id


def _ident(fd: FieldDef) -> str:
    return "code" if fd.code else "id"


def _key_name(key: str | int) -> str:
    return "id" if isinstance(key, int) else "code"


def _update(fd: FieldDef, value: Any) -> dict[str, Any]:
    return {_ident(fd): _key(fd), "value": value}


def _update_key(update: dict[str, Any]) -> Any:
    return update.get("code", update.get("id"))


def _assignable(person: Person) -> bool:
    return person.type == "user" and bool(person.email) and not person.fired and not person.banned


def _number_values(fd: FieldDef) -> SearchStrategy[Any]:
    whole = st.integers(-(10**9), 10**9)
    places = fd.decimal_places
    if places is None:
        fraction = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)
    elif places == 0:
        return whole
    else:
        fraction = st.decimals(-(10**9), 10**9, places=places, allow_nan=False,
                               allow_infinity=False).map(float)  # fmt: skip
    # An integral float is sent as the int it equals, so that shrinking ends on one value.
    return whole | fraction.map(lambda v: int(v) if v.is_integer() else v)


def _leaf_makers() -> dict[str, Callable[[FieldDef], SearchStrategy[Any]]]:
    dates = st.dates(_FIRST_DATE, _LAST_DATE).map(date.isoformat)
    moments = st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    files = st.lists(
        st.fixed_dictionaries({"url": _WORD.map(lambda w: "https://example.com/" + w.replace(
            " ", "-")), "name": _WORD}),
        min_size=1, max_size=2,
    )  # fmt: skip
    return {
        "text": lambda fd: _TEXT,
        "phone": lambda fd: st.from_regex(re.compile(r"\+?[0-9]{3,15}"), fullmatch=True),
        "email": lambda fd: st.emails().filter(lambda e: _EMAIL.fullmatch(e) is not None),
        "number": _number_values,
        "money": _number_values,
        "date": lambda fd: dates,
        "due_date": lambda fd: dates,
        "due_date_time": lambda fd: moments,
        "time": lambda fd: st.times(time(0, 0), time(23, 59)).map(lambda t: t.strftime("%H:%M")),
        "checkmark": lambda fd: st.sampled_from(["checked", "unchecked"]),
        "flag": lambda fd: st.sampled_from(["none", "checked", "unchecked"]),
        "file": lambda fd: files,
    }


_VALUE_MAKERS = _leaf_makers()


def _catalog_values(mock: PyrusMock, fd: FieldDef) -> SearchStrategy[Any] | None:
    backend = mock._backend
    with backend.lock:
        catalog = backend.find_catalog(fd.catalog_id) if fd.catalog_id is not None else None
        items = [(i.id, i.values[0] if i.values else "") for i in catalog.items
                 if not i.deleted] if catalog is not None else []  # fmt: skip
    if not items:
        return None
    firsts = [name for _, name in items]
    by_name = len(set(firsts)) == len(firsts) and all(firsts)
    size = len(items) if fd.multiple else 1
    chosen = st.lists(st.sampled_from(items), min_size=1, max_size=size, unique=True)
    if by_name:
        return chosen.map(lambda its: {"item_names": [name for _, name in its]})
    return chosen.map(lambda its: {"item_ids": [item_id for item_id, _ in its]})


# -- tasks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskSpec:
    """A generated task of a form, as data: its text and field values by code (or id).

    ``spec.create(mock, form)`` creates it (and the fake delivers it to the bots of the first
    step, as for any new task); :meth:`to_python` prints the same call.
    """

    text: str
    fields: dict[str | int, Any] = field(default_factory=dict)

    def create(self, mock: PyrusMock, form: Form, **options: Any) -> Task:
        """``mock.add_task(form=form, text=..., fields=..., **options)``."""
        return mock.add_task(form=form, text=self.text, fields=self.fields, **options)

    def to_python(
        self, mock: str = "pyrus_mock", form: str = "form", approvals: str | None = None
    ) -> str:
        """The ``add_task`` call that makes this task, as Python source."""
        extra = f"    approvals={approvals},\n" if approvals else ""
        return (
            f"task = {mock}.add_task(\n    form={form},\n{extra}    text={self.text!r},\n"
            f"    fields={self.fields!r},\n)"
        )


def task_specs(
    mock: PyrusMock, form: Form, *, text: SearchStrategy[str] | None = None,
    link_tasks: Sequence[int] | None = None,
) -> SearchStrategy[TaskSpec]:  # fmt: skip
    """Tasks of ``form`` with valid values for any subset of its writable fields.

    Shrinking drops fields and simplifies values, so a failing task shrinks to the one field
    value that matters. Title children are written through their title, table columns through
    rows of their table; read-only fields are left alone.
    """
    optional: dict[str | int, SearchStrategy[Any]] = {}
    for fd in form.fields:
        strategy = field_values(mock, fd, link_tasks=link_tasks)
        if strategy is not None:
            optional[_key(fd)] = strategy
    values = st.fixed_dictionaries({}, optional=optional)
    return st.builds(TaskSpec, text if text is not None else _TEXT, values)


def tasks(mock: PyrusMock, form: Form, **options: Any) -> SearchStrategy[Task]:
    """:func:`task_specs` created in ``mock`` (each draw adds a task, delivered as usual)."""
    return task_specs(mock, form, **options).map(lambda spec: spec.create(mock, form))


# -- comments (bot replies) ---------------------------------------------------------------------


def comments(mock: PyrusMock, task: Task, author: Any = None) -> SearchStrategy[dict[str, Any]]:
    """CreateComment bodies the fake accepts from ``author`` (default: the task's author).

    Text, field updates of writable fields, ``spent_minutes``, ``subject``, and an
    ``approval_choice`` when ``author`` approves the task's current step. Each draw is checked
    with the fake's own validation, so it is valid by construction.
    """
    person = _person(mock, author if author is not None else task.author_id)
    form = mock._backend.find_form(task.form_id) if task.form_id is not None else None
    optional: dict[str, SearchStrategy[Any]] = {
        "text": _TEXT.filter(lambda t: t.strip() != ""),
        "spent_minutes": st.integers(0, 600),
        "subject": _WORD,
    }
    if form is not None:
        updates = []
        for fd in form.by_id.values():
            if fd.table_id is not None or fd.type == "form_link":
                continue
            strategy = field_values(mock, fd, link_tasks=[])
            if strategy is not None:
                updates.append(strategy.map(partial(_update, fd)))
        if updates:
            optional["field_updates"] = st.lists(
                st.one_of(updates), min_size=1, max_size=3, unique_by=_update_key
            )
        current = task.current_step or 0
        step = task.approvals[current - 1] if task.approvals and current else []
        if current and any(a.person_id == person.id for a in step):
            optional["approval_choice"] = st.sampled_from(["approved", "rejected"])
    drawn = st.fixed_dictionaries({}, optional=optional).filter(bool)
    return drawn.filter(lambda c: not _errors(mock, c, task, person))


#: Changes that make any comment invalid, whatever the task (each is an error of the fake).
_BREAKERS: tuple[dict[str, Any], ...] = (
    {"text": 42},
    {"approval_choice": "maybe"},
    {"action": "closed"},
    {"spent_minutes": -5},
    {"due_date": "2026-13-45"},
    {"field_updates": [{"code": "u_no_such_field_here", "value": "x"}]},
    {"field_updates": "not a list"},
    {"attachments": [{"id": 1}]},
    {"reassign_to": {"email": "nobody.here@example.invalid"}},
    {"text": "both", "formatted_text": "<b>both</b>"},
)


def invalid_comments(
    mock: PyrusMock, task: Task, author: Any = None
) -> SearchStrategy[dict[str, Any]]:
    """CreateComment bodies the fake refuses: a valid comment with one breaking change, or an
    empty one (``text_missing``). Each draw is checked to have at least one error."""
    person = _person(mock, author if author is not None else task.author_id)
    broken = st.tuples(comments(mock, task, person) | st.just({}), st.sampled_from(_BREAKERS))
    merged = broken.map(lambda pair: {**pair[0], **pair[1]})
    return (merged | st.just({})).filter(lambda c: bool(_errors(mock, c, task, person)))


def _person(mock: PyrusMock, ref: Any) -> Person:
    backend = mock._backend
    with backend.lock:
        return backend.person(backend.resolve_person(ref, "author"))


def _errors(mock: PyrusMock, comment: dict[str, Any], task: Task, author: Person) -> list[Any]:
    from ..domain.violations import errors_of
    from ..engine.validation import validate

    backend = mock._backend
    with backend.lock:
        return errors_of(validate(comment, task, author, backend))
