"""Applying comments: what a valid CreateComment does to a task; an invalid one does nothing."""

from __future__ import annotations

from typing import Any

import pytest

from pyrus_mock import PyrusMock
from pyrus_mock.domain.errors import CommentRejected
from pyrus_mock.domain.model import Task
from pyrus_mock.engine import apply, validate, write_initial_fields

from ._engine_world import World, build_world


@pytest.fixture
def w() -> World:
    return build_world()


def choices(task: Task) -> list[list[tuple[int, str]]]:
    return [[(a.person_id, a.choice) for a in step] for step in task.approvals]


def fu(code: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"field_updates": [{"code": code, "value": value, **extra}]}


# -- workflow ------------------------------------------------------------------------------------


def test_three_steps_progress_when_every_approver_approves(w: World) -> None:
    task = w.task
    c1 = w.comment(task, {"approval_choice": "approved", "text": "ok"}, w.ann)
    assert (c1.approval_choice, c1.approval_step, c1.changed_step) == ("approved", 1, 2)
    assert task.current_step == 2
    assert task.step_entered_at[2] == w.backend.now().timestamp()

    c2 = w.comment(task, {"approval_choice": "approved"}, w.bob)
    assert c2.changed_step is None
    assert task.current_step == 2, "step 2 has two approvers: both must approve"
    assert choices(task)[1] == [(w.bob.id, "approved"), (w.cid.id, "waiting")]

    c3 = w.comment(task, {"approval_choice": "acknowledged", **fu("u_reason", "fine")}, w.cid)
    assert (c3.changed_step, task.current_step) == (3, 3), "acknowledged counts as approval"

    c4 = w.comment(task, {"approval_choice": "approved"}, w.eve)  # Eve approves for her role
    assert task.is_closed
    assert task.close_date == w.backend.now()
    assert c4.action == "finished"
    assert choices(task)[2] == [(w.role.id, "approved")]
    assert task.current_step == 3


def test_required_field_blocks_the_step_and_nothing_changes(w: World) -> None:
    task = w.new_task(fields={})
    with pytest.raises(CommentRejected) as info:
        w.comment(task, {"approval_choice": "approved"}, w.ann)
    assert [v.error_code for v in info.value.violations] == ["required_field_missing"]
    assert task.current_step == 1
    comment = w.comment(task, {"approval_choice": "approved", **fu("u_title", "Chair")}, w.ann)
    assert comment.changed_step == 2
    assert comment.field_updates == [(w.f("u_title").id, "Chair", None)]


def test_rejection_closes_and_reopening_rerequests_the_step(w: World) -> None:
    task = w.task
    w.comment(task, {"approval_choice": "approved"}, w.ann)
    rejected = w.comment(task, {"approval_choice": "rejected", "text": "too expensive"}, w.bob)
    assert task.is_closed
    assert rejected.action == "finished"
    assert rejected.approval_step == 2
    assert choices(task)[1] == [(w.bob.id, "rejected"), (w.cid.id, "waiting")]

    reopened = w.comment(task, {"action": "reopened", "text": "cheaper now"}, w.ann)
    assert reopened.action == "reopened"
    assert not task.is_closed
    assert task.close_date is None
    assert task.current_step == 2
    assert choices(task)[1] == [(w.bob.id, "waiting"), (w.cid.id, "waiting")]


def test_revoking_a_passed_step_goes_back_to_it(w: World) -> None:
    task = w.task
    w.comment(task, {"approval_choice": "approved"}, w.ann)
    w.comment(task, {"approval_choice": "approved"}, w.bob)
    revoked = w.comment(task, {"approval_choice": "revoked", "approval_steps": [1]}, w.ann)
    assert (revoked.reset_to_step, revoked.changed_step) == (1, None)
    assert task.current_step == 1
    assert choices(task)[0] == [(w.ann.id, "waiting")]
    assert choices(task)[1] == [(w.bob.id, "waiting"), (w.cid.id, "waiting")], "later steps again"


