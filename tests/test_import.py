"""Importing JSON saved from real Pyrus: forms, catalogs, tasks and webhook bodies."""

from __future__ import annotations

import copy
import io
import json
import threading
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import requests

from pyrus_mock import PyrusMock
from pyrus_mock.cli import serve as standalone
from pyrus_mock.importing import ImportRefused
from pyrus_mock.state import serialize, serialize_directory

from ._bots import RecordingBot
from .test_serve import DEADLINE, _control, _serving


def _help_sample() -> dict[str, Any]:
    text = resources.files("pyrus_mock.importing").joinpath("samples/help-webhook.json")
    return dict(json.loads(text.read_text(encoding="utf-8")))


def _rich(fake: PyrusMock) -> tuple[Any, Any, Any]:
    """A form with every kind of field the import supports, a catalog, and a filled task."""
    user = fake.add_user("Bob", "Smith")
    other = fake.add_user("Eve", "Jones")
    catalog = fake.add_catalog("Cities", ["City", "Code"], [["Paris", "PA"], ["Oslo", "OS"]])
    form = fake.add_form(
        "Kitchen sink",
        [
            {"name": "Text", "type": "text", "code": "t"},
            {"name": "Num", "type": "number", "code": "n"},
            {"name": "Money", "type": "money", "code": "m"},
            {"name": "Date", "type": "date", "code": "d"},
            {"name": "Check", "type": "checkmark", "code": "c"},
            {"name": "Who", "type": "person", "code": "p"},
            {"name": "City", "type": "catalog", "code": "ct", "catalog_id": catalog.id},
            {"name": "Choice", "type": "multiple_choice", "code": "mc", "options": ["A", "B"]},
            {
                "name": "Title",
                "type": "title",
                "code": "ti",
                "fields": [{"name": "Inner", "type": "text", "code": "in"}],
            },
            {
                "name": "Table",
                "type": "table",
                "code": "tb",
                "columns": [
                    {"name": "Col", "type": "text", "code": "col"},
                    {"name": "Amt", "type": "money", "code": "amt"},
                ],
            },
        ],
        [{"name": "Review", "approvers": [user]}, "Pay"],
    )
    ids = {f.code: f.id for f in form.by_id.values()}
    task = fake.add_task(
        form=form,
        fields={"t": "hi", "n": 3, "m": 12.5, "d": "2026-01-02", "c": "checked",
                "p": {"id": user.id}, "ct": {"item_id": catalog.items[1].id},
                "mc": {"choice_ids": [2]}, "in": "inner",
                "tb": [{"cells": [{"id": ids["col"], "value": "x"},
                                  {"id": ids["amt"], "value": 3}]}]},
    )  # fmt: skip
    fake._backend.comment(
        task, {"text": "please check", "approval_choice": "approved"}, fake._backend.person(user.id)
    )
    fake._backend.comment(
        task,
        {"text": "more eyes", "approvals_added": [[{"id": user.id}], [{"id": other.id}]],
         "subscribers_added": [{"id": other.id}], "due_date": "2026-05-01"},
        fake._backend.person(user.id),
    )  # fmt: skip
    return form, catalog, task


def _task_json(fake: PyrusMock, task_id: int) -> dict[str, Any]:
    return serialize.task(fake._backend, fake.task(task_id), now=fake.clock.time())


def test_the_help_sample_webhook_is_reproduced_when_delivered() -> None:
    sample = _help_sample()
    with PyrusMock() as fake:
        result = fake.import_form(sample)
        assert result.tasks == [5600]
        assert result.bots == [sample["user_id"]]
        bot = fake.bot(sample["user_id"])
        assert bot.login == sample["task"]["approvals"][0][0]["person"]["email"]
        receiver = RecordingBot(key=lambda: bot.security_key)
        with fake.serve_bot(receiver) as url:
            bot.update(url=url)
            delivery = fake.deliver(5600, bot)
        assert delivery.state == "delivered", delivery.summary()
        payload = delivery.payload
        token = payload.pop("access_token")
        expected = {k: v for k, v in sample.items() if k != "access_token"}
        assert payload == expected  # the same task_id, user_id, event and task, member by member
        reply = requests.get(
            fake.api_url + "tasks/5600",
            headers={"Authorization": f"Bearer {token}"},
            verify=fake.ca_path,
            timeout=DEADLINE,
        )
        assert reply.status_code == 200
        assert reply.json()["task"]["comments"][-1]["text"] == "please check"


