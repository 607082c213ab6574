"""Bad input is refused with an error naming it: certificate hosts, settings, the clock, and
file names in ``Content-Disposition`` (issue 12, item 4)."""

from __future__ import annotations

import dataclasses
import email.message
import math
import unicodedata
from collections.abc import Iterator
from typing import Any, get_type_hints

import pytest
import requests
from werkzeug.test import Client

from pyrus_mock import PyrusMock, Settings
from pyrus_mock.control import with_control
from pyrus_mock.domain.clock import VirtualClock
from pyrus_mock.domain.errors import InvalidArgument
from pyrus_mock.domain.setting_values import parse_setting, setting_from_json
from pyrus_mock.domain.settings import BOUNDS, ONE_DAY, TEN_YEARS

from ._api_helpers import World, make_world
from ._control_helpers import TOKEN, call

GOOD_HOSTS = [
    "localhost",
    "127.0.0.1",
    "::1",
    "2001:db8::5",
    "bot.example.test",
    "*.example.test",
    "ex\u00e4mple.test",
    "a" * 63 + ".test",
    ".".join(["b" * 49] * 5) + ".ab",  # 253 characters
]
BAD_HOSTS = [
    pytest.param("", "empty", id="empty"),
    pytest.param(" ", "space", id="space"),
    pytest.param("bot example.test", "space", id="inner-space"),
    pytest.param("bot.test\r\nX-Evil: 1", "control character", id="crlf"),
    pytest.param("bot\x00.test", "control character", id="nul"),
    pytest.param("bot\x85.test", "control character", id="c1"),
    pytest.param("a" * 64 + ".test", "longer than 63", id="label-64"),
    pytest.param(".".join(["b" * 50] * 5) + ".ab", "257 characters long", id="name-257"),
    pytest.param("x" * 5000, "5000 characters", id="huge"),
    pytest.param("a.*.test", "wildcard", id="inner-wildcard"),
    pytest.param("x*.test", "wildcard", id="partial-wildcard"),
    pytest.param("*", "wildcard", id="bare-wildcard"),
    pytest.param("*.127.0.0.1", "wildcard", id="wildcard-ip"),
    pytest.param("\u2603.test", "not a valid DNS name", id="not-idna"),
    pytest.param("bot..test", "not a valid DNS name", id="empty-label"),
    pytest.param("-bot.test", "not a valid DNS name", id="leading-hyphen"),
    pytest.param("bot_1.test", "not a valid DNS name", id="underscore"),
    pytest.param("[::1]", "without brackets", id="bracketed-v6"),
    pytest.param("fe80::1%eth0", "without brackets or a zone", id="zone"),
]


@pytest.fixture
def fake() -> Iterator[PyrusMock]:
    mock = PyrusMock()
    yield mock
    mock.close()


@pytest.fixture
def client(fake: PyrusMock) -> Client:
    return Client(with_control(fake, TOKEN))


# -- certificate hosts -----------------------------------------------------------------------------


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_certificates_are_issued_for_ip_literals_and_dns_names(fake: PyrusMock, host: str) -> None:
    issued = fake.issue_cert(host)
    assert issued.cert_pem.startswith(b"-----BEGIN CERTIFICATE-----")


@pytest.mark.parametrize(("host", "why"), BAD_HOSTS)
def test_issue_cert_refuses_a_bad_host_naming_it(fake: PyrusMock, host: str, why: str) -> None:
    with pytest.raises(ValueError, match=r"^hosts\[1\]: ") as info:
        fake.issue_cert("localhost", host)
    assert isinstance(info.value, InvalidArgument)
    message = str(info.value)
    assert message.startswith("hosts[1]: ")
    assert repr(host[:80]).rstrip("'") in message  # the host, quoted (cut when huge)
    assert why in message
    assert "allowed: a DNS name such as" in message  # and what to give instead


