"""The dashboard over HTTPS without a browser: who may see it, and what its pages hold."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pyrus_mock import PyrusMock
from pyrus_mock.control.dashboard.auth import control_plane
from pyrus_mock.control.dashboard.render import json_html, marked_paths
from pyrus_mock.domain.errors import PyrusMockError


def _admin_token(fake: PyrusMock) -> str:
    plane = control_plane(fake)
    assert plane is not None
    return plane.admin_token


@pytest.fixture
def fake() -> Iterator[PyrusMock]:
    mock = PyrusMock().start(dashboard=True)
    yield mock
    mock.close()


def _session(fake: PyrusMock) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    session.verify = fake.ca_path
    return session


def _logged_in(fake: PyrusMock) -> requests.Session:
    session = _session(fake)
    reply = session.get(fake.dashboard_link())
    assert reply.status_code == 200
    assert reply.url == fake.base_url + "/_mock/ui/"
    return session


def test_pages_need_the_token_and_send_browsers_to_the_login_page(fake: PyrusMock) -> None:
    session = _session(fake)
    page = session.get(fake.base_url + "/_mock/ui/tasks", allow_redirects=False)
    assert page.status_code == 303
    assert page.headers["Location"] == "/_mock/ui/login"
    api = session.get(fake.base_url + "/_mock/bots")
    assert api.status_code == 401
    assert api.json()["error_code"] == "admin_token_required"
    login = session.get(fake.base_url + "/_mock/ui/login")
    assert login.status_code == 200
    assert 'name="token"' in login.text
    assert session.get(fake.base_url + "/_mock/ui/static/dashboard.js").status_code == 200
    missing = session.get(fake.base_url + "/_mock/ui/static/secret.py")
    assert missing.status_code == 404  # only the dashboard's own script and style are served
    assert "no static file" in missing.json()["error"]


def test_login_with_a_wrong_token_is_refused_and_the_right_one_sets_a_strict_cookie(
    fake: PyrusMock,
) -> None:
    session = _session(fake)
    url = fake.base_url + "/_mock/ui/login"
    wrong = session.post(url, data={"token": "x" * 40}, allow_redirects=False)
    assert wrong.status_code == 401
    assert "not the admin token" in wrong.text
    assert "pyrus_mock_admin" not in session.cookies
    right = session.post(url, data={"token": _admin_token(fake)}, allow_redirects=False)
    assert right.status_code == 303
    cookie = right.headers["Set-Cookie"]
    for attribute in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/_mock"):
        assert attribute in cookie
    assert session.get(fake.base_url + "/_mock/ui/bots").status_code == 200


def test_a_one_time_link_logs_in_once(fake: PyrusMock) -> None:
    link = fake.dashboard_link()
    assert _session(fake).get(link).url.endswith("/_mock/ui/")
    again = _session(fake).get(link)
    assert again.status_code == 401
    assert "used already or has expired" in again.text


def test_the_cookie_alone_cannot_change_state(fake: PyrusMock) -> None:
    session = _logged_in(fake)
    bot = fake.add_bot("Key bot", "https://127.0.0.1:9/hook")
    old = bot.security_key
    url = f"{fake.base_url}/_mock/bots/{bot.id}/reset-key"
    refused = session.post(url)  # what a cross-site form could send
    assert refused.status_code == 401
    assert bot.security_key == old
    done = session.post(url, headers={"X-Pyrus-Mock-UI": "1"})
    assert done.status_code == 200
    assert bot.security_key != old


def test_pages_escape_what_they_show_and_mask_keys(fake: PyrusMock) -> None:
    session = _logged_in(fake)
    bot = fake.add_bot("<script>alert(1)</script>", "https://127.0.0.1:9/hook")
    page = session.get(fake.base_url + "/_mock/ui/bots")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert bot.security_key not in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_live_part_is_only_the_live_region(fake: PyrusMock) -> None:
    session = _logged_in(fake)
    full = session.get(fake.base_url + "/_mock/ui/")
    live = session.get(fake.base_url + "/_mock/ui/?part=live")
    assert "<html" in full.text
    assert "<html" not in live.text
    assert 'id="clock-now"' in live.text


def test_unknown_ids_answer_404(fake: PyrusMock) -> None:
    session = _logged_in(fake)
    for path in ("/_mock/ui/tasks/1", "/_mock/ui/deliveries/1"):
        reply = session.get(fake.base_url + path)
        assert reply.status_code == 404
        assert reply.json()["error_code"] == "not_found"


def test_dashboard_link_without_the_dashboard_says_how_to_get_it() -> None:
    with PyrusMock() as fake, pytest.raises(PyrusMockError, match=r"start\(dashboard=True\)"):
        fake.dashboard_link()


def test_start_with_dashboard_is_idempotent(fake: PyrusMock) -> None:
    assert fake.start(dashboard=True) is fake


def test_violation_paths_mark_the_deepest_member_they_reach() -> None:
    reply = {"field_updates": [{"id": 1, "value": "x"}], "a/b": 1}
    assert marked_paths(reply, ["/field_updates/0/value"]) == {"/field_updates/0/value"}
    assert marked_paths(reply, ["/field_updates/3/value"]) == {"/field_updates"}
    assert marked_paths(reply, ["/a~1b"]) == {"/a~1b"}
    assert marked_paths(reply, [""]) == {""}
    html = json_html(reply, ["/field_updates/0/value"])
    assert 'class="jl bad" data-path="/field_updates/0/value"' in html
    assert html.count("jl bad") == 1


def test_serve_prints_a_one_time_dashboard_link_that_logs_in(tmp_path: Path) -> None:
    from .test_serve import _serving

    with _serving(state_dir=tmp_path) as (info, out, _, _):
        link = re.search(r"^  Dashboard\s+(\S+) \(one-time link", out.text, re.MULTILINE)
        assert link is not None, out.text
        session = requests.Session()
        session.trust_env = False
        session.verify = str(tmp_path / "ca.pem")
        page = session.get(link.group(1))
        assert page.status_code == 200
        assert page.url.endswith("/_mock/ui/")
        assert "Deliveries" in page.text
        assert session.get(link.group(1)).status_code == 401  # used once
        assert info["Control"].endswith("/_mock/")


def test_a_delivery_page_masks_a_token_the_bot_echoed(fake: PyrusMock) -> None:
    """The page masks the payload's access token; a bot that quotes it back (in its status
    line, a header, its body) must not get it shown whole either. The signature stays shown."""

    def echo_token(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        token = json.loads(environ["wsgi.input"].read())["access_token"]
        start_response(f"500 {token}", [("X-Echo", token), ("Content-Type", "text/plain")])
        return [f"refused token {token}".encode()]

    with fake.serve_bot(echo_token) as url:
        bot = fake.add_bot("Echo", url)
        delivery = fake.deliver(fake.add_task(text="t"), bot)
    token = delivery.access_token
    assert delivery.last_attempt is not None
    assert token in (delivery.last_attempt.error or "")  # the record keeps what came back
    session = _logged_in(fake)
    page = session.get(f"{fake.base_url}/_mock/ui/deliveries/{delivery.id}")
    assert page.status_code == 200
    assert token not in page.text
    assert token[:12] not in page.text
    assert "\u2026" + token[-4:] in page.text
    assert delivery.last_attempt.signature in page.text