def test_a_task_with_its_form_and_catalog_round_trips() -> None:
    with PyrusMock() as source:
        form, catalog, task = _rich(source)
        saved = [{"task": _task_json(source, task.id)}, serialize_directory.form(form),
                 serialize_directory.catalog(catalog)]  # fmt: skip
    with PyrusMock(seed=7) as fake:  # other counters: every id must be kept, not re-made
        result = fake.import_form(json.dumps(saved))
        assert result.forms == [form.id]
        assert result.catalogs == [catalog.id]
        assert result.tasks == [task.id]
        assert result.notes == []
        assert _task_json(fake, task.id) == saved[0]["task"]
        assert serialize_directory.form(fake._backend.find_form(form.id)) == saved[1]  # type: ignore[arg-type]
        assert serialize_directory.catalog(fake._backend.find_catalog(catalog.id)) == saved[2]  # type: ignore[arg-type]
        assert fake.add_task(form=form.id).id != task.id  # later ids do not collide


def test_without_its_form_the_form_is_inferred_and_said_so() -> None:
    with PyrusMock() as source:
        form, catalog, task = _rich(source)
        saved = _task_json(source, task.id)
        catalog_json = serialize_directory.catalog(catalog)
    with PyrusMock() as fake:
        result = fake.import_form([{"task": saved}, catalog_json])
        assert any(f"import GET /forms/{form.id} first" in note for note in result.notes)
        assert _task_json(fake, task.id) == saved


def test_ids_already_taken_get_new_ones_with_a_note() -> None:
    with PyrusMock() as source:
        form, _, task = _rich(source)
        saved = [serialize_directory.catalog(c) for c in source._backend.catalogs()]
        saved += [serialize_directory.form(form), {"task": _task_json(source, task.id)}]
    with PyrusMock() as fake:
        fake.import_form(saved)
        again = fake.import_form(saved)
        assert again.tasks
        assert again.tasks != [task.id]
        assert f"task {task.id} got the id {again.tasks[0]}" in " ".join(again.notes)
        assert _task_json(fake, again.tasks[0])["form_id"] == again.forms[0]


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        pytest.param(lambda t: t["fields"].append(
            {"id": 99, "type": "file", "name": "Scan", "value": [{"id": 1, "name": "a.pdf"}]}),
            "/task/fields/", "holds no file contents", id="file"),
        pytest.param(lambda t: t["fields"].append(
            {"id": 98, "type": "catalog", "name": "City", "value": {"item_id": 123456}}),
            "/task/fields/", "import GET /catalogs/{id}", id="catalog-missing"),
        pytest.param(lambda t: t.pop("author"), "/task/author", "is missing", id="no-author"),
        pytest.param(lambda t: t["fields"].append({"id": 97, "type": "hologram", "name": "H"}),
                     "/fields", "hologram", id="unknown-type"),
    ],
)  # fmt: skip
def test_what_cannot_be_represented_is_refused_clearly(change: Any, where: str, says: str) -> None:
    sample = copy.deepcopy(_help_sample())
    change(sample["task"])
    with PyrusMock() as fake:
        with pytest.raises(ImportRefused) as caught:
            fake.import_form(sample)
        assert str(caught.value).startswith(where)
        assert says in str(caught.value)
        assert fake._backend.find_task(5600) is None


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"hello": 1}, "not a Pyrus form, catalog, task or webhook body (keys: hello)"),
        (42, "got a JSON int"),
        ("{not json", "the text is not JSON"),
        ("/no/such/file.json", "cannot be read"),
    ],
)
def test_input_that_is_not_pyrus_json_is_refused(data: Any, says: str) -> None:
    with PyrusMock() as fake, pytest.raises(ImportRefused, match=re_escape(says)):
        fake.import_form(data)


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_a_directory_imports_catalogs_then_forms_then_tasks(tmp_path: Path) -> None:
    with PyrusMock() as source:
        form, catalog, task = _rich(source)
        (tmp_path / "a-task.json").write_text(json.dumps({"task": _task_json(source, task.id)}))
        (tmp_path / "b-form.json").write_text(json.dumps(serialize_directory.form(form)))
        (tmp_path / "c-catalog.json").write_text(json.dumps(serialize_directory.catalog(catalog)))
        expected = _task_json(source, task.id)
    with PyrusMock() as fake:
        result = fake.import_form(tmp_path)
        assert (result.catalogs, result.forms, result.tasks) == ([catalog.id], [form.id], [task.id])
        assert _task_json(fake, task.id) == expected
    (tmp_path / "d-broken.json").write_text("{oops")
    with PyrusMock() as fake, pytest.raises(ImportRefused, match=r"^d-broken\.json: "):
        fake.import_form(str(tmp_path))


