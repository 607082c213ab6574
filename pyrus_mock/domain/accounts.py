"""Account records: the organisation, bot accounts and API access tokens.

Who may call the API and with which credentials, apart from the task records of
:mod:`pyrus_mock.domain.model` (the persons behind these accounts live there). Like those records
these are plain dataclasses owned by the backend and changed only under ``backend.lock``.
Their reprs show secrets (security keys, token values) only by their last four characters.
"""

from __future__ import annotations

from dataclasses import dataclass

from .secrets import mask

__all__ = ["BotAccount", "Organisation", "Token"]


def _shown(secret: str) -> str:
    """:func:`~pyrus_mock.domain.secrets.mask` for a repr, where an empty secret shows as ``''``."""
    return mask(secret) or "''"


@dataclass(slots=True)
class Organisation:
    """The one organisation a fake holds."""

    id: int
    name: str


@dataclass(slots=True, eq=False, repr=False)
class BotAccount:
    """The bot record behind a person of type ``bot`` (contract §1.2, D8)."""

    person_id: int
    login: str
    security_key: str
    client_id: str
    hook_url: str
    settings: str = ""
    enabled: bool = True
    blocked: bool = False
    deleted: bool = False
    locale: str = "en-US"
    time_zone_offset: int = 0
    send_only_last_comment: bool = False
    description: str = ""
    external_id: str = ""
    #: Bumped on every key reset; tokens remember the generation they were issued under.
    key_generation: int = 1

    def __repr__(self) -> str:
        state = ("deleted" if self.deleted else "blocked" if self.blocked
                 else "enabled" if self.enabled else "disabled")  # fmt: skip
        return (
            f"<BotAccount person={self.person_id} {self.login} key={_shown(self.security_key)} "
            f"{self.hook_url} {state}>"
        )


@dataclass(slots=True, eq=False, repr=False)
class Token:
    """An API access token."""

    value: str
    person_id: int
    issued_at: float
    expires_at: float
    key_generation: int = 0
    #: The 401 error code the token now answers with, when it has been revoked.
    revoked: str | None = None
    #: For tokens handed to a bot in a delivery: how many deliveries led to a comment made
    #: with it (bounds bot-to-bot chains, setting ``max_chain_depth``).
    chain_depth: int = 0
    #: For tokens handed to a bot in a delivery: the task delivered. In Pyrus that task is in
    #: the bot's inbox, so the token may read and comment on it even when the bot holds no
    #: role on it (an explicit ``deliver`` to any bot).
    task_id: int | None = None

    def __repr__(self) -> str:
        extra = "" if self.task_id is None else f" task={self.task_id}"
        return f"<Token {_shown(self.value)} person={self.person_id} revoked={self.revoked}{extra}>"
