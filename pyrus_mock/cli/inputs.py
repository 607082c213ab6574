"""What ``pyrus-mock serve`` and ``check`` read from the command line beyond plain values.

``serve --trust``: the CAs deliveries verify bots' certificates against (:func:`bot_trust`).
``check --bot-settings/--form/--task``: the bot's settings and the saved form and task the
checks' calls are about (:func:`saved_inputs`, read before anything starts, and
:func:`saved_task`, loaded into the fake). Every problem is one line, naming the option.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..domain.model import Task
    from ..mock.bots import Bot
    from ..mock.fake import PyrusMock

__all__ = ["TrustError", "bot_trust", "saved_inputs", "saved_task", "trust_line"]


class TrustError(Exception):
    """A ``--trust`` entry cannot be loaded (the message names it and says what to give)."""


def bot_trust(mock: PyrusMock, trust: Sequence[str]) -> ssl.SSLContext:
    """A client context trusting the fake's CA plus each of ``trust`` (PEM paths, ``system``).

    Additive, so that certificates the fake issues (``POST /_mock/certs``) keep working next to
    the bot's own. Verification of the chain and the host name stays on.

    Raises:
        TrustError: a path that does not exist or holds no CA certificate.
    """
    context = ssl.create_default_context(cafile=mock.ca_path)
    for item in trust:
        if item == "system":
            context.load_default_certs()
            continue
        if not os.path.isfile(item):
            what = "is not a file" if os.path.exists(item) else "no such file"
            raise TrustError(f"--trust {item!r}: {what}; give a PEM file of CA certificates "
                              "(a bundle) or 'system'")  # fmt: skip
        try:
            context.load_verify_locations(cafile=item)
        except (OSError, ssl.SSLError) as exc:
            raise TrustError(
                f"--trust {item!r} holds no usable CA certificate ({exc}); give a PEM file of "
                "CA certificates (a bundle) or 'system'"
            ) from None
    return context


def trust_line(trust: Sequence[str]) -> list[str]:
    """The banner's line naming what bots' certificates are verified against (with --trust)."""
    if not trust:
        return []
    names = ["the fake's CA"] + ["the system store" if t == "system" else t for t in trust]
    return [f"  Bot trust    {', '.join(dict.fromkeys(names))}"]


def saved_inputs(
    bot_settings: str | None,
    form: str | Path | None,
    task: str | Path | None,
) -> tuple[str | None, Any, Any]:
    """Read ``--bot-settings``, ``--form`` and ``--task`` before anything starts.

    Raises:
        UsageError: a file that cannot be read, JSON that is not JSON, a form task's --task
            without --form.
    """
    from ..mock.saved import SavedJsonError, read_json, saved_task_object
    from .usage import UsageError

    if bot_settings is not None and bot_settings.startswith("@"):
        path = bot_settings[1:]
        try:
            bot_settings = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise UsageError(f"pyrus-mock check: error: --bot-settings @{path}: cannot read "
                             f"it ({reason})") from None  # fmt: skip
    try:
        saved_form = read_json(form, "--form") if form is not None else None
        saved_task = read_json(task, "--task") if task is not None else None
        if saved_task is not None and form is None:  # a simple task needs no form; others do
            form_id = saved_task_object(saved_task, f"--task {str(task)!r}").get("form_id")
            if form_id is not None:
                raise UsageError(f"pyrus-mock check: error: --task {str(task)!r} is a task of "
                                 f"form {form_id}: it needs --form FILE.json, that form as GET "
                                 f"/forms/{form_id} answers it")  # fmt: skip
    except SavedJsonError as exc:
        raise UsageError(f"pyrus-mock check: error: {exc}") from None
    return bot_settings, saved_form, saved_task


def saved_task(
    mock: PyrusMock,
    bot: Bot,
    form: str | Path | None,
    form_json: Any,
    task: str | Path | None,
    task_json: Any,
) -> Task | None:
    """The conformance task from ``--form``/``--task``; None without them.

    Raises:
        UsageError: the JSON is not a form or task the fake can load (one line, naming why).
    """
    from ..mock.saved import SavedJsonError, task_for_check
    from .usage import UsageError

    try:
        return task_for_check(
            mock, bot, form=form_json, task=task_json,
            what_form=f"--form {str(form)!r}", what_task=f"--task {str(task)!r}",
        )  # fmt: skip
    except SavedJsonError as exc:
        raise UsageError(f"pyrus-mock check: error: {exc}") from None