@pytest.mark.parametrize(("host", "why"), BAD_HOSTS)
def test_the_certs_endpoint_answers_400_naming_a_bad_host(
    client: Client, host: str, why: str
) -> None:
    status, reply = call(client, "POST", "/_mock/certs", {"hosts": ["localhost", host]})
    assert status == 400, reply
    assert (reply["error_code"], reply["field"]) == ("invalid_argument", "hosts[1]")
    assert why in reply["error"]


@pytest.mark.parametrize("host", [5, None, ["localhost"], {"h": 1}])
def test_the_certs_endpoint_refuses_hosts_that_are_not_strings(client: Client, host: Any) -> None:
    status, reply = call(client, "POST", "/_mock/certs", {"hosts": [host]})
    assert (status, reply["field"]) == (400, "hosts[0]")
    assert "is not a string" in reply["error"]


def test_the_certs_endpoint_bounds_the_number_of_hosts(client: Client) -> None:
    status, reply = call(client, "POST", "/_mock/certs", {"hosts": ["localhost"] * 101})
    assert (status, reply["field"]) == (400, "hosts")
    status, reply = call(client, "POST", "/_mock/certs", {"hosts": GOOD_HOSTS})
    assert status == 200, reply
    assert reply["hosts"] == GOOD_HOSTS


# -- settings ----------------------------------------------------------------------------------


_KINDS = get_type_hints(Settings)
_NUMERIC = sorted(BOUNDS)


def _too_big(name: str) -> Any:
    _least, most = BOUNDS[name]
    return most + 1 if _KINDS[name] is int else most * 1.5


def _bad_values(name: str) -> list[Any]:
    least, _ = BOUNDS[name]
    if _KINDS[name] is int:
        return [_too_big(name), int(least) - 1, 10**30]
    return [_too_big(name), math.nan, math.inf, -math.inf, 0.0, -1.0, 1e308]


def test_every_numeric_setting_has_bounds() -> None:
    numeric = {f.name for f in dataclasses.fields(Settings) if _KINDS[f.name] in (int, float)}
    assert numeric == set(BOUNDS)
    assert BOUNDS["delivery_timeout"] == (0, ONE_DAY)
    assert BOUNDS["token_lifetime"] == (0, TEN_YEARS)


@pytest.mark.parametrize("name", _NUMERIC)
def test_a_setting_accepts_its_bounds_and_refuses_beyond_them(name: str) -> None:
    least, most = BOUNDS[name]
    kind = _KINDS[name]
    edge = most if kind is float else int(most)
    assert getattr(Settings(**{name: edge}), name) == edge
    if kind is int:
        assert getattr(Settings(**{name: int(least)}), name) == int(least)
    for bad in _bad_values(name):
        with pytest.raises(InvalidArgument) as info:
            Settings(**{name: bad})
        message = str(info.value)
        assert message.startswith(f"{name}: {bad!r} is not"), message
        assert f"<= {most:.0f}" in message, message  # the allowed range, in full
        with pytest.raises(InvalidArgument, match=f"^{name}: "):
            Settings().replace(**{name: bad})


@pytest.mark.parametrize("name", _NUMERIC)
def test_serve_set_and_patch_settings_refuse_out_of_range_values(
    client: Client, fake: PyrusMock, name: str
) -> None:
    before = fake.settings
    for text in (str(_too_big(name)), "nan", "inf", "-inf", "1e999"):
        with pytest.raises(InvalidArgument, match=f"^{name}: "):
            parse_setting(name, text)
    for value in (_too_big(name), 10**30):
        with pytest.raises(InvalidArgument, match=f"^{name}: "):
            Settings().replace(**{name: setting_from_json(name, value)})
        status, reply = call(client, "PATCH", "/_mock/settings", {name: value})
        assert (status, reply["error_code"], reply["field"]) == (400, "invalid_argument", name)
    status, reply = call(client, "PATCH", "/_mock/settings", raw=f'{{"{name}": NaN}}'.encode())
    assert status == 400, reply
    assert fake.settings == before


