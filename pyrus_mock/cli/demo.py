"""``pyrus-mock demo``: the whole life of a bot call, printed, on this machine only.

The scenario, on a fresh fake with a virtual clock:

1. the example bot (:class:`pyrus_mock.examples.ExampleBot`) is served over TLS with a
   certificate from the fake's CA, and registered as a bot (generated login and key);
2. an expense form routes step 1 to the bot; a new task reaches the bot's inbox, so the fake
   calls it: a signed POST (``X-Pyrus-Sig``, ``X-Pyrus-Retry: 1/3``);
3. the bot verifies the signature, reads the task back through the API with the call's
   ``access_token``, and replies with a CreateComment (a field and the approval), which the fake
   validates and applies;
4. the bot's key is reset while the bot still holds the old one: the next call is refused
   (403) and waits for a retry; the bot gets the new key, the clock moves 61 s, and attempt 2
   (``X-Pyrus-Retry: 2/3``) goes through.

:func:`run` prints a readable account (or a JSON summary) and returns the exit status.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ..control.wire import delivery_json
from ..domain.clock import VirtualClock
from ..domain.secrets import masked_headers
from ..examples.bot import ExampleBot
from ..mock.fake import PyrusMock

if TYPE_CHECKING:
    from ..delivery.dispatch import Attempt
    from ..mock.bots import Bot

__all__ = ["DemoFailed", "Style", "mask", "run"]

_JSON_LINES = 40
"""Lines of pretty JSON shown before the rest is cut."""


class DemoFailed(Exception):
    """The scenario did not go as it should: a bug in the fake or the example bot."""


def mask(secret: str, shown: int = 4) -> str:
    """``secret`` with all but its last ``shown`` characters hidden: ``••••••••Ab3x``."""
    if len(secret) <= shown:
        return "•" * len(secret)
    return "•" * min(12, len(secret) - shown) + secret[-shown:]


@dataclass(frozen=True)
class Style:
    """ANSI styling, or none. Use :meth:`for_stream` to decide from the terminal.

    Attributes:
        enabled: whether escape codes are written.
    """

    enabled: bool = False

    @classmethod
    def for_stream(cls, stream: TextIO, mode: str = "auto") -> Style:
        """Colour when ``mode`` is ``always``, or ``auto`` on a TTY without ``NO_COLOR`` set."""
        if mode == "always":
            return cls(True)
        if mode == "never" or os.environ.get("NO_COLOR"):
            return cls(False)
        isatty = getattr(stream, "isatty", None)
        return cls(bool(isatty and isatty()))

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        """Bold text."""
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        """Dimmed text."""
        return self._wrap("2", text)

    def good(self, text: str) -> str:
        """Green text."""
        return self._wrap("32", text)

    def bad(self, text: str) -> str:
        """Red text."""
        return self._wrap("31", text)

    def note(self, text: str) -> str:
        """Yellow text."""
        return self._wrap("33", text)

    def key(self, text: str) -> str:
        """Cyan text."""
        return self._wrap("36", text)


class _Printer:
    def __init__(self, out: TextIO, style: Style, quiet: bool) -> None:
        self.out = out
        self.style = style
        self.quiet = quiet
        self.section = 0

    def __call__(self, text: str = "", indent: int = 3) -> None:
        if not self.quiet:
            print(" " * indent + text if text else "", file=self.out)

    def heading(self, title: str) -> None:
        self.section += 1
        self()
        self(self.style.bold(f"{self.section}. {title}"), indent=0)

    def pairs(self, rows: list[tuple[str, str]]) -> None:
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            self(f"{self.style.dim(name.ljust(width))}  {value}")

    def json(self, data: Any, limit: int = _JSON_LINES) -> None:
        lines = _pretty(data)
        for line in lines[:limit]:
            self(self.style.dim("│ ") + line)
        if len(lines) > limit:
            self(self.style.dim(f"│ … {len(lines) - limit} more lines"))


def _pretty(value: Any, depth: int = 0, label: int = 0, width: int = 96) -> list[str]:
    """JSON with the outer levels laid out and anything deeper on one (cut) line each."""
    text = json.dumps(value, ensure_ascii=False)
    room = max(20, width - 2 * depth - label)
    nested = isinstance(value, list) and depth == 2 and len(text) > room
    if (depth >= 2 and not nested) or not isinstance(value, (dict, list)) or not value:
        return [text if len(text) <= room else text[: room - 1] + "…"]
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
    pad = "  " * depth
    lines = [opening]
    for index, (key, item) in enumerate(items):
        name = f"{json.dumps(key, ensure_ascii=False)}: " if key is not None else ""
        inner = _pretty(item, depth + 1, len(name) + 1, width)
        lines.append(f"{pad}  {name}{inner[0]}")
        lines.extend(inner[1:])
        if index < len(items) - 1:
            lines[-1] += ","
    lines.append(pad + closing)
    return lines


def _trimmed_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The call's body for display, with the access token shortened."""
    shown = dict(payload)
    token = str(shown.get("access_token", ""))
    if token:
        shown["access_token"] = mask(token)
    return shown


