"""The Locust user of ``pyrus-mock load``: signed deliveries, Pyrus's retries, checked replies.

Loaded by Locust (``locust -f pyrus_mock/cli/load/locustfile.py``), never imported by the caller's
process: Locust patches the standard library with gevent. ``pyrus-mock load`` starts it; to use
it in a Locust setup of your own, give the same environment and options::

    PYRUS_SECURITY_KEY=KEY PYRUS_LOAD_CA=ca.pem locust -f .../pyrus_mock/cli/load/locustfile.py \\
        --headless -u 10 -t 30s --host https://bot.example/ --pyrus-rate-per-user 2

Each Locust process keeps its own :class:`~pyrus_mock.PyrusMock` (never served, never calling
anyone) holding the bot, a form whose first step the bot approves, and a pool of tasks; it
builds every call with the fake's own code (payload, token, compact bytes, signature), so the
bot sees exactly what the fake's deliveries look like. Secrets and local paths come from the
environment of each process (``PYRUS_SECURITY_KEY``, ``PYRUS_LOAD_CA``), never from the master,
so a worker on another machine uses its own CA file and the key never crosses the network.

Requests are named ``delivery`` (first attempts) and ``retry n/3``; a failure is one of
``no answer: <kind>``, ``HTTP <status>`` or ``invalid reply: <what>``.
"""

from __future__ import annotations

import heapq
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from locust import HttpUser, events, task
from locust.user.wait_time import constant_throughput

if TYPE_CHECKING:
    from locust.env import Environment

    from pyrus_mock.domain.model import Task

KEY_ENV = "PYRUS_SECURITY_KEY"
CA_ENV = "PYRUS_LOAD_CA"


def _options(parser: Any) -> None:
    group = parser.add_argument_group("pyrus-mock")
    group.add_argument(
        "--pyrus-rate-per-user", type=float, default=0.0,
        help="deliveries per second per user (0: as fast as replies come)",
    )  # fmt: skip
    group.add_argument(
        "--pyrus-timeout", type=float, default=60.0, help="seconds a call may take (Pyrus: 60)"
    )
    group.add_argument(
        "--pyrus-retry-delays", default="61,122",
        help="seconds after the first attempt each retry is due (Pyrus: 61,122)",
    )  # fmt: skip
    group.add_argument("--pyrus-tasks", type=int, default=50, help="tasks in the pool")
    group.add_argument("--pyrus-seed", type=int, default=0, help="seed of the task pool")
    group.add_argument("--pyrus-report", default="", help="write the JSON report here")


@dataclass
class _World:
    """One process's fake: the bot, its form, the task pool."""

    mock: Any
    bot: Any
    tasks: list[Task]
    key: str
    delays: tuple[float, ...]
    timeout: float
    verify: str | bool


_WORLD: list[_World] = []


def _world(environment: Environment) -> _World:
    if _WORLD:
        return _WORLD[0]
    from pyrus_mock.mock.fake import PyrusMock

    options = environment.parsed_options
    key = os.environ.get(KEY_ENV, "")
    if not key:
        raise RuntimeError(f"set {KEY_ENV} to the bot's security key in every Locust process")
    ca = os.environ.get(CA_ENV, "")
    host = environment.host or "https://bot.invalid/"
    mock = PyrusMock(trust="system", auto_deliver=False)
    bot = mock.add_bot("Bot under load", host, security_key=key)
    boss = mock.add_user("Ann", "Boss")
    form = mock.add_form(
        "Expense (load test)",
        fields=[
            {"name": "Amount", "type": "money", "code": "u_amount"},
            {"name": "Bot note", "type": "text", "code": "u_bot_note"},
            {"name": "Purpose", "type": "text", "code": "u_purpose"},
        ],
        steps=[{"name": "Check", "approvers": [bot]}, {"name": "Pay", "approvers": [boss]}],
    )
    rng = random.Random(options.pyrus_seed if options else 0)
    count = max(1, options.pyrus_tasks if options else 50)
    pool = [
        mock.add_task(
            form=form,
            text=rng.choice(["Taxi", "Hotel", "Conference", "Такси до аэропорта", "Lunch"]),
            fields={
                "u_amount": rng.choice([12, 99.5, 640, 1000, 1250, 18000]),
                "u_purpose": rng.choice(["client visit", "training", "—"]),
            },
        )
        for _ in range(count)
    ]
    delays_text = options.pyrus_retry_delays if options else "61,122"
    delays = tuple(float(d) for d in delays_text.split(",") if d.strip())
    timeout = options.pyrus_timeout if options else 60.0
    _WORLD.append(_World(mock, bot, pool, key, delays, timeout, ca or True))
    return _WORLD[0]


@dataclass(order=True)
class _Retry:
    due: float
    attempt: int
    body: bytes = field(compare=False)
    signature: str = field(compare=False)
    task: Any = field(compare=False)


