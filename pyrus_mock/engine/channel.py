"""The ``channel`` of a CreateComment request: sending the comment out through an external
channel (e-mail, messengers, SMS, a custom integration; contract §4.1).

:func:`check_channel` reports every problem of the ``channel`` object into the run's
:class:`~pyrus_mock.engine.common.Report` (paths are JSON pointers below the key) and returns
the channel to keep on the plan. Choices where Pyrus documents nothing (the fake's):

* ``type`` must be one of :data:`CHANNEL_TYPES`; ``integration_id`` is an integer and goes with
  type ``custom`` only. Wrong JSON types are ``invalid_value_format``.
* Members other than ``type``, ``phone``, ``to``, ``from``, ``integration_id`` and
  ``direction`` are warnings (``unknown_parameter``) and are ignored.

A channel without text (``external_comment_empty_text``) is a cross-key check and stays in
:mod:`.validation`.
"""

from __future__ import annotations

import copy
from typing import Any

from .common import Report, describe, is_int

__all__ = ["CHANNEL_TYPES", "check_channel"]

#: ``channel.type`` values Pyrus accepts when sending a comment out (contract §4.1).
CHANNEL_TYPES = (
    "email", "telegram", "facebook", "vk", "viber", "instagram", "private_channel", "whats_app",
    "mobile_app", "web_widget", "sms", "custom", "max_messenger",
)  # fmt: skip
_MEMBERS = ("type", "phone", "to", "from", "integration_id", "direction")


def _type_error(report: Report, path: str, key: str, expected: str, value: object) -> None:
    report.error(path, "invalid_value_format", f"{key} takes {expected}, got {describe(value)}")


def check_channel(report: Report, key: str, value: object, path: str) -> dict[str, Any] | None:
    """Check the ``channel`` value of a request, reporting every problem into ``report``.

    Args:
        report: the validation run's report (errors and warnings in request order).
        key: the request key (``channel``), named in messages.
        value: the JSON value given for it.
        path: the JSON pointer of the key.

    Returns:
        A deep copy of the channel (the comment must not alias the request) when it has no
        error; None otherwise.
    """
    if not isinstance(value, dict):
        _type_error(report, path, key, '{"type": "email" | "telegram" | ...}', value)
        return None
    kind = value.get("type")
    if not isinstance(kind, str) or kind not in CHANNEL_TYPES:
        _type_error(report, f"{path}/type", "channel.type", ", ".join(CHANNEL_TYPES), kind)
        return None
    before = report.errors
    for sub, value_ in value.items():
        sub_path = f"{path}/{sub}"
        if sub == "phone" and not isinstance(value_, str):
            _type_error(report, sub_path, "channel.phone", "a phone number string", value_)
        elif sub in ("to", "from") and not (
            isinstance(value_, dict)
            and all(isinstance(value_.get(k, ""), str) for k in ("email", "name"))
        ):
            _type_error(report, sub_path, f"channel.{sub}", '{"email": "...", "name": "..."}',
                        value_)  # fmt: skip
        elif sub == "integration_id" and (not is_int(value_) or kind != "custom"):
            _type_error(
                report,
                sub_path,
                "channel.integration_id",
                "an integer, with channel type 'custom' only",
                value_,
            )
        elif sub not in _MEMBERS:
            report.warn(
                sub_path,
                "unknown_parameter",
                f"channel.{sub} is not a channel parameter and is ignored",
            )
    if report.errors != before:
        return None
    return copy.deepcopy(value)
