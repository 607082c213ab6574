"""The comment engine's undocumented choices are settings: each one changes behaviour both ways."""

from __future__ import annotations

from typing import Any

import pytest

from pyrus_mock import PyrusMock, Settings
from pyrus_mock.domain.errors import CommentRejected, InvalidArgument
from pyrus_mock.domain.model import Task
from pyrus_mock.engine import validate

from ._engine_world import World, build_world


def choices(task: Task) -> list[list[tuple[int, str]]]:
    return [[(a.person_id, a.choice) for a in step] for step in task.approvals]


def fu(code: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"field_updates": [{"code": code, "value": value, **extra}]}


def at_step3(w: World) -> Task:
    """The rich task with steps 1 and 2 approved (Eve's role approves step 3)."""
    task = w.task
    w.comment(task, {"approval_choice": "approved"}, w.ann)
    w.comment(task, {"approval_choice": "approved"}, w.cid)
    w.comment(task, {"approval_choice": "approved", **fu("u_reason", "ok")}, w.bob)
    assert task.current_step == 3
    return task


def test_defaults_are_the_documented_choices() -> None:
    s = Settings()
    assert s.on_rejection == "close"
    assert s.acknowledged_counts_as_approval is True
    assert s.auto_reopen is True
    assert s.max_duration_minutes == 525_600
    assert s.max_text_field_length == 100_000


# -- on_rejection --------------------------------------------------------------------------------


def test_rejection_closes_by_default() -> None:
    w = build_world()
    task = w.task
    w.comment(task, {"approval_choice": "approved"}, w.ann)
    rejected = w.comment(task, {"approval_choice": "rejected"}, w.bob)
    assert task.is_closed
    assert (rejected.action, rejected.reset_to_step) == ("finished", None)
    assert task.current_step == 2


def test_rejection_resets_to_the_first_step() -> None:
    w = build_world(on_rejection="reset_to_first_step")
    task = at_step3(w)
    rejected = w.comment(task, {"approval_choice": "rejected", "text": "no budget"}, w.eve)
    assert not task.is_closed
    assert task.close_date is None
    assert task.current_step == 1
    assert (rejected.action, rejected.approval_step) == (None, 3)
    assert (rejected.reset_to_step, rejected.changed_step) == (1, None)
    assert choices(task) == [
        [(w.ann.id, "waiting")],
        [(w.bob.id, "waiting"), (w.cid.id, "waiting")],
        [(w.role.id, "waiting")],
    ], "every step from 1 is re-requested, the rejecting approver's too"
    assert rejected.approval_choice == "rejected", "the rejection stays on the comment"
    assert w.dump(task)["current_step"] == 1

    again = w.comment(task, {"approval_choice": "approved"}, w.ann)
    assert (again.changed_step, task.current_step) == (2, 2)


def test_rejection_resets_to_the_previous_step() -> None:
    w = build_world(on_rejection="reset_to_previous_step")
    task = at_step3(w)
    rejected = w.comment(task, {"approval_choice": "rejected"}, w.eve)
    assert not task.is_closed
    assert task.current_step == 2
    assert rejected.reset_to_step == 2
    assert rejected.action is None
    assert choices(task) == [
        [(w.ann.id, "approved")],
        [(w.bob.id, "waiting"), (w.cid.id, "waiting")],
        [(w.role.id, "waiting")],
    ]
    # Back on step 3 the rejecting approver has to choose again: it is in their inbox.
    w.comment(task, {"approval_choice": "approved"}, w.bob)
    w.comment(task, {"approval_choice": "approved"}, w.cid)
    assert task.current_step == 3
    assert not task.is_closed
    assert w.role.id in w.backend.inbox_ids(task)
    w.comment(task, {"approval_choice": "approved"}, w.eve)
    assert task.is_closed


def test_rejection_on_the_first_step_keeps_the_task_open_there() -> None:
    w = build_world(on_rejection="reset_to_previous_step")
    task = w.task
    rejected = w.comment(task, {"approval_choice": "rejected"}, w.ann)
    assert not task.is_closed
    assert task.current_step == 1
    assert (rejected.reset_to_step, rejected.changed_step, rejected.action) == (None, None, None)
    assert choices(task)[0] == [(w.ann.id, "waiting")], "asked again, so still in the inbox"
    assert w.ann.id in w.backend.inbox_ids(task)


@pytest.mark.pyrus_mock(on_rejection="reset_to_first_step", auto_reopen=False)
def test_marker_takes_engine_settings(pyrus_mock: PyrusMock) -> None:
    ann = pyrus_mock.add_user("Ann", "Lee", email="ann@example.com")
    bob = pyrus_mock.add_user("Bob", "Boss", email="bob@example.com")
    form = pyrus_mock.add_form(
        "Leave", [{"name": "Note", "type": "text", "code": "note"}],
        steps=[{"name": "Lead", "approvers": [ann]}, {"name": "HR", "approvers": [bob]}],
    )  # fmt: skip
    task = pyrus_mock.add_task(form=form, fields={"note": "May"})
    be = pyrus_mock._backend
    be.comment(task, {"approval_choice": "approved"}, ann)
    comment = be.comment(task, {"approval_choice": "rejected"}, bob)
    assert (task.current_step, task.is_closed, comment.reset_to_step) == (1, False, 1)
    be.comment(task, {"action": "finished"}, ann)
    be.comment(task, {"text": "late remark"}, ann)
    assert task.is_closed, "auto_reopen=False from the marker"


