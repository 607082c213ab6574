"""``GET /calendar`` through the official Python client (``get_calendar_tasks``), and the
query string the C# client sends (``PyrusClient.GetCalendarTasks``)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pyrus.models.requests import CalendarRequest

from pyrus_mock import InvalidArgument

from ._api_helpers import World, make_world
from ._official_helpers import official, world

__all__ = ["world"]  # the fixture

pytestmark = pytest.mark.filterwarnings("ignore:keys will default to True:DeprecationWarning")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)  # type: ignore[misc]


def _seed(world: World) -> dict[str, int]:
    mock, mine = world.mock, {"author": world.author, "responsible": world.author}
    made = {
        "event": mock.add_task(text="Call", due="2026-03-10T09:00:00Z", duration=120, **mine),
        "day": mock.add_task(text="Report", due_date="2026-03-12", **mine),
        "later": mock.add_task(text="Audit", due_date="2026-04-20", **mine),
        "none": mock.add_task(text="No date", **mine),
        "authored": mock.add_task(text="Only written", author=world.author, due_date="2026-03-13"),
        "other": mock.add_task(
            text="Not mine",
            author=world.outsider,
            responsible=world.outsider,
            due_date="2026-03-11",
        ),
    }
    return {name: task.id for name, task in made.items()}


def test_tasks_in_the_range_earliest_first(world: World) -> None:
    ids = _seed(world)
    api = official(world, "author")
    reply = api.get_calendar_tasks(CalendarRequest(utc(2026, 3, 1), utc(2026, 3, 31)))
    assert reply.error_code is None, reply.error
    assert [t.id for t in reply.tasks] == [ids["event"], ids["day"]]
    assert reply.has_more is False
    assert reply.tasks[0].duration == 120


def test_an_event_counts_until_its_duration_ends(world: World) -> None:
    ids = _seed(world)
    api = official(world, "author")
    # 10:30 is inside 09:00 + 120 min; 11:00:01 is after it.
    inside = api.get_calendar_tasks(
        CalendarRequest(utc(2026, 3, 10, 10, 30), utc(2026, 3, 10, 10, 45))
    )
    assert [t.id for t in inside.tasks] == [ids["event"]]
    after = api.get_calendar_tasks(
        CalendarRequest(utc(2026, 3, 10, 11, 0, 1), utc(2026, 3, 10, 23))
    )
    assert after.tasks == []


def test_filter_mask_item_count_and_all_accessed_tasks(world: World) -> None:
    ids = _seed(world)
    author = official(world, "author")
    march = (utc(2026, 3, 1), utc(2026, 3, 31))
    only_due = author.get_calendar_tasks(CalendarRequest(*march, filter_mask=0b0001))
    assert [t.id for t in only_due.tasks] == [ids["event"]]
    only_day = author.get_calendar_tasks(CalendarRequest(*march, filter_mask=0b0010))
    assert [t.id for t in only_day.tasks] == [ids["day"]]
    one = author.get_calendar_tasks(CalendarRequest(*march, item_count=1))
    assert ([t.id for t in one.tasks], one.has_more) == ([ids["event"]], True)
    boss = official(world, "supervisor")
    assert boss.get_calendar_tasks(CalendarRequest(*march)).tasks == []
    everything = boss.get_calendar_tasks(CalendarRequest(*march, all_accessed_tasks=True))
    assert [t.id for t in everything.tasks] == [
        ids["event"],
        ids["other"],
        ids["day"],
        ids["authored"],
    ]
    outsider = official(world, "outsider")
    mine = outsider.get_calendar_tasks(CalendarRequest(*march, all_accessed_tasks=True))
    assert [t.id for t in mine.tasks] == [ids["other"]]


def test_only_the_last_comment_is_sent(world: World) -> None:
    task = world.mock.add_task(
        text="Plan", author=world.author, responsible=world.author, due_date="2026-03-05"
    )
    world.mock._backend.comment(task, {"text": "first"}, world.author)
    world.mock._backend.comment(task, {"text": "second"}, world.author)
    reply = official(world, "author").get_calendar_tasks(
        CalendarRequest(utc(2026, 3, 5), utc(2026, 3, 5, 23, 59, 59))
    )
    assert [c.text for c in reply.tasks[0].comments] == ["second"]


def test_the_csharp_query_string() -> None:
    """C# ``PyrusClient.GetCalendarTasks`` sends every parameter, booleans as ``True``/``False``."""
    world = make_world()
    ids = _seed(world)
    body = world.ok(
        "GET",
        "/v4/calendar?start_date_utc=2026-03-01T00:00:00Z&end_date_utc=2026-03-31T00:00:00Z"
        "&item_count=50&all_accessed_tasks=False&filter_mask=7&include_meetings=False",
        who="author",
    )
    assert [t["id"] for t in body["tasks"]] == [ids["event"], ids["day"]]
    assert body["has_more"] is False
    assert "meetings" not in body


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("start_date_utc=2026-03-01T00:00:00Z", "required_parameter_missing"),
        ("start_date_utc=yesterday&end_date_utc=2026-03-01T00:00:00Z", "invalid_value_format"),
        (
            "start_date_utc=2026-03-02T00:00:00Z&end_date_utc=2026-03-01T00:00:00Z",
            "invalid_value_format",
        ),
        ("start_date_utc=2026-03-01&end_date_utc=2026-03-02&item_count=0", "invalid_value_format"),
        (
            "start_date_utc=2026-03-01&end_date_utc=2026-03-02&filter_mask=16",
            "invalid_value_format",
        ),
        (
            "start_date_utc=2026-03-01&end_date_utc=2026-03-02&all_accessed_tasks=maybe",
            "invalid_value_format",
        ),
    ],
)
def test_bad_queries(query: str, code: str) -> None:
    world = make_world()
    body = world.fail("GET", f"/v4/calendar?{query}", 400, code)
    assert body["error"]


def test_the_builder_checks_due_and_duration() -> None:
    world = make_world()
    with pytest.raises(InvalidArgument, match="due"):
        world.mock.add_task(text="x", due="2026-03-01")
    with pytest.raises(InvalidArgument, match="duration"):
        world.mock.add_task(text="x", duration=30)


def test_approvers_see_what_waits_for_them_and_the_start_may_be_left_out() -> None:
    """TS ``CalendarTasksRequest``: ``start_date_utc`` optional; without
    ``all_accessed_tasks`` only tasks the user is assignee of or must still approve."""
    world = make_world()
    world.ok(
        "POST",
        f"/v4/tasks/{world.task.id}/comments",
        json_body={"due_date": "2026-03-03"},
    )
    url = "/v4/calendar?end_date_utc=2026-03-31T00:00:00Z"
    assert [t["id"] for t in world.ok("GET", url)["tasks"]] == [world.task.id]  # bot approves
    assert world.ok("GET", url, who="author")["tasks"] == []  # approves step 2, not yet current
    world.ok(
        "POST",
        f"/v4/tasks/{world.task.id}/comments",
        json_body={"approval_choice": "approved"},
    )
    assert world.ok("GET", url)["tasks"] == []
    assert [t["id"] for t in world.ok("GET", url, who="author")["tasks"]] == [world.task.id]
