"""Approvals, steps, and closing: the workflow a comment sets in motion.

Pyrus documents the approval words but not the rules, so these are the fake's (contract §10
item 18); each choice marked *setting* can be changed with a :class:`~pyrus_mock.Settings`
field, read through :attr:`Directory.settings`. :func:`project` computes the outcome on a copy
of the approvals; nothing here mutates a task.

* **Progression.** A step is *complete* when it has approvers and every one of them chose
  ``approved`` or ``acknowledged`` (acknowledging counts as approving; *setting*
  ``acknowledged_counts_as_approval=False``: only ``approved`` does). When a comment touches
  approvals (``approval_choice`` or ``approvals_*``), a complete current step moves the task to
  the next step; steps without approvers are skipped. Past the last step the task is closed
  (Pyrus finishes a form task when its last step completes). A step already complete when the
  task reaches it is passed at once. The comment gets ``changed_step``; every step passed must
  have its required fields filled (checked by the caller).
* **Rejection.** ``rejected`` closes the task at once, on its current step (the rejecting
  approval stays visible as ``rejected``). Reopening it re-requests that step. *Setting*
  ``on_rejection``: ``reset_to_first_step`` / ``reset_to_previous_step`` keep the task open
  and move it back to step 1 / the step before the (earliest) rejected one (``reset_to_step``;
  on step 1 the task stays where it is). The approvals of that step and every later one are
  re-requested, the rejecting one included (back to ``waiting``, so the task is in that
  approver's inbox again when it returns to the step); the rejection stays on the comment
  (``approval_choice``, ``approval_step``).
* **Revocation.** ``revoked`` withdraws the author's own choice on the affected steps back to
  ``waiting``. Revoking (or ``approvals_rerequested``) on a step the task already left moves it
  back to that step (``reset_to_step``) and re-requests every later step's approvals.
* **Who may choose.** Only an approver of the affected step (directly, or as a member of a role
  that is the approver) may send ``approved``, ``rejected`` or ``revoked``; anyone else gets
  ``access_denied``. ``acknowledged`` from a subscriber who is not an approver records the
  subscriber's acknowledgement instead. ``approval_steps`` defaults to the current step.
* **Finishing and reopening.** ``action: finished`` closes, ``reopened`` reopens; finishing a
  closed task or reopening an open one is a harmless no-op reported as a warning. A comment on
  a closed task reopens it (Pyrus's auto-reopen) unless it sets ``skip_auto_reopen`` or
  ``action: finished`` (*setting* ``auto_reopen=False``: only ``action: reopened`` reopens).
  Reopening a form task re-requests its current step's approvals. The comment's ``action``
  records the transition it caused (``finished`` when it closed the task, ``reopened`` when it
  reopened it), whatever caused it.
"""

from __future__ import annotations

from typing import Any

from ..domain.model import Approval, Form, Person, Task
from ..domain.settings import Settings
from .common import Report, describe
from .context import Directory
from .plan import Outcome, Plan
from .refs import person_ref

__all__ = ["APPROVALS_SHAPE", "DONE", "approval_lists", "done_choices", "last_step", "project"]

#: What ``approvals_added`` / ``_removed`` / ``_rerequested`` take.
APPROVALS_SHAPE = "a list of steps, each a list of persons, or a flat list of persons"

#: Choices that complete an approver's part in a step (by default: see :func:`done_choices`);
#: re-requesting a step turns these back into ``waiting``.
DONE = frozenset({"approved", "acknowledged"})


def done_choices(settings: Settings) -> frozenset[str]:
    """The choices that complete an approver's part in a step under ``settings``."""
    return DONE if settings.acknowledged_counts_as_approval else frozenset({"approved"})


def last_step(task: Task, form: Form | None) -> int:
    """The highest step number of a form task (0 without a form or steps)."""
    if form is None:
        return 0
    numbers = [s.number for s in form.steps]
    return max([*numbers, len(task.approvals)]) if numbers or task.approvals else 0


