"""Reading a task's field values by code, name or id: ``task.value("u_amount")``.

A form task keeps its values by field id, in the internal shapes listed in
:mod:`pyrus_mock.domain.model`; :meth:`Task.value <pyrus_mock.domain.model.Task.value>` finds the
field on the
task's form and returns that value, so tests need neither field ids nor the wire shape:

* a plain field: the value the fake holds (``42`` for money, a person id for a person field,
  item ids for a catalog field, ``"checked"`` for a checkmark, None when the field is empty);
* a field nested in a title or a multiple-choice option: its own value, as above;
* a table: its rows, each a dict of the row's cells keyed by column code (the column's name
  when it has no code); a table column: its values, one per row, in row order;
* the read-only types, derived from the task: ``author`` (person id), ``creation_date``
  (datetime), ``step`` (number), ``status`` (``"open" | "closed"``), ``note`` (its text),
  ``project`` (list ids).

An unknown code, name or id raises :class:`KeyError` listing the codes the form has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import FieldDef, Form, Task

__all__ = ["FormRef", "field_value"]


class FormRef:
    """The task's form, kept on the task for :func:`field_value`.

    Copies share the form: the comment engine deep-copies tasks to roll a batch back, and
    must not copy the form with them.
    """

    __slots__ = ("form",)

    def __init__(self, form: Form) -> None:
        self.form = form

    def __copy__(self) -> FormRef:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FormRef:
        return self

    def __repr__(self) -> str:
        return f"<FormRef {self.form.id}>"


def _label(fd: FieldDef) -> str:
    return fd.code or fd.name


def _find(task: Task, form: Form, key: str | int) -> FieldDef:
    fields = form.all_fields()
    if isinstance(key, int) and not isinstance(key, bool):
        found = form.by_id.get(key)
        if found is not None:
            return found
    elif isinstance(key, str):
        by_code = [fd for fd in fields if fd.code == key]
        if by_code:
            return by_code[0]
        by_name = [fd for fd in fields if fd.name == key]
        if len(by_name) == 1:
            return by_name[0]
        if by_name:
            ids = ", ".join(str(fd.id) for fd in by_name)
            raise KeyError(
                f"task {task.id}: form {form.id} {form.name!r} has {len(by_name)} fields named "
                f"{key!r} (ids {ids}); read one by its code or id"
            )
    codes = ", ".join(fd.code for fd in fields if fd.code) or "none"
    names = ", ".join(repr(fd.name) for fd in fields if not fd.code) or "none"
    raise KeyError(
        f"task {task.id}: form {form.id} {form.name!r} has no field {key!r}; "
        f"codes: {codes}; fields without a code, by name: {names}"
    )


def _derived(task: Task, fd: FieldDef) -> tuple[bool, Any]:
    t = fd.type
    if t == "author":
        return True, task.author_id
    if t == "creation_date":
        return True, task.create_date
    if t == "step":
        return True, task.current_step
    if t == "status":
        return True, "closed" if task.is_closed else "open"
    if t == "note":
        return True, fd.text
    if t == "project":
        return True, list(task.list_ids)
    return False, None


def field_value(task: Task, key: str | int) -> Any:
    """The value of the task's field with code, name or id ``key`` (see the module docstring).

    Raises:
        KeyError: the task has no form, or its form has no such field (the message lists
            the codes it has).
    """
    ref = task._form
    if ref is None:
        raise KeyError(
            f"task {task.id} is a simple task: it has no form, so no fields to read "
            f"{key!r} from; create it with add_task(form=..., fields=...)"
        )
    form = ref.form
    fd = _find(task, form, key)
    derived, value = _derived(task, fd)
    if derived:
        return value
    if fd.type == "table":
        rows = task.values.get(fd.id) or []
        return [{_label(col): row.cells.get(col.id) for col in fd.columns} for row in rows]
    if fd.table_id is not None:
        rows = task.values.get(fd.table_id) or []
        return [row.cells.get(fd.id) for row in rows]
    return task.values.get(fd.id)
