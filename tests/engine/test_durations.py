"""Durations in flow files: a number and a unit, combinable; anything else is a plain error."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.engine.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("30m", timedelta(minutes=30), id="minutes"),
        pytest.param("2h", timedelta(hours=2), id="hours"),
        pytest.param("2d", timedelta(days=2), id="days"),
        pytest.param("1w", timedelta(weeks=1), id="week"),
        pytest.param("45s", timedelta(seconds=45), id="seconds"),
        pytest.param("1d12h", timedelta(days=1, hours=12), id="combined"),
        pytest.param("1d 12h", timedelta(days=1, hours=12), id="combined-with-space"),
        pytest.param("90m", timedelta(hours=1, minutes=30), id="more-than-an-hour-of-minutes"),
    ],
)
def test_valid_durations_parse(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        pytest.param("0m", "must be longer than zero", id="zero"),
        pytest.param("0d0h", "must be longer than zero", id="zero-combined"),
        pytest.param("2x", "use a number and a unit", id="unknown-unit"),
        pytest.param("", "use a number and a unit", id="empty"),
        pytest.param("h2", "use a number and a unit", id="unit-first"),
        pytest.param("2", "use a number and a unit", id="no-unit"),
        pytest.param("1.5h", "use a number and a unit", id="decimal"),
        pytest.param("-1h", "use a number and a unit", id="negative"),
        pytest.param("2H", "use a number and a unit", id="capital-unit"),
        pytest.param("2 days", "use a number and a unit", id="word-unit"),
    ],
)
def test_bad_durations_raise_a_plain_value_error(text, phrase):
    with pytest.raises(ValueError, match=phrase) as err:
        parse_duration(text)
    assert repr(text) in str(err.value)  # the message quotes what was written


def test_a_non_string_is_a_value_error_too():
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["99999999999w", "1000000000d"], ids=["int-overflow", "too-many-days"]
)
def test_an_absurdly_long_duration_is_a_value_error(text):
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)
