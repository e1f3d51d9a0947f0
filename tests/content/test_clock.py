"""Times in every language on the 24-hour clock, in Amsterdam time (also across DST)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content.catalog import Catalog, Catalogs, load_catalogs

MESSAGES = Path(__file__).resolve().parents[2] / "messages"
LANGUAGES = ["nl", "en", "tr", "ar", "fa", "so", "ti"]
# What a 12-hour clock adds: AM/PM in Latin, Arabic (ص/م), Somali (GH/GD), Tigrinya (ቅ.ቀ./ድ.ቀ.).
TWELVE_HOUR = re.compile(r"\d\s*(AM|PM|GH|GD|\u0635|\u0645|ቅ\.ቀ\.|ድ\.ቀ\.)")

HALF_PAST_TWO_PM = datetime(2026, 10, 21, 12, 30, tzinfo=UTC)  # 14:30 in Amsterdam (summer time)


@pytest.fixture(scope="module")
def shipped() -> dict[str, Catalog]:
    problems: list = []
    catalogs = load_catalogs(MESSAGES, problems)
    assert problems == []
    return catalogs


def render_with(shipped: dict[str, Catalog], code: str, template: str, when: object) -> str:
    ours = {c: replace(cat, messages={"k": template}) for c, cat in shipped.items()}
    return Catalogs(ours).render("k", code, {"when": when})


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_time_is_on_the_24_hour_clock_in_every_language(shipped, code):
    assert render_with(shipped, code, "{{ when | time }}", HALF_PAST_TWO_PM) == "14:30"


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_date_and_time_is_on_the_24_hour_clock_in_every_language(shipped, code):
    text = render_with(shipped, code, "{{ when | datetime }}", HALF_PAST_TWO_PM)
    assert text.endswith("14:30")
    assert not TWELVE_HOUR.search(text)


@pytest.mark.parametrize(
    ("when", "local"),
    [
        # 29 March 2026: at 02:00 the clocks jump to 03:00.
        pytest.param("2026-03-29T00:30:00+00:00", "01:30", id="spring-before-the-jump"),
        pytest.param("2026-03-29T01:30:00+00:00", "03:30", id="spring-after-the-jump"),
        # 25 October 2026: at 03:00 the clocks go back to 02:00, so 02:30 happens twice.
        pytest.param("2026-10-25T00:30:00+00:00", "02:30", id="autumn-first-02:30"),
        pytest.param("2026-10-25T01:30:00+00:00", "02:30", id="autumn-second-02:30"),
        pytest.param("2026-10-25T02:30:00+00:00", "03:30", id="autumn-after"),
    ],
)
@pytest.mark.parametrize("code", LANGUAGES)
def test_times_across_a_dst_change_are_amsterdam_time_in_every_language(shipped, code, when, local):
    assert render_with(shipped, code, "{{ when | time }}", when) == local


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_shipped_reminder_shows_the_time_as_the_coach_sees_it(shipped, code):
    vars = {
        "name": "Amal",
        "coach": "Sanne",
        "when": HALF_PAST_TWO_PM,
        "place": "Wijkcentrum Dukenburg",
        "address": "Meijhorst 1, Nijmegen",
    }
    catalogs = Catalogs(shipped)
    participant = catalogs.render("reminder.day_before", code, vars)
    coach = catalogs.render("coach.appointment_created", "nl", {**vars, "participant": "Amal"})
    assert "14:30" in participant
    assert "14:30" in coach
    assert not TWELVE_HOUR.search(participant)
