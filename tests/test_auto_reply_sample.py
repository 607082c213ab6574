"""Pyrus's "auto-reply" Flask sample, ported, on the first delivery of a new task.

The sample (shown on Pyrus's bot help pages, and copied into many public repositories) does
not call the API: it reads the newest comment of the delivered task, ``task["comments"][-1]``,
and replies with a comment that greets its author and hands the task back to them
(``reassign_to``), the reply built by hand as a string and served as ``text/html``. It works in
Pyrus on the very first call because Pyrus records a task's creation as its first comment.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest
from flask import Flask, request
from pyrus import client
from pyrus.models.requests import CreateTaskRequest

from pyrus_mock import PyrusMock
from pyrus_mock.mock.bots import Bot

# The official client serialises requests with jsonpickle, which warns about a future default.
pytestmark = pytest.mark.filterwarnings("ignore:keys will default to True:DeprecationWarning")


def auto_reply_app(keys: dict[str, str]) -> Flask:
    """The sample's handler, its shape kept (the key is read per call: the test sets it late)."""
    app = Flask("auto-reply")

    @app.route("/", methods=["GET", "POST"])
    def index() -> tuple[str, int] | str:
        body = request.data
        signature = request.headers["x-pyrus-sig"]
        if _is_signature_correct(body, keys["key"].encode(), signature):
            return _prepare_response(body.decode("utf-8"))
        return "bad signature", 403  # the sample returns nothing (a Flask error) here

    return app


def _is_signature_correct(message: bytes, secret: bytes, signature: str) -> bool:
    digest = hmac.new(secret, msg=message, digestmod=hashlib.sha1).hexdigest()
    return hmac.compare_digest(digest, signature.lower())


def _prepare_response(body: str) -> str:
    task = json.loads(body)["task"]
    comment = task["comments"][-1]
    comment_author = comment["author"]
    author_name = comment_author["first_name"] + " " + comment_author["last_name"]
    comment_text = "Hello, {}! You said: {}".format(author_name, comment["text"])
    return '{{ "text":"{}", "reassign_to":{{ "id":{} }} }}'.format(
        comment_text, comment_author["id"]
    )


@pytest.fixture
def fake() -> Iterator[PyrusMock]:
    with PyrusMock() as fake:
        yield fake


@pytest.fixture
def bot(fake: PyrusMock) -> Iterator[Bot]:
    keys: dict[str, str] = {}
    with fake.serve_bot(auto_reply_app(keys)) as url:
        bot = fake.add_bot("Auto-reply", url)
        keys["key"] = bot.security_key
        yield bot


def _bot_api(bot: Bot) -> client.PyrusAPI:
    """The official client logged in as the bot (its own token, not a delivery's)."""
    api = client.PyrusAPI(login=bot.login, security_key=bot.security_key)
    assert api.auth().success
    return api


def _check_first_delivery_replied(fake: PyrusMock, bot: Bot, task_id: int, author_id: int) -> None:
    [delivery] = fake.deliveries
    assert (delivery.trigger, delivery.state) == ("created", "delivered")
    assert delivery.ok, delivery.summary()
    assert delivery.violations == []
    # The payload's newest comment was the creation comment, by the task's author.
    assert delivery.payload["task"]["comments"][-1]["author"]["id"] == author_id
    task = fake.task(task_id)
    reply = task.comments[-1]
    assert reply is delivery.comment
    assert (reply.author_id, reply.reassigned_to) == (bot.id, author_id)
    assert reply.text == "Hello, Ann Author! You said: Help with printer"
    assert task.responsible_id == author_id
    # The bot handed the task on and stays a participant: it may still read it.
    assert bot.id in task.participant_ids
    with fake.intercept():
        read = _bot_api(bot).get_task(task_id)
    assert read.error_code is None, read.error
    assert read.task.responsible.id == author_id
    assert bot.id in [p.id for p in read.task.participants]
    assert read.task.comments[-1].text == reply.text


def test_first_delivery_of_a_task_built_by_the_test(fake: PyrusMock, bot: Bot) -> None:
    ann = fake.add_user("Ann", "Author")
    task = fake.add_task(text="Help with printer", author=ann, responsible=bot)
    _check_first_delivery_replied(fake, bot, task.id, ann.id)


def test_first_delivery_of_a_task_created_through_the_official_client(
    fake: PyrusMock, bot: Bot
) -> None:
    ann = fake.add_user("Ann", "Author")
    with fake.intercept():
        api = client.PyrusAPI(login=ann.email, security_key=fake._backend.user_key(ann.id))
        created = api.create_task(CreateTaskRequest(text="Help with printer", responsible=bot.id))
    assert created.error_code is None, created.error
    _check_first_delivery_replied(fake, bot, created.task.id, ann.id)


def test_without_the_creation_comment_the_sample_cannot_answer(fake: PyrusMock, bot: Bot) -> None:
    """The failing side: the same handler, given a task with no comment, fails the call (500),
    so a fake without creation comments would make this working bot look broken."""
    ann = fake.add_user("Ann", "Author")
    fake.settings = fake.settings.replace(auto_deliver=False)
    task = fake.add_task(text="Help with printer", author=ann, responsible=bot)
    task.comments.clear()
    delivery = fake.deliver(task, to=bot)
    assert delivery.state == "pending_retry"
    assert delivery.attempts[0].status == 500
