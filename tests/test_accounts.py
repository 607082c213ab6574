"""Logins, tokens and the bot lifecycle at the backend (:mod:`pyrus_mock.accounts`), without HTTP:
token issue, expiry and revocation, key reset (D7), block/restore/delete (D8), and every way a
login fails. The same rules over ``/auth`` are in ``test_api_auth.py`` and
``test_bot_lifecycle.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pyrus_mock import BotUrlError, InvalidArgument, PyrusMock
from pyrus_mock.api.errors import status_for
from pyrus_mock.domain.envelope import Refusal
from pyrus_mock.domain.errors import BotLimitReached, UnknownEntity
from pyrus_mock.domain.model import BotAccount, Person
from pyrus_mock.state.accounts import Accounts
from pyrus_mock.state.backend import PyrusBackend


@pytest.fixture
def fake() -> Iterator[PyrusMock]:
    with PyrusMock(auto_deliver=False) as mock:
        yield mock


@pytest.fixture
def backend(fake: PyrusMock) -> PyrusBackend:
    return fake._backend


@pytest.fixture
def ann(fake: PyrusMock) -> Person:
    return fake.add_user("Ann", "Lee", email="ann@example.com", security_key="ann-key")


@pytest.fixture
def bot(backend: PyrusBackend) -> BotAccount:
    return backend.accounts.create_bot("Helper", "https://bot.invalid/hook")


def _code(backend: PyrusBackend, token: str | None) -> str:
    with pytest.raises(Refusal) as caught:
        backend.accounts.resolve_token(token)
    return caught.value.error_code


def _login_code(backend: PyrusBackend, login: object, key: object) -> str:
    with pytest.raises(Refusal) as caught:
        backend.accounts.login(login, key)
    return caught.value.error_code


# -- login -----------------------------------------------------------------------------------------


def test_a_user_and_a_bot_log_in_with_their_keys(
    backend: PyrusBackend, ann: Person, bot: BotAccount
) -> None:
    token = backend.accounts.login("ann@example.com", "ann-key")
    assert backend.accounts.resolve_token(token.value)[0] is ann
    bot_token = backend.accounts.login(bot.login, bot.security_key)
    person, resolved = backend.accounts.resolve_token(bot_token.value)
    assert (person.id, resolved) == (bot.person_id, bot_token)


def test_login_with_the_person_id_of_another_person_fails(
    backend: PyrusBackend, ann: Person
) -> None:
    assert (
        backend.accounts.login("ann@example.com", "ann-key", person_id=ann.id).person_id == ann.id
    )
    assert (
        backend.accounts.login("ann@example.com", "ann-key", person_id=str(ann.id)).person_id
        == ann.id
    )
    with pytest.raises(Refusal, match="Invalid login/security key"):
        backend.accounts.login("ann@example.com", "ann-key", person_id=ann.id + 1)


@pytest.mark.parametrize(
    ("login", "key"),
    [
        ("ann@example.com", "wrong"),
        ("ann@example.com", ""),
        ("nobody@example.com", "ann-key"),
        (None, "ann-key"),
        ("ann@example.com", 12345),
    ],
)
def test_failed_logins_answer_alike(
    backend: PyrusBackend, ann: Person, login: object, key: object
) -> None:
    """A wrong key and an unknown login give the same answer: nothing tells which logins exist."""
    with pytest.raises(Refusal) as caught:
        backend.accounts.login(login, key)
    assert caught.value.error_code == "invalid_credentials"
    assert status_for(caught.value.error_code) == 401  # what the API answers it with
    assert caught.value.error == "Invalid login/security key."


def test_a_fired_user_cannot_log_in_and_their_tokens_are_revoked(
    backend: PyrusBackend, ann: Person
) -> None:
    token = backend.accounts.login("ann@example.com", "ann-key").value
    backend.org.fire_person(ann)
    assert _login_code(backend, "ann@example.com", "ann-key") == "invalid_credentials"
    assert _code(backend, token) == "revoked_token"


def test_a_banned_user_is_blocked_not_unknown(backend: PyrusBackend, ann: Person) -> None:
    token = backend.accounts.login("ann@example.com", "ann-key").value
    backend.org.update_member(ann, {"banned": True})
    assert _login_code(backend, "ann@example.com", "ann-key") == "account_blocked"
    assert _code(backend, token) == "account_blocked"
    assert _login_code(backend, "ann@example.com", "wrong") == "invalid_credentials"
    backend.org.update_member(ann, {"banned": False})
    assert backend.accounts.resolve_token(token)[0] is ann


# -- tokens ----------------------------------------------------------------------------------------


def test_a_missing_or_unknown_token_is_refused(backend: PyrusBackend, ann: Person) -> None:
    assert _code(backend, None) == "token_not_specified"
    assert _code(backend, "") == "token_not_specified"
    real = backend.accounts.issue_token(ann.id).value
    assert _code(backend, real[:-1] + ("A" if real[-1] != "A" else "B")) == "invalid_token"
    assert _code(backend, "\udcff") == "invalid_token"  # a lone surrogate, as a header may hold


def test_each_token_is_new_and_all_of_them_work(backend: PyrusBackend, ann: Person) -> None:
    first, second = backend.accounts.issue_token(ann.id), backend.accounts.issue_token(ann.id)
    assert first.value != second.value
    assert backend.accounts.resolve_token(first.value)[0] is ann
    assert backend.accounts.resolve_token(second.value)[0] is ann
    assert {first.value, second.value} <= set(backend.accounts.token_values())


def test_a_token_expires_after_its_lifetime_on_the_fake_clock(fake: PyrusMock, ann: Person) -> None:
    fake.settings = fake.settings.replace(token_lifetime=3600.0)
    token = fake._backend.accounts.issue_token(ann.id)
    assert token.expires_at == token.issued_at + 3600
    fake.clock.advance(3599)
    assert fake._backend.accounts.resolve_token(token.value)[0] is ann
    fake.clock.advance(1)
    assert _code(fake._backend, token.value) == "expired_token"
    assert (
        fake._backend.accounts.resolve_token(fake._backend.accounts.issue_token(ann.id).value)[0]
        is ann
    )


def test_past_the_cap_the_oldest_token_is_dropped(fake: PyrusMock, ann: Person) -> None:
    fake.settings = fake.settings.replace(max_tokens_per_person=2)
    oldest, middle, newest = (fake._backend.accounts.issue_token(ann.id).value for _ in range(3))
    assert _code(fake._backend, oldest) == "invalid_token"
    assert fake._backend.accounts.resolve_token(middle)[0] is ann
    assert fake._backend.accounts.resolve_token(newest)[0] is ann
    assert oldest not in fake._backend.accounts.token_values()


# -- key reset (D7) --------------------------------------------------------------------------------


def test_a_reset_key_replaces_the_old_one_and_old_tokens_keep_working(
    backend: PyrusBackend, bot: BotAccount
) -> None:
    old_key = bot.security_key
    before = backend.accounts.login(bot.login, old_key).value
    new_key = backend.accounts.reset_bot_key(bot.person_id)
    assert new_key != old_key
    assert len(new_key) == 96
    assert set(new_key) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~")
    assert bot.security_key == new_key
    assert _login_code(backend, bot.login, old_key) == "invalid_credentials"
    assert backend.accounts.login(bot.login, new_key).person_id == bot.person_id
    assert backend.accounts.resolve_token(before)[0].id == bot.person_id  # default: no revocation


def test_with_revoke_tokens_on_reset_only_older_tokens_are_revoked() -> None:
    with PyrusMock(auto_deliver=False, revoke_tokens_on_reset=True) as fake:
        backend = fake._backend
        bot = backend.accounts.create_bot("Helper", "https://bot.invalid/hook")
        before = backend.accounts.login(bot.login, bot.security_key).value
        key = backend.accounts.reset_bot_key(bot.person_id)
        after = backend.accounts.login(bot.login, key).value
        assert _code(backend, before) == "revoked_token"
        assert backend.accounts.resolve_token(after)[0].id == bot.person_id
        backend.accounts.reset_bot_key(
            bot.person_id
        )  # a second reset revokes the token of the first key
        assert _code(backend, after) == "revoked_token"


# -- the bot lifecycle (D8) ------------------------------------------------------------------------


def test_a_new_bot_is_a_person_with_a_generated_login_and_key(
    backend: PyrusBackend, bot: BotAccount
) -> None:
    person = backend.person(bot.person_id)
    assert (person.type, person.first_name, person.email) == ("bot", "Helper", bot.login)
    assert bot.login.startswith("bot@")
    assert len(bot.security_key) == 96
    other = backend.accounts.create_bot("Other", "https://other.invalid/")
    assert (other.login, other.security_key) != (bot.login, bot.security_key)
    assert backend.accounts.create_bot("Fixed", "", security_key="k").security_key == "k"


def test_a_blocked_bot_is_refused_until_restored_with_the_same_key(
    backend: PyrusBackend, bot: BotAccount
) -> None:
    token = backend.accounts.login(bot.login, bot.security_key).value
    backend.accounts.block_bot(bot.person_id)
    assert _login_code(backend, bot.login, bot.security_key) == "account_blocked"
    assert _code(backend, token) == "account_blocked"
    backend.accounts.restore_bot(bot.person_id)
    assert backend.accounts.resolve_token(token)[0].id == bot.person_id
    assert backend.accounts.login(bot.login, bot.security_key).person_id == bot.person_id


def test_a_deleted_bot_is_fired_its_tokens_revoked_and_it_can_be_restored(
    backend: PyrusBackend, bot: BotAccount
) -> None:
    token = backend.accounts.login(bot.login, bot.security_key).value
    backend.accounts.delete_bot(bot.person_id)
    assert backend.person(bot.person_id).fired
    assert _login_code(backend, bot.login, bot.security_key) == "invalid_credentials"
    assert _code(backend, token) == "revoked_token"
    assert bot not in backend.accounts.bots(include_fired=False)
    assert bot in backend.accounts.bots()
    backend.accounts.restore_bot(bot.person_id)
    assert not backend.person(bot.person_id).fired
    assert backend.accounts.login(bot.login, bot.security_key).person_id == bot.person_id
    assert _code(backend, token) == "revoked_token"  # a revoked token stays revoked


def test_the_bot_limit_counts_live_bots_only() -> None:
    with PyrusMock(auto_deliver=False, max_bots=1) as fake:
        backend = fake._backend
        first = backend.accounts.create_bot("One", "https://one.invalid/")
        with pytest.raises(BotLimitReached, match="already has 1 bots; Pyrus allows 1"):
            backend.accounts.create_bot("Two", "https://two.invalid/")
        backend.accounts.delete_bot(first.person_id)
        second = backend.accounts.create_bot("Two", "https://two.invalid/")
        with pytest.raises(BotLimitReached, match="cannot restore"):
            backend.accounts.restore_bot(first.person_id)
        assert backend.accounts.find_bot(second.person_id) is second


def test_update_bot_changes_what_it_names_and_refuses_the_rest(
    backend: PyrusBackend, bot: BotAccount
) -> None:
    backend.accounts.update_bot(
        bot.person_id, name="Renamed", url="https://new.invalid/", enabled=False
    )
    assert (backend.person(bot.person_id).first_name, bot.hook_url, bot.enabled) == (
        "Renamed",
        "https://new.invalid/",
        False,
    )
    with pytest.raises(InvalidArgument, match=r"security_key: cannot be changed; allowed: "):
        backend.accounts.update_bot(bot.person_id, security_key="x")
    with pytest.raises(BotUrlError):
        backend.accounts.update_bot(bot.person_id, url="http://plain.invalid/")
    with pytest.raises(InvalidArgument, match="name"):
        backend.accounts.update_bot(bot.person_id, name=" ")
    assert bot.hook_url == "https://new.invalid/"


def test_unknown_bots_are_named_in_the_error(backend: PyrusBackend, ann: Person) -> None:
    assert backend.accounts.find_bot(ann.id) is None
    accounts = backend.accounts
    for action in (accounts.bot, accounts.reset_bot_key, accounts.block_bot, accounts.delete_bot):
        with pytest.raises(UnknownEntity, match=f"no bot with id {ann.id}"):
            action(ann.id)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://bot.example/", "is not an https:// URL"),
        ("https://", "is not an https:// URL"),
        ("https://bot .example/", "spaces or control characters"),
        ("https://bot.example:99999/", "is not a valid URL"),
        ("https://:8443/", "has no host name"),
        ("https://bot.example:0/", "has port 0"),
        (42, "is not a string"),
    ],
)
def test_bot_urls_pyrus_would_refuse(url: object, problem: str) -> None:
    with pytest.raises(BotUrlError, match=problem):
        Accounts.check_bot_url(url)


@pytest.mark.parametrize("url", ["", "https://bot.example/", "HTTPS://127.0.0.1:8443/hook"])
def test_bot_urls_that_are_accepted(url: str) -> None:
    assert Accounts.check_bot_url(url) == url


@pytest.mark.parametrize(
    "url",
    ["https://a:99999/", "https://[::1/", "https:///x", "https://exa mple.com/", "https://h:0/"],
)
def test_malformed_bot_urls_are_refused_up_front(url: str) -> None:
    fake = PyrusMock()
    with pytest.raises(BotUrlError):
        fake.add_bot("Bot", url)
    bot = fake.add_bot("Bot", "https://localhost:1/")
    with pytest.raises(BotUrlError):
        bot.update(url=url)
    fake.close()
