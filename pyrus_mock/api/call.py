"""What a view receives (:class:`Call`) and what it may return (:data:`Reply`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from ..state import serialize
from . import body
from .errors import ApiError

if TYPE_CHECKING:
    from ..domain.model import Person, Task, Token
    from ..state.backend import PyrusBackend, RateState
    from .endpoint import Endpoint

__all__ = ["Call", "RawReply", "Reply", "View"]


@dataclass(slots=True)
class RawReply:
    """A non-JSON reply (file downloads).

    Attributes:
        body: the bytes sent.
        headers: response headers, ``Content-Type`` included.
        status: the HTTP status.
    """

    body: bytes
    headers: list[tuple[str, str]]
    status: int = 200


#: A view answers a JSON object (sent with status 200) or raw bytes.
Reply = dict[str, Any] | RawReply

#: A view: ``view(call, **url_arguments) -> Reply``.
View = Callable[..., Reply]


@dataclass(slots=True)
class Call:
    """One API request as the views see it.

    Attributes:
        backend: the fake's state.
        request: the werkzeug request.
        api_url: the API base this request is answered from (``https://host/v4/``).
        files_url: the files base (``https://host/``), used in File ``url`` members.
        body_limit: the largest body this endpoint reads, in bytes.
        person: who is calling (None only on ``/auth`` before the login succeeded).
        token: the Bearer token used (None on ``/auth``).
        rate: the rate-limit counters counted for this request.
        endpoints: the route table that dispatched the request (for views that describe the
            API, e.g. ``GET /openapi.json``).
    """

    backend: PyrusBackend
    request: Request
    api_url: str
    files_url: str
    body_limit: int
    person: Person | None = None
    token: Token | None = None
    rate: RateState | None = field(default=None)
    endpoints: tuple[Endpoint, ...] = ()

    @property
    def me(self) -> Person:
        """The authenticated person (views behind authentication only)."""
        if self.person is None:  # pragma: no cover - the app authenticates before the view
            raise ApiError("token_not_specified", "Access token is not specified.")
        return self.person

    def json(self, *, required: bool = True) -> dict[str, Any]:
        """The body as a JSON object (see :func:`pyrus_mock.api.body.json_object`)."""
        return body.json_object(self.request, self.body_limit, required=required)

    def arg(self, name: str) -> str | None:
        """A query parameter, matched case-insensitively (``Id`` and ``id`` both work)."""
        args = self.request.args
        value = args.get(name)
        if value is not None:
            return value
        lowered = name.lower()
        for key, candidate in args.items():
            if key.lower() == lowered:
                return candidate
        return None

    def task_json(self, task: Task) -> dict[str, Any]:
        """A TaskWithComments, through :mod:`pyrus_mock.state.serialize` (call under the lock)."""
        backend = self.backend
        return serialize.task(
            backend,
            task,
            files_url=self.files_url,
            creation_date_format=backend.settings.creation_date_format,
            now=backend.clock.time(),
        )

    def can_see(self, task: Task) -> bool:
        """Whether the caller may see ``task``: as a person (author, responsible, approver,
        participant, subscriber, Supervisor), or with the token a delivery of it carried (in
        Pyrus that task is in the bot's inbox)."""
        delivered = self.token is not None and self.token.task_id == task.id
        return delivered or self.backend.can_see(self.me, task)

    def visible_task(self, task_id: int) -> Task:
        """The task when the caller may see it; 403 ``access_denied_task`` otherwise (D10).

        An unknown id answers the same as an inaccessible one, so ids cannot be probed.
        """
        task = self.backend.find_task(task_id)
        if task is None or not self.can_see(task):
            raise ApiError(
                "access_denied_task",
                f"task {task_id} does not exist or is not accessible to person {self.me.id}",
            )
        return task