def test_revoking_on_the_current_step_withdraws_the_choice(w: World) -> None:
    task = w.task
    w.comment(task, {"approval_choice": "approved"}, w.ann)
    w.comment(task, {"approval_choice": "approved"}, w.bob)
    comment = w.comment(task, {"approval_choice": "revoked"}, w.bob)
    assert comment.approval_step == 2
    assert comment.reset_to_step is None
    assert choices(task)[1] == [(w.bob.id, "waiting"), (w.cid.id, "waiting")]


def test_rerequest_resets_an_approver(w: World) -> None:
    task = w.task
    w.comment(task, {"approval_choice": "approved"}, w.ann)
    w.comment(task, {"approval_choice": "approved"}, w.bob)
    comment = w.comment(task, {"approvals_rerequested": [{"id": w.bob.id}]}, w.ann)
    assert comment.approvals_rerequested == [[], [w.bob.id]]
    assert choices(task)[1][0] == (w.bob.id, "waiting")


def test_finish_and_reopen(w: World) -> None:
    task = w.task
    finished = w.comment(task, {"action": "finished"}, w.ann)
    assert task.is_closed
    assert finished.action == "finished"
    assert task.close_date == w.backend.now()
    assert validate({"action": "finished"}, task, w.ann, w.backend)[0].error_code == (
        "task_already_closed"
    )
    again = w.comment(task, {"action": "finished"}, w.ann)
    assert again.action is None
    assert task.is_closed
    w.mock.clock.advance(60)
    reopened = w.comment(task, {"action": "reopened"}, w.ann)
    assert reopened.action == "reopened"
    assert not task.is_closed


def test_comment_on_closed_task_reopens_unless_skipped(w: World) -> None:
    task = w.simple_task()
    w.comment(task, {"action": "finished"}, w.bob)
    quiet = w.comment(task, {"text": "thanks", "skip_auto_reopen": True}, w.bob)
    assert task.is_closed
    assert quiet.action is None
    assert quiet.skip_auto_reopen
    loud = w.comment(task, {"text": "one more thing"}, w.bob)
    assert not task.is_closed
    assert loud.action == "reopened"


def test_subscriber_acknowledges(w: World) -> None:
    task = w.task
    w.comment(task, {"approval_choice": "acknowledged"}, w.cid)
    assert [s.choice for s in task.subscribers] == ["acknowledged"]
    assert choices(task)[0] == [(w.ann.id, "waiting")]


# -- persons and approvers -------------------------------------------------------------------------


def test_reassign(w: World) -> None:
    task = w.simple_task()
    comment = w.comment(task, {"reassign_to": {"email": w.bot.email}, "text": "yours"}, w.bob)
    assert task.responsible_id == w.bot.id == comment.reassigned_to


def test_approvals_added_flat_and_nested(w: World) -> None:
    task = w.task
    flat = w.comment(task, {"approvals_added": [{"id": w.eve.id}]}, w.ann)
    assert flat.approvals_added == [[w.eve.id]]
    nested = w.comment(task, {"approvals_added": [[], [], [{"email": "bob@example.com"}]]}, w.ann)
    assert nested.approvals_added == [[], [], [w.bob.id]]
    assert choices(task) == [
        [(w.ann.id, "waiting"), (w.eve.id, "waiting")],
        [(w.bob.id, "waiting"), (w.cid.id, "waiting")],
        [(w.role.id, "waiting"), (w.bob.id, "waiting")],
    ]
    w.comment(task, {"approval_choice": "approved"}, w.ann)
    assert task.current_step == 1, "Eve, added to step 1, has not approved yet"
    removed = w.comment(task, {"approvals_removed": [{"id": w.eve.id}]}, w.ann)
    assert removed.changed_step == 2, "removing the last waiting approver completes the step"


