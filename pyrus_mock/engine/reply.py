"""How a bot's 2xx reply is judged (decision D6): one function for the delivery and ``check_bot``.

:func:`judge_reply` sorts the reply body into one of five kinds and says what Pyrus would do:

==============  ===================================================================  ===========
kind            the body                                                              violations
==============  ===================================================================  ===========
``empty``       empty (whitespace only), ``{}``, or an object whose known keys are   none
                all ``null`` (the same as leaving them out): nothing to apply
``not_json``    not JSON (or not UTF-8): Pyrus ignores it                            a warning
``not_object``  a JSON value that is not an object (array, string, number, ...)      a warning
``unknown``     an object with no CreateComment parameter (only unknown keys, or     warnings
                ``reply_note_id``): nothing is applied
``comment``     an object with at least one CreateComment parameter: validated as    as found
                ``POST /tasks/{id}/comments`` would validate it (errors stay errors)
==============  ===================================================================  ===========

The caller supplies the CreateComment validation (``check_bot`` only validates; a delivery
validates and applies a ``comment`` in one step), so both judge a reply the same way. Warnings
never refuse a reply and never fail strict mode; errors do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..domain import _json
from ..domain.violations import Violation, errors_of
from .validation import KNOWN_KEYS

__all__ = ["ReplyKind", "ReplyVerdict", "judge_reply"]

ReplyKind = Literal["empty", "not_json", "not_object", "unknown", "comment"]

_HOW = "Reply with an empty body or a CreateComment JSON object."

#: Keys that are CreateComment parameters but ask for nothing in a request.
_INERT = frozenset({"reply_note_id"})


@dataclass(slots=True)
class ReplyVerdict:
    """What Pyrus would make of one reply.

    Attributes:
        kind: see the module's table.
        reply: the decoded JSON value (None when the body is empty or not JSON).
        violations: warnings and errors, in body order.
        result: what ``check`` returned besides the violations (a delivery's applied comment).
    """

    kind: ReplyKind
    reply: Any = None
    violations: list[Violation] = field(default_factory=list)
    result: Any = None

    @property
    def errors(self) -> list[Violation]:
        """The error-severity violations: Pyrus would refuse the reply, nothing is applied."""
        return errors_of(self.violations)

    @property
    def warnings(self) -> list[Violation]:
        """The warnings: the reply (or a part of it) is ignored, the delivery still succeeds."""
        return [v for v in self.violations if v.severity == "warning"]


def judge_reply(
    raw: bytes,
    validate: Callable[[dict[str, Any]], list[Violation]],
    apply: Callable[[dict[str, Any]], tuple[list[Violation], Any]] | None = None,
) -> ReplyVerdict:
    """Judge a bot's 2xx reply body the way Pyrus does (D6).

    Args:
        raw: the reply body, exactly as received.
        validate: the CreateComment validation for the task and the bot (read-only); it names
            the unknown keys of an ``unknown`` reply, and judges a ``comment`` when there is
            no ``apply``.
        apply: validates and applies a ``comment`` in one step, returning its violations
            (warnings included) and what it applied (``None`` when refused). A delivery
            passes it; ``check_bot`` only validates.

    Returns:
        The verdict; ``apply`` is called only for the ``comment`` kind.
    """
    text = raw.strip()
    if not text:
        return ReplyVerdict("empty")
    try:
        reply = _json.loads(text)
    except ValueError as exc:  # UnicodeDecodeError included
        return ReplyVerdict("not_json", violations=[
            Violation("", "invalid_json",
                      f"the reply is not valid JSON ({_short(exc)}); Pyrus ignores it. {_HOW}",
                      "warning"),
        ])  # fmt: skip
    if not isinstance(reply, dict):
        return ReplyVerdict("not_object", reply, [
            Violation("", "invalid_json",
                      f"the reply is a JSON {_json_type(reply)}, not an object; Pyrus ignores "
                      f"it. {_HOW}", "warning"),
        ])  # fmt: skip
    asks = [k for k, v in reply.items() if k in KNOWN_KEYS and k not in _INERT and v is not None]
    if not asks:
        if all(k in KNOWN_KEYS and k not in _INERT for k in reply):
            return ReplyVerdict("empty", reply)  # {} or only nulls: nothing to apply
        found = validate({k: v for k, v in reply.items() if k not in KNOWN_KEYS or k in _INERT})
        return ReplyVerdict("unknown", reply, [v for v in found if v.severity == "warning"])
    if apply is None:
        return ReplyVerdict("comment", reply, list(validate(reply)))
    violations, result = apply(reply)
    return ReplyVerdict("comment", reply, list(violations), result)


def _json_type(value: object) -> str:
    """The JSON name of a decoded value's type."""
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null"


def _short(exc: ValueError) -> str:
    """The first line of a parse error, at most 160 characters."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
