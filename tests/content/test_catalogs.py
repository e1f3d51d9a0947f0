"""Message catalogs: same keys and variables in every language, Dutch fallback, local dates."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jinja2 import meta

from bot.content.catalog import (
    FALLBACK,
    SAFE_TEXT,
    Catalog,
    Catalogs,
    load_catalogs,
    make_environment,
)

MESSAGES = Path(__file__).resolve().parents[2] / "messages"
LANGUAGES = ["nl", "en", "tr", "ar", "fa", "so", "ti"]
ARABIC_LETTERS = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture(scope="module")
def shipped() -> dict[str, Catalog]:
    problems: list = []
    catalogs = load_catalogs(MESSAGES, problems)
    assert problems == []
    return catalogs


def variables(text: str) -> set[str]:
    return meta.find_undeclared_variables(make_environment().parse(text))


def catalog(code: str, messages: dict[str, str], locale: str = "nl_NL") -> Catalog:
    return Catalog(code, code.upper(), "ltr", locale, False, messages)


# --- the shipped catalogs agree -----------------------------------------------------------


def test_the_seven_languages_are_shipped(shipped):
    assert sorted(shipped) == sorted(LANGUAGES)


@pytest.mark.parametrize("code", ["en", "tr", "ar", "fa", "so", "ti"])
def test_catalog_has_exactly_the_dutch_keys(shipped, code):
    nl, other = set(shipped["nl"].messages), set(shipped[code].messages)
    assert (sorted(nl - other), sorted(other - nl)) == ([], [])  # (missing, extra)


@pytest.mark.parametrize("code", ["en", "tr", "ar", "fa", "so", "ti"])
def test_catalog_uses_the_same_variables_per_key_as_dutch(shipped, code):
    nl, other = shipped["nl"].messages, shipped[code].messages
    differ = {
        key: (sorted(variables(nl[key])), sorted(variables(other[key])))
        for key in nl
        if key in other and variables(nl[key]) != variables(other[key])
    }
    assert differ == {}


@pytest.mark.parametrize(
    ("code", "direction"),
    [
        ("nl", "ltr"),
        ("en", "ltr"),
        ("tr", "ltr"),
        ("ar", "rtl"),
        ("fa", "rtl"),
        ("so", "ltr"),
        ("ti", "ltr"),
    ],
)
def test_writing_direction(shipped, code, direction):
    assert shipped[code].direction == direction
    assert Catalogs(shipped).direction(code) == direction


def test_language_buttons_list_dutch_first(shipped):
    assert Catalogs(shipped).codes[0] == FALLBACK


@pytest.mark.parametrize(
    ("asked", "picked"),
    [("tr", "tr"), ("en-GB", "en"), ("AR", "ar"), ("pt-BR", "nl"), (None, "nl"), ("", "nl")],
    ids=["exact", "region", "upper-case", "unsupported", "none", "empty"],
)
def test_pick_maps_telegram_language_codes(shipped, asked, picked):
    assert Catalogs(shipped).pick(asked) == picked


# --- fallback to Dutch, never blank, never a crash -----------------------------------------

FALLBACK_CASES = [
    # id, nl messages, tr messages, vars, expected text
    (
        "translated",
        {"k": "Hallo {{ name }}"},
        {"k": "Merhaba {{ name }}"},
        {"name": "Ada"},
        "Merhaba Ada",
    ),
    ("missing-in-turkish", {"k": "Hallo {{ name }}"}, {}, {"name": "Ada"}, "Hallo Ada"),
    (
        "turkish-fails-at-run-time",
        {"k": "Hallo {{ name }}"},
        {"k": "Merhaba {{ nmae }}"},
        {"name": "Ada"},
        "Hallo Ada",
    ),
    ("turkish-renders-blank", {"k": "Hallo"}, {"k": "{{ name }}"}, {"name": " "}, "Hallo"),
    ("both-fail", {"k": "Hallo {{ nope }}"}, {"k": "Merhaba {{ nope }}"}, {}, SAFE_TEXT),
    ("missing-everywhere", {}, {}, {}, SAFE_TEXT),
    ("dutch-blank-turkish-missing", {"k": "{{ name }}"}, {}, {"name": ""}, SAFE_TEXT),
    (
        "filter-on-bad-value",
        {"k": "{{ when | date }}"},
        {"k": "{{ when | date }}"},
        {"when": "not a date"},
        SAFE_TEXT,
    ),
]


@pytest.mark.parametrize(
    ("nl", "tr", "vars", "expected"), [pytest.param(*c[1:], id=c[0]) for c in FALLBACK_CASES]
)
def test_render_falls_back_to_dutch_then_to_a_safe_text(nl, tr, vars, expected):
    catalogs = Catalogs({"nl": catalog("nl", nl), "tr": catalog("tr", tr, "tr_TR")})
    text = catalogs.render("k", "tr", vars)
    assert text == expected
    assert text.strip()


def test_a_shipped_key_missing_in_turkish_is_said_in_dutch(shipped):
    tr = shipped["tr"]
    without = replace(tr, messages={k: v for k, v in tr.messages.items() if k != "checkin.thanks"})
    catalogs = Catalogs({**shipped, "tr": without})
    assert catalogs.render("checkin.thanks", "tr") == shipped["nl"].messages["checkin.thanks"]


def test_a_failing_template_is_logged_by_key_not_by_text(caplog):
    catalogs = Catalogs({"nl": catalog("nl", {"k": "Geheim {{ nope }}"})})
    with caplog.at_level(logging.WARNING):
        assert catalogs.render("k", "nl", {"name": "Ada"}) == SAFE_TEXT
    assert "k" in caplog.text
    assert "Geheim" not in caplog.text


def test_catalogs_need_dutch():
    with pytest.raises(ValueError, match=r"nl\.yaml"):
        Catalogs({"en": catalog("en", {})})


def test_a_template_with_a_syntax_error_never_crashes_render():
    catalogs = Catalogs({"nl": catalog("nl", {"k": "Hallo"}), "tr": catalog("tr", {"k": "{{ x"})})
    assert catalogs.render("k", "tr") == "Hallo"


# --- dates and times per locale, in Amsterdam time --------------------------------------------

OCT_26_08_UTC = datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # after clocks went back: 09:00 local
OCT_24_08_UTC = datetime(2026, 10, 24, 8, 0, tzinfo=UTC)  # summer time still: 10:00 local


def render_with(shipped, code: str, template: str, when: datetime | str) -> str:
    """Render `template` with the locale of the shipped catalog `code`."""
    ours = {c: replace(cat, messages={"k": template}) for c, cat in shipped.items()}
    return Catalogs(ours).render("k", code, {"when": when})


@pytest.mark.parametrize(
    ("code", "month", "weekday"),
    [("nl", "oktober", "maandag"), ("en", "October", "Monday"), ("tr", "Ekim", "Pazartesi")],
)
def test_dates_use_the_language_of_the_catalog(shipped, code, month, weekday):
    text = render_with(shipped, code, "{{ when | date }}", OCT_26_08_UTC)
    assert month in text
    assert weekday in text
    assert "26" in text


def test_arabic_dates_are_written_in_arabic(shipped):
    text = render_with(shipped, "ar", "{{ when | date }}", OCT_26_08_UTC)
    assert ARABIC_LETTERS.search(text)
    assert "October" not in text


@pytest.mark.parametrize(
    ("when", "local"),
    [
        pytest.param(OCT_26_08_UTC, "09:00", id="winter-time-26-oct"),
        pytest.param(OCT_24_08_UTC, "10:00", id="summer-time-24-oct"),
        pytest.param("2026-10-26T08:00:00+00:00", "09:00", id="iso-string"),
    ],
)
@pytest.mark.parametrize("code", ["nl", "en", "tr"])
def test_times_are_amsterdam_local_time(shipped, code, when, local):
    assert render_with(shipped, code, "{{ when | time }}", when) == local


def test_a_date_near_midnight_utc_is_the_local_date(shipped):
    late = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)  # 00:30 on Sunday 25 Oct in Amsterdam
    assert render_with(shipped, "nl", "{{ when | date }}", late) == "zondag 25 oktober"


def test_the_shipped_reminder_shows_local_date_and_time(shipped):
    text = Catalogs(shipped).render(
        "reminder.day_before",
        "tr",
        {"name": "Ada", "coach": "Sam", "when": OCT_26_08_UTC, "place": "Wijkhuis", "address": ""},
    )
    assert "Ekim" in text
    assert "09:00" in text
    assert "Ada" in text