def test_subscribers_participants_lists_dates_time(w: World) -> None:
    task = w.simple_task()
    request = {
        "subscribers_added": [{"id": w.eve.id}],
        "participants_added": [{"id": w.cid.id}],
        "added_list_ids": [w.project.id],
        "due": "2026-02-01T10:00:00Z",
        "duration": 30,
        "scheduled_date": "2026-01-10",
        "spent_minutes": 15,
        "subject": "Milk and bread",
        "channel": {"type": "telegram"},
        "text": "on it",
    }
    comment = w.comment(task, request, w.bob)
    assert [s.person_id for s in task.subscribers] == [w.eve.id]
    # The responsible and the author took part from the creation on; cid joins.
    assert task.participant_ids == [w.bob.id, task.author_id, w.cid.id]
    assert comment.participants_added == [w.cid.id]
    assert task.list_ids == [w.project.id]
    assert (task.due, task.duration, task.due_date) == ("2026-02-01T10:00:00Z", 30, None)
    assert task.scheduled_date == "2026-01-10"
    assert (task.spent_minutes, task.subject) == (15, "Milk and bread")
    assert comment.channel == {"type": "telegram"}
    assert comment.spent_minutes == 15
    w.comment(task, {"cancel_due": True, "cancel_schedule": True, "spent_minutes": 5,
                     "removed_list_ids": [w.project.id],
                     "subscribers_removed": [{"id": w.eve.id}]}, w.bob)  # fmt: skip
    assert (task.due, task.duration, task.scheduled_date) == (None, None, None)
    assert task.spent_minutes == 20
    assert task.list_ids == []
    assert task.subscribers == []


def test_reassigning_a_form_task_keeps_the_previous_responsible_in_it(w: World) -> None:
    task = w.new_task(responsible=w.bot)
    assert task.participant_ids == [], "a form task has no participants of its own"
    comment = w.comment(task, {"text": "yours", "reassign_to": {"id": w.eve.id}}, w.bot)
    assert (task.responsible_id, comment.reassigned_to) == (w.eve.id, w.eve.id)
    assert task.participant_ids == [w.bot.id, w.eve.id]
    assert comment.participants_added == [w.bot.id, w.eve.id]
    assert w.backend.can_see(w.bot, task), "the bot still sees the task it handed on"


def test_edit_comment(w: World) -> None:
    task = w.task
    first = task.comments[-1]  # Ann's "first"; comments[0] records the task's creation
    assert (first.text, first.author_id) == ("first", w.ann.id)
    edit = w.comment(task, {"edit_comment_id": first.id, "text": "first (edited)"}, w.ann)
    assert first.text == "first (edited)"
    assert edit.edit_comment_id == first.id


# -- fields ----------------------------------------------------------------------------------------


def test_field_values_are_stored_in_the_internal_shape(w: World) -> None:
    task = w.task
    paris = w.item("Paris")
    request = {"field_updates": [
        {"code": "u_amount", "value": 12.5},
        {"code": "u_deadline", "value": "2026-02-01", "duration": "140"},
        {"code": "u_city", "value": {"item_name": "Paris"}},
        {"code": "u_owner", "value": {"email": "eve@example.com"}},
        {"code": "u_scans", "value": [w.upload.guid]},
        {"code": "u_kind", "value": {"choice_names": ["Goods"],
                                     "fields": [{"code": "u_goods_note", "value": "fragile"}]}},
        {"code": "u_details", "value": {"checkmark": "checked",
                                        "fields": [{"code": "u_discount", "value": 5}]}},
        {"code": "u_related", "value": {"task_ids": [w.other_task.id]}},
    ]}  # fmt: skip
    comment = w.comment(task, request, w.ann)
    v = task.values
    assert v[w.f("u_amount").id] == 12.5
    assert v[w.f("u_deadline").id] == "2026-02-01"
    assert task.durations[w.f("u_deadline").id] == 140
    assert v[w.f("u_city").id] == [paris]
    assert v[w.f("u_owner").id] == w.eve.id
    assert v[w.f("u_scans").id] == [w.upload.id]
    assert w.upload.id not in task.attachment_ids, "field files are not task attachments"
    assert v[w.f("u_kind").id] == [1]
    assert v[w.f("u_goods_note").id] == "fragile"
    assert v[w.f("u_details").id] == "checked"
    assert v[w.f("u_discount").id] == 5
    assert v[w.f("u_related").id] == [w.other_task.id]
    assert [fid for fid, _, _ in comment.field_updates] == [
        w.f(c).id for c in ("u_amount", "u_deadline", "u_city", "u_owner", "u_scans", "u_kind",
                            "u_goods_note", "u_details", "u_discount", "u_related")
    ]  # fmt: skip
    assert comment.field_updates[1] == (w.f("u_deadline").id, "2026-02-01", 140)
    w.comment(task, fu("u_deadline", None), w.ann)
    assert w.f("u_deadline").id not in v
    assert w.f("u_deadline").id not in task.durations