@pytest.mark.parametrize(
    "delays",
    [(1.0, math.nan), (math.inf,), (1.0, TEN_YEARS + 1), (-1.0,), tuple(range(101)), (2.0, 1.0)],
)
def test_retry_delays_are_bounded(delays: tuple[float, ...]) -> None:
    with pytest.raises(InvalidArgument, match=r"^retry_delays: .*at most 100 increasing offsets"):
        Settings(retry_delays=delays)
    assert Settings(retry_delays=(0.0, TEN_YEARS)).max_attempts == 3


def test_a_user_agent_is_bounded() -> None:
    with pytest.raises(InvalidArgument, match=r"^user_agent: 1001 characters long"):
        Settings(user_agent="a" * 1001)


def test_the_largest_settings_do_not_overflow_the_clock(fake: PyrusMock) -> None:
    """Tokens living ten years and retries ten years apart still schedule and expire."""
    fake.settings = fake.settings.replace(token_lifetime=TEN_YEARS, rate_window=TEN_YEARS)
    bot = fake.add_bot("Long", "https://127.0.0.1:9/")
    token = fake._backend.accounts.issue_token(bot.id)
    assert token.expires_at - token.issued_at == TEN_YEARS
    clock = fake.clock
    assert isinstance(clock, VirtualClock)
    clock.advance(TEN_YEARS + 1)
    assert fake._backend.accounts.issue_token(bot.id).expires_at > token.expires_at


# -- the clock ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [math.nan, math.inf, -math.inf, -1, 1e300, "5", None, True])
def test_the_virtual_clock_refuses_nonsense_advances(seconds: Any) -> None:
    clock = VirtualClock()
    before = clock.time()
    with pytest.raises(InvalidArgument, match=r"^seconds: "):
        clock.advance(seconds)
    assert clock.time() == before


@pytest.mark.parametrize(
    "body",
    [
        '{"seconds": NaN}',
        '{"seconds": Infinity}',
        '{"seconds": -Infinity}',
        '{"seconds": 1e400}',
        '{"seconds": -5}',
        '{"seconds": 1e300}',
        '{"seconds": 100000000000000000000000000000000000000}',
    ],
)
def test_the_clock_endpoint_refuses_nonsense_advances(
    client: Client, fake: PyrusMock, body: str
) -> None:
    before = fake.clock.time()
    status, reply = call(client, "POST", "/_mock/clock/advance", raw=body.encode())
    assert status == 400, reply
    assert reply["error_code"] in {"invalid_argument", "invalid_json"}, reply
    assert "seconds" in reply.get("field", "seconds") or "JSON" in reply["error"]
    assert fake.clock.time() == before


# -- file names in Content-Disposition ---------------------------------------------------------


@pytest.fixture
def world() -> World:
    return make_world()


def _download(world: World, name: str) -> str:
    record = world.mock._backend.files.upload(name, b"x", world.bot.id)
    response, _ = world.call("GET", f"/files/download/{record.id}", raw_ok=True)
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    assert isinstance(header, str)
    return header


@pytest.mark.parametrize(
    "name",
    [
        "a.txt\r\nX-Injected: 1",
        "a\nb.txt",
        "a\rb.txt",
        "nul\x00.txt",
        "bell\x07\x1b[31m.txt",
        "del\x7f.txt",
        'quote".txt',
        "back\\slash.txt",
        "tab\t.txt",
    ],
)
def test_a_file_name_with_control_characters_cannot_inject_a_header(
    world: World, name: str
) -> None:
    record = world.mock._backend.files.upload(name, b"x", world.bot.id)
    response, _ = world.call("GET", f"/files/download/{record.id}", raw_ok=True)
    assert response.status_code == 200
    assert "X-Injected" not in response.headers
    [header] = response.headers.getlist("Content-Disposition")
    assert header.isascii()
    assert header.isprintable()
    assert "\r" not in header
    assert "\n" not in header
    message = email.message.Message()
    message["Content-Disposition"] = header
    shown = message.get_filename()  # what a client saves the file as
    assert shown == _safe(name)
    assert record.name == name  # the exact name stays in the file's JSON record