def test_post_mock_import_answers_the_ids_or_a_400_naming_the_problem(tmp_path: Path) -> None:
    sample = _help_sample()
    with _serving(state_dir=tmp_path) as (info, _, _, _):
        ca = str(tmp_path / "ca.pem")
        status, body = _control(info, ca, "POST", "/import", json=sample)
        assert status == 200
        assert body["tasks"] == [5600]
        assert body["bots"] == [1245]
        status, task = _control(info, ca, "GET", "/tasks/5600")
        assert status == 200
        assert task["task"]["comments"][0]["text"] == "Taxi to the airport"
        broken = copy.deepcopy(sample)
        broken["task"]["fields"].append({"id": 9, "type": "file", "name": "Scan", "value": [{}]})
        broken["task"]["id"] = broken["task_id"] = 5601
        status, body = _control(info, ca, "POST", "/import", json=broken)
        assert status == 400
        assert body["error_code"] == "invalid_argument"
        assert "holds no file contents" in body["error"]
        status, body = _control(info, ca, "POST", "/import", data=b"[1,")
        assert (status, body["error_code"]) == (400, "invalid_json")


def test_serve_import_dir_loads_before_the_banner_and_refuses_clearly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "webhook.json").write_text(json.dumps(_help_sample()))
    with _serving(state_dir=tmp_path / "state", imports=[str(data)]) as (info, out, _, _):
        assert "imported 1 forms, 0 catalogs, 1 tasks, 1 bots from" in out.text
        status, _task = _control(info, str(tmp_path / "state" / "ca.pem"), "GET", "/tasks/5600")
        assert status == 200
    (data / "zz.json").write_text('{"hello": 1}')
    out, err = io.StringIO(), io.StringIO()
    status = standalone.serve(state_dir=tmp_path / "state2", imports=[str(data)], out=out,
                              err=err, stop=threading.Event())  # fmt: skip
    assert status == 2
    assert err.getvalue().startswith("pyrus-mock serve: --import: zz.json: ")
    assert "not a Pyrus form, catalog, task or webhook body" in err.getvalue()


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"forms": [1]}, "/forms/0"),
        ([{"forms": [None]}], "/forms/0"),
        ({"forms": [{"name": "F", "fields": "x"}]}, "/fields"),
        ({"name": "F", "fields": [], "steps": {"one": "Review"}}, "/steps"),
        ({"name": "F", "fields": [{"id": 1, "type": "text", "name": "A", "info": "x"}]},
         "/fields/0/info"),
        ({"name": "F", "fields": [{"id": 1, "type": "multiple_choice", "name": "A",
                                   "info": {"options": [1]}}]}, "/fields/0/info/options/0"),
        ({"catalog_headers": [1], "items": []}, "/catalog_headers/0"),
    ],
)  # fmt: skip
def test_malformed_parts_are_refused_naming_them(data: Any, where: str) -> None:
    """Wrong JSON types deep in a form or catalog are an ImportRefused naming the part (the
    control plane's 400), never an AttributeError or ValueError (its 500)."""
    with PyrusMock() as fake, pytest.raises(ImportRefused) as caught:
        fake.import_form(data)
    assert str(caught.value).startswith(where)
