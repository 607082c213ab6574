"""Logins, tokens and bots: the account half of :class:`~pyrus_mock.state.backend.PyrusBackend`.

A component of the backend (``backend.accounts``), working on its one lock and one state through
:class:`~pyrus_mock.state.core.Core` (decisions D7 to D9):
``POST /auth`` and Bearer tokens, and the bot lifecycle (create, update, reset the key, block,
restore, delete).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import deque
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..domain.accounts import BotAccount, Token
from ..domain.envelope import Refusal
from ..domain.errors import BotLimitReached, BotUrlError, InvalidArgument, UnknownEntity
from ..domain.model import Person
from .core import Core

if TYPE_CHECKING:
    pass

__all__ = ["Accounts"]

_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class Accounts:
    """Login, tokens and the bot lifecycle, on the backend's state (``backend.accounts``).

    Args:
        core: the backend whose lock, clock, settings, state and persons it works with.
    """

    def __init__(self, core: Core) -> None:
        self._core = core

    # -- auth and tokens ---------------------------------------------------------------------

    @staticmethod
    def new_key() -> str:
        """A fresh security key (96 characters)."""
        # 256 is a multiple of the 64-character alphabet, so byte % 64 stays uniform.
        return "".join(_KEY_ALPHABET[b % 64] for b in secrets.token_bytes(96))

    def issue_token(self, person_id: int) -> Token:
        """A fresh token for ``person_id``; past the per-person cap the oldest is dropped."""
        with self._core.lock:
            now = self._core.clock.time()
            bot = self._core.state.bots.get(person_id)
            token = Token(
                value=secrets.token_urlsafe(48),
                person_id=person_id,
                issued_at=now,
                expires_at=now + self._core.settings.token_lifetime,
                key_generation=bot.key_generation if bot else 0,
            )
            self._core.state.tokens[_digest(token.value)] = token
            owned = self._core.state.tokens_by_person.setdefault(person_id, deque())
            owned.append(token)
            while len(owned) > self._core.settings.max_tokens_per_person:
                old = owned.popleft()
                self._core.state.tokens.pop(_digest(old.value), None)
            return token

    def token_values(self) -> list[str]:
        """Every token the fake still knows (issued and not dropped), for masking them."""
        with self._core.lock:
            return [token.value for token in self._core.state.tokens.values()]

    def login(self, login: object, security_key: object, person_id: object = None) -> Token:
        """``POST /auth``: a token for a login and security key, or a :class:`Refusal`."""
        if not isinstance(login, str) or not isinstance(security_key, str):
            raise Refusal("invalid_credentials", "Invalid login/security key.")
        with self._core.lock:
            person = self._core.find_person_by_email(login)
            if person is None or (person_id is not None and str(person.id) != str(person_id)):
                raise Refusal("invalid_credentials", "Invalid login/security key.")
            bot = self._core.state.bots.get(person.id)
            expected = bot.security_key if bot else self._core.state.user_keys.get(person.id, "")
            key_ok = hmac.compare_digest(expected.encode(), security_key.encode())
            if not key_ok or (bot is not None and bot.deleted) or person.fired:
                raise Refusal("invalid_credentials", "Invalid login/security key.")
            if person.banned or (bot is not None and bot.blocked):
                raise Refusal("account_blocked", "The account is blocked.")
            return self.issue_token(person.id)

    def resolve_token(self, value: str | None) -> tuple[Person, Token]:
        """The person behind a Bearer token, or the :class:`Refusal` (401) Pyrus answers."""
        if not value:
            raise Refusal("token_not_specified", "Access token is not specified.")
        token = self._core.state.tokens.get(_digest(value))
        if token is None or not hmac.compare_digest(token.value, value):
            raise Refusal("invalid_token", "Access token is invalid.")
        if token.revoked:
            raise Refusal(token.revoked, "Access token has been revoked.")
        if self._core.clock.time() >= token.expires_at:
            raise Refusal("expired_token", "Access token has expired; get a new one at /auth.")
        person = self._core.state.persons[token.person_id]
        bot = self._core.state.bots.get(person.id)
        if bot is not None and bot.deleted:
            raise Refusal("revoked_token", "Access token has been revoked: the bot is deleted.")
        if person.banned or (bot is not None and bot.blocked):
            raise Refusal("account_blocked", "The account is blocked.")
        if person.fired:
            raise Refusal("revoked_token", "Access token has been revoked.")
        return person, token

    def _revoke_tokens(
        self, person_id: int, code: str, before_generation: int | None = None
    ) -> int:
        count = 0
        for token in self._core.state.tokens_by_person.get(person_id, ()):
            older = before_generation is None or token.key_generation < before_generation
            if older and token.revoked is None:
                token.revoked = code
                count += 1
        return count

    # -- bots --------------------------------------------------------------------------------

    @staticmethod
    def check_bot_url(url: object, argument: str = "url") -> str:
        """Refuse what Pyrus refuses: anything but an ``https://`` URL (D4)."""
        if not isinstance(url, str):
            raise BotUrlError(argument, f"{url!r} is not a string", "an https:// URL")
        if url == "":
            return url
        if not url.lower().startswith("https://") or len(url) <= len("https://"):
            raise BotUrlError(
                argument,
                f"{url!r} is not an https:// URL; Pyrus calls bots over HTTPS only",
                "serve the bot over TLS: pyrus_mock.serve_bot(app) gives an https:// URL; for "
                "a bot served by something else, pyrus_mock.issue_cert() (or POST /_mock/certs "
                "under pyrus-mock serve) issues a certificate the fake trusts",
            )
        allowed = "a URL such as https://bot.example.com/pyrus or https://127.0.0.1:8443/"
        if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
            raise BotUrlError(argument, f"{url!r} contains spaces or control characters", allowed)
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise BotUrlError(argument, f"{url!r} is not a valid URL ({exc})", allowed) from None
        if not parts.hostname:
            raise BotUrlError(argument, f"{url!r} has no host name", allowed)
        if port == 0:
            raise BotUrlError(argument, f"{url!r} has port 0, where nothing can listen", allowed)
        return url

    def create_bot(
        self,
        name: str,
        url: str,
        *,
        settings: str | None = None,
        rights: int = 0,
        locale: str = "en-US",
        time_zone_offset: int = 0,
        send_only_last_comment: bool = False,
        security_key: str | None = None,
        description: str = "",
        external_id: str = "",
        enabled: bool = True,
    ) -> BotAccount:
        """Create a bot: a person of type ``bot`` with login ``bot@<uuid4>`` and a new key (D8)."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidArgument("name", repr(name), "a non-empty string")
        self.check_bot_url(url)
        if security_key is not None and (not isinstance(security_key, str) or not security_key):
            raise InvalidArgument("security_key", repr(security_key), "a non-empty string or None")
        rights, time_zone_offset = _rights(rights), _offset(time_zone_offset)
        with self._core.lock:
            live = sum(1 for b in self._core.state.bots.values() if not b.deleted)
            if live >= self._core.settings.max_bots:
                raise BotLimitReached(
                    f"this organisation already has {live} bots; Pyrus allows "
                    f"{self._core.settings.max_bots}. Delete one first (bot.delete())."
                )
            login = f"bot@{self._core.ids.uuid()}"
            person = self._core.add_person(
                name,
                "",
                email=login,
                type="bot",
                rights=int(rights),
                locale=locale,
                timezone_offset=time_zone_offset,
            )
            bot = BotAccount(
                person_id=person.id,
                login=login,
                security_key=security_key or self.new_key(),
                client_id=self._core.ids.uuid(),
                hook_url=url,
                settings=settings or "",
                enabled=enabled,
                locale=locale,
                time_zone_offset=time_zone_offset,
                send_only_last_comment=send_only_last_comment,
                description=description,
                external_id=external_id,
            )
            self._core.state.bots[person.id] = bot
            return bot

    def bot(self, bot_id: int) -> BotAccount:
        """A bot by its person id; raises :class:`UnknownEntity`."""
        bot = self._core.state.bots.get(bot_id)
        if bot is None:
            raise UnknownEntity("bot", bot_id, "create one with add_bot()")
        return bot

    def find_bot(self, bot_id: int) -> BotAccount | None:
        """A bot by its person id, or None."""
        return self._core.state.bots.get(bot_id)

    def bots(self, include_fired: bool = True) -> list[BotAccount]:
        """Every bot (deleted ones too unless ``include_fired`` is False)."""
        return [b for b in self._core.state.bots.values() if include_fired or not b.deleted]

    _UPDATABLE = {
        "name",
        "url",
        "hook_url",
        "settings",
        "bot_settings",
        "rights",
        "locale",
        "time_zone_offset",
        "send_only_last_comment",
        "enabled",
        "is_enabled",
        "description",
        "external_id",
    }

    def update_bot(self, bot_id: int, **changes: Any) -> BotAccount:
        """Change a bot's name, URL, settings, rights, locale, time zone, data sent, status."""
        unknown = set(changes) - self._UPDATABLE
        if unknown:
            raise InvalidArgument(
                ", ".join(sorted(unknown)), "cannot be changed", ", ".join(sorted(self._UPDATABLE))
            )
        for key, value in changes.items():  # all checked first: a refusal changes nothing
            if key in ("url", "hook_url"):
                self.check_bot_url(value, key)
            elif key == "name" and (not isinstance(value, str) or not value.strip()):
                raise InvalidArgument("name", repr(value), "a non-empty string")
            elif key == "rights":
                changes[key] = _rights(value)
            elif key == "time_zone_offset":
                changes[key] = _offset(value)
        with self._core.lock:
            bot = self.bot(bot_id)
            person = self._core.person(bot_id)
            for key, value in changes.items():
                if key in ("url", "hook_url"):
                    bot.hook_url = self.check_bot_url(value, key)
                elif key == "name":
                    person.first_name = value
                elif key in ("settings", "bot_settings"):
                    bot.settings = "" if value is None else str(value)
                elif key == "rights":
                    person.rights = int(value)
                elif key in ("enabled", "is_enabled"):
                    bot.enabled = bool(value)
                elif key == "locale":
                    bot.locale = person.locale = str(value)
                elif key == "time_zone_offset":
                    bot.time_zone_offset = person.timezone_offset = int(value)
                elif key == "send_only_last_comment":
                    bot.send_only_last_comment = bool(value)
                elif key == "description":
                    bot.description = str(value)
                elif key == "external_id":
                    bot.external_id = str(value)
            return bot

    def reset_bot_key(self, bot_id: int) -> str:
        """A new security key (D7): the old one no longer logs in; old tokens keep working
        unless ``revoke_tokens_on_reset`` is set."""
        with self._core.lock:
            bot = self.bot(bot_id)
            bot.security_key = self.new_key()
            bot.key_generation += 1
            if self._core.settings.revoke_tokens_on_reset:
                self._revoke_tokens(bot_id, "revoked_token", bot.key_generation)
            return bot.security_key

    def block_bot(self, bot_id: int) -> None:
        """Block: no deliveries; ``/auth`` and tokens answer ``account_blocked`` (D8)."""
        with self._core.lock:
            self.bot(bot_id).blocked = True
            self._core.person(bot_id).banned = True

    def restore_bot(self, bot_id: int) -> None:
        """Restore a blocked or deleted bot with its key, URL and settings as they were."""
        with self._core.lock:
            bot = self.bot(bot_id)
            if bot.deleted:
                live = sum(1 for b in self._core.state.bots.values() if not b.deleted)
                if live >= self._core.settings.max_bots:
                    raise BotLimitReached(
                        f"cannot restore: the organisation already has {live} bots"
                    )
            bot.blocked = bot.deleted = False
            person = self._core.person(bot_id)
            person.banned = person.fired = False

    def delete_bot(self, bot_id: int) -> None:
        """Delete: the person is fired, tokens answer ``revoked_token`` (D8)."""
        with self._core.lock:
            bot = self.bot(bot_id)
            bot.deleted = True
            self._core.person(bot_id).fired = True
            self._revoke_tokens(bot_id, "revoked_token")


_INT32_MAX = 2**31 - 1
_OFFSETS = (-12 * 60, 14 * 60)
"""A time zone offset in minutes: UTC-12:00 to UTC+14:00, the zones there are."""


def _rights(value: Any) -> int:
    """A rights mask: an int from 0 to 2**31-1 (the clients read an int32; -1 would grant all)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _INT32_MAX:
        raise InvalidArgument("rights", repr(value), "a mask of Rights flags, 0 to 2**31-1")
    return value


def _offset(value: Any) -> int:
    """A time zone offset in minutes, within :data:`_OFFSETS`."""
    low, high = _OFFSETS
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgument(
            "time_zone_offset", repr(value), f"minutes from UTC, {low} to {high} (180: UTC+3)"
        )
    return value
