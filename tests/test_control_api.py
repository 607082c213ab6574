"""The control plane under ``/_mock/`` (``pyrus-mock serve``), driven in-process."""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from pyrus_mock import PyrusMock, RealClock, Settings
from pyrus_mock.control import CONTROL_ENDPOINTS, ControlPlane, with_control
from pyrus_mock.domain.errors import InvalidArgument

from ._bots import RecordingBot
from ._control_helpers import TOKEN, call


@pytest.fixture
def fake() -> Iterator[PyrusMock]:
    mock = PyrusMock()
    yield mock
    mock.close()


@pytest.fixture
def client(fake: PyrusMock) -> Client:
    return Client(with_control(fake, TOKEN))


def _form(client: Client, *approvers: int) -> dict[str, Any]:
    status, form = call(
        client,
        "POST",
        "/_mock/forms",
        {
            "name": "Expense",
            "fields": [{"name": "Amount", "type": "money", "code": "u_amount"}],
            "steps": [{"name": f"Step {i + 1}", "approvers": [a]} for i, a in enumerate(approvers)],
        },
    )
    assert status == 200, form
    return form  # type: ignore[no-any-return]


# -- the admin token -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        pytest.param({}, "admin_token_required", id="missing"),
        pytest.param({"Authorization": "Bearer wrong"}, "invalid_admin_token", id="wrong-bearer"),
        pytest.param({"X-Pyrus-Mock-Admin": TOKEN[:-1]}, "invalid_admin_token", id="wrong-header"),
        pytest.param({"Authorization": f"Basic {TOKEN}"}, "admin_token_required", id="not-bearer"),
    ],
)
@pytest.mark.parametrize("path", ["/_mock/", "/_mock/bots", "/_mock/no-such-route"])
def test_control_calls_need_the_admin_token(
    client: Client, fake: PyrusMock, headers: dict[str, str], code: str, path: str
) -> None:
    status, body = call(client, "GET", path, headers=headers)
    assert status == 401
    assert body["error_code"] == code
    assert "admin token" in body["error"]
    assert fake._backend.log.calls == []  # control calls are not API calls


def test_both_header_forms_are_accepted(client: Client) -> None:
    assert call(client, "GET", "/_mock/", headers={"X-Pyrus-Mock-Admin": TOKEN})[0] == 200
    assert call(client, "GET", "/_mock/")[0] == 200


def test_an_api_token_is_not_an_admin_token(client: Client, fake: PyrusMock) -> None:
    bot = fake.add_bot("Bot", "https://127.0.0.1:9/")
    status, body = call(
        client, "GET", "/_mock/", headers={"Authorization": f"Bearer {bot.token()}"}
    )
    assert (status, body["error_code"]) == (401, "invalid_admin_token")


