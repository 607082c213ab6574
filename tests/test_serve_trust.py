"""``pyrus-mock serve --trust``: deliveries verify a bot's own CA (a PEM bundle or the system)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from pyrus_mock.cli import commands as _cli
from pyrus_mock.cli import serve as standalone
from pyrus_mock.transport.server import TLSServer

from ._bots import RecordingBot
from .test_serve import _control, _serving


@pytest.fixture(scope="module")
def other_ca() -> trustme.CA:
    """A CA that is not the fake's: the bot's own."""
    return trustme.CA()


@pytest.fixture
def own_cert_bot(other_ca: trustme.CA) -> Iterator[tuple[RecordingBot, str]]:
    """A bot served over TLS with a certificate from ``other_ca``; yields it and its URL."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    other_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    app = RecordingBot(reply={"text": "seen"})
    with TLSServer(app, context) as server:
        yield app, server.url + "/hook"


def _deliver(info: dict[str, str], ca: str, app: RecordingBot, url: str) -> dict[str, Any]:
    """Create a bot at ``url`` through the control API and give it a task; the delivery."""
    status, bot = _control(info, ca, "POST", "/bots", json={"name": "Own CA", "url": url})
    assert status == 200, bot
    app.key = bot["security_key"]
    status, created = _control(info, ca, "POST", "/tasks", json={"responsible": bot["id"]})
    assert status == 200, created
    (delivery,) = created["deliveries"]
    return dict(delivery)


def test_a_bot_with_its_own_ca_is_refused_without_trust(
    tmp_path: Path, own_cert_bot: tuple[RecordingBot, str]
) -> None:
    app, url = own_cert_bot
    with _serving(state_dir=tmp_path) as (info, out, _err, _result):
        delivery = _deliver(info, str(tmp_path / "ca.pem"), app, url)
    assert "Bot trust" not in out.text
    assert delivery["state"] == "pending_retry"
    attempt = delivery["attempts"][0]
    assert attempt["error_kind"] == "tls_untrusted"
    assert "not signed by a CA the fake trusts" in attempt["error"]
    assert "pyrus-mock serve --trust" in attempt["error"]
    assert app.calls == []


def test_trust_pem_accepts_the_bots_ca_and_keeps_the_fakes(
    tmp_path: Path, other_ca: trustme.CA, own_cert_bot: tuple[RecordingBot, str]
) -> None:
    app, url = own_cert_bot
    pem = tmp_path / "bot-ca.pem"
    other_ca.cert_pem.write_to_path(str(pem))
    state = tmp_path / "state"
    with _serving(state_dir=state, trust=[str(pem)]) as (info, out, err, _result):
        ca = str(state / "ca.pem")
        assert f"  Bot trust    the fake's CA, {pem}\n" in out.text
        delivery = _deliver(info, ca, app, url)
        assert (delivery["state"], delivery["reply"]) == ("delivered", {"text": "seen"}), delivery
        assert len(app.calls) == 1
        # A bot with a certificate the fake issued is still trusted (--trust adds, never drops).
        status, issued = _control(info, ca, "POST", "/certs", json={"hosts": ["127.0.0.1"]})
        assert status == 200, issued
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
        cert.write_text(issued["cert_pem"])
        key.write_text(issued["key_pem"])
        context.load_cert_chain(str(cert), str(key))
        fakes = RecordingBot(reply={"text": "mine"})
        with TLSServer(fakes, context) as server:
            delivery = _deliver(info, ca, fakes, server.url + "/hook")
        assert delivery["state"] == "delivered", delivery
        assert err.text == ""


def test_trust_system_refuses_a_private_ca(
    tmp_path: Path, own_cert_bot: tuple[RecordingBot, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``system`` adds the system store; a private CA is not in it, so the bot is refused."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    app, url = own_cert_bot
    with _serving(state_dir=tmp_path, trust=["system"]) as (info, out, _err, _result):
        assert "  Bot trust    the fake's CA, the system store\n" in out.text
        delivery = _deliver(info, str(tmp_path / "ca.pem"), app, url)
    assert delivery["attempts"][0]["error_kind"] == "tls_untrusted"


def test_trust_system_accepts_a_ca_the_system_store_holds(
    tmp_path: Path,
    other_ca: trustme.CA,
    own_cert_bot: tuple[RecordingBot, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The system store as OpenSSL finds it (SSL_CERT_FILE names it), holding the bot's CA."""
    store = tmp_path / "system-store.pem"
    other_ca.cert_pem.write_to_path(str(store))
    monkeypatch.setenv("SSL_CERT_FILE", str(store))
    app, url = own_cert_bot
    state = tmp_path / "state"
    with _serving(state_dir=state, trust=["system"]) as (info, _out, _err, _result):
        delivery = _deliver(info, str(state / "ca.pem"), app, url)
    assert delivery["state"] == "delivered", delivery


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        pytest.param(lambda d: str(d / "missing.pem"), "no such file", id="missing"),
        pytest.param(lambda d: str(d), "is not a file", id="directory"),
        pytest.param(
            lambda d: (d / "empty.pem").write_text("not a certificate\n") and str(d / "empty.pem"),
            "holds no usable CA certificate",
            id="not-pem",
        ),
    ],
)
def test_a_bad_trust_is_a_one_line_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, problem: str
) -> None:
    path = make(tmp_path)
    state = tmp_path / "state"
    status = _cli.main(["serve", "--state-dir", str(state), "--trust", path])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith(f"pyrus-mock serve: error: --trust {path!r}")
    assert problem in captured.err
    assert "'system'" in captured.err
    assert captured.out == ""
    assert not (state / "server.json").exists()


def test_serve_passes_trust_through(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(standalone, "serve", lambda **kw: seen.update(kw) or 0)
    assert _cli.main(["serve", "--trust", "a.pem", "--trust", "system"]) == 0
    assert seen["trust"] == ["a.pem", "system"]
    assert _cli.main(["serve", "--help"]) == 0
    assert "--trust PEM|system" in capsys.readouterr().out
