"""The state of one fake organisation, in its own module: the :class:`State` record and the
:class:`Core` the backend's components (:class:`~pyrus_mock.state.accounts.Accounts`,
:class:`~pyrus_mock.state.org_admin.OrgAdmin`) work through.

The backend (:class:`~pyrus_mock.state.backend.PyrusBackend`) owns one :class:`State` and one lock,
and hands itself to its components as their :class:`Core`; the components never import the
backend, so the dependencies point one way: backend -> components -> state.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ..domain.model import (
    BotAccount,
    Catalog,
    FileRecord,
    Form,
    Organisation,
    Person,
    Task,
    TaskList,
    Token,
)
from ..domain.orgchart import Department
from .extra_store import ExtraStore

if TYPE_CHECKING:
    from ..domain.clock import Clock
    from ..domain.ids import IdSource
    from ..domain.settings import Settings

__all__ = ["ApiCall", "Core", "Rate", "State"]


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One API request the fake served (for transcripts)."""

    at: float
    method: str
    path: str
    status: int
    error_code: str | None
    person_id: int | None
    token_tail: str = ""
    elapsed: float = 0.0


@dataclass(slots=True)
class Rate:
    """The rate-limit window of one person."""

    window_start: float
    count: int = 0


@dataclass(slots=True)
class State:
    """Everything one fake organisation holds; replaced whole on reset. Read and changed only
    under the owner's lock."""

    organisation: Organisation
    persons: dict[int, Person] = field(default_factory=dict)
    user_keys: dict[int, str] = field(default_factory=dict)
    bots: dict[int, BotAccount] = field(default_factory=dict)
    forms: dict[int, Form] = field(default_factory=dict)
    tasks: dict[int, Task] = field(default_factory=dict)
    catalogs: dict[int, Catalog] = field(default_factory=dict)
    files: dict[int, FileRecord] = field(default_factory=dict)
    files_by_guid: dict[str, FileRecord] = field(default_factory=dict)
    tokens: dict[bytes, Token] = field(default_factory=dict)
    tokens_by_person: dict[int, deque[Token]] = field(default_factory=dict)
    lists: dict[int, TaskList] = field(default_factory=dict)
    departments: dict[int, Department] = field(default_factory=dict)
    form_permissions: dict[int, dict[int, str]] = field(default_factory=dict)
    rates: dict[int, Rate] = field(default_factory=dict)
    api_calls: deque[ApiCall] = field(default_factory=deque)
    #: API calls recorded since the reset, dropped ones included (a mark for "calls since").
    api_calls_total: int = 0
    api_calls_dropped: int = 0
    extra: ExtraStore = field(default_factory=ExtraStore)


class Core(Protocol):
    """What a component of the backend needs of it: the lock, the clock, ids, settings, the
    state, and the person directory (:class:`~pyrus_mock.state.backend.PyrusBackend` is one)."""

    lock: threading.RLock
    clock: Clock
    ids: IdSource
    settings: Settings

    @property
    def state(self) -> State:
        """The current state (replaced on reset)."""

    def person(self, person_id: int) -> Person:
        """A person by id (UnknownEntity when there is none)."""

    def find_person(self, person_id: int) -> Person | None:
        """A person by id, or None."""

    def find_person_by_email(self, email: str) -> Person | None:
        """A person by e-mail (any case), or None."""

    def add_person(
        self,
        first_name: str,
        last_name: str = "",
        *,
        email: str | None = None,
        type: Literal["user", "bot", "role"] = "user",
        rights: int = 0,
        security_key: str | None = None,
        **extra: Any,
    ) -> Person:
        """A new person in the organisation."""