def test_without_a_control_plane_mock_routes_are_unknown(fake: PyrusMock) -> None:
    response = Client(fake.app).get("/_mock/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404
    assert response.get_json()["error_code"] == "not_found"


def test_the_admin_token_must_be_long() -> None:
    with pytest.raises(InvalidArgument, match="admin_token"):
        ControlPlane(PyrusMock(), "short")


# -- routes ----------------------------------------------------------------------------------


def test_index_lists_every_endpoint(client: Client) -> None:
    status, body = call(client, "GET", "/_mock/")
    assert status == 200
    assert [e["route"] for e in body["endpoints"]] == [ep.label for ep in CONTROL_ENDPOINTS]
    assert body["api_url"] == "http://localhost/v4/"
    assert body["clock"]["kind"] == "virtual"


def test_unknown_routes_and_methods(client: Client) -> None:
    status, body = call(client, "GET", "/_mock/nope")
    assert status == 404
    assert "POST /_mock/bots" in body["error"]
    status, body = call(client, "PUT", "/_mock/bots")
    assert status == 405
    assert "allowed: " in body["error"]


def test_control_calls_are_not_logged_as_api_calls(client: Client, fake: PyrusMock) -> None:
    call(client, "POST", "/_mock/bots", {"name": "Bot", "url": "https://127.0.0.1:9/"})
    assert fake._backend.log.calls == []


# -- users, forms, catalogs, bots ----------------------------------------------------------------


def test_create_a_user_who_can_log_in(client: Client, fake: PyrusMock) -> None:
    status, user = call(
        client, "POST", "/_mock/users", {"first_name": "Anna", "email": "anna@example.com"}
    )
    assert status == 200
    assert user["login"] == "anna@example.com"
    response = client.post(
        "/v4/auth", json={"login": user["login"], "security_key": user["security_key"]}
    )
    assert response.status_code == 200, response.get_json()


def test_create_a_catalog(client: Client) -> None:
    status, catalog = call(
        client,
        "POST",
        "/_mock/catalogs",
        {"name": "Cities", "headers": ["City"], "rows": [["Oslo"]]},
    )
    assert status == 200
    assert catalog["name"] == "Cities"


def test_bot_credentials_and_lifecycle(client: Client) -> None:
    status, bot = call(
        client,
        "POST",
        "/_mock/bots",
        {"name": "Bot", "url": "https://127.0.0.1:9/", "settings": "{}"},
    )
    assert status == 200
    assert bot["login"].startswith("bot@")
    assert len(bot["security_key"]) == 96
    assert bot["client_id"]
    base = f"/_mock/bots/{bot['id']}"
    assert call(client, "GET", base)[1] == bot
    assert call(client, "GET", "/_mock/bots")[1]["bots"] == [bot]

    status, changed = call(client, "PATCH", base, {"url": "https://localhost:9/", "name": "B2"})
    assert (status, changed["url"], changed["name"]) == (200, "https://localhost:9/", "B2")
    status, reset = call(client, "POST", base + "/reset-key")
    assert status == 200
    assert reset["security_key"] != bot["security_key"]

    assert call(client, "POST", base + "/disable")[1]["enabled"] is False
    assert call(client, "POST", base + "/enable")[1]["enabled"] is True
    assert call(client, "POST", base + "/block")[1]["blocked"] is True
    assert call(client, "POST", base + "/restore")[1]["blocked"] is False
    token = call(client, "POST", base + "/token")[1]["access_token"]
    profile = client.get("/v4/profile", headers={"Authorization": f"Bearer {token}"})
    assert profile.status_code == 200
    assert call(client, "DELETE", base)[1]["deleted"] is True
    profile = client.get("/v4/profile", headers={"Authorization": f"Bearer {token}"})
    assert profile.get_json()["error_code"] == "revoked_token"


# -- tasks, deliveries, the clock ----------------------------------------------------------------


def test_tasks_reach_a_real_bot_and_deliveries_are_transcribed(
    client: Client, fake: PyrusMock
) -> None:
    app = RecordingBot(reply={"text": "ok", "approval_choice": "approved"})
    with fake.serve_bot(app) as url:
        _, bot = call(client, "POST", "/_mock/bots", {"name": "Approver", "url": url})
        app.key = bot["security_key"]
        form = _form(client, bot["id"])
        status, created = call(
            client, "POST", "/_mock/tasks", {"form_id": form["id"], "fields": {"u_amount": 5}}
        )
        assert status == 200, created
        task_id = created["task"]["id"]
        (auto,) = created["deliveries"]
        assert auto["state"] == "delivered"
        assert auto["attempts"][0]["request_headers"]["X-Pyrus-Retry"] == "1/3"
        assert auto["reply"] == {"text": "ok", "approval_choice": "approved"}
        status, again = call(
            client, "POST", "/_mock/deliveries", {"task_id": task_id, "bot_id": bot["id"]}
        )
    assert status == 200
    assert again["state"] == "delivered"
    assert again["attempts"][0]["status"] == 200
    assert again["payload"]["task_id"] == task_id

    listed = call(client, "GET", f"/_mock/deliveries?bot_id={bot['id']}")[1]["deliveries"]
    assert [d["id"] for d in listed] == [auto["id"], again["id"]]
    assert call(client, "GET", "/_mock/deliveries?state=exhausted")[1]["deliveries"] == []
    assert call(client, "GET", f"/_mock/deliveries/{again['id']}")[1]["id"] == again["id"]
    assert call(client, "GET", f"/_mock/tasks/{task_id}")[1]["task"]["id"] == task_id

    status, text = call(client, "GET", "/_mock/transcript")
    assert status == 200
    assert isinstance(text, str)
    assert "X-Pyrus-Sig" in text
    assert bot["security_key"] not in text  # secrets are masked in transcripts
    status, data = call(client, "GET", "/_mock/transcript?format=json")
    assert status == 200
    assert len(data["deliveries"]) == 2
    status, data = call(
        client,
        "GET",
        "/_mock/transcript",
        headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"},
    )
    assert isinstance(data, dict)
    assert call(client, "GET", "/_mock/api-calls")[1]["api_calls"] == []


def test_a_person_comment_calls_the_bot(client: Client, fake: PyrusMock) -> None:
    app = RecordingBot()
    with fake.serve_bot(app) as url:
        _, bot = call(client, "POST", "/_mock/bots", {"name": "Bot", "url": url})
        app.key = bot["security_key"]
        _, user = call(client, "POST", "/_mock/users", {"first_name": "Anna"})
        _, created = call(
            client,
            "POST",
            "/_mock/tasks",
            {"text": "hi", "author": user["id"], "responsible": bot["id"]},
        )
        task_id = created["task"]["id"]
        status, commented = call(
            client,
            "POST",
            f"/_mock/tasks/{task_id}/comments",
            {"author": user["email"], "text": "ping"},
        )
    assert status == 200, commented
    assert commented["comment_id"]
    assert [d["trigger"] for d in commented["deliveries"]] == ["comment"]


def test_retries_wait_for_the_virtual_clock(client: Client, fake: PyrusMock) -> None:
    app = RecordingBot(key="not yet")
    with fake.serve_bot(app) as url:
        _, bot = call(client, "POST", "/_mock/bots", {"name": "Bot", "url": url})
        _, created = call(client, "POST", "/_mock/tasks", {"responsible": bot["id"]})
        (delivery,) = created["deliveries"]
        assert delivery["state"] == "pending_retry"
        assert delivery["attempts"][0]["status"] == 403
        assert delivery["next_attempt_at"]
        pending = call(client, "GET", "/_mock/clock")[1]["pending"]
        assert len(pending) == 1
        app.key = bot["security_key"]
        status, moved = call(client, "POST", "/_mock/clock/advance", {"seconds": 61})
    assert status == 200
    assert moved["attempts_made"] == 1
    assert moved["pending"] == []
    after = call(client, "GET", f"/_mock/deliveries/{delivery['id']}")[1]
    assert after["state"] == "delivered"
    assert after["attempts"][1]["request_headers"]["X-Pyrus-Retry"] == "2/3"


def test_the_real_clock_cannot_be_advanced() -> None:
    mock = PyrusMock(clock=RealClock())
    try:
        client = Client(with_control(mock, TOKEN))
        status, body = call(client, "POST", "/_mock/clock/advance", {"seconds": 61})
        assert status == 409
        assert body["error_code"] == "clock_not_virtual"
        assert "--clock virtual" in body["error"]
        assert call(client, "GET", "/_mock/clock")[1]["kind"] == "real"
    finally:
        mock.close()


def test_certificates_for_bots(client: Client, fake: PyrusMock, tmp_path: Path) -> None:
    status, issued = call(client, "POST", "/_mock/certs", {"hosts": ["localhost", "127.0.0.1"]})
    assert status == 200
    assert issued["ca_pem"] == fake.ca.ca_pem.decode()
    (tmp_path / "cert.pem").write_text(issued["cert_pem"])
    (tmp_path / "key.pem").write_text(issued["key_pem"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    assert call(client, "POST", "/_mock/certs")[1]["hosts"] == ["localhost", "127.0.0.1"]


def test_reset_forgets_everything(client: Client, fake: PyrusMock) -> None:
    call(client, "POST", "/_mock/bots", {"name": "Bot", "url": "https://127.0.0.1:9/"})
    call(client, "POST", "/_mock/tasks", {"text": "x"})
    status, body = call(client, "POST", "/_mock/reset", {"seed": 3})
    assert (status, body["reset"], body["seed"]) == (200, True, 3)
    assert call(client, "GET", "/_mock/bots")[1] == {"bots": []}
    assert fake._backend.tasks() == []


# -- settings ------------------------------------------------------------------------------------


def test_settings_are_read_and_changed(client: Client, fake: PyrusMock) -> None:
    status, current = call(client, "GET", "/_mock/settings")
    assert status == 200
    defaults = Settings()
    assert list(current) == [f.name for f in dataclasses.fields(Settings)]
    assert current["retry_delays"] == list(defaults.retry_delays)
    assert {k: v for k, v in current.items() if k != "retry_delays"} == {
        k: getattr(defaults, k) for k in current if k != "retry_delays"
    }
    changes = {"signature_case": "lower", "retry_delays": [5, 10.5], "auto_deliver": False,
               "delivery_timeout": 3, "on_rejection": "reset_to_previous_step"}  # fmt: skip
    status, changed = call(client, "PATCH", "/_mock/settings", changes)
    assert status == 200, changed
    assert changed == {**current, **changes, "delivery_timeout": 3.0}
    assert call(client, "GET", "/_mock/settings")[1] == changed
    # One copy, the backend's, which the app, the dispatcher and the engine read.
    assert fake.settings is fake._backend.settings
    assert fake.settings.retry_delays == (5.0, 10.5)
    assert fake.settings.delivery_timeout == 3.0
    assert call(client, "PATCH", "/_mock/settings", {})[1] == changed  # nothing to change
    call(client, "POST", "/_mock/reset")
    # a reset goes back to the settings the fake started with: no leak from test to test
    assert call(client, "GET", "/_mock/settings")[1] == current


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        pytest.param({"signatur_case": "lower"}, "signatur_case", "is not a setting", id="name"),
        pytest.param({"auto_deliver": "yes"}, "auto_deliver", "true or false", id="bool"),
        pytest.param({"max_bots": 1.5}, "max_bots", "a whole number", id="int"),
        pytest.param({"max_bots": True}, "max_bots", "a whole number", id="bool-as-int"),
        pytest.param({"max_bots": 0}, "max_bots", ">= 1", id="int-range"),
        pytest.param({"delivery_timeout": "60"}, "delivery_timeout", "a number", id="float"),
        pytest.param({"delivery_timeout": 0}, "delivery_timeout", "positive", id="float-range"),
        pytest.param({"retry_delays": "5,10"}, "retry_delays", "an array", id="tuple"),
        pytest.param({"retry_delays": [10, 5]}, "retry_delays", "increasing", id="tuple-order"),
        pytest.param({"on_rejection": "reopen"}, "on_rejection", "reset_to_first_step",
                     id="choice"),
        pytest.param({"signature_case": "lower", "rate_limit": "many"}, "rate_limit",
                     "a whole number", id="one-bad-of-two"),
    ],
)  # fmt: skip
def test_a_bad_setting_answers_400_naming_it_and_changes_nothing(
    client: Client, fake: PyrusMock, changes: dict[str, Any], field: str, says: str
) -> None:
    before = fake.settings
    status, body = call(client, "PATCH", "/_mock/settings", changes)
    assert status == 400
    assert (body["error_code"], body["field"]) == ("invalid_argument", field)
    assert body["error"].startswith(f"{field}: ")
    assert says in body["error"]
    assert fake.settings is before
    assert fake._backend.settings is before


def test_settings_need_a_json_object(client: Client) -> None:
    status, body = call(client, "PATCH", "/_mock/settings", raw=b'["signature_case"]')
    assert (status, body["error_code"]) == (400, "invalid_json")
    status, body = call(client, "PUT", "/_mock/settings", {})
    assert (status, body["error_code"]) == (405, "method_not_allowed")


def test_a_changed_signature_case_reaches_the_bot(client: Client, fake: PyrusMock) -> None:
    app = RecordingBot(verify="lower")
    with fake.serve_bot(app) as url:
        _, bot = call(client, "POST", "/_mock/bots", {"name": "Bot", "url": url})
        app.key = bot["security_key"]
        assert call(client, "PATCH", "/_mock/settings", {"signature_case": "lower"})[0] == 200
        _, created = call(client, "POST", "/_mock/tasks", {"responsible": bot["id"]})
    (delivery,) = created["deliveries"]
    assert delivery["state"] == "delivered", delivery
    signature = delivery["attempts"][0]["request_headers"]["X-Pyrus-Sig"]
    assert signature == signature.lower() != signature.upper()
    assert app.refused == 0


@pytest.mark.parametrize(
    ("on_rejection", "closed"), [("close", True), ("reset_to_first_step", False)]
)
def test_a_changed_rejection_rule_applies_to_the_next_comment(
    client: Client, on_rejection: str, closed: bool
) -> None:
    _, user = call(client, "POST", "/_mock/users", {"first_name": "Anna"})
    form = _form(client, user["id"])
    task = {"form_id": form["id"], "fields": {"u_amount": 5}, "author": user["id"]}
    _, created = call(client, "POST", "/_mock/tasks", task)
    assert call(client, "PATCH", "/_mock/settings", {"on_rejection": on_rejection})[0] == 200
    status, commented = call(
        client,
        "POST",
        f"/_mock/tasks/{created['task']['id']}/comments",
        {"author": user["id"], "approval_choice": "rejected"},
    )
    assert status == 200, commented
    assert commented["task"]["is_closed"] is closed


# -- bad input: JSON errors naming the problem ---------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/_mock/bots/424242", id="get-bot"),
        pytest.param("POST", "/_mock/bots/424242/reset-key", id="reset-key"),
        pytest.param("DELETE", "/_mock/bots/424242", id="delete-bot"),
        pytest.param("GET", "/_mock/tasks/424242", id="get-task"),
        pytest.param("POST", "/_mock/tasks/424242/comments", id="comment-task"),
        pytest.param("GET", "/_mock/deliveries/424242", id="get-delivery"),
    ],
)
def test_unknown_ids_answer_404(client: Client, method: str, path: str) -> None:
    status, body = call(client, method, path, {"author": 1})
    assert status == 404
    assert body["error_code"] == "not_found"
    assert "424242" in body["error"]


