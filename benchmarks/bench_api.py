"""API: ``GET /tasks/{id}`` in-process (``intercept()``) and over the HTTPS server.

The task is a form task with four fields, an approval step and two comments, read by a bot.

1. In-process: the official client (``pyrus.client.PyrusAPI``, PyPI ``pyrus-api``) calling
   ``get_task(id)`` under ``mock.intercept()``: requests, responses, our WSGI app (routing,
   token check, rate limit, access check, serialisation, the API log), the client's parsing.
   Baseline: the same client call answered by a bare ``responses`` callback returning the same
   JSON bytes as a constant: everything but our app. Target: median <= 1 ms.
2. Over HTTPS: a ``requests.Session`` (keep-alive; ``verify=ca_path`` on each call, since
   ``REQUESTS_CA_BUNDLE`` overrides ``Session.verify``) getting ``{api_url}tasks/{id}`` with the
   bot's Bearer token from the fake's ``TLSServer``. Baseline: the same session against the same
   ``TLSServer`` serving a WSGI app that returns the same bytes as a constant: the transport
   (TLS, HTTP, requests) without our app. Target: median <= 1.5 ms. For context, the same
   constant app under werkzeug's ``make_server``: it closes every connection, so each request
   pays a TCP connect and a TLS handshake.

Both limits are judged at this run's machine speed (``_common.SpeedAdjusted``), against the
baselines' medians on the reference machine at its usual speed: 0.40 ms and 0.93 ms.

Run: ``python benchmarks/bench_api.py`` (``--short`` for CI).
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from _common import (
    Bench,
    Row,
    SpeedAdjusted,
    median,
    time_alternating,
    time_each,
    werkzeug_https,
)

from pyrus_mock import PyrusMock

# The official client serialises with jsonpickle, which warns about a future default.
warnings.filterwarnings("ignore", category=DeprecationWarning)

#: Issue 7's limits, with the baselines' medians on the reference machine (benchmarks/README.md).
IN_PROCESS = SpeedAdjusted(1.0, reference_baseline=0.40)
OVER_HTTPS = SpeedAdjusted(1.5, reference_baseline=0.93)


def make_world() -> tuple[PyrusMock, Any, Any]:
    mock = PyrusMock(auto_deliver=False)
    author = mock.add_user("Ann", "Author")
    bot = mock.add_bot("Helper", "https://bot.invalid/hook")
    form = mock.add_form(
        "Expense",
        [
            {"name": "Amount", "type": "money", "code": "u_amount"},
            {"name": "Note", "type": "text", "code": "u_note"},
            {"name": "Due", "type": "date", "code": "u_due"},
            {"name": "Paid", "type": "checkmark", "code": "u_paid"},
        ],
        steps=[{"name": "Review", "approvers": [bot]}],
    )
    task = mock.add_task(
        form=form,
        fields={"u_amount": 120.5, "u_note": "taxi", "u_due": "2026-02-01", "u_paid": "unchecked"},
        author=author,
        text="Please review",
    )
    mock._backend.comment(task, {"text": "receipt attached"}, mock._backend.person(author.id))
    return mock, bot, task


def constant_app(body: bytes) -> Callable[..., list[bytes]]:
    headers = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("Content-Length", str(len(body))),
    ]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", headers)
        return [body]

    return app


def in_process(bench: Bench, n: int, warmup: int) -> None:
    import requests
    import responses
    from pyrus.client import PyrusAPI  # type: ignore[import-untyped]

    mock, bot, task = make_world()
    ours_api = PyrusAPI(login=bot.login, security_key=bot.security_key)
    with mock.intercept():
        reply = ours_api.get_task(task.id)
        assert reply.task is not None, reply.error
        assert reply.task.id == task.id
        body = requests.get(
            f"https://api.pyrus.com/v4/tasks/{task.id}",
            headers={"Authorization": f"Bearer {ours_api.access_token}"},
            timeout=10,
        ).content

    auth = {
        "access_token": "constant-token",
        "api_url": "https://api.pyrus.com/v4/",
        "files_url": "https://files.pyrus.com/",
    }
    bare = responses.RequestsMock(assert_all_requests_are_fired=False)
    bare.add(responses.POST, re.compile(r"https://accounts\.pyrus\.com/.*"), json=auth)
    bare.add_callback(
        responses.GET,
        re.compile(r"https://api\.pyrus\.com/v4/tasks/\d+"),
        callback=lambda request: (200, {"Content-Type": "application/json"}, body),
    )
    base_api = PyrusAPI(login=bot.login, security_key=bot.security_key)

    @contextmanager
    def bare_active() -> Iterator[None]:
        bare.start()  # not `with bare`: leaving it also forgets the registrations
        try:
            yield
        finally:
            bare.stop(allow_assert=False)

    with bare_active():
        reply = base_api.get_task(task.id)
        assert reply.task is not None, reply.error
        assert reply.task.id == task.id
    times = time_alternating(
        {
            "ours": (lambda: ours_api.get_task(task.id), mock.intercept),
            "base": (lambda: base_api.get_task(task.id), bare_active),
        },
        n,
        warmup=warmup,
    )
    mock.close()
    ours, base = times["ours"], times["base"]
    mine, theirs = median(ours) * 1000, median(base) * 1000
    bench.add(
        IN_PROCESS.judge(
            "get_task() in-process (official client)",
            mine,
            theirs,
            "ms",
            note=f"task JSON {len(body)} bytes; baseline: a bare responses callback, same bytes; "
            f"our app's share: {mine - theirs:.3f} ms",
        )
    )


def over_https(bench: Bench, n: int, warmup: int) -> None:
    import requests

    from pyrus_mock.transport.server import TLSServer

    mock, bot, task = make_world()
    with mock:
        ca_path = mock.ca_path
        session = requests.Session()
        login = session.post(
            mock.auth_url,
            json={"login": bot.login, "security_key": bot.security_key},
            verify=ca_path,
            timeout=10,
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        url = f"{mock.api_url}tasks/{task.id}"

        def get(target: str) -> Callable[[], Any]:
            def one() -> Any:
                reply = session.get(target, headers=headers, verify=ca_path, timeout=10)
                reply.raise_for_status()
                return reply.json()

            return one

        assert get(url)()["task"]["id"] == task.id
        body = session.get(url, headers=headers, verify=ca_path, timeout=10).content
        with TLSServer(constant_app(body), mock.ca.server_context()) as server:
            times = time_alternating(
                {"ours": (get(url), nullcontext), "base": (get(server.url + "/"), nullcontext)},
                n,
                warmup=warmup,
            )
        ours, base = times["ours"], times["base"]
        connections = mock.server.accepted_connections
        with werkzeug_https(constant_app(body), mock.ca.server_context()) as werkzeug_url:
            plain = time_each(get(werkzeug_url), max(1, n // 5), warmup=min(warmup, 10))
        session.close()
    mine, theirs = median(ours) * 1000, median(base) * 1000
    bench.add(
        OVER_HTTPS.judge(
            "GET /tasks/{id} over HTTPS (keep-alive)",
            mine,
            theirs,
            "ms",
            note=f"{n + warmup + 2} requests on {connections} connection; baseline: the same "
            f"bytes from a constant app on the same TLSServer; our app's share: "
            f"{mine - theirs:.3f} ms",
        )
    )
    bench.add(
        Row(
            "constant JSON from werkzeug make_server",
            median(plain) * 1000,
            None,
            "ms",
            "(context)",
            True,
            note="werkzeug closes every connection: a TCP connect and TLS handshake per request",
        )
    )


def main() -> int:
    bench = Bench("API", __doc__)
    n, warmup = bench.count(2000, short=5), bench.count(200, short=1)
    bench.progress(f"in-process: {n} get_task() calls, ours and baseline")
    in_process(bench, n, warmup)
    bench.progress(f"over HTTPS: {n} GETs, ours and baseline")
    over_https(bench, n, warmup)
    return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