def _attempt_lines(p: _Printer, attempt: Attempt) -> None:
    s = p.style
    p(f"{s.bold('POST')} {attempt.url}")
    for name, value in attempt.request_headers.items():
        text = value
        if name == "X-Pyrus-Sig":
            text = s.key(mask(value)) + s.dim("   HMAC-SHA1 of the body, keyed with the bot's key")
        elif name == "X-Pyrus-Retry":
            text = s.key(value)
        p(f"{name}: {text}")
    p(s.dim(f"body: {len(attempt.body):,} bytes of compact UTF-8 JSON"))


def _outcome(s: Style, attempt: Attempt) -> str:
    took = f"in {attempt.elapsed * 1000:.0f} ms"
    if attempt.ok:
        return s.good(f"HTTP {attempt.status}") + f" {took}"
    if attempt.status is None:
        return s.bad(attempt.error_kind or "failed") + f" {took}: {attempt.error or ''}"
    said = attempt.reply_body[:120].decode("utf-8", "replace").strip()
    return s.bad(f"HTTP {attempt.status}") + f" {took}" + (f", the bot said {said}" * bool(said))


def _task_lines(p: _Printer, mock: PyrusMock, task_id: int) -> dict[str, Any]:
    backend = mock._backend
    with backend.lock:
        task = backend.task(task_id)
        form = backend.find_form(task.form_id) if task.form_id else None
        steps = {s.number: s.name for s in form.steps} if form else {}
        values: dict[str, Any] = {}
        if form is not None:
            for field in form.fields:
                raw = task.values.get(field.id)
                values[field.name] = raw
        approvals = [
            [(backend.person(a.person_id).name, a.choice) for a in group]
            for group in task.approvals
        ]
        step = task.current_step
        closed = task.is_closed
    s = p.style
    where = "closed" if closed else f"step {step} “{steps.get(step or 0, '?')}”"
    p(f"{s.dim('state'.ljust(9))}  {where}")
    for name, value in values.items():
        shown = s.dim("(empty)") if value in (None, "") else str(value)
        p(f"{s.dim(name[:9].ljust(9))}  {shown}")
    for number, group in enumerate(approvals, start=1):
        text = ", ".join(
            f"{who} " + (s.good(choice) if choice == "approved" else s.note(choice))
            for who, choice in group
        )
        p(f"{s.dim(f'step {number}'.ljust(9))}  {text or s.dim('no approvers')}")
    return {
        "current_step": step,
        "is_closed": closed,
        "fields": {name: value for name, value in values.items() if value not in (None, "")},
        "approvals": [
            [{"person": who, "approval_choice": choice} for who, choice in group]
            for group in approvals
        ],
    }


def _check(condition: bool, problem: str) -> None:
    if not condition:
        raise DemoFailed(problem)


def _bot_api_calls(mock: PyrusMock, bot: Bot, since: int) -> list[Any]:
    return [c for c in mock._backend.api_calls_since(since) if c.person_id == bot.id]


