"""What the fake saw, in order: the transcript shown when a test fails.

:func:`transcript_json` collects the timeline of one :class:`~pyrus_mock.PyrusMock` as a
JSON-able dict: every delivery attempt (headers, body, TLS or HTTP outcome, timing), each reply
and its violations, the API calls each bot made back with that delivery's token, the other API
calls, errors raised in server threads, and the clock with its pending retries.
:func:`transcript` renders the same data as text for a test report.

Secrets never appear whole: access tokens and security keys are cut to their last four
characters (``…a1B2``), inside JSON bodies too, and every token and key the fake knows is masked
wherever else it appears (headers, query strings, reply text, messages). So are ``X-Pyrus-Sig``
signatures (with the body, a signature lets anyone replay the delivery to the bot) and the
control plane's admin token.

The report stays small whatever the bots send: a body larger than 8 KB is shown as its first
2,000 characters and a marker with its full size (``… (1048576 bytes in all)``); the text shows
the newest 100 deliveries and 200 other API calls, and says how many it left out, and how many
older records the fake dropped (settings ``max_deliveries_recorded``,
``max_api_calls_recorded``).

Nothing here runs unless asked: the pytest plugin renders a transcript only for failed tests.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from ..domain import _json
from ..domain.clock import VirtualClock
from ..domain.masking import mask, masked_json, scrub, scrub_json_members, secret_list
from ..domain.secrets import masked_headers

if TYPE_CHECKING:
    from ..delivery.dispatch import Attempt, Delivery
    from ..mock.fake import PyrusMock
    from ..state.backend import ApiCall

__all__ = [
    "ServerLike",
    "secrets_of",
    "servers_of",
    "transcript",
    "transcript_json",
]

_MAX_JSON_LINES = 60
_MAX_TEXT_CHARS = 2000
_MAX_PARSED_BYTES = 8 * 1024
"""Bodies up to this size are parsed and shown as (masked) JSON; larger ones as cut text."""
_MAX_LINE_CHARS = 500
_MAX_MESSAGE_CHARS = 1000
_MAX_TEXT_DELIVERIES = 100
_MAX_TEXT_CALLS = 200
_ELLIPSIS = "\u2026"


class ServerLike(Protocol):
    """A server whose thread errors belong in a transcript (``TLSServer``, the ASGI server)."""

    @property
    def name(self) -> str:
        """A short label."""
        ...

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised in its threads, oldest first."""
        ...


def transcript_json(mock: PyrusMock, servers: Iterable[ServerLike] = ()) -> dict[str, Any]:
    """The fake's timeline as a JSON-able dict, secrets masked.

    Args:
        mock: the fake.
        servers: more servers whose thread errors to include (the fake's own API server and
            the bot servers started by ``serve_bot`` are always included).

    Returns:
        ``{"clock", "bots", "deliveries", "api_calls", "server_errors"}``; each delivery holds
        its ``attempts``, ``violations`` and the ``api_calls`` made with its token.
    """
    backend = mock._backend
    with backend.lock:
        deliveries = list(mock._dispatcher.deliveries)
        calls = backend.log.calls
        bots = backend.accounts.bots()
        dropped = {
            "deliveries": mock._dispatcher.deliveries_dropped,
            "api_calls": backend.log.dropped,
        }
    secrets = _secrets(mock, deliveries)
    owner = _attribute_calls(deliveries, calls)
    call_dicts = [_call_json(call, owner.get(index)) for index, call in enumerate(calls)]
    by_delivery: dict[int, list[dict[str, Any]]] = {}
    for index, delivery_id in owner.items():
        by_delivery.setdefault(delivery_id, []).append(call_dicts[index])
    delivery_dicts = [
        _delivery_json(mock, delivery, by_delivery.get(delivery.id, []), secrets)
        for delivery in deliveries
    ]
    clock = mock.clock
    now = clock.time()
    result: dict[str, Any] = {
        "clock": {
            "now": _stamp(now),
            "virtual": isinstance(clock, VirtualClock),
            "pending": [
                {
                    "due": _stamp(item.when),
                    "in_seconds": round(item.when - now, 3),
                    "label": item.label,
                }
                for item in clock.pending()
            ],
        },
        "bots": [
            {
                "id": bot.person_id,
                "name": _person_name(mock, bot.person_id),
                "login": bot.login,
                "url": bot.hook_url,
                "security_key": mask(bot.security_key),
                "state": _bot_state(bot),
            }
            for bot in bots
        ],
        "deliveries": delivery_dicts,
        "api_calls": call_dicts,
        "dropped": dropped,
        "server_errors": [
            {"server": server.name, "error": _cut_text(f"{type(exc).__name__}: {exc}", secrets)}
            for server in servers_of(mock, servers)
            for exc in server.errors
        ],
    }
    scrubbed: dict[str, Any] = json.loads(scrub(json.dumps(result, ensure_ascii=False), secrets))
    return scrubbed