def _safe(name: str) -> str:
    return "".join(
        "_" if unicodedata.category(c) in ("Cc", "Cf") or c in '/\\"' else c for c in name
    )


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("\u0441\u0447\u0451\u0442\u0085\r\n.pdf", "\u0441\u0447\u0451\u0442___.pdf"),
        ("../../etc/passwd", ".._.._etc_passwd"),
        ("invoice\u202egpj.exe", "invoice_gpj.exe"),  # a right-to-left override
        ("x\x00y\x7f.txt", "x_y_.txt"),
    ],
)
def test_a_client_never_gets_a_dangerous_name(world: World, name: str, shown: str) -> None:
    header = _download(world, name)
    assert header.isascii()
    assert header.isprintable()
    message = email.message.Message()
    message["Content-Disposition"] = header
    assert message.get_filename() == shown


def test_a_plain_name_keeps_the_plain_form(world: World) -> None:
    assert _download(world, "receipt 1.txt") == 'attachment; filename="receipt 1.txt"'


def test_a_very_long_file_name_still_downloads_with_a_real_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name far longer than any file system takes (accepted on upload) must not make the
    download's header too long for clients: http.client (requests, the official Python client)
    refuses any header line over 64 KiB. The header keeps the start and the extension."""
    world = make_world()
    world.mock.start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", world.mock.ca_path)
    name = "\u0441" * 30_000 + "a" * 70_000 + ".pdf"
    try:
        auth = {"Authorization": f"Bearer {world.token('bot')}"}
        base = world.mock.base_url
        with requests.Session() as session:
            uploaded = session.post(
                f"{base}/v4/files/upload", files={"file": (name, b"x")}, headers=auth
            )
            assert uploaded.status_code == 200, uploaded.text
            record = world.mock._backend.files.find_by_guid(uploaded.json()["guid"])
            assert record is not None
            response = session.get(f"{base}/v4/files/download/{record.id}", headers=auth)
    finally:
        world.mock.close()
    assert response.status_code == 200
    assert response.content == b"x"
    message = email.message.Message()
    message["Content-Disposition"] = response.headers["Content-Disposition"]
    shown = message.get_filename()
    assert shown is not None
    assert shown.startswith("\u0441" * 100)
    assert shown.endswith(".pdf")
    assert len(shown) <= 255
    assert record.name == name  # the exact name stays in the file's JSON record


# -- other waits -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1e9", "inf", "nan", "-1", "0"])
@pytest.mark.parametrize("option", ["--timeout", "--wait-for-bot"])
def test_check_refuses_waits_beyond_a_day_as_a_usage_error(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from pyrus_mock.cli.commands import main

    assert main(["check", "https://127.0.0.1:9/", "--security-key", "k", option, value]) == 2
    err = capsys.readouterr().err
    assert f"argument {option}: {value!r}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("budget", [math.nan, math.inf, 0, -1, 86401, True])
def test_check_bot_refuses_a_latency_budget_beyond_a_day(fake: PyrusMock, budget: Any) -> None:
    bot = fake.add_bot("B", "https://127.0.0.1:9/")
    with pytest.raises(InvalidArgument, match=r"^latency_budget: .*<= 86400"):
        fake.check_bot(bot, latency_budget=budget)


@pytest.mark.parametrize("number", ["x", None, 1.5, 0, True])
def test_a_form_step_number_that_is_not_a_positive_int_is_refused(
    fake: PyrusMock, client: Client, number: Any
) -> None:
    with pytest.raises(InvalidArgument, match=r"^steps\[0\]\.step: "):
        fake.add_form("F", [], [{"name": "Review", "step": number}])
    reply = client.post(
        "/_mock/forms",
        json={"name": "F", "steps": [{"name": "Review", "step": number}]},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert reply.status_code == 400  # was a 500 (ValueError from int())
    assert reply.json["field"] == "steps[0].step"
