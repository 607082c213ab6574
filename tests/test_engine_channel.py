"""The ``channel`` checks of CreateComment (``pyrus_mock.engine.channel``), member by member."""

from __future__ import annotations

from typing import Any

import pytest

from pyrus_mock.engine.channel import CHANNEL_TYPES, check_channel
from pyrus_mock.engine.common import Report


def _check(value: object) -> tuple[dict[str, Any] | None, list[tuple[str, str, str]]]:
    report = Report()
    kept = check_channel(report, "channel", value, "/channel")
    return kept, [(v.path, v.error_code, v.severity) for v in report.violations()]


def test_a_good_channel_is_kept_as_a_copy() -> None:
    value = {"type": "email", "to": {"email": "a@example.com", "name": "A"}}
    kept, found = _check(value)
    assert found == []
    assert kept == value
    assert kept is not value  # the comment must not alias the request
    assert kept["to"] is not value["to"]


def test_unknown_members_are_warnings_and_the_channel_is_kept() -> None:
    kept, found = _check({"type": "sms", "colour": "red"})
    assert found == [("/channel/colour", "unknown_parameter", "warning")]
    assert kept == {"type": "sms", "colour": "red"}


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"type": "email", "integration_id": 5}, "/channel/integration_id"),
        ({"type": "custom", "integration_id": "5"}, "/channel/integration_id"),
        ({"type": "sms", "phone": 79001234567}, "/channel/phone"),
        ({"type": "email", "from": {"email": 1}}, "/channel/from"),
        ({"type": "pigeon"}, "/channel/type"),
        ("email", "/channel"),
    ],
)
def test_bad_members_are_errors_and_nothing_is_kept(value: object, path: str) -> None:
    kept, found = _check(value)
    assert kept is None
    assert found == [(path, "invalid_value_format", "error")]


def test_integration_id_goes_with_custom() -> None:
    kept, found = _check({"type": "custom", "integration_id": 5})
    assert found == []
    assert kept == {"type": "custom", "integration_id": 5}
    assert "custom" in CHANNEL_TYPES