def transcript(mock: PyrusMock, servers: Iterable[ServerLike] = ()) -> str:
    """The fake's timeline as text for a test report, secrets masked.

    Args:
        mock: the fake.
        servers: more servers whose thread errors to include.

    Returns:
        Several lines; see the module docstring for what they hold.
    """
    data = transcript_json(mock, servers)
    lines: list[str] = []
    clock = data["clock"]
    deliveries = data["deliveries"]
    calls = data["api_calls"]
    lines.append(
        f"clock {clock['now']}{' (virtual)' if clock['virtual'] else ''}; "
        f"{_plural(len(deliveries), 'delivery', 'deliveries')}, "
        f"{_plural(len(calls), 'API call', 'API calls')}"
    )
    dropped = data["dropped"]
    if dropped["deliveries"] or dropped["api_calls"]:
        lines.append(
            f"  older records dropped: {dropped['deliveries']} deliveries (setting "
            f"max_deliveries_recorded), {dropped['api_calls']} API calls (setting "
            "max_api_calls_recorded)"
        )
    for item in clock["pending"]:
        lines.append(f"  pending: {item['label']} due {item['due']} (in {item['in_seconds']:g} s)")
    if clock["pending"]:
        last = max(item["in_seconds"] for item in clock["pending"])
        lines.append(
            f"  pyrus_mock.clock.advance({last:g}) runs these; a retry that fails again "
            "schedules the next attempt"
        )
    if data["bots"]:
        lines.append("bots:")
        for bot in data["bots"]:
            lines.append(
                f"  bot {bot['id']} {bot['name']!r} {bot['login']} key {bot['security_key']} "
                f"{bot['state']} url {bot['url'] or '(none)'}"
            )
    if len(deliveries) > _MAX_TEXT_DELIVERIES:
        lines.append(f"{len(deliveries) - _MAX_TEXT_DELIVERIES} older deliveries not shown "
                     "(transcript_json() has them all)")  # fmt: skip
    for delivery in deliveries[-_MAX_TEXT_DELIVERIES:]:
        lines.extend(_delivery_lines(delivery))
    others = [call for call in calls if call["delivery_id"] is None]
    if others:
        lines.append("API calls not made with a delivery's token:")
        if len(others) > _MAX_TEXT_CALLS:
            lines.append(f"  {len(others) - _MAX_TEXT_CALLS} older calls not shown "
                         "(transcript_json() has them all)")  # fmt: skip
        lines.extend("  " + _call_line(call) for call in others[-_MAX_TEXT_CALLS:])
    if data["server_errors"]:
        lines.append("errors raised in server threads:")
        lines.extend(f"  {e['server']}: {e['error']}" for e in data["server_errors"])
    return "\n".join(lines)


# -- collecting ---------------------------------------------------------------------------------


def _attribute_calls(deliveries: Sequence[Delivery], calls: Sequence[ApiCall]) -> dict[int, int]:
    """Map API call index -> id of the delivery whose token (last four chars) it used.

    A call whose token was refused has no person; the tail alone decides then.
    """
    by_tail: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        if delivery.access_token:
            by_tail.setdefault(delivery.access_token[-4:], []).append(delivery)
    owner: dict[int, int] = {}
    for index, call in enumerate(calls):
        candidates = by_tail.get(call.token_tail[-4:]) if call.token_tail else None
        if candidates and call.person_id is not None:
            candidates = [d for d in candidates if d.bot_id == call.person_id]
        if candidates:
            owner[index] = candidates[-1].id
    return owner


