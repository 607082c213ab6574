"""Conformance checks: does a bot verify Pyrus's calls and behave under retries and key resets?

:func:`check_bot` (also ``PyrusMock.check_bot``) sends a bot real HTTPS calls, some genuine and
some forged, built exactly as the fake builds deliveries (same payload, same compact bytes, same
headers), and watches what the bot does: its HTTP answers, its replies, and the API calls it
makes back to the fake (``backend.log.calls``). No delivery is recorded and no reply is applied:
the checks only observe.

======================  =========================================================================
check                   passes when
======================  =========================================================================
genuine_call            a correctly signed call is answered 2xx within the latency budget
reply_contract          the reply to it has no error, judged as a delivery judges it (D6): empty,
                        a valid CreateComment, or ignored with warnings (not JSON, not an
                        object, only unknown keys), which the note names
redelivery_idempotent   the same call again with ``X-Pyrus-Retry: 2/3`` is answered 2xx, repeats
                        no API side effect, and neither drops nor adds a reply (Pyrus retries only
                        when it did not get the first answer, so only one reply is ever applied)
forged_flipped_byte     one body byte changed, original signature: refused (non-2xx), no API call
forged_wrong_key        signed with another key: refused, no API call
forged_missing_header   no ``X-Pyrus-Sig``: refused, no API call
forged_empty_header     an empty ``X-Pyrus-Sig``: refused, no API call
forged_reserialized     signed over a re-serialisation of the JSON (other whitespace, escaping or
                        key order) while the original bytes are sent: refused, no API call
key_reset               after ``bot.reset_security_key()`` and the ``on_key_reset(new_key)`` hook:
                        a call signed with the old key is refused, one with the new key accepted
======================  =========================================================================

An API call counts as the bot's when it was made during the call by the bot's person, or with
that call's ``access_token`` (every call gets a fresh one). A forged call must cause none.

The bot may be served by this fake's tests or run anywhere: ``PyrusMock(trust="ca.pem")`` and
``add_bot("Bot", url, security_key=KEY)`` check a bot the fake did not create.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..domain.errors import InvalidArgument
from .conformance_report import CheckResult, CheckStatus, ConformanceReport

if TYPE_CHECKING:
    from ..domain.model import Form, Task
    from ..domain.violations import Violation
    from ..state.backend import ApiCall
    from ..transport.httpclient import HttpResult
    from .bots import Bot
    from .fake import PyrusMock

__all__ = ["CHECKS", "CheckResult", "CheckStatus", "ConformanceReport", "check_bot"]

CHECKS: tuple[str, ...] = (
    "genuine_call",
    "reply_contract",
    "redelivery_idempotent",
    "forged_flipped_byte",
    "forged_wrong_key",
    "forged_missing_header",
    "forged_empty_header",
    "forged_reserialized",
    "key_reset",
)
"""Every check, in the order they run."""

_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MARKER = "conformance"
_TASK_TEXT = "pyrus-mock conformance check: Проверка подписи"


def undeliverable_reason(mock: PyrusMock, bot: Bot) -> str | None:
    """Why Pyrus would not call ``bot`` now (disabled, blocked, no URL ...), or None.

    Raises:
        InvalidArgument: ``bot`` is not a bot of ``mock``.
    """
    if (
        getattr(bot, "_backend", None) is not mock._backend
        or mock._backend.accounts.find_bot(bot.id) is None
    ):
        raise InvalidArgument("bot", f"{bot!r} is not a bot of this fake",
                              "a Bot from pyrus_mock.add_bot(name, url)")  # fmt: skip
    return mock._dispatcher.undeliverable_reason(mock._backend.accounts.bot(bot.id))


def check_bot(
    mock: PyrusMock,
    bot: Bot,
    *,
    on_key_reset: Callable[[str], object] | None = None,
    latency_budget: float = 10.0,
    task: Task | Mapping[str, Any] | None = None,
    progress: Callable[[str], object] | None = None,
    form: Form | Mapping[str, Any] | None = None,
    bot_settings: str | None = None,
    fuzz: int = 0,
    fuzz_form: Form | None = None,
    fuzz_seed: int | None = None,
) -> ConformanceReport:
    """Run every check in :data:`CHECKS` against ``bot`` at its URL.

    Args:
        mock: the fake the bot belongs to (its trust settings verify the bot's certificate).
        bot: the bot, from ``mock.add_bot(name, url)``; for a bot the fake did not make, pass
            its key: ``add_bot(name, url, security_key=KEY)``.
        on_key_reset: called with the new key after the check resets the bot's key; it must
            give the bot that key (``lambda key: app.config.update(KEY=key)``). Without it the
            ``key_reset`` check is skipped. Afterwards the bot keeps the new key.
        latency_budget: seconds a genuine call may take (Pyrus allows 60; the default is
            stricter). Also the timeout of every call.
        task: the task the calls are about: a Task, or the JSON of ``GET /tasks/{id}`` saved
            from real Pyrus (loaded with its field values, see :mod:`pyrus_mock.mock.saved`; the bot
            approves its current step; a simple task's JSON, without ``form_id``, keeps its
            text and subject and the bot is responsible). By default a new one on a one-step
            form whose approver is the bot.
        progress: called with a line of text as each check starts and ends.
        form: the task's form, for a bot that needs its own: a Form, or the JSON of
            ``GET /forms/{id}`` saved from real Pyrus (loaded keeping its ids). Without
            ``task``, the calls are about a new task of this form with no values.
        bot_settings: the bot's Settings text for the calls (``bot_settings`` in the payload);
            the bot keeps it afterwards.
        fuzz: also send this many generated tasks (:mod:`pyrus_mock.mock.fuzz`, needs Hypothesis):
            the report gets a ``fuzz`` check and ``report.fuzz`` holds the shrunk failures.
        fuzz_form: the form of the generated tasks (default: the form of ``task`` or ``form``,
            else the first form with the bot among a step's approvers, else generated forms).
        fuzz_seed: a seed for a reproducible fuzzing run (default: random).

    Returns:
        The report; ``report.passed`` is False when any check failed.

    Raises:
        InvalidArgument: ``bot`` is not a bot of ``mock``, or ``latency_budget`` is not positive.
        SavedJsonError: a saved form or task the fake cannot load (the message says where).
    """
    if (
        not isinstance(latency_budget, (int, float))
        or isinstance(latency_budget, bool)
        or not 0 < latency_budget <= 86400
    ):  # a socket timeout: finite and at most a day (NaN fails the comparison)
        raise InvalidArgument(
            "latency_budget", repr(latency_budget), "seconds > 0 and <= 86400 (1 day), e.g. 10"
        )
    reason = undeliverable_reason(mock, bot)
    if reason:
        raise InvalidArgument(
            "bot", f"{bot!r} cannot be checked: {reason}, and Pyrus never calls such a bot",
            "an enabled bot with a URL: bot.restore() / bot.enable() / bot.update(url=...)",
        )  # fmt: skip
    if bot_settings is not None:
        bot.update(settings=bot_settings)
    from .saved import task_for_check

    chosen = task_for_check(mock, bot, form=form, task=task)
    if fuzz:  # the fuzzed form is chosen before the checks add their own
        from .fuzz import add_fuzz, fuzz_target

        fuzz_form = fuzz_form or fuzz_target(mock, bot, chosen)
    report = _Runner(mock, bot, on_key_reset, latency_budget, chosen, progress).run()
    if fuzz:
        add_fuzz(report, mock, bot, fuzz, fuzz_form, fuzz_seed, latency_budget, progress)
    from ..report.transcript import secrets_of

    report.secrets = secrets_of(mock)
    return report


# -- running ------------------------------------------------------------------------------------


@dataclass
class _Exchange:
    """One call: what was sent and what came back."""

    body: bytes
    token: str = field(repr=False)
    result: HttpResult
    calls: list[ApiCall]

    @property
    def mutating(self) -> list[ApiCall]:
        return [c for c in self.calls if _mutates(c)]

    @property
    def reply(self) -> bytes:
        return self.result.body.strip() if self.result.ok else b""


def _mutates(call: ApiCall) -> bool:
    path = call.path.rstrip("/")
    return (
        call.method in _MUTATING
        and 200 <= call.status < 300
        and not path.endswith("/auth")
        and not path.endswith("/files/upload")
    )


class _Runner:
    def __init__(
        self,
        mock: PyrusMock,
        bot: Bot,
        on_key_reset: Callable[[str], object] | None,
        latency_budget: float,
        task: Task | None,
        progress: Callable[[str], object] | None,
    ) -> None:
        self.mock = mock
        self.bot = bot
        self.on_key_reset = on_key_reset
        self.budget = latency_budget
        self.task_arg = task
        self.progress = progress
        self.settings = mock._backend.settings
        self.genuine: _Exchange | None = None
        self.statuses: dict[str, CheckStatus] = {}

    # -- plumbing ------------------------------------------------------------------------------

    def run(self) -> ConformanceReport:
        report = ConformanceReport(self.bot.id, self.bot.url)
        self.task = self.task_arg if self.task_arg is not None else self._make_task()
        steps: list[tuple[str, Callable[[], tuple[CheckStatus, str]]]] = [
            ("genuine_call", self._genuine_call),
            ("reply_contract", self._reply_contract),
            ("redelivery_idempotent", self._redelivery),
            ("forged_flipped_byte", self._forged_flipped_byte),
            ("forged_wrong_key", self._forged_wrong_key),
            ("forged_missing_header", lambda: self._forged("no X-Pyrus-Sig header", None)),
            ("forged_empty_header", lambda: self._forged("an empty X-Pyrus-Sig", "")),
            ("forged_reserialized", self._forged_reserialized),
            ("key_reset", self._key_reset),
        ]
        for name, step in steps:
            self._say(f"{name}: running")
            started = time.perf_counter()
            status, reason = step()
            self.statuses[name] = status
            result = CheckResult(name, status, reason, time.perf_counter() - started)
            report.checks.append(result)
            self._say(f"{name}: {status} - {reason}")
        return report

    def _say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def _make_task(self) -> Task:
        mock = self.mock
        form = mock.add_form(
            "pyrus-mock conformance",
            fields=[{"name": "Note", "type": "text", "code": "u_note"}],
            steps=[{"name": "Bot check", "approvers": [self.bot]}],
        )
        with _no_auto_delivery(mock):
            return mock.add_task(form=form, text=_TASK_TEXT, fields={"u_note": "Заметка"})

    def _body(self) -> tuple[bytes, str]:
        backend = self.mock._backend
        return self.mock._dispatcher.build_body(self.task, backend.accounts.bot(self.bot.id))

    def _headers(self, signature: str | None, attempt: int = 1) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": self.settings.user_agent,
            "X-Pyrus-Retry": f"{attempt}/{self.settings.max_attempts}",
        }
        if signature is not None:
            headers["X-Pyrus-Sig"] = signature
        return headers

    def _sign(self, body: bytes, key: str | None = None) -> str:
        from ..delivery.dispatch import sign

        return sign(self.bot.security_key if key is None else key, body,
                    self.settings.signature_case)  # fmt: skip

    def _post(self, body: bytes, token: str, headers: dict[str, str]) -> _Exchange:
        backend = self.mock._backend
        with backend.lock:
            before = backend.log.total
        result = self.mock._dispatcher.send(self.bot.url, body, headers, timeout=self.budget)
        with backend.lock:
            during = backend.log.since(before)
        tail = token[-4:]
        mine = [
            c for c in during
            if c.person_id == self.bot.id or (token and c.token_tail and c.token_tail[-4:] == tail)
        ]  # fmt: skip
        return _Exchange(body, token, result, mine)

    # -- the checks ----------------------------------------------------------------------------

    def _genuine_call(self) -> tuple[CheckStatus, str]:
        body, token = self._body()
        exchange = self._post(body, token, self._headers(self._sign(body)))
        result = exchange.result
        if not result.ok:
            reason = f"a genuine, correctly signed call was not accepted: {_outcome(result)}"
            status = result.status or 0
            if 400 <= status < 500:  # the delivery's own hint would say the same, less precisely
                reason = (
                    f"a genuine, correctly signed call was not accepted: HTTP {status} "
                    f"{_excerpt(result.body)}"
                    ". Pyrus counts only a 2xx as delivered: check the bot's signature "
                    f"verification (hex HMAC-SHA1 of the raw body, {self.settings.signature_case}"
                    " case, with the bot's current security key)"
                )
            elif status >= 500:
                reason += ". The bot failed on a valid call: its log says why"
            return "fail", reason
        self.genuine = exchange
        took = f"HTTP {result.status} in {result.elapsed * 1000:.0f} ms"
        if result.elapsed > self.budget:
            return "fail", (
                f"{took}, over the latency budget of {self.budget:g} s (Pyrus gives up after "
                "60 s): answer first, do slow work afterwards"
            )
        return "pass", took

    def _reply_contract(self) -> tuple[CheckStatus, str]:
        """Judged by :func:`~pyrus_mock.engine.reply.judge_reply`, as a delivery judges it (D6):
        errors fail the check, warnings are named in a passing note."""
        if self.genuine is None:
            return "skip", "the genuine call was not accepted, so there is no reply to check"
        from ..engine.reply import judge_reply
        from ..engine.validation import validate

        backend = self.mock._backend
        with backend.lock:
            person = backend.person(self.bot.id)

        def check(request: dict[str, Any]) -> list[Violation]:
            with backend.lock:
                return validate(request, self.task, person, backend)

        verdict = judge_reply(self.genuine.reply, check)
        warned = verdict.warnings
        note = f"; {len(warned)} warning{'s' if len(warned) > 1 else ''}: {_listed(warned)}" \
            if warned else ""  # fmt: skip
        if verdict.errors:
            return "fail", f"the reply is not a valid CreateComment for task {self.task.id}: " \
                           f"{_listed(verdict.errors)}{note}"  # fmt: skip
        what = {
            "empty": "empty reply (nothing for Pyrus to apply)",
            "not_json": f"the reply is not JSON ({_excerpt(self.genuine.reply)}), nothing applied",
            "not_object": "the reply is not a JSON object, nothing applied",
            "unknown": "the reply has no CreateComment parameter, nothing applied",
            "comment": "a valid CreateComment",
        }[verdict.kind]
        return "pass", what + note

    def _redelivery(self) -> tuple[CheckStatus, str]:
        first = self.genuine
        if first is None:
            return "skip", "the genuine call was not accepted, so there is nothing to redeliver"
        signature = self._sign(first.body)
        second = self._post(first.body, first.token, self._headers(signature, attempt=2))
        if not second.result.ok:
            return "fail", (
                f"the redelivery (X-Pyrus-Retry: 2/{self.settings.max_attempts}, same body and "
                f"signature) was not accepted: {_outcome(second.result)}. Pyrus retries when it "
                "did not get the first answer; answer a retry 2xx"
            )
        problems = []
        if first.mutating and second.mutating:
            problems.append(
                "it repeated its API side effects ("
                + ", ".join(f"{c.method} {c.path}" for c in second.mutating)
                + "); remember what was done for this task and access_token and do it once"
            )
        if first.reply and not second.reply:
            problems.append(
                "the first call replied with a comment but the redelivery replied empty: Pyrus "
                "retries only when it did not get the first reply, so that comment would be lost"
            )
        if not first.reply and second.reply and first.mutating:
            problems.append(
                "the redelivery replied with a comment the first call did not send, on top of "
                "the changes made through the API: the change would be made twice"
            )
        if problems:
            return "fail", "; ".join(problems)
        effects = len(first.mutating)
        what = f"{effects} API change{'s' if effects != 1 else ''} made once" if effects else (
            "no API changes")  # fmt: skip
        return "pass", f"HTTP {second.result.status}, {what}"

    def _forged(
        self, what: str, signature: str | None, body: bytes | None = None, token: str = ""
    ) -> tuple[CheckStatus, str]:
        if body is None:
            body, token = self._body()
        exchange = self._post(body, token, self._headers(signature))
        return self._refused(what, exchange)

    def _refused(self, what: str, exchange: _Exchange) -> tuple[CheckStatus, str]:
        result = exchange.result
        calls = ", ".join(f"{c.method} {c.path}" for c in exchange.calls)
        if result.status is None:
            return "fail", (
                f"a call with {what} got no HTTP answer ({result.error_kind}: {result.error}); "
                "refuse forged calls promptly with 401 or 403"
            )
        if result.ok:
            return "fail", (
                f"a call with {what} was accepted (HTTP {result.status})"
                + (f" and the bot called the API ({calls})" if calls else "")
                + ": verify X-Pyrus-Sig (hex HMAC-SHA1 of the raw body with the security key) "
                "before doing anything, and answer 401 or 403 when it does not match"
            )
        if exchange.calls:
            return "fail", (
                f"a call with {what} was refused (HTTP {result.status}) but the bot called the "
                f"API first ({calls}): verify the signature before acting"
            )
        return "pass", f"refused with HTTP {result.status}"

    def _forged_flipped_byte(self) -> tuple[CheckStatus, str]:
        body, token = self._body()
        signature = self._sign(body)
        forged = _flip_a_byte(body)
        exchange = self._post(forged, token, self._headers(signature))
        return self._refused("one body byte changed and the original signature", exchange)

    def _forged_wrong_key(self) -> tuple[CheckStatus, str]:
        body, token = self._body()
        other_key = secrets.token_urlsafe(72)
        return self._forged("a signature made with another key", self._sign(body, other_key),
                            body, token)  # fmt: skip

    def _forged_reserialized(self) -> tuple[CheckStatus, str]:
        tried = 0
        for label, dump in _RESERIALISATIONS:
            body, token = self._body()
            variant = dump(json.loads(body)).encode()
            if variant == body:
                continue
            tried += 1
            exchange = self._post(body, token, self._headers(self._sign(variant)))
            status, reason = self._refused(
                f"a signature over the JSON re-serialised as {label}", exchange
            )
            if status == "fail":
                if self.statuses.get("forged_wrong_key") == "pass":
                    reason += (
                        ". The bot seems to verify a re-serialisation of the parsed JSON: "
                        "verify the raw request bytes exactly as received"
                    )
                return "fail", reason
        return "pass", f"refused all {tried} re-serialised signatures"

    def _key_reset(self) -> tuple[CheckStatus, str]:
        if self.on_key_reset is None:
            return "skip", (
                "no way to give the bot a new key: pass check_bot(on_key_reset=callable(new_key))"
                " (pyrus-mock check: --key-reset-command CMD) to check that it follows a key "
                "reset"
            )
        old_key = self.bot.security_key
        new_key = self.bot.reset_security_key()
        try:
            self.on_key_reset(new_key)
        except Exception as exc:
            return "fail", f"the on_key_reset hook raised {type(exc).__name__}: {exc}"
        problems = []
        body, token = self._body()
        status, reason = self._forged("the old key's signature (after a key reset)",
                                      self._sign(body, old_key), body, token)  # fmt: skip
        if status == "fail":
            problems.append(reason)
        body, token = self._body()
        exchange = self._post(body, token, self._headers(self._sign(body, new_key)))
        if not exchange.result.ok:
            problems.append(
                f"a call signed with the new key was not accepted: {_outcome(exchange.result)}; "
                "the bot must verify with the key it was given after the reset (on_key_reset "
                "or --key-reset-command)"
            )
        if problems:
            return "fail", "; ".join(problems)
        return "pass", (
            f"old key refused, new key accepted (HTTP {exchange.result.status}); the bot now "
            "has the new key"
        )


# -- helpers ------------------------------------------------------------------------------------


_RESERIALISATIONS: Sequence[tuple[str, Callable[[Any], str]]] = (
    ("json.dumps() does by default", json.dumps),
    ("json.dumps(ensure_ascii=False) does", lambda p: json.dumps(p, ensure_ascii=False)),
    ("compact JSON with escaped non-ASCII", lambda p: json.dumps(p, separators=(",", ":"))),
    (
        "compact JSON with sorted keys",
        lambda p: json.dumps(p, separators=(",", ":"), sort_keys=True, ensure_ascii=False),
    ),
)


def _flip_a_byte(body: bytes) -> bytes:
    """``body`` with the case of one letter of the task's text flipped: still valid JSON."""
    at = body.find(_MARKER.encode())
    if at < 0:
        at = body.find(b'"text":"')
        at = at + len(b'"text":"') if at >= 0 else -1
        while 0 <= at < len(body) and not chr(body[at]).isalpha():
            at += 1
        if not 0 <= at < len(body) or not chr(body[at]).isalpha():
            at = body.find(b'"event":"') + len(b'"event":"')
    changed = bytearray(body)
    changed[at] ^= 0x20  # ASCII letter case
    return bytes(changed)


@contextmanager
def _no_auto_delivery(mock: PyrusMock) -> Iterator[None]:
    """Create the check's task without the fake delivering it to the bot on its own."""
    saved = mock.settings
    quiet = saved.replace(auto_deliver=False)
    mock.settings = mock._backend.settings = quiet
    try:
        yield
    finally:
        mock.settings = mock._backend.settings = saved


def _outcome(result: HttpResult) -> str:
    if result.status is None:
        return f"{result.error_kind}: {result.error}"
    return f"HTTP {result.status}" + (f" ({result.error})" if result.error else "")


def _listed(violations: Sequence[Violation]) -> str:
    """The first three violations, one clause each."""
    listed = "; ".join(f"{v.path or '/'}: {v.error_code}: {v.message}" for v in violations[:3])
    more = f" (and {len(violations) - 3} more)" if len(violations) > 3 else ""
    return listed + more


def _excerpt(raw: bytes) -> str:
    text = raw[:80].decode("utf-8", "replace")
    return repr(text + ("..." if len(raw) > 80 else ""))
