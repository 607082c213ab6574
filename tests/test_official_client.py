"""The official Python client (PyPI ``pyrus-api``), unmodified, against the fake.

Both ways a test reaches the fake (contract §8): ``intercept()`` with the client's default cloud
hosts, and the real HTTPS server with the client's host attributes pointed at it (the client
uses module-level ``requests`` calls, so it trusts the fake's CA through ``REQUESTS_CA_BUNDLE``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from pyrus import client
from pyrus.models import entities
from pyrus.models.requests import CreateTaskRequest, FormRegisterRequest, TaskCommentRequest

from ._api_helpers import World, make_world
from ._official_helpers import client_for, reached_world

# The client serialises requests with jsonpickle, which warns about a future default.
pytestmark = pytest.mark.filterwarnings("ignore:keys will default to True:DeprecationWarning")


@pytest.fixture(params=["intercept", "https"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(transport: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with reached_world(transport, monkeypatch) as world:
        yield world


@pytest.fixture
def api(world: World, transport: str) -> client.PyrusAPI:
    return client_for(world, world.bot.login, world.bot.security_key)


def test_auth(world: World, transport: str, api: client.PyrusAPI) -> None:
    reply = api.auth()
    assert reply.success, reply.error
    if transport == "intercept":
        assert (reply.api_url, reply.files_url) == (
            "https://api.pyrus.com/v4/",
            "https://files.pyrus.com/",
        )
        assert api._host == "api.pyrus.com"
    else:
        assert reply.api_url == world.mock.api_url
        assert reply.files_url == world.mock.files_url
    calls = world.mock._backend.log.calls
    assert calls[-1].path == "/api/v4/auth"
    assert calls[-1].person_id == world.bot.id


def test_bad_key(world: World, transport: str) -> None:
    reply = client_for(world, world.bot.login, "wrong").auth()
    assert not reply.success
    assert reply.error_code == "invalid_credentials"


def test_get_task(world: World, api: client.PyrusAPI) -> None:
    reply = api.get_task(world.task.id)
    assert reply.error_code is None, reply.error
    task = reply.task
    assert task.id == world.task.id
    assert task.form_id == world.form.id
    assert task.author.id == world.author.id
    assert task.current_step == 1
    assert task.approvals[0][0].person.id == world.bot.id
    assert task.approvals[0][0].approval_choice == "waiting"
    assert {f.name: f.value for f in task.fields if f.value is not None} == {
        "Amount": 120.5,
        "Note": "taxi",
    }
    assert task.comments[-1].attachments[0].name == "receipt.txt"


def _task_with_creation_date(world: World) -> int:
    """A form task whose form has a ``creation_date`` field the bot may read."""
    form = world.mock.add_form(
        "Dated",
        [{"name": "Created", "type": "creation_date"}, {"name": "Note", "type": "text"}],
        steps=[{"name": "Review", "approvers": [world.bot]}],
    )
    return world.mock.add_task(form=form, fields={"Note": "hello"}, author=world.author).id


def test_get_task_with_a_creation_date_field_default_settings(
    world: World, api: client.PyrusAPI
) -> None:
    task_id = _task_with_creation_date(world)
    reply = api.get_task(task_id)
    assert reply.error_code is None, reply.error
    created = next(f for f in reply.task.fields if f.type == "creation_date")
    made = world.mock.task(task_id).create_date
    assert created.value == datetime(made.year, made.month, made.day, tzinfo=timezone.utc)


def test_the_datetime_creation_date_setting_is_what_the_client_cannot_parse(
    world: World, api: client.PyrusAPI
) -> None:
    task_id = _task_with_creation_date(world)
    world.mock.settings = world.mock.settings.replace(creation_date_format="datetime")
    raw = world.ok("GET", f"/v4/tasks/{task_id}")["task"]
    value = next(f for f in raw["fields"] if f["type"] == "creation_date")["value"]
    assert value == world.mock.task(task_id).create_date.strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(ValueError, match="unconverted data remains: T"):
        api.get_task(task_id)


def test_errors_reach_the_client_as_codes(world: World, api: client.PyrusAPI) -> None:
    assert api.get_task(999999).error_code == "access_denied_task"
    assert api.get_form(999999).error_code == "access_denied_form"
    assert api.get_catalog(999999).error_code == "access_denied_catalog"
    assert api.download_file(999999).error_code == "access_denied_file"


def test_comment_approves_and_updates_a_field(world: World, api: client.PyrusAPI) -> None:
    note = next(f for f in world.form.fields if f.code == "u_note")
    request = TaskCommentRequest(
        text="Checked",
        approval_choice="approved",
        field_updates=[entities.FormField(id=note.id, value="ok by bot")],
    )
    reply = api.comment_task(world.task.id, request)
    assert reply.error_code is None, reply.error
    assert reply.task.current_step == 2
    assert reply.task.comments[-1].approval_choice == "approved"
    assert reply.task.comments[-1].author.id == world.bot.id
    assert next(f for f in reply.task.fields if f.id == note.id).value == "ok by bot"
    assert world.mock.task(world.task.id).current_step == 2


def test_a_refused_comment(world: World, api: client.PyrusAPI) -> None:
    request = TaskCommentRequest(field_updates=[entities.FormField(id=987654, value="x")])
    reply = api.comment_task(world.task.id, request)
    assert reply.error_code == "invalid_field_id"
    assert "987654" in reply.error


def test_get_form(world: World, api: client.PyrusAPI) -> None:
    form = api.get_form(world.form.id)
    assert form.error_code is None, form.error
    assert form.name == "Expense"
    assert form.steps == {"1": "Review", "2": "Pay"}
    assert [f.code for f in form.fields] == ["u_amount", "u_note", "u_colour", "u_scan"]
    assert [f.id for f in api.get_forms().forms] == [world.form.id]


def test_get_members(world: World, api: client.PyrusAPI) -> None:
    members = api.get_members().members
    assert {m.id for m in members} >= {world.author.id, world.bot.id}
    assert next(m for m in members if m.id == world.bot.id).type == "bot"
    assert api.get_member(world.author.id).first_name == "Ann"


def test_get_catalog(world: World, api: client.PyrusAPI) -> None:
    catalog = api.get_catalog(world.catalog.id)
    assert catalog.error_code is None, catalog.error
    assert catalog.catalog_id == world.catalog.id
    assert [h.name for h in catalog.catalog_headers] == ["Name", "Code"]
    assert catalog.items[0].values == ["Red", "r"]


# upload_file() opens the file and never closes it (the client's bug, not the fake's).
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_upload_then_download(world: World, api: client.PyrusAPI, tmp_path: Path) -> None:
    path = tmp_path / "отчёт.txt"
    path.write_bytes(b"report body")
    upload = api.upload_file(str(path))
    assert upload.error_code is None, upload.error
    reply = api.comment_task(world.task.id, TaskCommentRequest(text="f", attachments=[upload.guid]))
    assert reply.error_code is None, reply.error
    attachment = reply.task.comments[-1].attachments[0]
    assert attachment.size == len(b"report body")
    download = api.download_file(attachment.id)
    assert download.error_code is None
    assert (download.filename, download.raw_file) == ("отчёт.txt", b"report body")


def test_create_task_and_read_registry_and_inbox(world: World, api: client.PyrusAPI) -> None:
    created = api.create_task(CreateTaskRequest(text="From the bot", responsible=world.bot.id))
    assert created.error_code is None, created.error
    inbox = api.get_inbox()
    assert {t.id for t in inbox.tasks} >= {world.task.id, created.task.id}
    registry = api.get_registry(world.form.id, FormRegisterRequest(steps=[1]))
    assert [t.id for t in registry.tasks] == [world.task.id]
    assert api.get_lists().lists[0].name == "Projects"
    assert api.get_profile().person_id == world.bot.id


def test_reauthenticates_after_expiry(world: World, api: client.PyrusAPI) -> None:
    assert api.get_task(world.task.id).error_code is None
    first = api.access_token
    world.mock.clock.advance(world.mock.settings.token_lifetime + 1)  # type: ignore[attr-defined]
    assert api.get_task(world.task.id).error_code is None
    assert api.access_token != first
    codes = [c.error_code for c in world.mock._backend.log.calls[-3:]]
    assert codes == ["expired_token", None, None]


# -- TLS trust -----------------------------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[World]:
    world = make_world()
    world.mock.start()
    try:
        yield world
    finally:
        world.mock.close()


def test_the_system_store_does_not_trust_the_fake(
    served: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    url = served.mock.api_url + "forms"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, timeout=5)
    api = client_for(served, served.bot.login, served.bot.security_key)
    with pytest.raises(requests.exceptions.SSLError):
        api.auth()
    # Trusting the fake's CA explicitly works without the environment variable.
    assert requests.get(url, verify=served.mock.ca_path, timeout=5).status_code == 401


def test_a_bundle_of_another_ca_fails(served: World, monkeypatch: pytest.MonkeyPatch) -> None:
    other = make_world().mock
    try:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", other.ca_path)
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(served.mock.api_url + "forms", timeout=5)
    finally:
        other.close()


def test_the_fake_ca_through_the_environment(
    served: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", served.mock.ca_path)
    api = client_for(served, served.bot.login, served.bot.security_key)
    assert api.get_task(served.task.id).task.id == served.task.id


def test_ssl_context_of_the_fake(served: World) -> None:
    import http.client
    import ssl

    port = served.mock.server.port
    connection = http.client.HTTPSConnection(
        "127.0.0.1", port, context=served.mock.ssl_context, timeout=5
    )
    connection.request("GET", "/v4/forms")
    assert connection.getresponse().status == 401
    connection.close()
    system = http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=5, context=ssl.create_default_context()
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        system.request("GET", "/v4/forms")
    system.close()