def _delivery_json(
    mock: PyrusMock, delivery: Delivery, calls: list[dict[str, Any]], secrets: Sequence[str]
) -> dict[str, Any]:
    attempts = []
    for index, attempt in enumerate(delivery.attempts):
        start = attempt.sent_at.timestamp()
        later = delivery.attempts[index + 1 :]
        end = later[0].sent_at.timestamp() if later else None
        attempts.append(_attempt_json(attempt, start, end, calls, secrets))
    last = delivery.last_attempt
    reply: Any = masked_json(delivery.reply)
    if last is not None and len(last.reply_body) > _MAX_PARSED_BYTES:
        reply = f"{_ELLIPSIS} ({len(last.reply_body)} bytes in all; see the attempt's reply_body)"
    # Calls older than the first attempt cannot happen; keep any such oddity visible anyway.
    placed = {id(c) for a in attempts for c in a["api_calls"]}
    if attempts:
        attempts[0]["api_calls"][:0] = [c for c in calls if id(c) not in placed]
    return {
        "id": delivery.id,
        "task_id": delivery.task_id,
        "bot_id": delivery.bot_id,
        "bot_name": _person_name(mock, delivery.bot_id),
        "event": delivery.event,
        "trigger": delivery.trigger,
        "state": delivery.state,
        "created_at": _stamp(delivery.created_at.timestamp()),
        "skipped_reason": delivery.skipped_reason,
        "access_token": mask(delivery.access_token),
        "next_attempt_at": (
            _stamp(delivery.next_attempt_at) if delivery.next_attempt_at is not None else None
        ),
        "attempts": attempts,
        "reply": reply,
        "violations": [
            {
                "severity": v.severity,
                "path": _cut_text(v.path, secrets),
                "error_code": v.error_code,
                "message": _cut_text(v.message, secrets, _MAX_MESSAGE_CHARS),
            }
            for v in delivery.violations
        ],
        "comment_id": delivery.comment.id if delivery.comment is not None else None,
        "api_calls": calls,
    }


def _attempt_json(
    attempt: Attempt,
    start: float,
    end: float | None,
    calls: list[dict[str, Any]],
    secrets: Sequence[str],
) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "sent_at": _stamp(start),
        "url": attempt.url,
        "headers": masked_headers(attempt.request_headers),
        "body_size": len(attempt.body),
        "body": _body_json(attempt.body, secrets),
        "status": attempt.status,
        "elapsed_ms": round(attempt.elapsed * 1000, 1),
        "error_kind": attempt.error_kind,
        "error": _cut_text(attempt.error, secrets, _MAX_MESSAGE_CHARS) if attempt.error else None,
        "reply_headers": {
            _cut_text(name, secrets, _MAX_LINE_CHARS): _cut_text(value, secrets, _MAX_LINE_CHARS)
            for name, value in attempt.reply_headers
        },
        "reply_size": len(attempt.reply_body),
        "reply_body": _body_json(attempt.reply_body, secrets),
        "api_calls": [
            c for c in calls if c["at_epoch"] >= start and (end is None or c["at_epoch"] < end)
        ],
    }


def _call_json(call: ApiCall, delivery_id: int | None) -> dict[str, Any]:
    return {
        "at": _stamp(call.at),
        "at_epoch": call.at,
        "method": call.method,
        "path": call.path,
        "status": call.status,
        "error_code": call.error_code,
        "person_id": call.person_id,
        "token": _ELLIPSIS + call.token_tail[-4:] if call.token_tail else "",
        "elapsed_ms": round(call.elapsed * 1000, 1),
        "delivery_id": delivery_id,
    }


def _body_json(raw: bytes, secrets: Sequence[str]) -> Any:
    """A body as masked JSON when it parses and is at most 8 KB, as masked text (cut to 2,000
    characters, with a marker giving the full size) otherwise."""
    if not raw:
        return None
    if len(raw) <= _MAX_PARSED_BYTES:
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            return masked_json(_json.loads(raw))
    # Decode only what is shown, plus room for a secret that straddles the cut (masked whole).
    room = max((len(s) for s in secrets), default=0) * 4 + 4
    prefix = raw[: _MAX_TEXT_CHARS * 4 + room]
    text = scrub_json_members(scrub(prefix.decode("utf-8", "replace"), secrets))
    if len(raw) > len(prefix) or len(text) > _MAX_TEXT_CHARS:
        text = text[:_MAX_TEXT_CHARS] + f"{_ELLIPSIS} ({len(raw)} bytes in all)"
    return text


def _cut_text(text: str, secrets: Sequence[str], limit: int = _MAX_TEXT_CHARS) -> str:
    """``text`` with secrets masked, cut to ``limit`` characters with a marker."""
    if len(text) > limit:
        room = max((len(s) for s in secrets), default=0)
        shown = scrub(text[: limit + room], secrets)
        return shown[:limit] + f"{_ELLIPSIS} ({len(text)} characters in all)"
    return text


def secrets_of(mock: PyrusMock, *, signatures: bool = True) -> list[str]:
    """Every secret ``mock`` issued and still knows (tokens, keys, signatures of its recorded
    deliveries unless ``signatures`` is False, the admin token), longest first: what
    :func:`~pyrus_mock.domain.masking.scrub` masks in text shown to people."""
    with mock._backend.lock:
        deliveries = list(mock._dispatcher.deliveries)
    return _secrets(mock, deliveries, signatures=signatures)