def run(
    out: TextIO,
    *,
    seed: int = 0,
    as_json: bool = False,
    style: Style | None = None,
) -> int:
    """Run the demo scenario and print it to ``out``.

    Args:
        out: where to write.
        seed: seeds the fake's ids.
        as_json: print one JSON summary instead of the readable account.
        style: colours; none when omitted.

    Returns:
        0 when every step went as expected, 1 otherwise (the problem is printed).
    """
    started = time.monotonic()
    p = _Printer(out, style or Style(), quiet=as_json)
    s = p.style
    clock = VirtualClock()
    mock = PyrusMock(seed=seed, clock=clock)
    summary: dict[str, Any] = {}
    try:
        mock.start()
        bot_app = ExampleBot(api_url=mock.api_url, ssl_context=mock.ssl_context)
        with mock.serve_bot(bot_app) as bot_url:
            summary = _scenario(p, mock, clock, bot_app, bot_url)
        ok, problem = True, ""
    except DemoFailed as exc:
        ok, problem = False, str(exc)
    finally:
        mock.close()
    seconds = time.monotonic() - started
    if as_json:
        summary.update({"ok": ok, "problem": problem or None, "seconds": round(seconds, 3)})
        print(json.dumps(summary, indent=2, ensure_ascii=False), file=out)
    elif ok:
        p()
        p(s.good("✓ ") + f"demo finished in {seconds:.2f} s; nothing left this machine.", indent=0)
    else:
        p()
        p(s.bad("✗ demo failed: ") + problem, indent=0)
    return 0 if ok else 1


