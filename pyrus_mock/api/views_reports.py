"""Audit and report CSVs (C# ``GetSessionEventHistoryAsync``, ``GetFileAccessHistoryAsync``,
``GetTaskAccessHistoryAsync``, ``GetRegistryAccessEventHistoryAsync``,
``GetRegistryDownloadEventHistoryAsync``, ``GetPersonLastActionReportAsync``,
``GetHandlingTimeAsync``; TS ``LogsApi``).

Every report is built from what the fake really recorded: the API log (``backend.api_calls``,
one entry per request served, in order) and the tasks. Pyrus documents no column layout, so
these are the fake's; every file is UTF-8 CSV (RFC 4180, ``\\r\\n`` lines) with a header row,
timestamps ``YYYY-MM-DDThh:mm:ssZ``, and an empty cell for an unknown value.

History reports page with ``after`` (an ``event_id``; rows after it, default 0) and ``count``
(rows, default and maximum 10,000); ``event_id`` is the request's position in the API log, so it
only grows until the fake is reset. Their columns start ``event_id,date,person_id,email``:

* ``/eventhistory`` (session events) + ``event``: ``login`` for a ``POST /auth`` that succeeded,
  ``login_failed`` for one that was refused (``person_id`` empty);
* ``/fileaccesshistory`` + ``file_id,file_name``: successful downloads
  (``/files/download/{id}`` and ``/services/attachment?Id=``);
* ``/taskaccesshistory`` + ``task_id,action``: ``read`` for a successful ``GET /tasks/{id}``,
  ``comment`` for ``POST /tasks/{id}/comments``;
* ``/registryaccesshistory`` + ``form_id``: successful ``GET|POST /forms/{id}/register``;
* ``/registrydownloadhistory`` + ``form_id``: the same with ``format=csv`` in the query string.

``/personlastaction``: ``person_id,email,first_name,last_name,type,last_action`` for every user
and bot, ``last_action`` being its newest API request (empty if none).

``/handlingtime[?sd=&ed=&formId=&tz=]``: ``task_id,form_id,create_date,close_date,
handling_minutes`` for the form tasks created from ``sd`` to ``ed`` (``YYYY-MM-DD``, both
included, UTC; ``tz`` is accepted and not applied), of form ``formId`` when given; an open task
has empty ``close_date`` and ``handling_minutes``.

Reports need the Supervisor right (``CAN_SEE_ALL_TASKS``: "leader rights to collect
statistics"); without it the answer is 403 ``access_denied_file_access_history`` for file
access and ``access_denied_report`` for the others.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from ..domain.model import Rights
from ..engine.common import parse_date
from ..state import serialize
from . import body
from .call import Call, RawReply
from .errors import ApiError

if TYPE_CHECKING:
    from ..state.backend import ApiCall, PyrusBackend

__all__ = [
    "event_history",
    "file_access_history",
    "handling_time",
    "person_last_action",
    "registry_access_history",
    "registry_download_history",
    "task_access_history",
]

#: The most rows one history page holds, and the default ``count``.
MAX_COUNT = 10_000

_PREFIX = re.compile(r"^(?:/api)?/v4(?=/)")
_SLASHES = re.compile(r"//+")
_DOWNLOAD = re.compile(r"/files/download/(\d{1,18})/?")
_TASK = re.compile(r"/tasks/(\d{1,18})(/comments)?/?")
_REGISTER = re.compile(r"/forms/(\d{1,18})/register/?")

#: From one logged request, the report's own cells (after the common ones), or None to skip.
Extract = Callable[["PyrusBackend", "ApiCall", str, dict[str, list[str]]], Sequence[object] | None]


def _csv(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> RawReply:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return RawReply(
        out.getvalue().encode("utf-8"),
        [
            ("Content-Type", "text/csv; charset=utf-8"),
            ("Content-Disposition", f"attachment; filename={name}.csv"),
        ],
    )


def _allowed(call: Call, code: str) -> None:
    if not call.me.rights & Rights.CAN_SEE_ALL_TASKS:
        raise ApiError(
            code,
            f"person {call.me.id} lacks the Supervisor right (Rights.CAN_SEE_ALL_TASKS) "
            "that audit reports need",
        )


def _stamp(at: float) -> str:
    return serialize.timestamp(datetime.fromtimestamp(at, timezone.utc))


def _email(backend: PyrusBackend, person_id: int | None) -> str:
    found = backend.find_person(person_id) if person_id is not None else None
    return found.email if found is not None else ""


def _history(call: Call, name: str, code: str, columns: Sequence[str], pick: Extract) -> RawReply:
    _allowed(call, code)
    after = body.query_int(call.arg("after"), "after", 0)
    count = body.query_int(call.arg("count"), "count", MAX_COUNT)
    if after < 0 or not 1 <= count <= MAX_COUNT:
        raise ApiError(
            "invalid_value_format", f"after={after}, count={count}: give after >= 0, count 1..10000"
        )
    backend = call.backend
    rows: list[Sequence[object]] = []
    with backend.lock:
        log = backend.api_calls
        for event_id in range(after + 1, len(log) + 1):
            logged = log[event_id - 1]
            path, _, query = logged.path.partition("?")
            # C# joins "https://api.pyrus.com/v4/" and "/tasks/1": collapse the double slash
            path = _PREFIX.sub("", _SLASHES.sub("/", path))
            cells = pick(backend, logged, path, parse_qs(query))
            if cells is None:
                continue
            who = logged.person_id
            rows.append([event_id, _stamp(logged.at), who, _email(backend, who), *cells])
            if len(rows) == count:
                break
    return _csv(name, ["event_id", "date", "person_id", "email", *columns], rows)


def _session(
    backend: PyrusBackend, c: ApiCall, path: str, query: dict[str, list[str]]
) -> Sequence[object] | None:
    if c.method != "POST" or path.rstrip("/") != "/auth":
        return None
    return ["login" if c.status == 200 else "login_failed"]


def _file(
    backend: PyrusBackend, c: ApiCall, path: str, query: dict[str, list[str]]
) -> Sequence[object] | None:
    if c.status != 200 or c.method not in ("GET", "HEAD"):
        return None
    match = _DOWNLOAD.fullmatch(path)
    raw = match.group(1) if match else None
    if path.rstrip("/") == "/services/attachment":
        given = {k.lower(): v for k, v in query.items()}.get("id", [""])
        raw = given[0].strip() if given[0].strip().isdigit() else None
    if raw is None:
        return None
    record = backend.find_file(int(raw))
    return [int(raw), record.name if record is not None else ""]


def _task(
    backend: PyrusBackend, c: ApiCall, path: str, query: dict[str, list[str]]
) -> Sequence[object] | None:
    match = _TASK.fullmatch(path)
    if c.status != 200 or match is None:
        return None
    if match.group(2) and c.method == "POST":
        return [int(match.group(1)), "comment"]
    return [int(match.group(1)), "read"] if c.method in ("GET", "HEAD") else None


def _registry(csv_only: bool) -> Extract:
    def pick(
        backend: PyrusBackend, c: ApiCall, path: str, query: dict[str, list[str]]
    ) -> Sequence[object] | None:
        match = _REGISTER.fullmatch(path)
        if c.status != 200 or match is None:
            return None
        if csv_only and not any(v.lower() == "csv" for v in query.get("format", [])):
            return None
        return [int(match.group(1))]

    return pick


def event_history(call: Call) -> RawReply:
    """``GET /eventhistory?after=&count=``: logins (see the module docstring)."""
    return _history(call, "eventhistory", "access_denied_report", ["event"], _session)


def file_access_history(call: Call) -> RawReply:
    """``GET /fileaccesshistory?after=&count=``: file downloads."""
    return _history(
        call,
        "fileaccesshistory",
        "access_denied_file_access_history",
        ["file_id", "file_name"],
        _file,
    )


def task_access_history(call: Call) -> RawReply:
    """``GET /taskaccesshistory?after=&count=``: task reads and comments."""
    return _history(call, "taskaccesshistory", "access_denied_report", ["task_id", "action"], _task)


def registry_access_history(call: Call) -> RawReply:
    """``GET /registryaccesshistory?after=&count=``: register reads."""
    return _history(
        call, "registryaccesshistory", "access_denied_report", ["form_id"], _registry(False)
    )


def registry_download_history(call: Call) -> RawReply:
    """``GET /registrydownloadhistory?after=&count=``: register reads as CSV."""
    return _history(
        call, "registrydownloadhistory", "access_denied_report", ["form_id"], _registry(True)
    )


def person_last_action(call: Call) -> RawReply:
    """``GET /personlastaction``: every user and bot with its newest API request."""
    _allowed(call, "access_denied_report")
    backend = call.backend
    with backend.lock:
        last: dict[int, float] = {}
        for logged in backend.api_calls:
            if logged.person_id is not None:
                last[logged.person_id] = logged.at
        rows = [
            [
                p.id,
                p.email,
                p.first_name,
                p.last_name,
                p.type,
                _stamp(last[p.id]) if p.id in last else "",
            ]
            for p in backend.persons()
            if p.type != "role"
        ]
    header = ["person_id", "email", "first_name", "last_name", "type", "last_action"]
    return _csv("personlastaction", header, rows)


def _day(call: Call, name: str) -> datetime | None:
    raw = call.arg(name)
    if raw is None or raw == "":
        return None
    day = parse_date(raw.strip())
    if day is None:
        raise ApiError("invalid_value_format", f"{name}={raw[:40]!r} is not YYYY-MM-DD")
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def handling_time(call: Call) -> RawReply:
    """``GET /handlingtime[?sd=&ed=&formId=&tz=]``: creation to closing of form tasks."""
    _allowed(call, "access_denied_report")
    start, end = _day(call, "sd"), _day(call, "ed")
    raw_form = call.arg("formId")
    form_id = None if raw_form in (None, "") else body.query_int(raw_form, "formId", 0)
    backend = call.backend
    with backend.lock:
        if form_id is not None and backend.find_form(form_id) is None:
            raise ApiError("access_denied_form", f"formId={form_id}: no such form")
        rows = []
        for task in backend.tasks():
            if task.form_id is None or (form_id is not None and task.form_id != form_id):
                continue
            created = task.create_date.replace(hour=0, minute=0, second=0)
            if (start is not None and created < start) or (end is not None and created > end):
                continue
            closed = task.close_date if task.is_closed else None
            minutes = (
                int((closed - task.create_date).total_seconds() // 60)
                if closed is not None
                else None
            )
            rows.append(
                [
                    task.id,
                    task.form_id,
                    serialize.timestamp(task.create_date),
                    serialize.timestamp(closed) if closed is not None else None,
                    minutes,
                ]
            )
    header = ["task_id", "form_id", "create_date", "close_date", "handling_minutes"]
    return _csv("handlingtime", header, rows)
