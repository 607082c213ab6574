"""Properties of the comment engine, for any JSON a bot might send.

* :func:`validate` never raises, whatever the JSON value.
* :func:`apply` is all or nothing: with an error it raises and the task is unchanged; without
  one it adds exactly one comment.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pyrus_mock.domain.errors import CommentRejected
from pyrus_mock.engine import apply, errors_of, validate
from pyrus_mock.engine.validation import KNOWN_KEYS

from ._engine_world import build_world

# Ids are deterministic (seed 0), so one world tells the strategies which ids exist.
_W = build_world()
_CODES = sorted(fd.code for fd in _W.form.by_id.values() if fd.code)
_SIMPLE = _W.simple_task()
_PEOPLE = ["ann", "bob", "cid", "eve", "bot"]

SETTINGS = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=16,
)  # fmt: skip

person_refs = st.sampled_from([
    {"id": _W.ann.id}, {"id": _W.bob.id}, {"id": _W.eve.id}, {"email": "cid@example.com"},
    {"id": _W.fred.id}, {"id": 424242}, {}, {"id": "1001"}, {"email": 5}, {"id": _W.role.id},
]) | json_values  # fmt: skip
person_lists = st.lists(person_refs, max_size=3) | json_values
_PLAUSIBLE_FILES = [
    _W.upload.guid,
    {"guid": _W.upload2.guid},
    {"attachment_id": _W.upload.id},
    {"url": "https://example.com/x", "name": "x"},
    {"guid": _W.upload.guid, "root_id": _W.upload2.id},
]
files = st.sampled_from([*_PLAUSIBLE_FILES, "nope", {"id": 1}]) | json_values
rows = st.fixed_dictionaries(
    {},
    optional={
        "row_id": st.integers(-1, 3) | json_values,
        "delete": st.booleans() | json_values,
        "position": st.integers(0, 3),
        "cells": st.lists(st.fixed_dictionaries(
            {"code": st.sampled_from(["u_item", "u_price", "u_row_due", "u_title"])},
            optional={"value": st.sampled_from(["Pen", 2.5, "2026-02-01", None]) | json_values},
        ), max_size=3),
    },
)  # fmt: skip
field_values = st.one_of(
    json_values,
    st.sampled_from([
        "Desk", "", 12, 12.345, "2026-02-01", "2026-02-01T10:00:00Z", "10:30", "checked",
        "none", "ann@example.com", {"item_ids": [_W.item("Paris")]}, {"item_name": "Rome"},
        {"item_names": ["Springfield"]}, {"id": _W.eve.id}, [_W.upload.guid],
        {"choice_ids": [1], "fields": [{"code": "u_goods_note", "value": "x"}]},
        {"choice_names": ["Service"]}, {"checkmark": "checked"},
        {"fields": [{"code": "u_comment", "value": "c"}]}, {"task_ids": [_W.other_task.id]},
    ]),
    st.lists(rows, max_size=3),
)  # fmt: skip
field_updates = st.lists(
    st.fixed_dictionaries(
        {"code": st.sampled_from(_CODES)},
        optional={"value": field_values, "duration": st.integers(-10, 10**6) | json_values,
                  "type": st.sampled_from(["text", "number"])},
    ) | json_values,
    max_size=4,
)  # fmt: skip
approvals = st.lists(person_lists, max_size=4) | person_lists

_PLAUSIBLE: dict[str, Any] = {
    "text": st.text(max_size=10),
    "formatted_text": st.text(max_size=10),
    "subject": st.text(max_size=10),
    "approval_choice": st.sampled_from(["approved", "rejected", "acknowledged", "revoked",
                                        "waiting"]),
    "approval_steps": st.lists(st.integers(0, 4), max_size=3),
    "action": st.sampled_from(["finished", "reopened", "closed"]),
    "reassign_to": person_refs,
    "attachments": st.lists(files, max_size=3),
    "field_updates": field_updates,
    "approvals_added": approvals,
    "approvals_removed": approvals,
    "approvals_rerequested": approvals,
    "due_date": st.sampled_from(["2026-02-01", "2026-02-30", "2026-2-1"]),
    "due": st.sampled_from(["2026-02-01T10:00:00Z", "2026-02-01T10:00:00.5Z"]),
    "duration": st.integers(-5, 600_000),
    "scheduled_date": st.sampled_from(["2026-02-01", "2025-01-01"]),
    "scheduled_datetime_utc": st.sampled_from(["2026-02-01T10:00:00Z", "2025-01-01T00:00:00Z"]),
    "added_list_ids": st.lists(st.sampled_from([_W.project.id, 4040]), max_size=2),
    "removed_list_ids": st.lists(st.sampled_from([_W.project.id, 4040]), max_size=2),
    "spent_minutes": st.integers(-5, 100),
    "channel": st.fixed_dictionaries({"type": st.sampled_from(["email", "sms", "pigeon"])}),
    "edit_comment_id": st.integers(0, 3) | st.just(_W.task.comments[0].id),
    "comment_as_roles": person_lists,
}  # fmt: skip


def _value_for(key: str) -> Any:
    plausible = _PLAUSIBLE.get(key)
    return json_values if plausible is None else (plausible | json_values)


requests = st.one_of(
    json_values,
    st.sampled_from(sorted(KNOWN_KEYS)).flatmap(
        lambda key: st.dictionaries(st.just(key), _value_for(key), min_size=1)
    ),
    st.lists(st.sampled_from(sorted(KNOWN_KEYS | {"list_ids_added", "bogus"})), max_size=6,
             unique=True).flatmap(
        lambda keys: st.fixed_dictionaries({k: _value_for(k) for k in keys})
    ),
)  # fmt: skip


# Requests built only from valid pieces, so that the "applied" branch is well exercised too.
_GOOD_VALUES: dict[str, list[Any]] = {
    "u_title": ["Desk", None],
    "u_amount": [12.5, 0],
    "u_qty": [3],
    "u_start": ["2026-02-01"],
    "u_time": ["10:30"],
    "u_urgent": ["checked", "unchecked"],
    "u_flag": ["none", "checked"],
    "u_deadline": ["2026-02-01"],
    "u_meeting": ["2026-02-01T10:00:00Z"],
    "u_email": ["ann@example.com"],
    "u_phone": ["+1 555 0100"],
    "u_city": [{"item_name": "Rome"}, None],
    "u_cities": [{"item_names": ["Paris", "Rome"]}],
    "u_owner": [{"id": _W.eve.id}],
    "u_scans": [[_W.upload.guid]],
    "u_kind": [{"choice_ids": [1], "fields": [{"code": "u_goods_note", "value": "x"}]}],
    "u_details": [{"checkmark": "checked", "fields": [{"code": "u_comment", "value": "c"}]}],
    "u_items": [
        [
            {"row_id": 0, "cells": [{"code": "u_price", "value": 2}]},
            {"cells": [{"code": "u_item", "value": "Ink"}], "position": 1},
        ],
        [{"row_id": 0, "delete": True}],
        None,
    ],
    "u_related": [{"task_ids": [_W.other_task.id]}],
    "u_reason": ["ok"],
}
_GOOD_REFS = [{"id": _W.eve.id}, {"email": "bob@example.com"}, {"id": _W.bot.id}]
good_field_updates = st.lists(
    st.sampled_from(sorted(_GOOD_VALUES)), max_size=4, unique=True
).flatmap(
    lambda codes: st.tuples(*[st.sampled_from(_GOOD_VALUES[c]) for c in codes]).map(
        lambda values: [{"code": c, "value": v} for c, v in zip(codes, values, strict=False)]
    )
)
_GOOD: dict[str, Any] = {
    "text": st.text(min_size=1, max_size=8),
    "approval_choice": st.sampled_from(["approved", "rejected", "acknowledged", "revoked"]),
    "action": st.sampled_from(["finished", "reopened"]),
    "reassign_to": st.sampled_from(_GOOD_REFS),
    "attachments": st.lists(st.sampled_from(_PLAUSIBLE_FILES), max_size=2),
    "field_updates": good_field_updates,
    "approvals_added": st.sampled_from([[{"id": _W.eve.id}], [[], [{"id": _W.eve.id}]]]),
    "approvals_removed": st.sampled_from([[{"id": _W.ann.id}], [[], [{"id": _W.cid.id}]]]),
    "approvals_rerequested": st.sampled_from([[{"id": _W.ann.id}], [[], [{"id": _W.bob.id}]]]),
    "subscribers_added": st.lists(st.sampled_from(_GOOD_REFS), max_size=2),
    "participants_removed": st.lists(st.sampled_from(_GOOD_REFS), max_size=2),
    "due_date": st.just("2026-02-01"),
    "scheduled_datetime_utc": st.just("2026-02-01T10:00:00Z"),
    "added_list_ids": st.just([_W.project.id]),
    "spent_minutes": st.integers(0, 100),
    "skip_auto_reopen": st.booleans(),
    "cancel_due": st.booleans(),
}  # fmt: skip
good_requests = st.lists(
    st.sampled_from(sorted(_GOOD)), min_size=1, max_size=5, unique=True
).flatmap(lambda keys: st.fixed_dictionaries({k: _GOOD[k] for k in keys}))
requests = requests | good_requests


@SETTINGS
@given(request=requests, who=st.sampled_from(_PEOPLE), simple=st.booleans())
def test_validate_never_raises(request: Any, who: str, simple: bool) -> None:
    task = _SIMPLE if simple else _W.task
    violations = validate(request, task, getattr(_W, who), _W.backend)
    for v in violations:
        assert v.severity in ("error", "warning")
        assert v.path == "" or v.path.startswith("/")
        assert v.error_code
        assert v.message


@SETTINGS
@given(
    request=requests,
    who=st.sampled_from(_PEOPLE),
    where=st.sampled_from(["form", "step2", "simple"]),
)
def test_apply_is_all_or_nothing(request: Any, who: str, where: str) -> None:  # fmt: skip
    w = build_world()
    task = w.task
    if where == "simple":
        task = w.simple_task()
    elif where == "step2":
        w.comment(task, {"approval_choice": "approved"}, w.ann)
    author = getattr(w, who)
    before = w.dump(task)
    count = len(task.comments)
    errors = errors_of(validate(request, task, author, w.backend))
    event("rejected" if errors else "applied")
    if errors:
        with pytest.raises(CommentRejected) as info:
            apply(request, task, author, w.backend)
        assert info.value.violations == errors
        assert w.dump(task) == before
    else:
        apply(request, task, author, w.backend)
        assert len(task.comments) == count + 1
        w.dump(task)  # still serialisable


@settings(SETTINGS, max_examples=100)
@given(request=json_values)
def test_anything_but_an_object_is_invalid_json(request: Any) -> None:
    violations = validate(request, _W.task, _W.ann, _W.backend)
    if isinstance(request, dict):
        assert all(v.error_code != "invalid_json" for v in violations)
    else:
        assert [(v.path, v.error_code) for v in violations] == [("", "invalid_json")]
