"""Property-based fuzzing of a bot: generated tasks, signed calls, shrunk failures.

:func:`fuzz_bot` (also ``check_bot(bot, fuzz=N)`` and ``pyrus-mock check --fuzz N``) sends the
bot ``N`` calls about generated tasks (:mod:`pyrus_mock.strategies`): tasks of the bot's form
when it has one (a form with the bot among a step's approvers, or ``form=``), otherwise tasks
of generated forms whose first step the bot approves. Each call is built and signed exactly as
the fake's deliveries are, and, as in the conformance checks, nothing is recorded or applied.

A task fails when the bot answers non-2xx (``non_2xx``), does not answer in time or at all
(``no_answer``), or replies with a CreateComment the fake would refuse for the task
(``invalid_reply``; replies are judged as deliveries judge them, :mod:`pyrus_mock.engine.reply`:
an empty, non-JSON or non-object reply is ignored by Pyrus, so it is not a failure).
Hypothesis shrinks each kind of failure to a minimal task, and the report prints it as a test
that reproduces it (:meth:`FuzzFailure.to_test`). Needs Hypothesis (``pip install
'pyrus-mock[fuzz]'``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ..domain.model import Form, Task
    from ..domain.violations import Violation
    from ..engine.reply import ReplyVerdict
    from .bots import Bot
    from .conformance_report import ConformanceReport
    from .fake import PyrusMock
    from .strategies import FormSpec, TaskSpec

__all__ = ["FAILURE_KINDS", "FuzzFailure", "FuzzReport", "fuzz_bot"]

FAILURE_KINDS = ("non_2xx", "no_answer", "invalid_reply")
"""What makes a generated task fail: see the module docstring."""

_FUZZ_USER = "fuzz.user@example.com"


@dataclass(frozen=True)
class FuzzFailure:
    """A minimal (shrunk) task the bot failed on.

    Attributes:
        kind: one of :data:`FAILURE_KINDS`.
        reason: what the bot did, e.g. ``HTTP 500`` or the reply's first violations.
        task: the shrunk task (text and field values).
        form: the generated form it belongs to; None for the bot's own form.
        form_name: the form's name (and id), for the bot's own form.
        users: e-mails of users the task's person fields name.
        bot_approves: the task was created with ``approvals=[[bot]]`` (the form's step 1 is
            not the bot's by default).
        own_form: the bot's own form as data (field ids and codes kept), to print it; None
            for a generated form.
        people: ``(first name, last name, e-mail)`` of the ``users``, to print them.
    """

    kind: str
    reason: str
    task: TaskSpec
    form: FormSpec | None = None
    form_name: str = ""
    users: tuple[str, ...] = ()
    bot_approves: bool = False
    own_form: FormSpec | None = None
    people: tuple[tuple[str, str, str], ...] = ()

    def to_test(self) -> str:
        """A complete pytest test that recreates the task and asserts the bot handles it.

        It fails as the bot failed, once ``make_app()`` and ``give_key(app, key)`` in it are
        replaced by how the user's tests create the bot and give it its security key
        (:mod:`pyrus_mock.mock.fuzz_source`).
        """
        from .fuzz_source import render_test
        from .strategies import FormSpec

        form = self.form or self.own_form
        note = ""
        if self.form is None:
            note = f"the bot's form {self.form_name} when fuzzed (field ids and codes kept)"
        if form is None:  # a failure built by hand, without the form's data
            form = FormSpec(self.form_name or "Form", (), ("Step 1",))
        people = self.people or tuple(("Fuzz", "User", email) for email in self.users)
        headline = f"{self.kind}: " + self.reason.split(" (")[0][:80]
        return render_test(f"test_bot_handles_fuzzed_task_{self.kind}", headline, form, note,
                           people, self.task, self.bot_approves)  # fmt: skip


@dataclass(repr=False)
class FuzzReport:
    """The outcome of :func:`fuzz_bot`.

    Attributes:
        bot_id: the bot's id in the fake.
        bot_url: the URL that was called.
        examples: how many tasks were sent (generating, shrinking, and dropping the fields a
            failure does not need).
        failing_examples: how many of them failed, per kind.
        failures: one shrunk task per kind of failure found.
        elapsed: wall seconds the run took.
    """

    bot_id: int
    bot_url: str
    examples: int = 0
    failing_examples: Counter[str] = field(default_factory=Counter)
    failures: list[FuzzFailure] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def passed(self) -> bool:
        """No generated task made the bot fail."""
        return not self.failures

    def summary(self) -> str:
        """One line: the bot, PASSED or FAILED, the counts."""
        verdict = "PASSED" if self.passed else "FAILED"
        failed = sum(self.failing_examples.values())
        kinds = ", ".join(f.kind for f in self.failures)
        found = f", shrunk failures: {kinds}" if kinds else ""
        return (f"pyrus-mock fuzzing of bot {self.bot_id} at {self.bot_url}: {verdict} "
                f"({self.examples} tasks sent, {failed} failed{found})")  # fmt: skip

    def __str__(self) -> str:
        parts = [self.summary()]
        for failure in self.failures:
            parts.append(f"\n{failure.kind}: {failure.reason}\nshrunk task: "
                         f"text={failure.task.text!r} fields={failure.task.fields!r}\n"
                         f"reproduce with:\n\n{failure.to_test()}\n")  # fmt: skip
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"<FuzzReport bot {self.bot_id}: {'PASSED' if self.passed else 'FAILED'}>"

    def assert_passed(self) -> FuzzReport:
        """Return this report when no task failed; else raise ``AssertionError(str(report))``."""
        if not self.passed:
            raise AssertionError(str(self))
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form of the report."""
        return {
            "bot_id": self.bot_id, "bot_url": self.bot_url, "passed": self.passed,
            "examples": self.examples, "failing_examples": dict(self.failing_examples),
            "failures": [{"kind": f.kind, "reason": f.reason, "text": f.task.text,
                          "fields": f.task.fields, "test": f.to_test()} for f in self.failures],
        }  # fmt: skip


class _Failed(Exception):
    """A task the bot failed on (one subclass per kind: Hypothesis shrinks each separately)."""

    kind = ""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Non2xx(_Failed):
    kind = "non_2xx"


class _NoAnswer(_Failed):
    kind = "no_answer"


class _InvalidReply(_Failed):
    kind = "invalid_reply"


def fuzz_bot(
    mock: PyrusMock,
    bot: Bot,
    examples: int,
    *,
    form: Form | Literal["generated"] | None = None,
    latency_budget: float = 10.0,
    seed: int | None = None,
    progress: Callable[[str], object] | None = None,
) -> FuzzReport:
    """Send ``bot`` ``examples`` generated tasks; report the shrunk tasks it failed on.

    Args:
        mock: the fake the bot belongs to.
        bot: the bot (``mock.add_bot(...)``), enabled, with a URL.
        examples: how many generated tasks to send (at least 1; Hypothesis's ``max_examples``:
            once a task fails it may stop generating early to shrink it).
        form: the form the tasks are of; by default the first form with the bot among a step's
            approvers, or else generated forms (every field type but form_link; the fuzzer adds
            a user ``fuzz.user@example.com`` for person fields); ``"generated"`` for generated
            forms in any case. The bot approves step 1 of every task.
        latency_budget: seconds a call may take before it counts as ``no_answer``.
        seed: a seed for a reproducible run (default: random).
        progress: called with a line of text now and then.

    Returns:
        The report; ``report.passed`` is False when any task failed.

    Raises:
        InvalidArgument: ``examples`` is not a positive int, or ``bot`` is not an enabled bot
            of ``mock`` with a URL.
    """
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st
    from hypothesis.control import current_build_context

    from ..domain.errors import InvalidArgument
    from . import strategies as ps
    from .conformance import _no_auto_delivery, undeliverable_reason
    from .fuzz_source import form_spec_of, people_of

    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise InvalidArgument("fuzz", repr(examples), "a number of tasks to send, at least 1")
    reason = undeliverable_reason(mock, bot)
    if reason:
        raise InvalidArgument("bot", f"{bot!r} cannot be fuzzed: {reason}",
                              "an enabled bot with a URL")  # fmt: skip
    started = time.perf_counter()
    report = FuzzReport(bot.id, bot.url)
    if form is None:
        form = bots_form(mock, bot)
    elif form == "generated":
        form = None
    sender = _Sender(mock, bot, latency_budget)
    say = progress or (lambda line: None)
    if form is not None:
        say(f"fuzz: {examples} tasks of form {form.name!r} (id {form.id})")
        strategy: Any = st.tuples(st.none(), st.just(form), ps.task_specs(mock, form))
    else:
        _fuzz_user(mock)
        types = [t for t in ps.LEAF_FIELD_TYPES if t != "form_link"]
        types += ["multiple_choice", "table", "title", "note", "step", "status", "author"]
        say(f"fuzz: {examples} tasks of generated forms (the bot has no form)")

        def with_form(spec: FormSpec) -> Any:
            made = spec.create(mock, [bot])
            return st.tuples(st.just(spec), st.just(made), ps.task_specs(mock, made))

        strategy = ps.form_specs(types=types).flatmap(with_form)

    def one(case: tuple[FormSpec | None, Form, TaskSpec]) -> None:
        form_spec, target, task_spec = case
        report.examples += 1
        try:
            with _no_auto_delivery(mock):
                task = task_spec.create(mock, target, **_approver(target, bot))
            sender.call(task)
        except _Failed as failure:
            report.failing_examples[failure.kind] += 1
            if current_build_context().is_final:
                name = "" if form is None else f"{form.name!r} (id {form.id})"
                task_spec, failure, sent = _trim(mock, sender, target, task_spec, failure)
                report.examples += sent
                users = tuple(sorted(_emails(task_spec.fields)))
                own = None if form_spec is not None else form_spec_of(mock, target)
                report.failures.append(FuzzFailure(
                    failure.kind, failure.reason, task_spec, form_spec, name, users,
                    bool(_approver(target, bot)), own, people_of(mock, users),
                ))  # fmt: skip
                say(f"fuzz: {failure.kind}: {failure.reason}")
            raise

    run: Callable[[], None] = settings(
        max_examples=examples, database=None, deadline=None, derandomize=False,
        report_multiple_bugs=True, phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
    )(given(strategy)(one))  # type: ignore[no-untyped-call]  # fmt: skip
    if seed is not None:
        run = hypothesis_seed(seed)(run)
    try:
        run()
    except Exception as exc:
        if not _only_failures(exc):
            raise
    report.failures.sort(key=lambda f: FAILURE_KINDS.index(f.kind))
    report.elapsed = time.perf_counter() - started
    say(report.summary())
    return report


def _approver(form: Form, bot: Bot) -> dict[str, Any]:
    """``approvals=[[bot]]`` when the bot does not approve step 1 of ``form`` by default (a
    form given by the test, or loaded from real Pyrus): Pyrus calls a bot whose step it is."""
    first = next((step for step in form.steps if step.number == 1), None)
    if first is not None and bot.id in first.approver_ids:
        return {}
    return {"approvals": [[bot]]}


def _trim(mock: PyrusMock, sender: _Sender, form: Form, spec: TaskSpec,
          failure: _Failed) -> tuple[TaskSpec, _Failed, int]:  # fmt: skip
    """Finish Hypothesis's shrinking: drop each field (and the text) that the failure does not
    need. Hypothesis sometimes keeps an optional key at its simplest value; one more call per
    field makes the reported task minimal by fields."""
    from .conformance import _no_auto_delivery
    from .strategies import TaskSpec

    current, kept, sent = spec, failure, 0
    tries: list[Callable[[TaskSpec], TaskSpec]] = []
    if spec.text:
        tries.append(lambda s: TaskSpec("", s.fields))
    for key in list(spec.fields):
        tries.append(partial(_without, key))
    for change in tries:
        smaller = change(current)
        if smaller == current:
            continue
        sent += 1
        try:
            with _no_auto_delivery(mock):
                task = smaller.create(mock, form, **_approver(form, sender.bot))
            sender.call(task)
        except _Failed as again:
            if again.kind == failure.kind:
                current, kept = smaller, again
    return current, kept, sent


def _without(key: str | int, spec: TaskSpec) -> TaskSpec:
    from .strategies import TaskSpec

    return TaskSpec(spec.text, {k: v for k, v in spec.fields.items() if k != key})


def _only_failures(exc: BaseException) -> bool:
    """Whether ``exc`` is a bot failure, or a group of nothing else."""
    if isinstance(exc, _Failed):
        return True
    inner = getattr(exc, "exceptions", None)
    return isinstance(inner, (list, tuple)) and all(_only_failures(e) for e in inner)


def fuzz_target(mock: PyrusMock, bot: Bot, task: Task | None) -> Form | None:
    """The form ``check_bot(fuzz=N)`` fuzzes: that of the checks' ``task`` (given, or made from
    a saved form), else the bot's form (:func:`bots_form`); None for generated forms."""
    found = mock._backend.find_form(task.form_id) if task and task.form_id else None
    return found or bots_form(mock, bot)


def add_fuzz(report: ConformanceReport, mock: PyrusMock, bot: Bot, examples: int,
             form: Form | None, seed: int | None, budget: float,
             progress: Callable[[str], object] | None) -> None:  # fmt: skip
    """Fuzz ``bot`` and add the outcome to a conformance ``report``: a ``fuzz`` check, and
    ``report.fuzz`` with the shrunk failures (printed after the table)."""
    from .conformance_report import CheckResult

    fuzzed = fuzz_bot(mock, bot, examples, form=form or "generated", latency_budget=budget,
                      seed=seed, progress=progress)  # fmt: skip
    report.fuzz = fuzzed
    kinds = ", ".join(f"{f.kind} ({f.reason.splitlines()[0][:60]})" for f in fuzzed.failures)
    reason = (f"{fuzzed.examples} generated tasks, " + (f"shrunk failures: {kinds}; the shrunk "
              "tasks and tests follow the table" if kinds else "all answered 2xx with valid "
              "replies"))  # fmt: skip
    report.checks.append(
        CheckResult("fuzz", "fail" if fuzzed.failures else "pass", reason, fuzzed.elapsed)
    )


def bots_form(mock: PyrusMock, bot: Bot) -> Form | None:
    """The first form with ``bot`` among the approvers of a step, or None."""
    backend = mock._backend
    with backend.lock:
        for form in backend.forms():
            if any(bot.id in step.approver_ids for step in form.steps):
                return form
    return None


def _fuzz_user(mock: PyrusMock) -> None:
    backend = mock._backend
    with backend.lock:
        if backend.find_person_by_email(_FUZZ_USER) is None:
            mock.add_user("Fuzz", "User", email=_FUZZ_USER)


def _emails(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["email"]} if isinstance(value.get("email"), str) and len(value) == 1 \
            else set()  # fmt: skip
        for item in value.values():
            found |= _emails(item)
        return found
    if isinstance(value, list):
        return set().union(*(_emails(item) for item in value)) if value else set()
    return set()


class _Sender:
    """Builds, signs and sends one call as a delivery would; raises :class:`_Failed`."""

    def __init__(self, mock: PyrusMock, bot: Bot, budget: float) -> None:
        self.mock = mock
        self.bot = bot
        self.budget = budget

    def call(self, task: Task) -> None:
        from ..delivery.dispatch import sign

        mock, backend = self.mock, self.mock._backend
        settings = backend.settings
        body, _token = mock._dispatcher.build_body(task, backend.accounts.bot(self.bot.id))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": settings.user_agent,
            "X-Pyrus-Retry": f"1/{settings.max_attempts}",
            "X-Pyrus-Sig": sign(self.bot.security_key, body, settings.signature_case),
        }
        result = mock._dispatcher.send(self.bot.url, body, headers, timeout=self.budget)
        if result.status is None:
            raise _NoAnswer(f"{result.error_kind}: {result.error}")
        if not result.ok:
            raise _Non2xx(f"HTTP {result.status}" + (f" ({result.error})" if result.error else ""))
        problem = self._reply_problem(task, result.body.strip())
        if problem:
            raise _InvalidReply(problem)

    def _reply_problem(self, task: Task, raw: bytes) -> str:
        """The reply's errors, judged as a delivery judges it (:mod:`pyrus_mock.engine.reply`:
        an empty, non-JSON or non-object reply is ignored by Pyrus, not an error)."""
        verdict = judge(self.mock, self.bot.id, task, raw)
        errors = verdict.errors
        listed = "; ".join(f"{v.path or '/'}: {v.error_code}: {v.message}" for v in errors[:3])
        return f"the reply is not a valid CreateComment for the task: {listed}" if errors else ""


def judge(mock: PyrusMock, bot_id: int, task: Task, raw: bytes) -> ReplyVerdict:
    """Judge the bot's reply ``raw`` about ``task`` as the fake's deliveries do (no applying)."""
    from ..engine.reply import judge_reply
    from ..engine.validation import validate

    backend = mock._backend
    with backend.lock:
        person = backend.person(bot_id)

    def check(request: dict[str, Any]) -> list[Violation]:
        with backend.lock:
            return validate(request, task, person, backend)

    return judge_reply(raw, check)
