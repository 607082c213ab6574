"""pyrus_mock.strategies: generated forms, task values and comments the fake itself accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyrus_mock import PyrusMock
from pyrus_mock import strategies as ps
from pyrus_mock.domain.model import FIELD_TYPES
from pyrus_mock.engine import errors_of, validate

SETTINGS = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))  # fmt: skip
_SCHEMA = json.loads(
    resources.files("pyrus_mock.schema").joinpath("create_comment.schema.json").read_text()
)


@pytest.fixture(scope="module")
def fake() -> Any:
    mock = PyrusMock(auto_deliver=False)
    mock.add_user("Ann", "Fuzz", email="ann.fuzz@example.com")
    mock.approver = mock.add_user("Bob", "Approver", email="bob.approver@example.com")
    mock.linked = mock.add_task(text="a task to link", author=mock.approver)
    yield mock
    mock.close()


def _form_and_task(fake: Any, data: Any, **options: Any) -> tuple[Any, Any]:
    spec = data.draw(ps.form_specs(**options))
    form = spec.create(fake, [fake.approver])
    task_spec = data.draw(ps.task_specs(fake, form, link_tasks=[fake.linked.id]))
    # add_task validates every value with the comment engine and raises CommentRejected.
    return form, task_spec.create(fake, form)


@SETTINGS
@given(data=st.data())
def test_generated_task_values_pass_the_fakes_validation(fake: Any, data: Any) -> None:
    form, task = _form_and_task(fake, data)
    assert task.form_id == form.id
    # The same values written by a comment are accepted too.
    values = data.draw(ps.task_specs(fake, form, link_tasks=[fake.linked.id]))
    updates = [{"code" if isinstance(k, str) else "id": k, "value": v}
               for k, v in values.fields.items()]  # fmt: skip
    if updates:
        assert not errors_of(
            validate({"field_updates": updates}, task, fake.approver, fake._backend)
        )


@pytest.mark.parametrize("ftype", sorted(set(ps.LEAF_FIELD_TYPES) | {"multiple_choice", "table",
                         "title", "note", "step", "status", "author", "creation_date",
                         "project"}))  # fmt: skip
def test_every_field_type_can_be_generated(fake: Any, ftype: str) -> None:
    assert ftype in FIELD_TYPES
    seen: list[str] = []

    @settings(max_examples=5, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: Any) -> None:
        form, _ = _form_and_task(fake, data, types=[ftype])
        seen.extend(fd.type for fd in form.fields)

    run()
    assert ftype in seen


def test_generated_forms_cover_every_field_type_of_the_fake() -> None:
    covered = {*ps.LEAF_FIELD_TYPES, "multiple_choice", "table", "title", "note", "step",
               "status", "author", "creation_date", "project"}  # fmt: skip
    assert covered == FIELD_TYPES


def test_unknown_types_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown field types"):
        ps.form_specs(types=["money", "hologram"])


@SETTINGS
@given(data=st.data())
def test_comments_are_valid_for_the_fake_and_the_schema(fake: Any, data: Any) -> None:
    _, task = _form_and_task(fake, data)
    comment = data.draw(ps.comments(fake, task, fake.approver))
    assert not errors_of(validate(comment, task, fake.approver, fake._backend))
    jsonschema.validate(comment, _SCHEMA)


@SETTINGS
@given(data=st.data())
def test_invalid_comments_are_refused(fake: Any, data: Any) -> None:
    _, task = _form_and_task(fake, data)
    comment = data.draw(ps.invalid_comments(fake, task, fake.approver))
    assert errors_of(validate(comment, task, fake.approver, fake._backend))


def test_the_approver_of_the_current_step_may_approve(fake: Any) -> None:
    form = fake.add_form("Approve", fields=[{"name": "N", "type": "number", "code": "u_n"}],
                         steps=[{"name": "Check", "approvers": [fake.approver]}])  # fmt: skip
    task = fake.add_task(form=form, text="t")
    choices: set[str] = set()

    @SETTINGS
    @given(ps.comments(fake, task, fake.approver))
    def run(comment: dict[str, Any]) -> None:
        choices.add(comment.get("approval_choice", ""))

    run()
    assert {"approved", "rejected"} <= choices


def test_form_spec_prints_python_that_creates_the_same_form(fake: Any) -> None:
    @settings(max_examples=10, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(ps.form_specs())
    def run(spec: ps.FormSpec) -> None:
        made = spec.create(fake, [fake.approver])
        scope: dict[str, Any] = {"pyrus_mock": fake, "bot": fake.approver}
        exec(spec.to_python(), scope)
        again = scope["form"]
        assert [(f.type, f.name, f.code) for f in again.by_id.values()] == [
            (f.type, f.name, f.code) for f in made.by_id.values()
        ]
        assert [s.name for s in again.steps] == [s.name for s in made.steps]

    run()


def test_without_hypothesis_the_import_error_names_the_extra() -> None:
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "try:\n    import pyrus_mock.strategies\n"
            "except ImportError as e:\n    print(e)\n")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout  # fmt: skip
    assert "pip install 'pyrus-mock[fuzz]'" in out
