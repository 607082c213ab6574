"""Strict mode: what a passing test must not hide.

It fails a test when the fake saw something a passing test should not hide:

* a delivery whose reply had error-severity violations (Pyrus would have refused it);
* a delivery still ``pending_retry`` (the test never ran the retries it caused);
* an exception in a server thread: the fake's API server or a bot server.

A delivery whose every attempt failed (``exhausted``) is not a problem by itself: the test ran
the retries to the end (as the pending hint asks) and can assert on that outcome.

:func:`check` raises :class:`~pyrus_mock.domain.errors.StrictModeError` listing each problem,
with the delivery's :meth:`~pyrus_mock.delivery.dispatch.Delivery.summary` and what to do about
it. The pytest plugin runs it after every test (its session machinery is
:mod:`pyrus_mock.plugin.support`); :meth:`PyrusMock.assert_no_problems
<pyrus_mock.PyrusMock.assert_no_problems>` runs it without pytest.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..domain.errors import StrictModeError
from ..domain.masking import scrub

if TYPE_CHECKING:
    from ..delivery.dispatch import Delivery
    from ..mock.fake import PyrusMock
    from .transcript import ServerLike

__all__ = ["check", "problems"]

_PYTEST_HINT = (
    "Fix the bot or the test. If the test provokes this on purpose, mark it "
    "@pytest.mark.pyrus_allow_violations; to turn strict mode off for the whole run, pass "
    "--pyrus-mock-strict=off or set `pyrus_mock_strict = false` in the pytest ini file."
)
_LIBRARY_HINT = (
    "Fix the bot or the test; pyrus_mock.reset() forgets deliveries, and "
    "server.clear_errors() forgets server errors provoked on purpose."
)


# -- the strict check ---------------------------------------------------------------------------


def problems(mock: PyrusMock, servers: Iterable[ServerLike] = ()) -> list[str]:
    """What strict mode objects to, one entry per problem (empty when all is well), every
    secret the fake issued masked (a bot's reply, quoted by a violation, may hold its token).

    Args:
        mock: the fake.
        servers: more servers to look at (the fake's API server and the bot servers of
            ``serve_bot`` are always looked at).
    """
    from .transcript import secrets_of, servers_of

    found: list[str] = []
    now = mock.clock.time()
    for delivery in list(mock._dispatcher.deliveries):
        errors = delivery.error_violations
        if errors:
            found.append(
                f"{delivery.summary()}\n-> {len(errors)} error-severity "
                f"violation{'s' if len(errors) > 1 else ''}: Pyrus would refuse this reply, "
                "so nothing of it was applied"
            )
        if delivery.state == "pending_retry":
            found.append(f"{delivery.summary()}\n-> {_pending_hint(delivery, now)}")
        elif delivery.state == "in_flight":
            found.append(
                f"{delivery.summary()}\n-> still in flight when the test ended: a thread is "
                "still calling the bot; wait for it before the test returns"
            )
    app = mock._app
    for exc in getattr(app, "errors", ()):
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        found.append(
            f"the fake's API raised {type(exc).__name__}: {exc} (the client got a JSON 500 "
            f"server_error)\n{trace.rstrip()}"
        )
    for server in servers_of(mock, servers):
        for exc in server.errors:
            trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            found.append(
                f"{server.name} server raised {type(exc).__name__}: {exc} (the client got a "
                f"500)\n{trace.rstrip()}"
            )
    if not found:
        return found
    secrets = secrets_of(mock)
    return [scrub(text, secrets) for text in found]


def check(
    mock: PyrusMock, servers: Iterable[ServerLike] = (), *, under_pytest: bool = False
) -> None:
    """Raise :class:`StrictModeError` when :func:`problems` finds any.

    Args:
        mock: the fake.
        servers: more servers to look at.
        under_pytest: word the advice for the pytest plugin (marker and options).

    Raises:
        StrictModeError: the message numbers each problem and says how to resolve or allow it.
    """
    found = problems(mock, servers)
    if not found:
        return
    count = f"{len(found)} problem{'s' if len(found) > 1 else ''}"
    body = "\n\n".join(
        f"{number}. " + text.replace("\n", "\n   ") for number, text in enumerate(found, 1)
    )
    hint = _PYTEST_HINT if under_pytest else _LIBRARY_HINT
    raise StrictModeError(f"pyrus-mock strict mode found {count}:\n\n{body}\n\n{hint}")


def _pending_hint(delivery: Delivery, now: float) -> str:
    due = delivery.next_attempt_at
    if due is None:  # pragma: no cover - pending always has a due time
        return "a retry is still pending; advance the fake's clock to run it"
    delays = delivery.retry_delays  # the schedule the delivery started with
    first = delivery.first_attempt_at if delivery.first_attempt_at is not None else now
    last = first + delays[-1] if delays else due
    stamp = datetime.fromtimestamp(due, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"still pending: attempt {len(delivery.attempts) + 1} is due at {stamp}. Run the "
        f"remaining attempts with pyrus_mock.clock.advance({max(0.0, last - now):g}) and assert "
        "on the outcome, or fix the bot so that the first attempt succeeds"
    )
