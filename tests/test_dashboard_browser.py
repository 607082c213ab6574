"""The dashboard in a real browser: headless Chromium from the OS, driven by Playwright.

The browser trusts the fake's CA through its own certificate store (see ``tests/_browser.py``),
logs in the ways a user does, and watches pages follow the fake without a reload. Screenshots
of the main pages go to ``artifacts/``. Without Chromium these tests skip, saying why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyrus_mock import PyrusMock
from pyrus_mock.control.dashboard.auth import control_plane
from pyrus_mock.examples.bot import ExampleBot

from ._bots import RecordingBot
from ._browser import browser_or_skip, screenshot, trusting_home

pytestmark = pytest.mark.browser

WAIT_MS = 10_000  # the longest Playwright waits for a page to change (it polls; no sleeps)


def _admin_token(fake: PyrusMock) -> str:
    plane = control_plane(fake)
    assert plane is not None
    return plane.admin_token


@pytest.fixture(scope="module")
def fake() -> Iterator[PyrusMock]:
    mock = PyrusMock().start(dashboard=True)
    yield mock
    mock.close()


@pytest.fixture(scope="module")
def browser(fake: PyrusMock, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("chromium-home")
    with browser_or_skip(home) as chromium:  # skips before certutil runs when it is missing
        from playwright.sync_api import expect

        expect.set_options(timeout=WAIT_MS)
        trusting_home(home, fake.ca_path)
        yield chromium


@pytest.fixture
def page(fake: PyrusMock, browser: Any) -> Iterator[Any]:
    fake.reset()
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    tab.goto(fake.dashboard_link())
    yield tab
    context.close()


def _expense_form(fake: PyrusMock, bot: Any) -> Any:
    return fake.add_form(
        "Expense report",
        fields=[
            {"name": "Amount", "type": "money", "code": "u_amount"},
            {"name": "Bot note", "type": "text", "code": "u_bot_note"},
        ],
        steps=[
            {"name": "Bot check", "approvers": [bot]},
            {"name": "Accounting", "approvers": [fake.add_user("Ann", "Accountant")]},
        ],
    )


def test_login_form_refuses_a_wrong_token_and_accepts_the_admin_token(
    fake: PyrusMock, browser: Any
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    try:
        tab.goto(fake.base_url + "/_mock/ui/bots")
        expect(tab).to_have_url(re.compile(r"/_mock/ui/login$"))  # no cookie: the login page
        tab.fill("#token", "not-the-token")
        tab.click("button[type=submit]")
        expect(tab.locator("#login-error")).to_contain_text("not the admin token")
        screenshot(tab, "dashboard-login")
        tab.fill("#token", _admin_token(fake))
        tab.click("button[type=submit]")
        expect(tab).to_have_url(re.compile(r"/_mock/ui/$"))
        expect(tab.locator("h1")).to_contain_text("Deliveries")
    finally:
        context.close()


def test_one_time_link_works_once(fake: PyrusMock, browser: Any) -> None:
    from playwright.sync_api import expect

    link = fake.dashboard_link()
    first, second = browser.new_context(), browser.new_context()
    try:
        tab = first.new_page()
        tab.goto(link)
        expect(tab).to_have_url(re.compile(r"/_mock/ui/$"), timeout=WAIT_MS)
        other = second.new_page()
        other.goto(link)
        expect(other.locator("#login-error")).to_contain_text("used already", timeout=WAIT_MS)
    finally:
        first.close()
        second.close()


def test_deliveries_appear_without_reload_and_show_the_signed_call(
    fake: PyrusMock, page: Any
) -> None:
    from playwright.sync_api import expect

    rows = page.locator("#live tr.delivery")
    expect(page.locator("#live")).to_contain_text("No deliveries yet")
    app = ExampleBot(api_url=fake.api_url, ssl_context=fake.ssl_context)
    with fake.serve_bot(app) as url:
        bot = fake.add_bot("Expense bot", url)
        app.security_key = bot.security_key
        task = fake.add_task(form=_expense_form(fake, bot), fields={"u_amount": 120})
    delivery = fake.deliveries[0]
    expect(rows).to_have_count(1)  # the page polled the fake: no reload
    expect(rows.first).to_contain_text("delivered")
    expect(rows.first).to_contain_text("200")
    screenshot(page, "dashboard-deliveries")

    rows.first.locator("a").first.click()
    expect(page.locator("h1")).to_contain_text(f"Delivery {delivery.id}")
    attempt = delivery.attempts[0]
    expect(page.locator("code.signature")).to_have_text(attempt.signature)
    expect(page.locator("table.headers tr.sig")).to_contain_text("X-Pyrus-Sig")
    expect(page.locator("#live")).to_contain_text('"approval_choice"')
    assert bot.security_key not in page.content()  # tokens and keys are masked
    assert delivery.access_token not in page.content()

    page.goto(f"{fake.base_url}/_mock/ui/tasks/{task.id}")
    expect(page.locator("#steps li.current")).to_contain_text("Accounting")
    expect(page.locator("#steps li").first).to_contain_text("approved")
    expect(page.locator("#fields")).to_contain_text("120.00 is within the limit")
    expect(page.locator("#comments")).to_contain_text("Approved")
    screenshot(page, "dashboard-task")


def test_a_violation_is_listed_and_its_json_path_highlighted_in_the_reply(
    fake: PyrusMock, page: Any
) -> None:
    from playwright.sync_api import expect

    bad_reply = {"text": "done", "field_updates": [{"code": "u_amount", "value": "a lot"}]}
    recorder = RecordingBot(reply=bad_reply, verify=None)
    with fake.serve_bot(recorder) as url:
        bot = fake.add_bot("Sloppy bot", url)
        fake.add_task(form=_expense_form(fake, bot), fields={"u_amount": 10})
    delivery = fake.deliveries[0]
    assert delivery.violations, "the fake should find the bad value"
    page.goto(f"{fake.base_url}/_mock/ui/deliveries/{delivery.id}")
    violation = delivery.violations[0]
    expect(page.locator("#violations")).to_contain_text(violation.error_code)
    marked = page.locator("pre.json .jl.bad")
    expect(marked.first).to_have_attribute("data-path", violation.path)
    expect(marked.first).to_contain_text("a lot")
    screenshot(page, "dashboard-delivery")


def test_reset_key_button_gives_the_bot_a_new_key(fake: PyrusMock, page: Any) -> None:
    from playwright.sync_api import expect

    bot = fake.add_bot("Key bot", "https://127.0.0.1:9/hook")
    old = bot.security_key
    page.goto(fake.base_url + "/_mock/ui/bots")
    row = page.locator(f"#bots tr[data-id='{bot.id}']")
    expect(row.locator("code.key")).to_have_text("\u2026" + old[-4:])
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.reset-key").click()
    expect(page.locator("#status")).to_contain_text("Done")
    assert bot.security_key != old
    expect(row.locator("code.key")).to_have_text("\u2026" + bot.security_key[-4:])
    row.get_by_role("button", name="Block").click()
    expect(row.locator(".bot-status")).to_have_text("blocked")
    assert bot.blocked
    screenshot(page, "dashboard-bots")


def test_advance_control_moves_the_clock_and_runs_the_retry(fake: PyrusMock, page: Any) -> None:
    from playwright.sync_api import expect

    down = RecordingBot(status=503, verify=None)
    with fake.serve_bot(down) as url:
        bot = fake.add_bot("Down bot", url)
        fake.add_task(form=_expense_form(fake, bot), fields={"u_amount": 10})
        delivery = fake.deliveries[0]
        assert len(delivery.attempts) == 1
        before = page.locator("#clock-now").text_content()
        expect(page.locator("#clock-pending")).to_contain_text("1 pending")
        page.fill("#advance-seconds", "61")
        page.click("#advance-button")
        expect(page.locator("#status")).to_contain_text("1 attempt(s) made")
        expect(page.locator("#clock-now")).not_to_have_text(before or "")
        expect(page.locator("#live tr.delivery .chip")).to_have_count(2)
    assert len(delivery.attempts) == 2
    page.goto(fake.base_url + "/_mock/ui/transcript")
    expect(page.locator("#transcript")).to_contain_text(f"delivery #{delivery.id}")


def test_the_browser_refuses_a_fake_whose_ca_it_does_not_trust(browser: Any) -> None:
    from playwright.sync_api import Error

    with PyrusMock().start(dashboard=True) as stranger:  # another CA: not in the browser's store
        context = browser.new_context()
        try:
            with pytest.raises(Error, match="ERR_CERT"):
                context.new_page().goto(stranger.dashboard_link(), timeout=WAIT_MS)
        finally:
            context.close()


def test_screenshots_are_written(fake: PyrusMock, page: Any) -> None:
    path = screenshot(page, "dashboard-empty")
    assert path.stat().st_size > 1000
    assert Path(path).suffix == ".png"