class PyrusDeliveryUser(HttpUser):
    """Sends signed calls about tasks of the pool, retries failed ones as Pyrus does."""

    def wait_time(self) -> float:
        """``--pyrus-rate-per-user`` calls a second (Locust's constant throughput), or none."""
        options = self.environment.parsed_options
        rate = options.pyrus_rate_per_user if options else 0.0
        if rate <= 0:
            return 0.0
        waited: float = constant_throughput(rate)(self)
        return waited

    def on_start(self) -> None:
        """Take the process's fake; trust ``PYRUS_LOAD_CA``, else the CA bundle of requests."""
        self.world = _world(self.environment)
        self.client.verify = self.world.verify
        self.client.trust_env = False  # proxies and REQUESTS_CA_BUNDLE do not apply
        self.retries: list[_Retry] = []

    @task
    def call_the_bot(self) -> None:
        """One call: a due retry first, else a new delivery of a task from the pool."""
        world = self.world
        now = time.monotonic()
        if self.retries and self.retries[0].due <= now:
            retry = heapq.heappop(self.retries)
            self._send(retry.task, retry.body, retry.signature, retry.attempt, retry.due)
            return
        from pyrus_mock.delivery.dispatch import sign

        chosen = random.choice(world.tasks)
        mock = world.mock
        with mock._backend.lock:
            account = mock._backend.accounts.bot(world.bot.id)
            body, _token = mock._dispatcher.build_body(chosen, account)
        signature = sign(world.key, body, mock.settings.signature_case)
        self._send(chosen, body, signature, 1, now)

    def _send(self, task: Task, body: bytes, signature: str, attempt: int, first: float) -> None:
        world = self.world
        settings = world.mock.settings
        total = len(world.delays) + 1
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": settings.user_agent,
            "X-Pyrus-Sig": signature,
            "X-Pyrus-Retry": f"{attempt}/{total}",
        }
        name = "delivery" if attempt == 1 else f"retry {attempt}/{total}"
        with self.client.post(
            self.environment.host or "",
            data=body,
            headers=headers,
            name=name,
            timeout=world.timeout,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            problem = _problem(response, task, world)
            if problem:
                response.failure(problem)
                if attempt < total:
                    due = first + world.delays[attempt - 1]  # after the first attempt, as Pyrus
                    heapq.heappush(self.retries, _Retry(due, attempt + 1, body, signature, task))
            else:
                response.success()


def _problem(response: Any, task: Task, world: _World) -> str:
    """What was wrong with the bot's answer, as a short kind; ``""`` when it was fine."""
    error = getattr(response, "error", None)
    if not response.status_code:
        text = f"{type(error).__name__}: {error}".lower()
        if "timeout" in text or "timed out" in text:
            return "no answer: timeout"
        if "ssl" in text or "certificate" in text:
            return "no answer: TLS error"
        return "no answer: connection error"
    if not 200 <= response.status_code < 300:
        return f"HTTP {response.status_code}"
    from pyrus_mock.mock.fuzz import judge

    # Judged as the fake's deliveries judge replies: an empty, non-JSON or non-object reply is
    # ignored by Pyrus (not an error); a CreateComment with errors is an invalid reply.
    verdict = judge(world.mock, world.bot.id, task, response.content or b"")
    if verdict.errors:
        return "invalid reply: " + ", ".join(sorted({v.error_code for v in verdict.errors}))
    return ""


_WORKERS: list[int] = []


def _count_workers(user_count: int, **_: Any) -> None:
    """Remember how many workers took part (the master's count, once all users run)."""
    from locust.runners import MasterRunner

    runner = _ENVIRONMENT[0].runner if _ENVIRONMENT else None
    if isinstance(runner, MasterRunner):
        _WORKERS.append(runner.worker_count)


_ENVIRONMENT: list[Environment] = []


def _remember(environment: Environment, runner: Any = None, **_: Any) -> None:
    """Keep the environment; build the fake in processes that run users, before the test
    starts, so that building it never counts in the figures."""
    from locust.runners import MasterRunner

    _ENVIRONMENT.append(environment)
    if not isinstance(runner, MasterRunner):
        _world(environment)


def _write_report(environment: Environment, **_: Any) -> None:
    """On the master (or the only process): the figures, as JSON, where ``--pyrus-report`` says."""
    from locust.runners import WorkerRunner

    options = environment.parsed_options
    path = options.pyrus_report if options else ""
    if not path or isinstance(environment.runner, WorkerRunner):
        return
    from pyrus_mock.cli.load.report import from_locust_stats

    data = from_locust_stats(environment.stats, workers=max(_WORKERS, default=0))
    runner = environment.runner
    crashes = getattr(runner, "exceptions", {}) or {}
    data["exceptions"] = [
        {"message": str(row["msg"])[:300], "count": int(row["count"]),
         "traceback": str(row["traceback"])[-2000:]}
        for row in crashes.values()
    ]  # fmt: skip
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)


def _on(hook: Any, handler: Callable[..., Any]) -> None:
    hook.add_listener(handler)


_on(events.init_command_line_parser, _options)
_on(events.init, _remember)
_on(events.spawning_complete, _count_workers)
_on(events.quitting, _write_report)
