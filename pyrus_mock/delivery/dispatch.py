"""Delivering tasks to bots the way Pyrus does (contract §2, decisions D1 to D6).

One :class:`Delivery` is one call of a bot about one task: up to three attempts (the first now,
then 61 s and 122 s after it, on the fake's clock), each signed with the bot's current key and
recorded whole. A valid reply is applied to the task as the bot's comment; an invalid one is
recorded as violations.

The dispatcher also routes: when a task reaches a bot's inbox (the bot becomes responsible, the
task reaches a step the bot approves, someone else comments on a task in its inbox), it
delivers, synchronously, in the thread that caused the change.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ..domain.envelope import Refusal
from ..domain.errors import CommentRejected
from ..domain.masking import scrub, secret_list
from ..domain.secrets import mask
from ..domain.violations import Violation, errors_of
from ..state import serialize
from ..transport.httpclient import BotHttpClient, HttpResult

if TYPE_CHECKING:
    from ..domain.accounts import BotAccount
    from ..domain.clock import Scheduled
    from ..domain.model import Comment, Task
    from ..state.backend import PyrusBackend
    from ..state.events import TaskEvent

__all__ = ["Attempt", "Delivery", "DeliveryState", "Dispatcher", "sign"]

DeliveryState = Literal["in_flight", "delivered", "pending_retry", "exhausted", "skipped"]


def sign(security_key: str, body: bytes, case: str = "upper") -> str:
    """``X-Pyrus-Sig``: hex HMAC-SHA1 of the exact body bytes, keyed with the security key."""
    digest = hmac.new(security_key.encode("utf-8"), body, hashlib.sha1).hexdigest()
    return digest.upper() if case == "upper" else digest


@dataclass(slots=True, repr=False)
class Attempt:
    """One HTTP call of a bot.

    Attributes:
        number: 1, 2 or 3 (as in ``X-Pyrus-Retry: n/3``).
        sent_at: when it was sent, on the fake's clock.
        url: where it went.
        request_headers: the headers sent (``X-Pyrus-Sig`` included).
        body: the exact bytes sent.
        status: the bot's HTTP status, or None when no reply arrived.
        reply_headers: the reply's headers.
        reply_body: the reply's bytes.
        elapsed: wall seconds the call took.
        error_kind: None on a 2xx; otherwise ``connection_refused``, ``tls_untrusted``,
            ``tls_hostname``, ``tls_expired``, ``tls_handshake``, ``timeout``, ``http_status``,
            ``redirect``, ``reply_too_large``, ``protocol_error`` or ``skipped``.
        error: a readable explanation of the failure.
    """

    number: int
    sent_at: datetime
    url: str
    request_headers: dict[str, str]
    body: bytes
    status: int | None = None
    reply_headers: tuple[tuple[str, str], ...] = ()
    reply_body: bytes = b""
    elapsed: float = 0.0
    error_kind: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx arrived in time."""
        return self.error_kind is None and self.status is not None

    @property
    def signature(self) -> str:
        """The ``X-Pyrus-Sig`` sent."""
        return self.request_headers.get("X-Pyrus-Sig", "")

    def __repr__(self) -> str:  # the signature masked, the bodies (holding the token) sized
        outcome = "ok" if self.ok else (self.error_kind or "pending")
        return (
            f"<Attempt {self.number} {self.url} status={self.status} {outcome} "
            f"sig={mask(self.signature) or '-'} body={len(self.body)} bytes "
            f"reply={len(self.reply_body)} bytes>"
        )