def test_delivering_unknown_ids_answers_404_naming_the_field(
    client: Client, fake: PyrusMock
) -> None:
    bot = fake.add_bot("Bot", "https://127.0.0.1:9/")
    task = fake.add_task(text="x")
    for body, field in (
        ({"task_id": 424242, "bot_id": bot.id}, "task_id"),
        ({"task_id": task.id, "bot_id": 424242}, "bot_id"),
        ({"task_id": task.id, "bot_id": task.author_id}, "bot_id"),
    ):
        status, reply = call(client, "POST", "/_mock/deliveries", body)
        assert (status, reply["field"]) == (404, field), reply
    status, reply = call(client, "POST", "/_mock/tasks", {"form_id": 424242})
    assert (status, reply["field"]) == (404, "form_id")


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        pytest.param(b"{not json", "not valid JSON", id="malformed"),
        pytest.param(b"[1, 2]", "JSON list", id="array"),
        pytest.param(b"\xff\xfe", "not valid JSON", id="not-utf8"),
    ],
)
def test_malformed_json_answers_400(client: Client, raw: bytes, problem: str) -> None:
    status, body = call(client, "POST", "/_mock/bots", raw=raw)
    assert status == 400
    assert body["error_code"] == "invalid_json"
    assert problem in body["error"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        pytest.param("/_mock/bots", {"url": "https://127.0.0.1:9/"}, "name", id="no-name"),
        pytest.param(
            "/_mock/bots", {"name": "B", "url": "http://127.0.0.1:9/"}, "url", id="plain-http"
        ),
        pytest.param("/_mock/bots", {"name": "B", "color": "red"}, "color", id="unknown-member"),
        pytest.param("/_mock/bots", {"name": 5}, "name", id="wrong-type"),
        pytest.param("/_mock/bots", {"name": "B", "rights": True}, "rights", id="bad-rights"),
        pytest.param("/_mock/forms", {"fields": []}, "name", id="form-without-name"),
        pytest.param(
            "/_mock/catalogs", {"name": "C", "headers": []}, "headers", id="catalog-without-headers"
        ),
        pytest.param("/_mock/tasks", {"fields": [1]}, "fields", id="fields-not-object"),
        pytest.param(
            "/_mock/tasks", {"text": "x", "author": 424242}, "author", id="unknown-author"
        ),
        pytest.param("/_mock/tasks", {"approvals": [1]}, "approvals", id="approvals-flat"),
        pytest.param("/_mock/clock/advance", {}, "seconds", id="no-seconds"),
        pytest.param("/_mock/clock/advance", {"seconds": -1}, "seconds", id="negative"),
        pytest.param("/_mock/clock/advance", {"seconds": "61"}, "seconds", id="seconds-text"),
        pytest.param("/_mock/certs", {"hosts": [""]}, "hosts[0]", id="empty-host"),
        pytest.param("/_mock/deliveries", {"bot_id": 1}, "task_id", id="no-task-id"),
        pytest.param("/_mock/reset", {"seed": "x"}, "seed", id="seed-text"),
    ],
)
def test_bad_members_answer_400_naming_the_field(
    client: Client, path: str, body: dict[str, Any], field: str
) -> None:
    status, reply = call(client, "POST", path, body)
    assert status == 400, reply
    assert reply["field"] == field, reply