def _secrets(
    mock: PyrusMock, deliveries: Sequence[Delivery], *, signatures: bool = True
) -> list[str]:
    """Every token and key the text could contain, to scrub whatever the key masking missed."""
    backend = mock._backend
    found = {
        secret for d in deliveries for secret in (d.secrets() if signatures else [d.access_token])
    }
    if mock.admin_token:
        found.add(mock.admin_token)
    found.update(backend.accounts.token_values())
    found.update(bot.security_key for bot in backend.accounts.bots())
    for person in backend.persons():
        if person.type == "user":
            with contextlib.suppress(KeyError):
                found.add(backend.user_key(person.id))
    return secret_list(found)


def servers_of(mock: PyrusMock, extra: Iterable[ServerLike]) -> list[ServerLike]:
    """Every server whose thread errors concern ``mock``, each once.

    Args:
        mock: the fake; its API server (when running) and the bot servers of ``serve_bot``
            come first.
        extra: more servers, e.g. the bot servers of the pytest plugin's ``bot_server``;
            one already listed is not repeated.
    """
    found: list[ServerLike] = []
    own = mock._server
    if own is not None:
        found.append(own)
    found.extend(mock._bot_servers)
    for server in extra:
        if all(server is not s for s in found):
            found.append(server)
    return found


def _person_name(mock: PyrusMock, person_id: int) -> str:
    person = mock._backend.find_person(person_id)
    return person.first_name if person is not None else f"#{person_id}"


def _bot_state(bot: Any) -> str:
    if bot.deleted:
        return "deleted"
    if bot.blocked:
        return "blocked"
    return "enabled" if bot.enabled else "disabled"


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- rendering ----------------------------------------------------------------------------------


def _delivery_lines(d: dict[str, Any]) -> list[str]:
    lines = [
        f"delivery #{d['id']} of task {d['task_id']} to bot {d['bot_id']} {d['bot_name']!r} "
        f"({d['event']}, {d['trigger']}) at {d['created_at']}: {d['state']}"
        + (f" ({d['skipped_reason']})" if d["skipped_reason"] else "")
    ]
    if d["access_token"]:
        lines[0] += f", token {d['access_token']}"
    for attempt in d["attempts"]:
        lines.extend("  " + line for line in _attempt_lines(attempt))
    if d["next_attempt_at"]:
        lines.append(f"  next attempt due {d['next_attempt_at']} (advance the clock to run it)")
    if d["violations"]:
        lines.append("  violations:")
        for v in d["violations"]:
            lines.append(f"    {v['severity']}: {v['path'] or '/'}: {v['error_code']}: "
                         f"{v['message']}")  # fmt: skip
    if d["comment_id"] is not None:
        lines.append(f"  reply applied as comment {d['comment_id']}")
    return lines


def _attempt_lines(a: dict[str, Any]) -> list[str]:
    lines = [f"attempt {a['number']} at {a['sent_at']}: POST {a['url']}"]
    lines.extend(f"  {name}: {value}" for name, value in a["headers"].items())
    lines.append(f"  body: {a['body_size']} bytes")
    lines.extend("    " + line for line in _pretty(a["body"]))
    if a["error_kind"] is None and a["status"] is not None:
        outcome = f"HTTP {a['status']}"
    elif a["status"] is not None:
        outcome = f"HTTP {a['status']} ({a['error_kind']}: {a['error']})"
    else:
        outcome = f"{a['error_kind']}: {a['error']}"
    lines.append(f"  -> {outcome} in {a['elapsed_ms']:g} ms")
    if a["reply_size"]:
        lines.append(f"  reply: {a['reply_size']} bytes")
        lines.extend("    " + line for line in _pretty(a["reply_body"]))
    if a["api_calls"]:
        lines.append("  API calls made back with this delivery's token:")
        lines.extend("    " + _call_line(call) for call in a["api_calls"])
    return lines


def _call_line(call: dict[str, Any]) -> str:
    error = f" {call['error_code']}" if call["error_code"] else ""
    who = f" person {call['person_id']}" if call["person_id"] is not None else ""
    token = f" token {call['token']}" if call["token"] else ""
    return (
        f"{call['at']} {call['method']} {call['path']} -> {call['status']}{error}"
        f"{who}{token} ({call['elapsed_ms']:g} ms)"
    )


def _pretty(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):  # a text body, already cut (with its marker)
        lines = value.splitlines() or [""]
    else:  # JSON of at most 8 KB: a long string value is cut at the end of its line
        text = json.dumps(value, indent=2, ensure_ascii=False)
        lines = [
            line if len(line) <= _MAX_LINE_CHARS else line[:_MAX_LINE_CHARS] + _ELLIPSIS
            for line in text.splitlines()
        ]
    if len(lines) > _MAX_JSON_LINES:
        more = len(lines) - _MAX_JSON_LINES
        lines = [*lines[:_MAX_JSON_LINES], f"{_ELLIPSIS} ({more} more lines)"]
    return lines


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"
