"""Audit and report CSVs, requested as the C# client does (``PyrusClient.cs``:
``GetHistoryAsync`` sends ``{FilesOrigin}/{endpoint}?after=N&count=M`` with no API prefix;
``GetPersonLastActionReportAsync`` ``/personlastaction``; ``GetHandlingTimeAsync``
``/handlingtime?sd=&ed=&formId=&tz=``) and as the TS client does (``src/api/logsApi.ts``:
under the API URL). Every row comes from requests the fake really served."""

from __future__ import annotations

import csv
import io

import pytest
import requests

from ._api_helpers import CSV, World, make_world


def report(world: World, path: str, who: str = "supervisor") -> list[list[str]]:
    response, _ = world.call("GET", path, who=who, raw_ok=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == CSV
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    text = response.get_data().decode("utf-8")
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text)))


def test_task_access_history_lists_reads_and_comments_with_paging() -> None:
    world = make_world()
    task = world.task.id
    world.ok("GET", f"/v4/tasks/{task}")
    world.ok("POST", f"/api/v4/tasks/{task}/comments", json_body={"text": "seen"})
    world.fail("GET", "/v4/tasks/999999", 403, "access_denied_task")  # refused: not listed
    world.ok("GET", f"/v4/tasks/{task}", who="author")
    header, *rows = report(world, "/taskaccesshistory?after=0&count=100")
    assert header == ["event_id", "date", "person_id", "email", "task_id", "action"]
    bot, author = str(world.bot.id), str(world.author.id)
    assert [(r[2], r[4], r[5]) for r in rows] == [
        (bot, str(task), "read"),
        (bot, str(task), "comment"),
        (author, str(task), "read"),
    ]
    assert rows[0][3] == world.bot.login
    assert all(len(r[1]) == 20 and r[1].endswith("Z") for r in rows)
    # paging: after an event id, at most count rows
    _, *page = report(world, f"/taskaccesshistory?after={rows[0][0]}&count=1")
    assert page == [rows[1]]
    _, *rest = report(world, f"/v4/taskaccesshistory?after={rows[-1][0]}&count=10")  # TS shape
    assert rest == []


def test_file_access_history_lists_successful_downloads() -> None:
    world = make_world()
    file_id = world.file.id
    world.call("GET", f"/v4/files/download/{file_id}", who="author", raw_ok=True)
    world.call("GET", f"/services/attachment?Id={file_id}", who="author", raw_ok=True)
    world.fail("GET", f"/v4/files/download/{file_id}", 403, "access_denied_file", who="outsider")
    header, *rows = report(world, "/fileaccesshistory?after=0&count=10")
    assert header[4:] == ["file_id", "file_name"]
    assert [(r[2], r[4], r[5]) for r in rows] == [
        (str(world.author.id), str(file_id), "receipt.txt"),
        (str(world.author.id), str(file_id), "receipt.txt"),
    ]


def test_session_history_lists_logins_and_refusals() -> None:
    world = make_world()
    good = {"login": world.bot.login, "security_key": world.bot.security_key}
    world.ok("POST", "/v4/auth", who=None, json_body=good)
    world.fail(
        "POST",
        "/auth",
        401,
        "invalid_credentials",
        who=None,
        json_body={**good, "security_key": "x"},
    )
    header, *rows = report(world, "/eventhistory?after=0&count=10")
    assert header[4:] == ["event"]
    assert [(r[2], r[4]) for r in rows] == [(str(world.bot.id), "login"), ("", "login_failed")]


def test_registry_access_and_download_history() -> None:
    world = make_world()
    form = world.form.id
    world.ok("GET", f"/v4/forms/{form}/register")
    world.ok("POST", f"/v4/forms/{form}/register", json_body={"steps": [1]})
    _, *rows = report(world, "/registryaccesshistory?after=0&count=10")
    assert [(r[2], r[4]) for r in rows] == [(str(world.bot.id), str(form))] * 2
    header, *downloads = report(world, "/registrydownloadhistory?after=0&count=10")
    assert header[4:] == ["form_id"]
    assert downloads == []  # the fake serves no register CSV, so nothing was downloaded


