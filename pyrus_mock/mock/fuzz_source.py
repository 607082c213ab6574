"""The source of the tests that fuzzing prints (:meth:`pyrus_mock.mock.fuzz.FuzzFailure.to_test`).

A failure is printed as a complete pytest test a user pastes next to their bot: the bot served
with ``bot_server``, given its security key, the form (the bot's own form, taken from the fake,
or the generated one), the users the task names, the shrunk task, and the delivery asserted ok.
Two names in it stand for the user's code: ``make_app()`` (create the bot's app as the user's
tests do) and ``give_key(app, key)`` (however the bot learns its security key).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..domain.model import FieldDef, Form
    from .fake import PyrusMock
    from .strategies import FormSpec, TaskSpec

__all__ = ["form_spec_of", "people_of", "render_test"]


def form_spec_of(mock: PyrusMock, form: Form) -> FormSpec:
    """``form`` (a form of ``mock``) as a :class:`FormSpec` that recreates it: field ids, codes,
    types, options and settings kept, each catalog it uses with its live rows, the steps' names.
    Lost: the form's own id, step deadlines, and default approvers other than the bot."""
    from .strategies import CatalogSpec, FormSpec

    backend = mock._backend
    catalogs: dict[int, CatalogSpec] = {}

    def catalog_name(catalog_id: int) -> str:
        if catalog_id not in catalogs:
            found = backend.find_catalog(catalog_id)
            headers = tuple(h.name for h in found.headers) if found else ("Name",)
            rows = tuple(tuple(i.values) for i in found.items if not i.deleted) if found else ()
            name = found.name if found else f"Catalog {catalog_id}"
            taken = {c.name for c in catalogs.values()}
            while name in taken:
                name += "'"
            catalogs[catalog_id] = CatalogSpec(name, headers, rows)
        return catalogs[catalog_id].name

    def spec(fd: FieldDef) -> dict[str, Any]:
        out: dict[str, Any] = {"id": fd.id, "name": fd.name, "type": fd.type}
        if fd.code:
            out["code"] = fd.code
        for key in ("required_step", "immutable_step", "decimal_places"):
            if getattr(fd, key) is not None:
                out[key] = getattr(fd, key)
        if fd.multiline:
            out["multiline"] = True
        if fd.type == "note":
            out["text"] = fd.text
        elif fd.type == "catalog" and fd.catalog_id is not None:
            out["catalog"] = catalog_name(fd.catalog_id)
            out["multiple"] = fd.multiple
        elif fd.type == "form_link" and fd.linked_form_id is not None:
            out["form_id"] = fd.linked_form_id
        elif fd.type == "multiple_choice":
            out["options"] = [
                {"choice_id": o.id, "choice_value": o.value}
                | ({"fields": [spec(c) for c in o.fields]} if o.fields else {})
                for o in fd.options
                if not o.deleted
            ]
        elif fd.type == "table":
            out["columns"] = [spec(c) for c in fd.columns]
        elif fd.type == "title":
            out["fields"] = [spec(c) for c in fd.children]
        return out

    with backend.lock:
        fields = tuple(spec(fd) for fd in form.fields)
        steps = tuple(s.name for s in sorted(form.steps, key=lambda s: s.number)) or ("Step 1",)
        return FormSpec(form.name, fields, steps, tuple(catalogs.values()))


def people_of(mock: PyrusMock, emails: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """``(first name, last name, e-mail)`` of the persons of ``mock`` with these e-mails."""
    backend = mock._backend
    out = []
    with backend.lock:
        for email in emails:
            person = backend.find_person_by_email(email)
            first, last = (person.first_name, person.last_name) if person else ("Fuzz", "User")
            out.append((first or "Fuzz", last, email))
    return tuple(out)


def render_test(
    name: str,
    headline: str,
    form: FormSpec,
    form_note: str,
    people: tuple[tuple[str, str, str], ...],
    task: TaskSpec,
    bot_approves: bool,
) -> str:
    """The printed test: see the module docstring."""
    lines = [
        f"def {name}(pyrus_mock, bot_server):",
        f"    # Found by pyrus-mock fuzzing, shrunk by Hypothesis: {headline}",
        "    # Replace make_app() and give_key() by how your tests create your bot and give it",
        '    # its security key (e.g. app.config["PYRUS_SECURITY_KEY"] = bot.security_key).',
        "    app = make_app()  # your bot's app",
        '    bot = pyrus_mock.add_bot("Bot", bot_server(app))',
        "    give_key(app, bot.security_key)  # however your bot learns its key",
    ]
    for first, last, email in people:
        lines.append(f"    pyrus_mock.add_user({first!r}, {last!r}, email={email!r})")
    if form_note:
        lines.append(f"    # {form_note}")
    lines += ["    " + line for line in form.to_python().splitlines()]
    lines.append("    pyrus_mock.settings = pyrus_mock.settings.replace(auto_deliver=False)")
    approvals = "[[bot]]" if bot_approves else None
    lines += ["    " + line for line in task.to_python(approvals=approvals).splitlines()]
    lines += [
        "    delivery = pyrus_mock.deliver(task, bot)",
        "    assert delivery.ok, delivery.summary()",
    ]
    return "\n".join(lines)
