"""The public bot handle returned by ``PyrusMock.add_bot``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..delivery.dispatch import Delivery
    from ..domain.model import BotAccount, Person
    from ..state.backend import PyrusBackend

__all__ = ["Bot"]


class Bot:
    """A bot of the fake organisation: credentials, settings and lifecycle (D7, D8).

    No public constructor: use ``PyrusMock.add_bot(name, url)``. Attributes read the live
    state, so ``bot.security_key`` is the new key after :meth:`reset_security_key`.
    """

    __slots__ = ("_backend", "_deliveries", "id")

    def __init__(self, backend: PyrusBackend, bot_id: int, deliveries: Any) -> None:
        self._backend = backend
        self._deliveries = deliveries
        self.id = bot_id

    @property
    def _account(self) -> BotAccount:
        return self._backend.accounts.bot(self.id)

    @property
    def person(self) -> Person:
        """The bot's person (type ``bot``), as it appears in tasks."""
        return self._backend.person(self.id)

    @property
    def name(self) -> str:
        """The bot's name (its person's first name)."""
        return self.person.first_name

    @property
    def login(self) -> str:
        """``bot@<uuid4>``, the login for ``/auth``."""
        return self._account.login

    @property
    def email(self) -> str:
        """Same as :attr:`login` (bots' e-mail is their login)."""
        return self._account.login

    @property
    def security_key(self) -> str:
        """The current security key: signs deliveries and logs in to ``/auth``."""
        return self._account.security_key

    @property
    def client_id(self) -> str:
        """The ClientId Pyrus shows next to the key (not used by the API)."""
        return self._account.client_id

    @property
    def url(self) -> str:
        """Where deliveries go."""
        return self._account.hook_url

    @property
    def settings(self) -> str:
        """The Settings text sent as ``bot_settings``."""
        return self._account.settings

    @property
    def rights(self) -> int:
        """The rights mask (see :class:`~pyrus_mock.Rights`)."""
        return self.person.rights

    @property
    def locale(self) -> str:
        """The bot's locale."""
        return self._account.locale

    @property
    def time_zone_offset(self) -> int:
        """The bot's time zone offset (minutes)."""
        return self._account.time_zone_offset

    @property
    def send_only_last_comment(self) -> bool:
        """Whether deliveries carry only the last comment."""
        return self._account.send_only_last_comment

    @property
    def enabled(self) -> bool:
        """Whether the bot is enabled (disabled bots get no deliveries)."""
        return self._account.enabled

    @property
    def blocked(self) -> bool:
        """Whether the bot is blocked."""
        return self._account.blocked

    @property
    def deleted(self) -> bool:
        """Whether the bot is deleted (its person is fired)."""
        return self._account.deleted

    @property
    def deliveries(self) -> list[Delivery]:
        """Deliveries to this bot, oldest first."""
        return [d for d in self._deliveries() if d.bot_id == self.id]

    def update(self, **changes: Any) -> Bot:
        """Change ``name``, ``url``, ``settings``, ``rights``, ``locale``, ``time_zone_offset``,
        ``send_only_last_comment``, ``enabled``, ``description`` or ``external_id``.

        Raises:
            BotUrlError: a URL that is not ``https://``.
            InvalidArgument: an unknown name.
        """
        if "rights" in changes:
            from .data import parse_rights

            changes["rights"] = parse_rights(changes["rights"])
        self._backend.accounts.update_bot(self.id, **changes)
        return self

    def disable(self) -> Bot:
        """Pause: deliveries are recorded as skipped; auth and tokens still work (D8)."""
        return self.update(enabled=False)

    def enable(self) -> Bot:
        """Resume deliveries."""
        return self.update(enabled=True)

    def block(self) -> Bot:
        """Block: no deliveries; ``/auth`` and tokens answer 401 ``account_blocked`` (D8)."""
        self._backend.accounts.block_bot(self.id)
        return self

    def restore(self) -> Bot:
        """Restore a blocked or deleted bot, with key, URL and settings as before (D8)."""
        self._backend.accounts.restore_bot(self.id)
        return self

    def delete(self) -> Bot:
        """Delete: the person is fired, tokens answer ``revoked_token``, ``/auth`` refuses (D8)."""
        self._backend.accounts.delete_bot(self.id)
        return self

    def reset_security_key(self) -> str:
        """Generate a new key and return it (D7).

        ``/auth`` with the old key now fails; tokens issued before keep working unless the
        setting ``revoke_tokens_on_reset`` is on; deliveries are signed with the new key.
        """
        return self._backend.accounts.reset_bot_key(self.id)

    def token(self) -> str:
        """A fresh API access token for this bot (as ``/auth`` would give)."""
        return self._backend.accounts.issue_token(self.id).value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bot) and other.id == self.id and other._backend is self._backend

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        account = self._backend.accounts.find_bot(self.id)
        if account is None:
            return f"<Bot {self.id} (gone)>"
        state = (
            "deleted"
            if account.deleted
            else "blocked"
            if account.blocked
            else ("enabled" if account.enabled else "disabled")
        )
        return f"<Bot {self.id} {self.name!r} {account.login} {state} url={account.hook_url!r}>"