def approval_lists(
    report: Report,
    key: str,
    path: str,
    value: list[Any],
    task: Task,
    form: Form,
    directory: Directory,
    paths: dict[str, tuple[int, str]],
) -> dict[int, list[int]]:
    """Person ids by step number from the value of an ``approvals_*`` key.

    The nested shape has one list per step (outer index = step - 1); the flat shape is a list
    of persons for the current step. Each item's pointer is recorded in ``paths`` under
    ``"<key>:<step>:<person id>"`` for the warnings :func:`project` may give.
    """
    last = last_step(task, form)
    if isinstance(value[0], list):
        groups: list[tuple[int, str, Any]] = [
            (number, f"{path}/{number - 1}", group) for number, group in enumerate(value, 1)
        ]
    else:
        step = task.current_step or 1
        groups = [(step, path, value)]
        if not 1 <= step <= last:
            report.error(
                path,
                "invalid_step_number",
                f"the task's current step {step} is not a step of its form",
            )
            return {}
    out: dict[int, list[int]] = {}
    for number, gpath, group in groups:
        if not isinstance(group, list):
            report.error(
                gpath,
                "invalid_value_format",
                f"{key} takes {APPROVALS_SHAPE} (not both), got {describe(group)}",
            )
            continue
        if group and number > last:
            report.error(gpath, "invalid_step_number",
                         f"{key}[{number - 1}] is step {number}, but the form has {last} "
                         "step(s)")  # fmt: skip
            continue
        for index, item in enumerate(group):
            person = person_ref(
                report, f"{gpath}/{index}", item, directory, allow_fired=key == "approvals_removed"
            )
            if person is None:
                continue
            ids = out.setdefault(number, [])
            if person.id not in ids:
                ids.append(person.id)
                paths[f"{key}:{number}:{person.id}"] = (report.key_index, f"{gpath}/{index}")
    return out


def _entry(group: list[Approval], author: Person, directory: Directory) -> Approval | None:
    """The author's approval in a step: their own, or that of a role they belong to."""
    for approval in group:
        if approval.person_id == author.id:
            return approval
    for approval in group:
        person = directory.find_person(approval.person_id)
        if person is not None and person.type == "role" and author.id in person.member_ids:
            return approval
    return None


def _find(group: list[Approval], person_id: int) -> Approval | None:
    for approval in group:
        if approval.person_id == person_id:
            return approval
    return None


