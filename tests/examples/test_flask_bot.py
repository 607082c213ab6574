"""Testing the Flask bot in flask_bot.py with the pyrus_mock and bot_server fixtures."""

from collections.abc import Callable

from flask_bot import create_app

from pyrus_mock import PyrusMock


def test_the_bot_approves_the_expense(
    pyrus_mock: PyrusMock, bot_server: Callable[..., str]
) -> None:
    app = create_app()
    bot = pyrus_mock.add_bot("Approver", bot_server(app))  # served over HTTPS
    app.config["PYRUS_SECURITY_KEY"] = bot.security_key

    boss = pyrus_mock.add_user("Ann", "Boss")
    form = pyrus_mock.add_form(
        "Expense",
        fields=[{"name": "Amount", "type": "money", "code": "u_amount"}],
        steps=[{"name": "Check", "approvers": [bot]}, {"name": "Pay", "approvers": [boss]}],
    )
    task = pyrus_mock.add_task(form=form, text="Taxi", fields={"u_amount": 42})

    # The task reached the bot's step, so the fake called the bot (signed, over TLS)
    # and applied its reply.
    [delivery] = bot.deliveries
    assert delivery.ok, delivery.summary()
    assert task.comments[-1].author_id == bot.id
    assert task.comments[-1].text == "Approved: Taxi"
    assert task.approvals[0][0].choice == "approved"
    assert task.current_step == 2  # on to the boss


def test_the_bot_checks_signatures(pyrus_mock: PyrusMock, bot_server: Callable[..., str]) -> None:
    app = create_app()
    bot = pyrus_mock.add_bot("Approver", bot_server(app))
    app.config["PYRUS_SECURITY_KEY"] = bot.security_key

    report = pyrus_mock.check_bot(
        bot, on_key_reset=lambda key: app.config.update(PYRUS_SECURITY_KEY=key)
    )
    report.assert_passed()  # on failure: the table of checks, each with its reason


def test_the_bot_answers_any_task(pyrus_mock: PyrusMock, bot_server: Callable[..., str]) -> None:
    app = create_app()
    bot = pyrus_mock.add_bot("Approver", bot_server(app))
    app.config["PYRUS_SECURITY_KEY"] = bot.security_key
    # 50 generated tasks (pip install 'pyrus-mock[fuzz]'): one the bot answers non-2xx, too
    # late, or with a comment Pyrus would refuse fails the report, shrunk to a minimal task
    # and printed as a test that reproduces it.
    pyrus_mock.check_bot(bot, fuzz=50).assert_passed()