def _scenario(
    p: _Printer, mock: PyrusMock, clock: VirtualClock, bot_app: ExampleBot, bot_url: str
) -> dict[str, Any]:
    s = p.style
    p(s.bold("pyrus-mock demo") + s.dim(" — a fake Pyrus calls a real bot over TLS"), indent=0)

    # 1. The bot gets its credentials, and is told its key.
    bot = mock.add_bot("Expense bot", bot_url)
    bot_app.security_key = bot.security_key
    p.heading("The bot and its generated credentials")
    p.pairs(
        [
            ("bot", f"“{bot.name}”, person id {bot.id}, served at {bot_url}"),
            ("login", bot.login),
            ("security key", f"{mask(bot.security_key)} ({len(bot.security_key)} characters)"),
            ("client id", bot.client_id),
            ("fake API", f"{mock.api_url}  (TLS from the fake's own CA)"),
        ]
    )

    # 2. A form whose first step the bot approves, and a task on it.
    author = mock.add_user("Maria", "Lopez", email="maria.lopez@example.com")
    accountant = mock.add_user("Ivan", "Petrov", email="ivan.petrov@example.com")
    form = mock.add_form(
        "Expense report",
        fields=[
            {"name": "Amount", "type": "money", "code": "u_amount"},
            {"name": "Purpose", "type": "text", "code": "u_purpose"},
            {"name": "Bot note", "type": "text", "code": "u_bot_note"},
        ],
        steps=[
            {"name": "Bot check", "approvers": [bot.id]},
            {"name": "Accounting", "approvers": [accountant.id]},
        ],
    )
    p.heading("A task reaches the bot")
    p(f"form “{form.name}”: step 1 “Bot check” → {bot.name}, step 2 “Accounting” → Ivan Petrov")
    calls_before = mock._backend.api_calls_total
    task = mock.add_task(
        form=form,
        fields={"u_amount": 120.5, "u_purpose": "Team lunch"},
        text="Lunch with the new team",
        author=author,
    )
    p(f"task {task.id} by {author.name}: Amount 120.50, Purpose “Team lunch”")
    deliveries = mock.deliveries
    _check(len(deliveries) == 1, f"expected one call of the bot, got {len(deliveries)}")
    first = deliveries[0]
    _check(bool(first.attempts), "the bot was not called: " + first.summary())
    attempt = first.attempts[0]

    p.heading("The signed call Pyrus sends")
    _attempt_lines(p, attempt)
    p.json(_trimmed_payload(first.payload))

    p.heading("The bot's reply")
    p(f"{_outcome(s, attempt)}, delivery {s.key(first.state)}")
    _check(first.state == "delivered", "the first call failed: " + first.summary())
    if first.reply is not None:
        p.json(first.reply)
    problems = [v for v in first.violations if v.severity == "error"]
    if problems:
        p(s.bad("not valid as a CreateComment, so not applied:"))
        for v in first.violations:
            p(f"  {v}")
    elif first.comment is not None:
        p(s.good("valid CreateComment") + f": applied as comment {first.comment.id} by {bot.name}")
        for v in first.violations:
            p(s.note(f"  {v}"))
    else:
        p(s.dim("empty reply: nothing to apply"))
    _check(first.comment is not None, "the example bot's reply was not applied: " + first.summary())

    p.heading("API calls the bot made (with the call's access_token)")
    bot_calls = _bot_api_calls(mock, bot, calls_before)
    for call in bot_calls:
        status = s.good(str(call.status)) if call.status < 400 else s.bad(str(call.status))
        p(f"{call.method} {call.path} → {status}" + (f" {call.error_code}" * bool(call.error_code)))
    if not bot_calls:
        p(s.note("none recorded"))

    p.heading("The task after the reply")
    task_state = _task_lines(p, mock, task.id)

    # 3. Key reset while the bot still holds the old key.
    p.heading("Key reset: the bot still holds the old key")
    new_key = bot.reset_security_key()
    p(f"bot.reset_security_key() → new key {mask(new_key)}; the bot was not told")
    second_task = mock.add_task(
        form=form,
        fields={"u_amount": 89.0, "u_purpose": "Taxi to the airport"},
        text="Taxi",
        author=author,
    )
    retry = mock.deliveries[-1]
    _check(retry.task_id == second_task.id, "the second task did not reach the bot")
    refused = retry.attempts[0]
    p(f"task {second_task.id} → attempt {refused.request_headers['X-Pyrus-Retry']}: "
      f"{_outcome(s, refused)}")  # fmt: skip
    _check(refused.status == 403, f"the bot should refuse the new signature with 403, got "
           f"{refused.status} ({refused.error_kind})")  # fmt: skip
    _check(retry.state == "pending_retry", f"expected pending_retry, got {retry.state}")
    wait = (retry.next_attempt_at or clock.time()) - refused.sent_at.timestamp()
    p(f"delivery {s.key(retry.state)}: attempt 2 is due {wait:.0f} s after the first")
    bot_app.security_key = new_key
    p("the bot is given the new key; clock.advance(61)")
    clock.advance(61)
    second = retry.attempts[-1]
    _check(len(retry.attempts) == 2, f"expected attempt 2 after 61 s, got {len(retry.attempts)}")
    p(f"attempt {s.key(second.request_headers['X-Pyrus-Retry'])}: {_outcome(s, second)}, "
      f"delivery {s.key(retry.state)}")  # fmt: skip
    _check(retry.state == "delivered", "attempt 2 failed: " + retry.summary())
    _check(
        second.request_headers["X-Pyrus-Retry"] == "2/3",
        "attempt 2 should carry X-Pyrus-Retry: 2/3",
    )

    return {
        "api_url": mock.api_url,
        "bot": {
            "id": bot.id,
            "name": bot.name,
            "login": bot.login,
            "security_key": mask(bot.security_key),
            "client_id": bot.client_id,
            "url": bot.url,
        },
        "task": {"id": task.id, **task_state},
        "deliveries": [_compact(delivery_json(d)) for d in mock.deliveries],
        "bot_api_calls": [
            {"method": c.method, "path": c.path, "status": c.status, "error_code": c.error_code}
            for c in _bot_api_calls(mock, bot, calls_before)
        ],
        "key_reset": {
            "refused_status": refused.status,
            "retry_header": second.request_headers["X-Pyrus-Retry"],
            "final_state": retry.state,
        },
    }


def _compact(delivery: dict[str, Any]) -> dict[str, Any]:
    """A delivery summary without the payload and the token, signatures masked."""
    delivery = {k: v for k, v in delivery.items() if k != "payload"}
    delivery["attempts"] = [
        {**a, "request_headers": masked_headers(a["request_headers"])} for a in delivery["attempts"]
    ]
    return delivery