def test_table_rows_add_update_delete(w: World) -> None:
    task = w.task
    items, item, price = w.f("u_items").id, w.f("u_item").id, w.f("u_price").id
    w.comment(task, fu("u_items", [
        {"row_id": 0, "cells": [{"code": "u_price", "value": 2}]},
        {"row_id": 10, "cells": [{"code": "u_item", "value": "Ink"}]},
        {"cells": [{"code": "u_item", "value": "Paper"}], "position": 1},
    ]), w.ann)  # fmt: skip
    rows = task.values[items]
    assert [(r.row_id, r.cells.get(item)) for r in rows] == [(11, "Paper"), (0, "Pen"), (10, "Ink")]
    assert rows[1].cells[price] == 2
    comment = w.comment(task, fu("u_items", [{"row_id": 0, "delete": True}]), w.ann)
    assert [r.row_id for r in task.values[items]] == [11, 10]
    snapshot = comment.field_updates[0][1]
    assert [r.row_id for r in snapshot] == [11, 10]
    assert snapshot[0] is not task.values[items][0], "snapshots do not alias the task"
    w.comment(task, fu("u_items", None), w.ann)
    assert items not in task.values


def test_attachments_from_upload(w: World) -> None:
    task = w.task
    comment = w.comment(task, {"attachments": [
        w.upload.guid.upper(),
        {"guid": w.upload2.guid, "root_id": w.upload.id},
        {"url": "https://example.com/spec", "name": "Spec"},
    ]}, w.ann)  # fmt: skip
    link = w.backend.find_file(comment.attachments[2])
    assert link is not None
    assert link.url == "https://example.com/spec"
    assert task.attachment_ids == [w.upload.id, w.upload2.id, link.id] == comment.attachments
    assert (w.upload2.root_id, w.upload2.version) == (w.upload.id, 2)


def test_write_initial_fields_by_code_name_and_id(w: World) -> None:
    task = w.mock.add_task(form=w.plain_form)
    task.form_id = w.form.id
    values: dict[str | int, Any] = {
        "u_qty": 3,
        "Start": "2026-02-01",
        w.f("u_time").id: "10:30",
        str(w.f("u_flag").id): "checked",
    }
    created = list(task.comments)  # the creation comment only (nothing was written then)
    assert [c.field_updates for c in created] == [[]]
    snapshots: list[tuple[int, Any, int | None]] = []
    problems = write_initial_fields(task, w.form, values, w.backend, snapshots=snapshots)
    assert problems == []
    assert task.values == {w.f("u_qty").id: 3, w.f("u_start").id: "2026-02-01",
                           w.f("u_time").id: "10:30", w.f("u_flag").id: "checked"}  # fmt: skip
    assert task.comments == created, "writing initial values adds no comment"
    assert sorted(s[0] for s in snapshots) == sorted(task.values)
    bad = write_initial_fields(task, w.form, {"u_qty": "three", "Nope": 1}, w.backend)
    assert [(v.path, v.error_code) for v in bad] == [
        ("/fields/u_qty", "invalid_value_format"),
        ("/fields/Nope/name", "invalid_field_name"),
    ]
    assert task.values[w.f("u_qty").id] == 3, "nothing written when there are errors"


def test_create_task_refuses_bad_initial_values(w: World) -> None:
    with pytest.raises(CommentRejected):
        w.mock.add_task(form=w.form, fields={"u_amount": "a lot"})


# -- refusals --------------------------------------------------------------------------------------


