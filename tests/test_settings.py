"""Settings (:mod:`pyrus_mock.settings` and :mod:`pyrus_mock._setting_values`): the documented
defaults, ``replace`` and validation, misspelt names with a suggestion, and values read from
text (``serve --set``) and JSON (``PATCH /_mock/settings``)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from pyrus_mock import InvalidArgument, PyrusMock, Settings
from pyrus_mock.domain.setting_values import (
    parse_assignment,
    parse_bool,
    parse_setting,
    setting_from_json,
    settings_json,
)

# -- defaults and replace --------------------------------------------------------------------------


def test_defaults_are_the_documented_pyrus_behaviour() -> None:
    s = Settings()
    assert s.signature_case == "upper"  # D1
    assert s.user_agent == "Pyrus-Bot-4"  # D2
    assert (s.delivery_timeout, s.retry_delays, s.max_attempts) == (60.0, (61.0, 122.0), 3)  # D5
    assert s.token_lifetime == 24 * 3600  # D9
    assert s.revoke_tokens_on_reset is False  # D7
    assert s.max_bots == 100  # D8
    assert s.creation_date_format == "date"
    assert s.omit_empty_bot_settings is False


def test_max_attempts_follows_the_retry_delays() -> None:
    assert Settings(retry_delays=()).max_attempts == 1
    assert Settings(retry_delays=(5, 10, 20)).max_attempts == 4


def test_replace_gives_a_changed_copy_and_leaves_the_original() -> None:
    original = Settings()
    changed = original.replace(signature_case="lower", max_bots=3)
    assert (changed.signature_case, changed.max_bots) == ("lower", 3)
    assert (original.signature_case, original.max_bots) == ("upper", 100)
    assert changed.user_agent == original.user_agent


def test_replace_checks_the_new_values() -> None:
    with pytest.raises(InvalidArgument, match="max_bots"):
        Settings().replace(max_bots=0)
    with pytest.raises(InvalidArgument, match=r"signature_case.*allowed: 'upper', 'lower'"):
        Settings().replace(signature_case="UPPER")


def test_settings_take_retry_delays_as_a_list_and_suggest_names() -> None:
    from pyrus_mock import InvalidArgument, PyrusMock, Settings

    assert Settings(retry_delays=[5, 10]).retry_delays == (5, 10)
    with PyrusMock(retry_delays=[1, 2]) as fake:
        assert fake.settings.retry_delays == (1, 2)
    with pytest.raises(InvalidArgument, match=r"did you mean 'signature_case'\?"):
        Settings().replace(signatur_case="lower")
    with pytest.raises(InvalidArgument, match="cannot be an HTTP header value"):
        Settings(user_agent="Pyrus-Bot-4\r\nX-Injected: 1")


def test_a_misspelt_name_is_refused_everywhere_with_a_suggestion() -> None:
    with pytest.raises(InvalidArgument, match=r"did you mean 'retry_delays'\?"):
        parse_setting("retry_delay", "5")
    with pytest.raises(InvalidArgument, match=r"did you mean 'max_bots'\?"):
        setting_from_json("max_bot", 3)
    with pytest.raises(TypeError, match="max_bot"):
        Settings(max_bot=3)  # type: ignore[call-arg]


def test_a_name_far_from_every_setting_lists_them_all() -> None:
    with pytest.raises(InvalidArgument) as caught:
        Settings().replace(zzz=1)
    message = str(caught.value)
    assert "did you mean" not in message
    assert "zzz: is not a setting" in message
    for field in dataclasses.fields(Settings):
        assert field.name in message


# -- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"on_rejection": "bogus"},
        {"auto_deliver": "yes"},
        {"rate_limit": 0},
        {"token_lifetime": math.nan},
        {"retry_delays": (61, math.inf)},
    ],
)
def test_settings_are_validated_however_they_are_built(bad: dict[str, Any]) -> None:
    from pyrus_mock import Settings

    name = next(iter(bad))
    with pytest.raises(InvalidArgument, match=name):
        Settings(**bad)
    with pytest.raises(InvalidArgument, match=name):
        PyrusMock(**bad)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_bots", True),  # a bool is not a count
        ("max_bots", 2.0),
        ("max_chain_depth", -1),
        ("delivery_timeout", 0),
        ("delivery_timeout", "60"),
        ("retry_delays", (122, 61)),  # offsets must increase
        ("retry_delays", (-1,)),
        ("retry_delays", 61),
        ("user_agent", ""),
        ("user_agent", "Böt"),
    ],
)
def test_values_that_make_no_sense_are_refused(name: str, value: Any) -> None:
    with pytest.raises(InvalidArgument, match=name):
        Settings(**{name: value})


def test_the_boundaries_that_are_allowed() -> None:
    s = Settings(max_chain_depth=0, retry_delays=(0, 0), delivery_timeout=0.001)
    assert (s.max_chain_depth, s.retry_delays) == (0, (0, 0))


# -- from text (serve --set) and JSON (/_mock/settings) --------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("on", True),
        ("TRUE", True),
        (" yes ", True),
        ("1", True),
        ("off", False),
        ("False", False),
        ("no", False),
        ("0", False),
    ],
)
def test_parse_bool_takes_the_usual_words(text: str, value: bool) -> None:
    assert parse_bool(text, "--flag") is value


def test_parse_bool_refuses_anything_else_naming_the_source() -> None:
    with pytest.raises(ValueError, match=r"--pyrus-mock-strict: 'maybe' is not a boolean"):
        parse_bool("maybe", "--pyrus-mock-strict")


def test_parse_setting_reads_by_type_and_checks_the_range() -> None:
    assert parse_setting("max_bots", "3") == 3
    assert parse_setting("retry_delays", "5, 10.5") == (5.0, 10.5)
    assert parse_setting("retry_delays", "") == ()
    with pytest.raises(InvalidArgument, match="max_bots: 'three' is not a whole number"):
        parse_setting("max_bots", "three")
    with pytest.raises(InvalidArgument, match="max_bots"):
        parse_setting("max_bots", "0")
    with pytest.raises(InvalidArgument, match="delivery_timeout: 'inf' is not a finite number"):
        parse_setting("delivery_timeout", "inf")
    with pytest.raises(InvalidArgument, match=r"signature_case.*upper, lower"):
        parse_setting("signature_case", "mixed")


def test_parse_assignment_needs_name_equals_value() -> None:
    assert parse_assignment("user_agent=Bot/1 (a=b)") == ("user_agent", "Bot/1 (a=b)")
    for text in ("max_bots", "=3"):
        with pytest.raises(ValueError, match="is not NAME=VALUE"):
            parse_assignment(text)


def test_setting_from_json_takes_the_json_types_only() -> None:
    assert setting_from_json("retry_delays", [5, 10]) == (5.0, 10.0)
    assert setting_from_json("auto_deliver", False) is False
    with pytest.raises(InvalidArgument, match="auto_deliver: 'false' is not true or false"):
        setting_from_json("auto_deliver", "false")
    with pytest.raises(InvalidArgument, match="max_bots: True is not a whole number"):
        setting_from_json("max_bots", True)
    with pytest.raises(InvalidArgument, match=r"retry_delays: .* is not an array of numbers"):
        setting_from_json("retry_delays", [5, "10"])


def test_a_setting_from_json_refuses_an_int_beyond_a_double() -> None:
    from pyrus_mock import InvalidArgument
    from pyrus_mock.domain.setting_values import setting_from_json

    assert setting_from_json("delivery_timeout", 5) == 5.0
    with pytest.raises(InvalidArgument, match=r"delivery_timeout: .* is too large"):
        setting_from_json("delivery_timeout", 10**400)


def test_settings_json_has_every_setting_as_json_values() -> None:
    data = settings_json(Settings(retry_delays=(5, 10)))
    assert list(data) == [f.name for f in dataclasses.fields(Settings)]
    assert data["retry_delays"] == [5, 10]
    assert data["signature_case"] == "upper"
    # what settings_json gives, setting_from_json takes back
    assert {name: setting_from_json(name, value) for name, value in data.items()} == {
        name: getattr(Settings(retry_delays=(5, 10)), name) for name in data
    }