def test_bad_updates_and_filters_answer_400(client: Client, fake: PyrusMock) -> None:
    bot = fake.add_bot("Bot", "https://127.0.0.1:9/")
    status, reply = call(client, "PATCH", f"/_mock/bots/{bot.id}", {"enabled": "yes"})
    assert (status, reply["field"]) == (400, "enabled")
    status, reply = call(client, "PATCH", f"/_mock/bots/{bot.id}", {"security_key": "x"})
    assert (status, reply["field"]) == (400, "security_key")
    status, reply = call(client, "GET", "/_mock/deliveries?bot_id=abc")
    assert (status, reply["field"]) == (400, "bot_id")
    status, reply = call(client, "GET", "/_mock/transcript?format=xml")
    assert (status, reply["field"]) == (400, "format")


def test_a_comment_pyrus_would_refuse_lists_the_violations(client: Client, fake: PyrusMock) -> None:
    form = _form(client, fake.add_user().id)
    status, reply = call(
        client, "POST", "/_mock/tasks", {"form_id": form["id"], "fields": {"u_amount": "lots"}}
    )
    assert status == 400
    assert reply["error_code"] == "comment_rejected"
    assert reply["violations"][0]["path"]


def test_an_oversized_body_answers_413() -> None:
    mock = PyrusMock(max_request_bytes=1024)
    try:
        client = Client(with_control(mock, TOKEN))
        status, body = call(client, "POST", "/_mock/bots", {"name": "x" * 2000})
        assert status == 413
        assert body["error_code"] == "http_413"
    finally:
        mock.close()


def test_the_prefix_without_a_slash_is_the_index(client: Client) -> None:
    status, body = call(client, "GET", "/_mock")
    assert status == 200
    assert body["endpoints"]


@pytest.mark.parametrize(
    "member",
    [{"rights": -1}, {"time_zone_offset": 10**25}, {"time_zone_offset": 100_000}],
    ids=["negative-rights", "huge-offset", "offset-beyond-utc+14"],
)
def test_a_bot_with_values_no_client_reads_is_refused(
    client: Client, member: dict[str, int]
) -> None:
    base = {"name": "Bot", "url": "https://127.0.0.1:9/"}
    status, body = call(client, "POST", "/_mock/bots", {**base, **member})
    assert status == 400, body
    assert next(iter(member)) in body["error"]
    status, created = call(client, "POST", "/_mock/bots", base)
    status, body = call(client, "PATCH", f"/_mock/bots/{created['id']}", member)
    assert status == 400, body