# -- acknowledged_counts_as_approval --------------------------------------------------------------


@pytest.mark.parametrize(("counts", "step"), [(True, 2), (False, 1)])
def test_acknowledged_counts_as_approval(counts: bool, step: int) -> None:
    w = build_world(acknowledged_counts_as_approval=counts)
    task = w.task
    comment = w.comment(task, {"approval_choice": "acknowledged"}, w.ann)
    assert task.current_step == step
    assert comment.changed_step == (2 if counts else None)
    assert choices(task)[0] == [(w.ann.id, "acknowledged")]
    if not counts:
        w.comment(task, {"approval_choice": "approved"}, w.ann)
        assert task.current_step == 2, "approved still completes the step"


# -- auto_reopen -----------------------------------------------------------------------------------


@pytest.mark.parametrize("auto", [True, False])
def test_auto_reopen(auto: bool) -> None:
    w = build_world(auto_reopen=auto)
    task = w.simple_task()
    w.comment(task, {"action": "finished"}, w.bob)
    comment = w.comment(task, {"text": "one more thing"}, w.bob)
    assert task.is_closed is not auto
    assert comment.action == ("reopened" if auto else None)
    if not auto:
        reopened = w.comment(task, {"action": "reopened"}, w.bob)
        assert (reopened.action, task.is_closed) == ("reopened", False), "explicit still works"


def test_no_auto_reopen_leaves_a_closed_form_task_alone() -> None:
    w = build_world(auto_reopen=False)
    task = w.task
    w.comment(task, {"action": "finished"}, w.ann)
    w.comment(task, {"approval_choice": "approved", "text": "late"}, w.ann)
    assert task.is_closed
    assert task.current_step == 1


# -- limits --------------------------------------------------------------------------------------


def codes(w: World, request: dict[str, Any]) -> list[tuple[str, str]]:
    return [(v.error_code, v.path) for v in validate(request, w.task, w.ann, w.backend)]


def test_max_duration_minutes_top_level() -> None:
    w = build_world(max_duration_minutes=60)
    due = "2030-02-01T10:00:00Z"
    assert codes(w, {"due": due, "duration": 60}) == []
    assert codes(w, {"due": due, "duration": 61}) == [("duration_is_too_long", "/duration")]
    message = validate({"due": due, "duration": 61}, w.task, w.ann, w.backend)[0].message
    assert "at most 60 minutes" in message
    assert "max_duration_minutes" in message


def test_max_duration_minutes_of_a_due_field() -> None:
    w = build_world(max_duration_minutes=60)
    ok = fu("u_meeting", "2030-02-01T10:00:00Z", duration=60)
    assert codes(w, ok) == []
    too_long = fu("u_meeting", "2030-02-01T10:00:00Z", duration=61)
    assert codes(w, too_long) == [("duration_is_too_long", "/field_updates/0/duration")]
    with pytest.raises(CommentRejected):
        w.comment(w.task, too_long, w.ann)
    assert w.f("u_meeting").id not in w.task.values


def test_default_duration_limit_is_one_year() -> None:
    w = build_world()
    due = "2030-02-01T10:00:00Z"
    assert codes(w, {"due": due, "duration": 525_600}) == []
    assert codes(w, {"due": due, "duration": 525_601}) == [("duration_is_too_long", "/duration")]
    w = build_world(max_duration_minutes=1_000_000)
    assert codes(w, {"due": due, "duration": 525_601}) == []


def test_max_text_field_length() -> None:
    w = build_world(max_text_field_length=10)
    assert codes(w, fu("u_title", "x" * 10)) == []
    assert codes(w, fu("u_title", "x" * 11)) == [
        ("text_field_value_limit_exceeded", "/field_updates/0/value")
    ]
    assert codes(w, fu("u_email", "a" * 20 + "@example.com")) == [], "only text fields"
    with pytest.raises(CommentRejected):
        w.mock.add_task(form=w.form, fields={"u_title": "x" * 11})


def test_default_text_field_length_and_a_larger_one() -> None:
    assert codes(build_world(), fu("u_title", "x" * 100_000)) == []
    assert codes(build_world(), fu("u_title", "x" * 100_001)) == [
        ("text_field_value_limit_exceeded", "/field_updates/0/value")
    ]
    assert codes(build_world(max_text_field_length=200_000), fu("u_title", "x" * 100_001)) == []


# -- checking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("on_rejection", "reopen"),
        ("acknowledged_counts_as_approval", "false"),
        ("auto_reopen", 0),
        ("max_duration_minutes", 0),
        ("max_duration_minutes", 1.5),
        ("max_text_field_length", -1),
        ("max_text_field_length", True),
    ],
)
def test_bad_values_are_refused(name: str, value: Any) -> None:
    with pytest.raises(InvalidArgument, match=name):
        PyrusMock(**{name: value})