@dataclass(slots=True, eq=False)
class Delivery:
    """One call of a bot about one task, with all its attempts.

    No public constructor: see ``PyrusMock.deliver`` and ``PyrusMock.deliveries``.

    The retry schedule is the ``retry_delays`` setting when the delivery was made (changing the
    setting later affects new deliveries only); retries fall due that many seconds after
    ``first_attempt_at``, the clock time of the first attempt.
    """

    id: int
    task_id: int
    bot_id: int
    event: str
    trigger: str
    depth: int
    body: bytes
    access_token: str
    created_at: datetime
    retry_delays: tuple[float, ...]
    state: DeliveryState = "in_flight"
    attempts: list[Attempt] = field(default_factory=list)
    reply: Any = None
    violations: list[Violation] = field(default_factory=list)
    comment: Comment | None = None
    skipped_reason: str = ""
    next_attempt_at: float | None = None
    first_attempt_at: float | None = None

    @property
    def max_attempts(self) -> int:
        """The first attempt plus one per retry delay (3 with Pyrus's schedule)."""
        return len(self.retry_delays) + 1

    @property
    def ok(self) -> bool:
        """Delivered, and the reply (if any) was valid."""
        return self.state == "delivered" and not errors_of(self.violations)

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON body sent, parsed."""
        result: dict[str, Any] = json.loads(self.body)
        return result

    @property
    def last_attempt(self) -> Attempt | None:
        """The newest attempt."""
        return self.attempts[-1] if self.attempts else None

    @property
    def error_violations(self) -> list[Violation]:
        """Only the error-severity violations."""
        return errors_of(self.violations)

    def summary(self) -> str:
        """One line: id, task, bot, state, last status or error, then the reply's violations;
        the delivery's token and signatures masked (a bot's reply may quote them)."""
        last = self.last_attempt
        outcome = ""
        if last is not None:
            outcome = f", attempt {last.number}: " + (
                f"HTTP {last.status}" if last.ok else f"{last.error_kind}: {last.error}"
            )
        if self.state == "skipped":
            outcome = f": {self.skipped_reason}"
        problems = "".join(f"\n    {v}" for v in self.violations)
        text = (
            f"delivery #{self.id} of task {self.task_id} to bot {self.bot_id} "
            f"({self.event}, {self.trigger}) {self.state}{outcome}{problems}"
        )
        return scrub(text, self.secrets())

    def secrets(self) -> list[str]:
        """The delivery's token and its attempts' signatures: what a reply may quote back."""
        return secret_list([self.access_token, *(a.signature for a in self.attempts)])

    def __repr__(self) -> str:
        return f"<Delivery #{self.id} task={self.task_id} bot={self.bot_id} {self.state}>"


class Dispatcher:
    """Signs, sends, retries, records and routes deliveries for one backend.

    Args:
        backend: the state.
        client_context: a callable giving the ``SSLContext`` bots are verified against.
        files_url: a callable giving the files base for attachment URLs in payloads.
    """

    def __init__(
        self,
        backend: PyrusBackend,
        client_context: Callable[[], ssl.SSLContext],
        files_url: Callable[[], str],
    ) -> None:
        self.backend = backend
        self._client_context = client_context
        self._files_url = files_url
        self._http = BotHttpClient()
        self._lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        #: Older deliveries dropped from :attr:`deliveries` (setting ``max_deliveries_recorded``).
        self.deliveries_dropped = 0
        #: Attempts made since the reset (dropped deliveries' included).
        self.attempts_made = 0
        self._seq = 0
        # Keyed by the delivery itself (identity), not its id: ids start over after reset().
        self._retries: dict[Delivery, Scheduled] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every delivery and cancel their pending retries (whatever the clock)."""
        with self._lock:
            for scheduled in self._retries.values():
                scheduled.cancel()
            self._retries = {}
            self.deliveries = []
            self.deliveries_dropped = 0
            self.attempts_made = 0
            self._seq = 0

    @property
    def last_id(self) -> int:
        """The id of the newest delivery (0 before the first): a mark for :meth:`since`."""
        return self._seq

    def since(self, mark: int) -> list[Delivery]:
        """The recorded deliveries made after :attr:`last_id` was ``mark`` (those still kept)."""
        with self._lock:
            return [d for d in self.deliveries if d.id > mark]

    def close(self) -> None:
        """Close connections to bots; a delivery in flight is aborted (its attempt fails as
        ``protocol_error``, saying the fake was closed)."""
        self._http.close()

    # -- delivering ------------------------------------------------------------------------

    def deliver(
        self,
        task: Task,
        bot: BotAccount,
        *,
        event: str = "comment",
        trigger: str = "explicit",
        depth: int = 0,
    ) -> Delivery:
        """Call ``bot`` about ``task`` now; failures are retried on the clock (D5)."""
        reason = self.undeliverable_reason(bot)
        body, token = self.build_body(task, bot, event=event, depth=depth, token=not reason)
        delivery = self._record(
            task, bot, event, trigger, depth, body, token, self.backend.settings.retry_delays
        )
        if reason:
            self._skip(delivery, reason)
            return delivery
        self._attempt(delivery)
        return delivery

    def build_body(
        self,
        task: Task,
        bot: BotAccount,
        *,
        event: str = "comment",
        depth: int = 0,
        token: bool = True,
    ) -> tuple[bytes, str]:
        """The exact body of a call of ``bot`` about ``task`` (D1, D3), and its access token.

        The payload is serialised once (compact JSON, UTF-8); a fresh token is issued for the bot
        unless ``token`` is False (then ``access_token`` is omitted and ``""`` returned). Used by
        :meth:`deliver` and by the conformance checks, which send these bytes themselves.
        """
        backend = self.backend
        settings = backend.settings
        with backend.lock:
            value = ""
            if token:
                issued = backend.accounts.issue_token(bot.person_id)
                issued.chain_depth = depth + 1
                issued.task_id = task.id
                value = issued.value
            payload: dict[str, Any] = {
                "event": event,
                "access_token": value,
                "task_id": task.id,
                "user_id": bot.person_id,
                "task": serialize.task(
                    backend,
                    task,
                    only_last_comment=bot.send_only_last_comment,
                    files_url=self._files_url(),
                    creation_date_format=settings.creation_date_format,
                    now=backend.clock.time(),
                ),
            }
            if bot.settings or not settings.omit_empty_bot_settings:
                payload["bot_settings"] = bot.settings
            if not value:
                del payload["access_token"]
            # Serialised once: these exact bytes are signed and sent on every attempt (D1).
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return body, value

    def send(
        self, url: str, body: bytes, headers: dict[str, str], *, timeout: float | None = None
    ) -> HttpResult:
        """POST ``body`` to a bot as the fake does (trust, no redirects), recording nothing.

        ``timeout`` defaults to the ``delivery_timeout`` setting. Never raises for network or
        bot problems: see :class:`~pyrus_mock.transport.httpclient.HttpResult`.
        """
        settings = self.backend.settings
        return self._http.post(
            url,
            body,
            headers,
            ssl_context=self._client_context(),
            timeout=settings.delivery_timeout if timeout is None else timeout,
            max_reply_bytes=settings.max_reply_bytes,
        )

    @staticmethod
    def undeliverable_reason(bot: BotAccount) -> str:
        """Why Pyrus would not call ``bot`` (deleted, blocked, disabled, no URL), or ``""``."""
        if bot.deleted:
            return "the bot is deleted"
        if bot.blocked:
            return "the bot is blocked"
        if not bot.enabled:
            return "the bot is disabled"
        if not bot.hook_url:
            return "the bot has no URL; set one with bot.update(url='https://...')"
        return ""

    def _skip(self, delivery: Delivery, reason: str) -> None:
        delivery.state = "skipped"
        delivery.skipped_reason = reason
        delivery.next_attempt_at = None

    def _attempt(self, delivery: Delivery) -> None:
        backend = self.backend
        settings = backend.settings
        bot = backend.accounts.find_bot(delivery.bot_id)
        task = backend.find_task(delivery.task_id)
        if bot is None or task is None:
            self._skip(delivery, "the bot or the task no longer exists")
            return
        reason = self.undeliverable_reason(bot)
        if reason:
            self._skip(delivery, reason + " (at attempt time)")
            return
        number = len(delivery.attempts) + 1
        if number > 1 and delivery.access_token:
            self._refresh_token(delivery, task, bot)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": settings.user_agent,
            "X-Pyrus-Sig": sign(bot.security_key, delivery.body, settings.signature_case),
            # Interned: the same few strings ("1/3") in every recorded attempt.
            "X-Pyrus-Retry": sys.intern(f"{number}/{delivery.max_attempts}"),
        }
        attempt = Attempt(number, backend.now(), bot.hook_url, headers, delivery.body)
        if number == 1:
            delivery.first_attempt_at = backend.clock.time()  # exact: now() drops fractions
        delivery.attempts.append(attempt)
        with self._lock:
            self.attempts_made += 1
        delivery.state = "in_flight"
        try:
            result: HttpResult = self._http.post(
                bot.hook_url,
                delivery.body,
                headers,
                ssl_context=self._client_context(),
                timeout=settings.delivery_timeout,
                max_reply_bytes=settings.max_reply_bytes,
            )
        except Exception as exc:  # never leave a delivery half-recorded (the bar: no lost record)
            result = HttpResult(
                status=None,
                headers=(),
                body=b"",
                elapsed=0.0,
                error_kind="protocol_error",
                error=f"the fake could not call {bot.hook_url!r}: {type(exc).__name__}: {exc}. "
                "Check the bot's URL (bot.update(url=...)).",
            )
        attempt.status = result.status
        attempt.reply_headers = result.headers
        attempt.reply_body = result.body
        attempt.elapsed = result.elapsed
        attempt.error_kind = result.error_kind
        attempt.error = result.error
        if result.error_kind is None:
            delivery.state = "delivered"
            delivery.next_attempt_at = None
            self._handle_reply(delivery, task, bot, result.body)
            return
        if number >= delivery.max_attempts:
            delivery.state = "exhausted"
            delivery.next_attempt_at = None
            return
        first = delivery.first_attempt_at
        if first is None:  # pragma: no cover - set by the first attempt above
            first = backend.clock.time()
        due = first + delivery.retry_delays[number - 1]
        delivery.state = "pending_retry"
        delivery.next_attempt_at = due
        with self._lock:
            self._retries[delivery] = backend.clock.call_at(
                due, lambda: self._retry(delivery), f"delivery #{delivery.id} attempt {number + 1}"
            )

    def _retry(self, delivery: Delivery) -> None:
        with self._lock:
            if self._retries.pop(delivery, None) is None:
                return  # cancelled by reset()
        self._attempt(delivery)

    def _refresh_token(self, delivery: Delivery, task: Task, bot: BotAccount) -> None:
        """A retry must carry a token that still works: after a key reset with
        ``revoke_tokens_on_reset`` (or an expiry) the body is rebuilt with a fresh token."""
        try:
            self.backend.accounts.resolve_token(delivery.access_token)
        except Refusal:
            delivery.body, delivery.access_token = self.build_body(
                task, bot, event=delivery.event, depth=delivery.depth
            )

    def _handle_reply(self, delivery: Delivery, task: Task, bot: BotAccount, raw: bytes) -> None:
        """D6, judged by :func:`~pyrus_mock.engine.reply.judge_reply` (as ``check_bot`` does):
        a valid CreateComment is applied as the bot's comment; anything else is recorded."""
        from ..engine.reply import judge_reply
        from ..engine.validation import validate

        backend = self.backend
        person = backend.find_person(bot.person_id)
        if person is None:  # pragma: no cover - bots always have a person
            return

        def check(request: dict[str, Any]) -> list[Violation]:
            with backend.lock:
                return validate(request, task, person, backend)

        def apply(request: dict[str, Any]) -> tuple[list[Violation], Comment | None]:
            report: list[Violation] = []  # one pass: the engine reports warnings and errors
            with contextlib.suppress(CommentRejected):  # not applied: the report says why
                comment = backend.comment(
                    task, request, person, depth=delivery.depth + 1, report=report
                )
                return report, comment
            return report, None

        verdict = judge_reply(raw, check, apply)
        delivery.reply = verdict.reply
        # A reply may quote the delivery's token or signature (in a value or a key name): the
        # record keeps them masked, as the summary and the transcript show them.
        if verdict.violations:  # most replies have none: nothing to mask on the hot path
            hidden = delivery.secrets()
            delivery.violations.extend(
                replace(v, path=scrub(v.path, hidden), message=scrub(v.message, hidden))
                for v in verdict.violations
            )
        delivery.comment = verdict.result

    # -- routing ---------------------------------------------------------------------------

    def on_task_event(self, event: TaskEvent) -> None:
        """Deliver a task that reached bots' inboxes (``auto_deliver``)."""
        backend = self.backend
        if not backend.settings.auto_deliver:
            return
        task = event.task
        with backend.lock:
            inbox = backend.inbox_ids(task)
            targets: list[tuple[BotAccount, str, str]] = []
            if event.closed:
                for pid in sorted(event.inbox_before):
                    bot = backend.accounts.find_bot(pid)
                    if bot is not None and pid != event.actor_id:
                        targets.append((bot, "close", "closed"))
            for pid in sorted(inbox):
                bot = backend.accounts.find_bot(pid)
                if bot is None or pid == event.actor_id:
                    continue  # a bot's own comment never calls that same bot
                trigger = self._trigger(task, pid, event)
                targets.append((bot, "comment", trigger))
        for bot, kind, trigger in targets:
            if event.depth >= backend.settings.max_chain_depth:
                delivery = self._record_chain_limit(task, bot, kind, event.depth)
                del delivery
                continue
            self.deliver(task, bot, event=kind, trigger=trigger, depth=event.depth)

    @staticmethod
    def _trigger(task: Task, pid: int, event: TaskEvent) -> str:
        if event.kind == "created":
            return "created"
        if pid not in event.inbox_before:
            return "responsible" if task.responsible_id == pid else "approval_step"
        return "comment"

    def _record(
        self,
        task: Task,
        bot: BotAccount,
        event: str,
        trigger: str,
        depth: int,
        body: bytes,
        token: str,
        retry_delays: tuple[float, ...],
    ) -> Delivery:
        """A new delivery with the next id, appended to :attr:`deliveries`."""
        with self._lock:
            self._seq += 1
            delivery = Delivery(
                id=self._seq,
                task_id=task.id,
                bot_id=bot.person_id,
                event=event,
                trigger=trigger,
                depth=depth,
                body=body,
                access_token=token,
                created_at=self.backend.now(),
                retry_delays=retry_delays,
            )
            self.deliveries.append(delivery)
            excess = len(self.deliveries) - self.backend.settings.max_deliveries_recorded
            if excess > 0:  # the oldest go; a pending retry of one still runs
                del self.deliveries[:excess]
                self.deliveries_dropped += excess
        return delivery

    def _record_chain_limit(self, task: Task, bot: BotAccount, kind: str, depth: int) -> Delivery:
        delivery = self._record(task, bot, kind, "chain", depth, b"", "", ())
        delivery.violations.append(
            Violation(
                "",
                "chain_too_deep",
                f"{depth} bot deliveries in a row were caused by one "
                "action; the fake stopped here (setting max_chain_depth). Bots that keep "
                "answering each other would loop forever in Pyrus too.",
            )
        )
        self._skip(delivery, f"chain of bot deliveries deeper than {depth}")
        return delivery