def test_person_last_action() -> None:
    world = make_world()
    world.mock.clock.advance(30)  # type: ignore[attr-defined]
    world.ok("GET", "/v4/profile")
    header, *rows = report(world, "/personlastaction")
    assert header == ["person_id", "email", "first_name", "last_name", "type", "last_action"]
    by_id = {r[0]: r for r in rows}
    assert by_id[str(world.bot.id)][4:] == [
        "bot",
        world.mock._backend.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]
    assert by_id[str(world.outsider.id)][5] == ""
    assert by_id[str(world.supervisor.id)][5] == ""  # its own request is logged after it
    _, *again = report(world, "/personlastaction")
    assert {r[0]: r for r in again}[str(world.supervisor.id)][5] != ""


def test_handling_time() -> None:
    world = make_world()
    mock = world.mock
    other_form = mock.add_form("Leave", [{"name": "Note", "type": "text", "code": "u_n"}])
    closed = mock.add_task(form=other_form, author=world.author, responsible=world.author)
    mock.clock.advance(90 * 60)  # type: ignore[attr-defined]
    mock._backend.comment(closed, {"action": "finished"}, world.author)
    assert closed.is_closed
    header, *rows = report(world, f"/handlingtime?formId={other_form.id}")
    assert header == ["task_id", "form_id", "create_date", "close_date", "handling_minutes"]
    assert [(r[0], r[1], r[4]) for r in rows] == [(str(closed.id), str(other_form.id), "90")]
    _, *every = report(world, "/handlingtime")
    assert {r[0] for r in every} == {str(world.task.id), str(closed.id)}
    assert next(r for r in every if r[0] == str(world.task.id))[3:] == ["", ""]  # still open
    day = closed.create_date.strftime("%Y-%m-%d")
    _, *same_day = report(world, f"/handlingtime?sd={day}&ed={day}&tz=Europe/Moscow")
    assert len(same_day) == 2
    _, *none = report(world, "/handlingtime?sd=2099-01-01")
    assert none == []


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/taskaccesshistory?after=0&count=10", "access_denied_report"),
        ("/eventhistory", "access_denied_report"),
        ("/registryaccesshistory", "access_denied_report"),
        ("/registrydownloadhistory", "access_denied_report"),
        ("/personlastaction", "access_denied_report"),
        ("/handlingtime", "access_denied_report"),
        ("/fileaccesshistory?after=0&count=10", "access_denied_file_access_history"),
    ],
)
def test_reports_need_the_supervisor_right(path: str, code: str) -> None:
    world = make_world()
    world.fail("GET", path, 403, code, who="author")


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/taskaccesshistory?after=-1&count=10", "invalid_value_format"),
        ("/taskaccesshistory?after=0&count=0", "invalid_value_format"),
        ("/eventhistory?after=0&count=10001", "invalid_value_format"),
        ("/fileaccesshistory?after=x", "invalid_value_format"),
        ("/handlingtime?sd=01.02.2026", "invalid_value_format"),
        ("/handlingtime?formId=abc", "invalid_value_format"),
    ],
)
def test_bad_parameters(path: str, code: str) -> None:
    world = make_world()
    world.fail("GET", path, 400, code, who="supervisor")


def test_unknown_form_in_handling_time() -> None:
    world = make_world()
    world.fail("GET", "/handlingtime?formId=424242", 403, "access_denied_form", who="supervisor")


def test_over_https_on_the_files_origin_as_csharp_sends_it() -> None:
    world = make_world()
    mock = world.mock
    mock.start()
    try:
        token = world.token("supervisor")
        with requests.Session() as session:
            # C# joins the origins /auth returns (ending in "/") with paths starting with "/"
            read = session.get(
                f"{mock.base_url}/v4//tasks/{world.task.id}",
                headers={"Authorization": f"Bearer {world.token('bot')}"},
                verify=mock.ca_path,
            )
            assert read.status_code == 200, read.text
            response = session.get(
                f"{mock.base_url}//taskaccesshistory?after=0&count=10",
                headers={"Authorization": f"Bearer {token}"},
                verify=mock.ca_path,
            )
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == CSV
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[1][4:] == [str(world.task.id), "read"]
        mock.server.raise_errors()
    finally:
        mock.close()
