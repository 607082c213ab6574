"""Settings as text and JSON: ``pyrus-mock serve --set NAME=VALUE`` and ``/_mock/settings``.

A setting's type in :class:`~pyrus_mock.Settings` decides how a value is read:

========================  =========================================  ==========================
type                      ``--set`` text                             JSON (``PATCH``)
========================  =========================================  ==========================
``bool``                  ``true/false``, ``yes/no``, ``on/off``,    ``true`` / ``false``
                          ``1/0`` (any case, nothing else)
``int``                   a whole number, e.g. ``5000``              an integer
``float``                 a number, e.g. ``2.5``                     a number
``tuple[float, ...]``     comma-separated numbers, e.g. ``61,122``;  an array of numbers
                          empty for none
``Literal[...]``          one of the choices, e.g. ``lower``         one of the choices
``str``                   the text                                   a string
========================  =========================================  ==========================

Values are then checked by :meth:`Settings.replace <pyrus_mock.Settings.replace>` (ranges,
choices); every error is an :class:`~pyrus_mock.domain.errors.InvalidArgument` naming the setting.

A running fake takes new settings by assignment (``fake.settings = settings.replace(...)``),
for the pytest plugin's per-test ``pyrus_mock(...)`` marker and the control plane alike.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, get_args, get_origin, get_type_hints

from .errors import InvalidArgument
from .settings import Settings, unknown_setting

__all__ = [
    "parse_assignment",
    "parse_bool",
    "parse_setting",
    "setting_from_json",
    "settings_json",
]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def parse_bool(value: str, source: str) -> bool:
    """A strict boolean: ``on/off``, ``true/false``, ``yes/no``, ``1/0`` (any case).

    Args:
        value: the text given.
        source: where it came from (``--pyrus-mock-strict``), for the message.

    Raises:
        ValueError: anything else; the message names the source and the accepted words.
    """
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(
        f"{source}: {value!r} is not a boolean; use on or off (true/false, yes/no and 1/0 "
        "also work)"
    )


@cache
def _types() -> Mapping[str, Any]:
    """Each setting's declared type, in declaration order."""
    hints = get_type_hints(Settings)
    return {f.name: hints[f.name] for f in dataclasses.fields(Settings)}


def _type(name: str) -> Any:
    types = _types()
    if name not in types:
        raise unknown_setting(name, types)
    return types[name]


def _expected(kind: Any, *, text: bool) -> str:
    """What a value of ``kind`` looks like, as text (``--set``) or in JSON, for messages."""
    if get_origin(kind) is Literal:
        return "one of " + ", ".join(map(str, get_args(kind)))
    if get_origin(kind) is tuple:
        if text:
            return "comma-separated numbers, e.g. 61,122 (empty for none)"
        return "an array of numbers, e.g. [61, 122]"
    if kind is bool and text:
        return "a boolean (true/false, yes/no, on/off, 1/0)"
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}
    return names.get(kind, str(kind))


def _finite(name: str, value: float, given: object) -> float:
    if not math.isfinite(value):
        raise InvalidArgument(name, f"{given!r} is not a finite number")
    return value


def parse_setting(name: str, text: str) -> Any:
    """The value of setting ``name`` written as ``text`` (``serve --set``), checked.

    Raises:
        InvalidArgument: ``name`` is not a setting, or ``text`` is not a value it accepts; the
            message names the setting and says what it takes.
    """
    kind = _type(name)
    value: Any
    try:
        if get_origin(kind) is Literal:
            value = text.strip()
        elif kind is bool:
            value = parse_bool(text, name)
        elif kind is int:
            value = int(text)
        elif kind is float:
            value = _finite(name, float(text), text)
        elif get_origin(kind) is tuple:
            parts = [part.strip() for part in text.split(",")]
            value = tuple(_finite(name, float(p), text) for p in parts) if text.strip() else ()
        elif kind is str:
            value = text
        else:
            raise InvalidArgument(name, "cannot be set from text", "PyrusMock(...) in Python")
    except InvalidArgument:
        raise
    except ValueError:
        raise InvalidArgument(name, f"{text!r} is not {_expected(kind, text=True)}") from None
    return _checked(name, kind, value)


def setting_from_json(name: str, value: Any) -> Any:
    """The value of setting ``name`` from a JSON document (``PATCH /_mock/settings``), checked.

    Raises:
        InvalidArgument: ``name`` is not a setting, or ``value`` has the wrong JSON type or is
            out of range; the message names the setting and says what it takes.
    """
    kind = _type(name)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if get_origin(kind) is Literal or kind is str:
        ok = isinstance(value, str)
    elif kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = number
        if ok:
            try:
                as_float = float(value)
            except OverflowError:  # an int beyond a double
                raise InvalidArgument(name, f"{value} is too large", "a finite number") from None
            value = _finite(name, as_float, value)
    elif get_origin(kind) is tuple:
        ok = isinstance(value, list) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
        )
        if ok:
            value = tuple(_finite(name, float(v), value) for v in value)
    else:
        raise InvalidArgument(name, "cannot be set over JSON", "PyrusMock(...) in Python")
    if not ok:
        raise InvalidArgument(name, f"{value!r} is not {_expected(kind, text=False)}")
    return _checked(name, kind, value)


def _checked(name: str, kind: Any, value: Any) -> Any:
    """``value`` once :meth:`Settings.replace` accepts it (ranges) and, for choices, is one."""
    if get_origin(kind) is Literal and value not in get_args(kind):
        raise InvalidArgument(name, repr(value), ", ".join(map(str, get_args(kind))))
    Settings().replace(**{name: value})
    return value


def parse_assignment(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` (``serve --set``) as the setting's name and checked value.

    Raises:
        ValueError: not ``NAME=VALUE``.
        InvalidArgument: no such setting, or a value it does not take.
    """
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ValueError(f"{text!r} is not NAME=VALUE, e.g. signature_case=lower")
    return name, parse_setting(name, value)


def settings_json(settings: Settings) -> dict[str, Any]:
    """Every setting by name, as JSON values (tuples become arrays)."""
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name in _types()
        for value in (getattr(settings, name),)
    }