def test_rejected_comment_leaves_the_task_untouched(w: World) -> None:
    task = w.task
    w.comment(task, {"approval_choice": "approved"}, w.ann)
    before = w.dump(task)
    last_comment_id = task.comments[-1].id
    request = {
        "text": "several changes, one bad",
        "approval_choice": "approved",
        "reassign_to": {"id": w.cid.id},
        "attachments": [{"url": "https://example.com/x"}],
        "field_updates": [
            {"code": "u_title", "value": "Changed"},
            {"code": "u_items", "value": [{"row_id": 0, "delete": True}]},
            {"code": "u_qty", "value": "not a number"},
        ],
        "subscribers_added": [{"id": w.eve.id}],
        "added_list_ids": [w.project.id],
        "spent_minutes": 10,
    }
    with pytest.raises(CommentRejected) as info:
        apply(request, task, w.bob, w.backend)
    assert [(v.path, v.error_code) for v in info.value.violations] == [
        ("/field_updates/2/value", "invalid_value_format")
    ]
    assert w.dump(task) == before
    # no id was consumed: neither a comment id nor a file id (for the link)
    assert w.comment(task, {"text": "fine"}, w.bob).id == last_comment_id + 1
    assert w.backend.upload("n.txt", b"n", w.bob.id).id == w.upload2.id + 1


def test_violations_come_in_request_order(w: World) -> None:
    request = {
        "approval_choice": "approved",
        "bogus": 1,
        "field_updates": [{"code": "u_qty", "value": "x"}],
        "text": 5,
    }
    violations = validate(request, w.task, w.eve, w.backend)
    assert [(v.path, v.error_code, v.severity) for v in violations] == [
        ("/approval_choice", "access_denied", "error"),
        ("/bogus", "unknown_parameter", "warning"),
        ("/field_updates/0/value", "invalid_value_format", "error"),
        ("/text", "invalid_value_format", "error"),
    ]


def test_unknown_key_message_suggests_the_real_name(w: World) -> None:
    (warning,) = list(validate({"text": "x", "list_ids_added": [1]}, w.task, w.ann,
                                      w.backend))  # fmt: skip
    assert warning.severity == "warning"
    assert "ignored" in warning.message
    assert "'added_list_ids'" in warning.message


def test_messages_say_what_is_allowed(w: World) -> None:
    (v,) = validate(fu("u_flag", "raised"), w.task, w.ann, w.backend)
    assert '"none" or "checked" or "unchecked"' in v.message
    assert "'raised'" in v.message


def test_a_deleted_bot_can_be_taken_off_a_task_it_waits_on() -> None:
    """D8: its person is fired; adding it is refused, removing it must not be."""
    w = build_world()
    t = w.task
    w.comment(
        t,
        {
            "approvals_added": [[{"id": w.bot.id}]],
            "subscribers_added": [{"id": w.bot.id}],
            "participants_added": [{"id": w.bot.id}],
        },
        w.ann,
    )
    w.backend.accounts.delete_bot(w.bot.id)
    with pytest.raises(CommentRejected, match="terminated"):
        w.comment(t, {"approvals_added": [[], [{"id": w.bot.id}]]}, w.ann)
    w.comment(t, {"approvals_removed": [[{"id": w.bot.id}]]}, w.ann)
    w.comment(t, {"subscribers_removed": [{"id": w.bot.id}]}, w.ann)
    w.comment(t, {"participants_removed": [{"id": w.bot.id}]}, w.ann)
    assert w.bot.id not in [a.person_id for a in t.approvers(1)]
    assert w.bot.id not in t.participant_ids
    w.comment(t, {"approval_choice": "approved"}, w.ann)
    assert t.current_step == 2  # no longer stuck on the deleted bot


def test_naming_a_required_choice_without_choosing_does_not_complete_the_step() -> None:
    w = build_world()
    form = w.mock.add_form(
        "Req",
        [
            {"name": "Kind", "type": "multiple_choice", "code": "k", "required_step": 1,
             "options": [{"choice_id": 1, "choice_value": "A",
                          "fields": [{"name": "Note", "type": "text", "code": "k_note"}]},
                         {"choice_id": 2, "choice_value": "B"}]},
        ],
        steps=[{"name": "s1", "approvers": [w.ann]}, {"name": "s2", "approvers": [w.bob]}],
    )  # fmt: skip
    task = w.mock.add_task(form=form)
    nested_only = {"code": "k", "value": {"fields": [{"code": "k_note", "value": "x"}]}}
    with pytest.raises(CommentRejected, match="required_field_missing"):
        w.comment(task, {"approval_choice": "approved", "field_updates": [nested_only]}, w.ann)
    assert task.current_step == 1
    w.comment(task, {"approval_choice": "approved", "field_updates": [
        {"code": "k", "value": {"choice_ids": [2]}}]}, w.ann)  # fmt: skip
    assert task.current_step == 2


