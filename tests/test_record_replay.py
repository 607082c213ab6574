"""Recording real calls through the TLS proxy, and replaying them to a bot, re-signed."""

from __future__ import annotations

import copy
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import requests

from pyrus_mock import PyrusMock
from pyrus_mock.cli.commands import main
from pyrus_mock.delivery.dispatch import sign
from pyrus_mock.examples.bot import ExampleBot
from pyrus_mock.importing import ImportRefused
from pyrus_mock.importing.record import Recorder, record
from pyrus_mock.transport.server import TLSServer

from .test_serve import DEADLINE, _Lines

SAMPLES = resources.files("pyrus_mock.importing").joinpath("samples")


def _sample(task_id: int = 5600, amount: float = 120.5) -> dict[str, Any]:
    data = json.loads(SAMPLES.joinpath("help-webhook.json").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["task"]["fields"][0]["value"] = amount
    if task_id == data["task_id"]:
        return dict(data)  # the help text's sample as shipped
    data["task_id"] = data["task"]["id"] = task_id
    for index, comment in enumerate(data["task"]["comments"]):
        comment["id"] = task_id * 10 + index
    data["task"]["last_note_id"] = data["task"]["comments"][-1]["id"]
    return dict(data)


@contextmanager
def _example_bot(fake: PyrusMock, **options: Any) -> Iterator[tuple[ExampleBot, str]]:
    app = ExampleBot(api_url=fake.api_url, ssl_context=fake.ssl_context, **options)
    with fake.serve_bot(app) as url:
        yield app, url


def _record(fake: PyrusMock, directory: Path, tasks: list[dict[str, Any]]) -> list[Any]:
    """Deliver each task to the example bot through the recording proxy."""
    for data in tasks:
        fake.import_form(data)
    bot = fake.bot(tasks[0]["user_id"])
    with _example_bot(fake) as (app, url):
        app.security_key = bot.security_key
        recorder = Recorder(url, directory, ssl_context=fake.ssl_context)
        with TLSServer(recorder, fake.ca.server_context()) as proxy:
            bot.update(url=proxy.url + "/")
            deliveries = [fake.deliver(data["task_id"], bot) for data in tasks]
        recorder.close()
    return deliveries


def test_record_then_replay_against_the_example_bot_matches(tmp_path: Path) -> None:
    recordings = tmp_path / "recorded"
    with PyrusMock().start() as fake:
        deliveries = _record(fake, recordings, [_sample(5600, 120.5), _sample(5601, 5000)])
        assert [d.reply["approval_choice"] for d in deliveries] == ["approved", "rejected"]
        secrets = [fake.bot(1245).security_key] + [d.access_token for d in deliveries]
        secrets += [a.signature for d in deliveries for a in d.attempts]
    files = sorted(recordings.iterdir())
    assert [f.name for f in files] == ["0001-task-5600.json", "0002-task-5601.json"]
    for path in files:
        text = path.read_text()
        assert not [s for s in secrets if s in text]  # redacted: no key, token or signature
        saved = json.loads(text)
        assert saved["request"]["headers"]["X-Pyrus-Sig"] == "<redacted>"
        assert saved["request"]["json"]["access_token"] == "<redacted>"
        assert saved["reply"]["status"] == 200
    with PyrusMock().start() as fresh, _example_bot(fresh) as (app, url):
        app.security_key = "a key only the replay knows"
        report = fresh.replay(recordings, to=url, security_key=app.security_key)
        assert report.all_matched, report.summary()
        assert [r.status for r in report.results] == [200, 200]
        assert report.results[1].body["approval_choice"] == "rejected"
        report.assert_all_matched()
        calls = [(c.method, c.path, c.status) for c in fresh._backend.api_calls]
        assert ("GET", "/v4/tasks/5601", 200) in calls  # the bot read the imported task back


def test_the_shipped_example_replays_against_the_example_bot() -> None:
    with (
        resources.as_file(SAMPLES.joinpath("recorded")) as directory,
        PyrusMock().start() as fake,
        _example_bot(fake) as (app, url),
    ):
        app.security_key = "any key"
        report = fake.replay(directory, to=url, security_key="any key")
    assert report.all_matched, report.summary()
    assert len(report.results) == 1
    assert report.results[0].body["approval_choice"] == "approved"


def test_replies_that_differ_are_reported_with_their_paths() -> None:
    with (
        resources.as_file(SAMPLES.joinpath("recorded")) as directory,
        PyrusMock().start() as fake,
        _example_bot(fake, limit=100) as (app, url),
    ):
        app.security_key = "right key"
        stricter = fake.replay(directory, to=url, security_key="right key")
    with (
        resources.as_file(SAMPLES.joinpath("recorded")) as directory,
        PyrusMock().start() as other_fake,
        _example_bot(other_fake) as (other, other_url),
    ):
        other.security_key = "the bot's key"
        refused = other_fake.replay(directory, to=other_url, security_key="not it")
    assert not stricter.all_matched
    assert any(d.startswith("/approval_choice: \"rejected\"")
               for d in stricter.results[0].differences)  # fmt: skip
    with pytest.raises(AssertionError, match="0 of 1 replies match"):
        stricter.assert_all_matched()
    assert refused.results[0].status == 403
    assert "status 403 (recorded 200)" in refused.results[0].differences


def test_replay_refuses_what_is_not_a_recording(tmp_path: Path) -> None:
    with PyrusMock() as fake:
        with pytest.raises(ImportRefused, match="holds no recordings"):
            fake.replay(tmp_path, to="https://127.0.0.1:9/", security_key="k")
        (tmp_path / "x.json").write_text('{"task": {}}')
        with pytest.raises(ImportRefused, match=r"^x\.json: is not a recording"):
            fake.replay(tmp_path, to="https://127.0.0.1:9/", security_key="k")


def test_pyrus_mock_replay_cli_reports_and_exits_0_when_all_match(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"

    class FindsTheApi(ExampleBot):
        """The example bot, reading the fake's API URL from server.json when called."""

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            info = json.loads((state / "server.json").read_text())
            self.api_url = info["api_url"]
            self.ssl_context = __import__("ssl").create_default_context(cafile=info["ca_path"])
            return super().__call__(environ, start_response)

    with PyrusMock().start() as host, resources.as_file(SAMPLES.joinpath("recorded")) as rec:
        app = FindsTheApi("cli key")
        with host.serve_bot(app) as url:
            args = ["replay", str(rec), "--to", url, "--security-key", "cli key",
                    "--ca-file", host.ca_path, "--state-dir", str(state)]  # fmt: skip
            assert main(args) == 0
            assert main([*args[:-4], "--security-key", "wrong", "--ca-file", host.ca_path]) == 1
    out = capsys.readouterr().out
    assert "1 of 1 replies match the recording" in out
    assert "0 of 1 replies match the recording" in out


def test_pyrus_mock_record_cli_proxies_over_tls_and_saves(tmp_path: Path) -> None:
    with PyrusMock().start() as fake:
        seen: list[bytes] = []

        def bot(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            seen.append(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"text": "ok", "token": "t0ps3cret"}']

        with fake.serve_bot(bot) as url:
            out, err, stop = _Lines(), io.StringIO(), threading.Event()
            options = {"to": url, "listen": 0, "directory": str(tmp_path / "rec"),
                       "ca_file": fake.ca_path, "state_dir": str(tmp_path / "state")}  # fmt: skip
            thread = threading.Thread(
                target=lambda: record(**options, out=out, err=err, stop=stop), daemon=True
            )
            thread.start()
            try:
                text = out.wait_for("Stop with")
                proxy = text.split()[2]
                body = json.dumps({"task_id": 7, "access_token": "abc123secret"}).encode()
                reply = requests.post(
                    proxy, data=body,
                    headers={"X-Pyrus-Sig": sign("k", body), "Content-Type": "application/json"},
                    verify=str(tmp_path / "state" / "ca.pem"), timeout=DEADLINE,
                )  # fmt: skip
            finally:
                stop.set()
                thread.join(DEADLINE)
    assert reply.status_code == 200
    assert reply.json() == {"text": "ok", "token": "t0ps3cret"}  # forwarded unchanged
    assert seen == [body]
    saved_text = (tmp_path / "rec" / "0001-task-7.json").read_text()
    assert "abc123secret" not in saved_text
    assert "t0ps3cret" not in saved_text
    assert sign("k", body) not in saved_text
    assert "1 call(s) recorded" in out.text


def test_record_refuses_a_plain_http_target(tmp_path: Path) -> None:
    err = io.StringIO()
    status = record(to="http://127.0.0.1:9/", listen=0, directory=str(tmp_path), out=io.StringIO(),
                    err=err, stop=threading.Event())  # fmt: skip
    assert status == 2
    assert "is not an https:// URL" in err.getvalue()