def project(
    report: Report,
    task: Task,
    form: Form | None,
    author: Person,
    directory: Directory,
    plan: Plan,
    paths: dict[str, tuple[int, str]],
) -> Outcome:
    """The workflow outcome of ``plan`` on ``task``.

    Args:
        report: where refusals (``access_denied``) and no-op warnings go.
        task: the task, not modified.
        form: its form, if any.
        author: the comment's author.
        directory: lookups (role members).
        plan: the validated request.
        paths: request key -> (key position, JSON pointer) for the keys that are present,
            plus ``"<op>:<step>:<person>"`` entries for items of ``approvals_*``.
    """
    out = Outcome()
    settings = directory.settings
    done = done_choices(settings)
    start_step = task.current_step
    start_closed = closed = task.is_closed
    last = last_step(task, form)
    step = start_step if start_step is not None else (1 if last else None)
    touched = bool(plan.approval_choice or plan.approvals_added or plan.approvals_removed
                   or plan.approvals_rerequested)  # fmt: skip
    steps: list[list[Approval]] = []
    if form is not None:
        steps = [[Approval(a.person_id, a.choice) for a in group] for group in task.approvals]
        while len(steps) < last:
            steps.append([])
    changed = touched

    def at(key: str) -> str:
        index, path = paths[key]
        report.key_index = index
        return path

    # 1. Reopen (explicit or automatic) or note a no-op action.
    if start_closed:
        auto = settings.auto_reopen and not plan.skip_auto_reopen
        if plan.action == "reopened" or (plan.action != "finished" and auto):
            closed = False
            if step is not None and 1 <= step <= len(steps):
                for approval in steps[step - 1]:
                    if approval.choice != "waiting":
                        approval.choice = "waiting"
                        changed = True
        elif plan.action == "finished":
            report.warn(
                at("action"),
                "task_already_closed",
                "the task is already closed; action 'finished' changes nothing",
            )
    elif plan.action == "reopened":
        report.warn(
            at("action"), "task_already_open", "the task is open; action 'reopened' changes nothing"
        )

    # 2. Approver changes, in the order removed, added, re-requested.
    back: int | None = None  # the step the task goes back to
    rerequest_from: int | None = None  # approvals of this step and later ones go to waiting
    for number, ids in plan.approvals_removed.items():
        group = steps[number - 1]
        for pid in ids:
            entry = _find(group, pid)
            if entry is None:
                report.warn(
                    at(f"approvals_removed:{number}:{pid}"),
                    "not_an_approver",
                    f"person {pid} is not an approver of step {number}; nothing removed",
                )
            else:
                group.remove(entry)
    for number, ids in plan.approvals_added.items():
        group = steps[number - 1]
        for pid in ids:
            if _find(group, pid) is None:
                group.append(Approval(pid))
    for number, ids in plan.approvals_rerequested.items():
        group = steps[number - 1]
        for pid in ids:
            entry = _find(group, pid)
            if entry is None:
                report.warn(at(f"approvals_rerequested:{number}:{pid}"), "not_an_approver",
                            f"person {pid} is not an approver of step {number}; add them with "
                            "approvals_added")  # fmt: skip
                continue
            entry.choice = "waiting"
            if step is not None and number < step:
                back = number if back is None else min(back, number)

    # 3. The author's own choice.
    choice = plan.approval_choice
    rejected: list[int] = []
    if choice is not None and step is not None:
        targets = plan.approval_steps or [step]
        out.approval_step = targets[0]
        for number in targets:
            entry = _entry(steps[number - 1], author, directory) if number <= len(steps) else None
            if entry is None:
                if choice == "acknowledged" and any(
                    s.person_id == author.id for s in task.subscribers
                ):
                    out.subscriber_choice = "acknowledged"
                    continue
                approvers = [a.person_id for a in steps[number - 1]] if number <= len(steps) else []
                report.error(
                    at("approval_choice"), "access_denied",
                    f"{author.name or author.email} (id {author.id}) is not an approver of "
                    f"step {number} (approvers: {approvers or 'none'}); only approvers can send "
                    f"{choice!r}, add them first with approvals_added",
                )  # fmt: skip
                continue
            if choice == "revoked":
                if entry.choice == "waiting":
                    report.warn(at("approval_choice"), "nothing_to_revoke",
                                f"{author.name or author.id} has made no choice on step "
                                f"{number}; 'revoked' changes nothing")  # fmt: skip
                entry.choice = "waiting"
                if number < step:
                    back = number if back is None else min(back, number)
            else:
                entry.choice = choice
                if choice == "rejected":
                    rejected.append(number)
        if choice == "rejected" and not closed:
            if settings.on_rejection == "close":
                closed = True
            elif rejected:
                first = min(rejected)
                target = 1 if settings.on_rejection == "reset_to_first_step" else max(1, first - 1)
                rerequest_from = target
                if target < step:
                    back = target if back is None else min(back, target)

    # 4. Moving back.
    if back is not None:
        rerequest_from = back + 1 if rerequest_from is None else min(rerequest_from, back + 1)
    if back is not None and step is not None and not closed:
        step = back
        out.reset_to_step = back
    if rerequest_from is not None and step is not None and not closed:
        # After a reset-mode rejection the rejecting approver must be asked again, or the
        # step would be in nobody's inbox when the task comes back to it.
        again = DONE | {"rejected"} if rejected else DONE
        for group in steps[rerequest_from - 1 :]:
            for approval in group:
                if approval.choice in again:
                    approval.choice = "waiting"

    # 5. Moving forward.
    if touched and not closed and step is not None and last:
        while True:
            group = steps[step - 1] if step <= len(steps) else []
            if group and not all(a.choice in done for a in group):
                break
            out.passed.append(step)
            if step >= last:
                closed = True
                break
            step += 1

    # 6. Finishing.
    if plan.action == "finished" and not start_closed:
        closed = True

    out.step = step
    out.closed = closed
    if closed and not start_closed:
        out.action = "finished"
    elif start_closed and not closed:
        out.action = "reopened"
    if step is not None and step != start_step:
        out.entered.append(step)
        if out.reset_to_step != step:
            out.changed_step = step
    if changed and form is not None:
        out.approvals = steps
    return out
