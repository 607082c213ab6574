"""Replaying recorded calls to a bot: re-signed, with the fake's API behind them.

For each recording (in file-name order) :func:`replay`:

1. imports the task the recorded body carries into the fake (``task_id`` new to the fake;
   a task recorded again later keeps the fake's state of it), with the bot it names;
2. puts a fresh access token of that bot into the body, serialises it, and signs it with the
   given security key (``X-Pyrus-Sig``, the fake's ``signature_case``);
3. POSTs it to the bot over verified TLS with the recorded headers (secrets left out);
4. compares the bot's reply with the recorded one: the status, and the body (as JSON when both
   are JSON, with secrets redacted on both sides, else as text).

The bot calls the fake's API with the token it received, so it must be pointed at the fake's
API (``PyrusMock.api_url``; ``pyrus-mock replay`` prints it and writes ``server.json``).
"""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..delivery.dispatch import sign
from ..transport.httpclient import BotHttpClient
from .recording import HOP_HEADERS, SECRET_HEADERS, body_member, load_recordings, parse_body
from .records import import_json

if TYPE_CHECKING:
    from ..mock.fake import PyrusMock

__all__ = ["ReplayReport", "ReplayResult", "replay"]


@dataclass(slots=True)
class ReplayResult:
    """One recorded call, replayed.

    Attributes:
        name: the recording's file name.
        recorded_status: the status the bot answered when recorded (None: no reply then).
        status: the status it answers now (None: no reply; see ``error``).
        recorded_body: the recorded reply body (JSON value or text, secrets redacted).
        body: the reply body now, redacted the same way.
        differences: what differs, one line each (empty when the replies match).
        error: why no reply came, if none did.
    """

    name: str
    recorded_status: int | None
    status: int | None
    recorded_body: Any
    body: Any
    differences: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def matched(self) -> bool:
        """The reply now is the reply recorded."""
        return not self.differences


@dataclass(slots=True)
class ReplayReport:
    """Every replayed call; :attr:`all_matched` when each reply matched its recording."""

    results: list[ReplayResult] = field(default_factory=list)

    @property
    def all_matched(self) -> bool:
        """Whether every reply matched."""
        return all(r.matched for r in self.results)

    def summary(self) -> str:
        """One line per call (``✓`` or ``✗`` and the differences), then the count."""
        lines = []
        for r in self.results:
            mark = "\u2713" if r.matched else "\u2717"
            lines.append(f"{mark} {r.name}: {r.status} (recorded {r.recorded_status})")
            lines += [f"    {d}" for d in r.differences]
        same = sum(r.matched for r in self.results)
        lines.append(f"{same} of {len(self.results)} replies match the recording")
        return "\n".join(lines)

    def assert_all_matched(self) -> None:
        """Raise ``AssertionError`` with :meth:`summary` unless every reply matched."""
        if not self.all_matched:
            raise AssertionError("replayed replies differ from the recording:\n" + self.summary())


def replay(
    mock: PyrusMock,
    directory: str | os.PathLike[str],
    *,
    to: str,
    security_key: str,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 60.0,
) -> ReplayReport:
    """Replay the recordings of ``directory`` to the bot at ``to`` (see the module doc).

    Args:
        mock: the fake whose API the bot calls back (started, for a bot that calls it).
        directory: a directory written by ``pyrus-mock record``.
        to: the bot's ``https://`` URL.
        security_key: the key the bot verifies calls with; every body is signed with it.
        ssl_context: whom to trust for the bot's certificate; the fake's ``trust`` by default.
        timeout: seconds the bot may take per call.

    Raises:
        ImportRefused: the directory holds no recordings, or a recorded task cannot be imported.
    """
    context = ssl_context or mock._bot_client_context()
    report = ReplayReport()
    with BotHttpClient() as client:
        for name, recording in load_recordings(directory):
            report.results.append(
                _one(mock, client, name, recording, to, security_key, context, timeout)
            )
    return report


def _one(
    mock: PyrusMock,
    client: BotHttpClient,
    name: str,
    recording: dict[str, Any],
    to: str,
    key: str,
    context: ssl.SSLContext,
    timeout: float,
) -> ReplayResult:
    request, reply = recording["request"], recording["reply"]
    body = body_member(request)
    if isinstance(body, dict):
        body = _with_token(mock, body)
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    else:
        data = (body or "").encode("utf-8")
    headers = {
        k: v
        for k, v in (request.get("headers") or {}).items()
        if k.lower() not in SECRET_HEADERS | HOP_HEADERS
    }
    headers["X-Pyrus-Sig"] = sign(key, data, mock.settings.signature_case)
    url = to if request.get("path") in (None, "", "/") else to.rstrip("/") + request["path"]
    result = client.post(url, data, headers, ssl_context=context, timeout=timeout)
    got = body_member(parse_body(result.body)) if result.status is not None else None
    recorded = body_member(reply)
    outcome = ReplayResult(
        name,
        reply.get("status"),
        result.status,
        recorded,
        got,
        error=None if result.status is not None else result.error,
    )
    if result.status != reply.get("status"):
        outcome.differences.append(
            f"status {result.status} (recorded {reply.get('status')})"
            + (f": {result.error}" if result.status is None else "")
        )
    outcome.differences += list(_diff(recorded, got, ""))
    return outcome


def _with_token(mock: PyrusMock, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with its task imported into the fake and a live token of its bot."""
    task = body.get("task")
    task_id = task.get("id") if isinstance(task, dict) else None
    if isinstance(task_id, int) and not mock._backend.task_exists(task_id):
        import_json(mock, {k: v for k, v in body.items() if k != "access_token"})
    bot_id = body.get("user_id")
    known = isinstance(bot_id, int) and mock._backend.accounts.find_bot(bot_id) is not None
    if "access_token" in body and isinstance(bot_id, int) and known:
        body = {**body, "access_token": mock.bot(bot_id).token()}
    return body


def _diff(recorded: Any, got: Any, path: str) -> Iterator[str]:
    """The JSON pointers where ``got`` differs from ``recorded``, with both values."""
    if isinstance(recorded, dict) and isinstance(got, dict):
        for k in sorted(set(recorded) | set(got), key=str):
            where = f"{path}/{k}"
            if k not in got:
                yield f"{where}: missing now (recorded {_short(recorded[k])})"
            elif k not in recorded:
                yield f"{where}: new {_short(got[k])}"
            else:
                yield from _diff(recorded[k], got[k], where)
    elif isinstance(recorded, list) and isinstance(got, list) and len(recorded) == len(got):
        for index, (a, b) in enumerate(zip(recorded, got, strict=True)):
            yield from _diff(a, b, f"{path}/{index}")
    elif recorded != got:
        yield f"{path or 'body'}: {_short(got)} (recorded {_short(recorded)})"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."
