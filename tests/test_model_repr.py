"""Domain records print short, for readable assertion messages, and never show a secret."""

from __future__ import annotations

from pyrus_mock.domain.model import Token

from ._engine_world import build_world


def test_reprs_are_short_and_say_what_matters() -> None:
    w = build_world()
    task = w.task
    text = "Looks fine to me, let us go ahead with the purchase"
    comment = w.comment(task, {"approval_choice": "approved", "text": text}, w.ann)

    # The creation comment, Ann's "first", and this one.
    assert repr(task) == f"<Task {task.id} form={w.form.id} step=2 open comments=3>"
    assert repr(comment) == (
        f"<Comment {comment.id} by {w.ann.id}: 'Looks fine to me, let us go a\u2026' "
        "approved step 1 changed_step=2>"
    )
    assert repr(w.ann) == f"<Person {w.ann.id} user 'Ann Author' ann@example.com>"
    assert repr(w.fred).endswith(" fired>")
    assert repr(w.role) == f"<Person {w.role.id} role 'Accounting' members=[{w.eve.id}]>"
    assert repr(w.form) == f"<Form {w.form.id} 'Purchase' fields=36 steps=3>"
    assert repr(w.f("u_title")) == f"<FieldDef {w.f('u_title').id} text 'Title' code=u_title>"
    assert repr(w.catalog) == f"<Catalog {w.catalog.id} 'Cities' items=4 version=1>"
    assert repr(w.upload) == f"<FileRecord {w.upload.id} 'scan.pdf' 13 bytes v1>"

    simple = w.simple_task()
    assert repr(simple) == f"<Task {simple.id} 'Buy milk' open responsible={w.bob.id} comments=1>"
    assert len(repr([task, simple])) < 120, "fits in an assertion message"


def test_secrets_are_masked() -> None:
    w = build_world()
    bot = w.backend.accounts.bot(w.bot.id)
    token = w.backend.accounts.issue_token(w.bot.id)

    bot_repr = repr(bot)
    assert bot.security_key not in bot_repr
    assert f"key=\u2026{bot.security_key[-4:]}" in bot_repr
    assert bot.login in bot_repr
    assert bot_repr.endswith(" enabled>")

    assert token.value not in repr(token)
    assert repr(token) == f"<Token \u2026{token.value[-4:]} person={w.bot.id} revoked=None>"
    short = Token("abc", 1, 0.0, 1.0, revoked="revoked_token")
    assert repr(short) == "<Token \u2026 person=1 revoked=revoked_token>"