def test_the_ten_thousand_and_first_comment_is_refused() -> None:
    from pyrus_mock.engine.validation import MAX_COMMENTS

    w = build_world()
    task = w.simple_task()
    w.comment(task, {"text": "one"}, w.bob)
    filler = task.comments[-1]
    task.comments.extend([filler] * (MAX_COMMENTS - len(task.comments)))  # the limit, cheaply
    with pytest.raises(CommentRejected, match="too_many_comments"):
        w.comment(task, {"text": "one too many"}, w.bob)
    assert len(task.comments) == MAX_COMMENTS


def test_a_name_shared_with_a_table_column_means_the_top_level_field() -> None:
    w = build_world()
    form = w.mock.add_form(
        "Order",
        [
            {"name": "Price", "type": "money", "code": "o_price"},
            {"name": "Lines", "type": "table", "code": "o_lines",
             "columns": [{"name": "Price", "type": "money", "code": "o_line_price"}]},
        ],
    )  # fmt: skip
    task = w.mock.add_task(form=form, fields={"o_price": 1})
    w.comment(task, {"field_updates": [{"name": "Price", "value": 5}]}, w.ann)
    price = next(fd.id for fd in form.by_id.values() if fd.code == "o_price")
    assert task.values[price] == 5
    # inside the table the same name means the column
    w.comment(task, {"field_updates": [{"code": "o_lines", "value": [
        {"row_id": 0, "cells": [{"name": "Price", "value": 7}]}]}]}, w.ann)  # fmt: skip


def test_a_form_link_bound_to_a_form_takes_only_its_tasks() -> None:
    from pyrus_mock import InvalidArgument

    w = build_world()
    with pytest.raises(InvalidArgument, match="is not a form"):
        w.mock.add_form("Bad", [{"name": "P", "type": "form_link", "form_id": "Purchase"}])
    form = w.mock.add_form(  # the Form object works as well as its id
        "Orders", [{"name": "Purchase", "type": "form_link", "code": "o_p", "form": w.form}]
    )
    task = w.mock.add_task(form=form)
    with pytest.raises(CommentRejected, match=f"links tasks of form {w.form.id}"):
        w.comment(task, {"field_updates": [
            {"code": "o_p", "value": {"task_ids": [w.other_task.id]}}]}, w.ann)  # fmt: skip
    w.comment(task, {"field_updates": [
        {"code": "o_p", "value": {"task_ids": [w.task.id]}}]}, w.ann)  # fmt: skip
    assert task.values[next(iter(form.by_id))] == [w.task.id]


def test_steps_with_gaps_keep_their_numbers() -> None:
    """Contract §6.6: step keys may have gaps (1, 2, 4)."""
    w = build_world()
    form = w.mock.add_form(
        "Gap",
        [{"name": "N", "type": "text", "code": "g"}],
        steps=[
            {"name": "a", "approvers": [w.ann]},
            {"name": "b", "approvers": [w.bob]},
            {"name": "d", "step": 4, "approvers": [w.cid]},
        ],
    )
    task = w.mock.add_task(form=form, fields={"g": "x"})
    assert [a.person_id for a in task.approvers(4)] == [w.cid.id]
    assert task.approvers(3) == []
    w.comment(task, {"approval_choice": "approved"}, w.ann)
    w.comment(task, {"approval_choice": "approved"}, w.bob)
    assert task.current_step == 4  # the gap is passed over
    w.comment(task, {"approval_choice": "approved", "approval_steps": [4]}, w.cid)
    assert task.is_closed


def test_huge_integers_are_refused() -> None:
    fake = PyrusMock()
    user = fake.add_user()
    task = fake.add_task(text="t", author=user)
    with pytest.raises(Exception, match="spent_minutes"):
        fake._backend.comment(task, {"text": "x", "spent_minutes": 10**23}, user)
    fake.close()
