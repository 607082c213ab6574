"""``GET /calendar``: tasks whose due moment falls in a time range (official Python client
``get_calendar_tasks``, C# ``GetCalendarTasks``, TS ``CalendarApi.getTasks``).

Which dates count (the fake's rules; Pyrus documents only the mask bits):

* ``filter_mask`` bit ``0b0001`` (*Due*): the task's ``due`` timestamp, as the interval
  ``[due, due + duration]``;
* bit ``0b0010`` (*DueDate*): the task's ``due_date``, as its whole UTC day;
* bits ``0b0100`` (*DueForCurrentStep*) and ``0b1000`` (*reminded*): the fake models neither
  step deadlines nor reminders, so nothing is selected by them;
* a task is selected when one of its counted intervals overlaps ``[start_date_utc,
  end_date_utc]`` (both ends included); open and closed tasks alike.

Whose tasks (as the TS client documents ``all_accessed_tasks``): the tasks the caller is
responsible for or must still approve (a waiting approver of the current step); with
``all_accessed_tasks=True`` every task the caller may see (a Supervisor sees all).
``start_date_utc`` may be left out (the TS client types it optional): no lower bound. Tasks come
earliest first, as TaskWithComments with only their last comment; ``item_count`` (default 50)
is capped at 100, and ``has_more`` says whether more matched. Meetings are not modelled:
``meetings`` is omitted whatever ``include_meetings`` says.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any

from ..domain.model import Person, Task
from ..engine.common import parse_date, parse_timestamp
from ..state import serialize
from . import body
from .call import Call
from .errors import ApiError

__all__ = ["MAX_ITEM_COUNT", "get_calendar"]

#: The most tasks one reply holds (PY ``CalendarRequest``: "<= 100").
MAX_ITEM_COUNT = 100

_DUE, _DUE_DATE = 0b0001, 0b0010


def _moment(call: Call, name: str, default: datetime | None = None) -> datetime:
    raw = call.arg(name)
    if raw is None or not raw.strip():
        if default is not None:
            return default
        raise ApiError("required_parameter_missing", f"give {name} (YYYY-MM-DDThh:mm:ssZ)")
    stamp = parse_timestamp(raw.strip())
    if stamp is not None:
        return stamp
    day = parse_date(raw.strip())
    if day is not None:
        return datetime.combine(day, time(), timezone.utc)
    raise ApiError(
        "invalid_value_format", f"{name}={raw[:40]!r} is not YYYY-MM-DDThh:mm:ssZ or YYYY-MM-DD"
    )


def _intervals(task: Task, mask: int) -> list[tuple[datetime, datetime]]:
    """The intervals of ``task`` the mask counts."""
    out = []
    if mask & _DUE and task.due:
        start = parse_timestamp(task.due)
        if start is not None:
            out.append((start, start + timedelta(minutes=task.duration or 0)))
    if mask & _DUE_DATE and task.due_date:
        day = parse_date(task.due_date)
        if day is not None:
            start = datetime.combine(day, time(), timezone.utc)
            out.append((start, start + timedelta(days=1) - timedelta(seconds=1)))
    return out


def _own(person: Person, task: Task) -> bool:
    """Responsible, or a waiting approver of the current step."""
    if person.id == task.responsible_id:
        return True
    step = task.current_step
    waiting = task.approvers(step) if step is not None else []
    return any(a.person_id == person.id and a.choice == "waiting" for a in waiting)


def get_calendar(call: Call) -> dict[str, Any]:
    """``GET /calendar?start_date_utc=&end_date_utc=&item_count=&all_accessed_tasks=&
    filter_mask=&include_meetings=``: ``{tasks, has_more}`` (see the module docstring)."""
    start = _moment(call, "start_date_utc", datetime.min.replace(tzinfo=timezone.utc))
    end = _moment(call, "end_date_utc")
    if end < start:
        raise ApiError("invalid_value_format", "end_date_utc is before start_date_utc")
    count = body.query_int(call.arg("item_count"), "item_count", 50)
    if count < 1:
        raise ApiError("invalid_value_format", f"item_count={count}: give 1 to {MAX_ITEM_COUNT}")
    count = min(count, MAX_ITEM_COUNT)
    everything = body.query_bool(call.arg("all_accessed_tasks"), "all_accessed_tasks")
    mask = body.query_int(call.arg("filter_mask"), "filter_mask", 0b0111)
    if not 0 <= mask <= 0b1111:
        raise ApiError("invalid_value_format", f"filter_mask={mask} is not a 4-bit mask (0 to 15)")
    body.query_bool(call.arg("include_meetings"), "include_meetings")  # checked, not modelled
    backend = call.backend
    me = call.me
    with backend.lock:
        found: list[tuple[datetime, int, Task]] = []
        for task in backend.tasks():
            if not (backend.can_see(me, task) if everything else _own(me, task)):
                continue
            hits = [lo for lo, hi in _intervals(task, mask) if lo <= end and hi >= start]
            if hits:
                found.append((min(hits), task.id, task))
        found.sort(key=lambda item: item[:2])
        chosen = [task for _, _, task in found[:count]]
        return {
            "tasks": [
                serialize.task(
                    backend,
                    task,
                    only_last_comment=True,
                    files_url=call.files_url,
                    creation_date_format=backend.settings.creation_date_format,
                    now=backend.clock.time(),
                )
                for task in chosen
            ],
            "has_more": len(found) > len(chosen),
        }
