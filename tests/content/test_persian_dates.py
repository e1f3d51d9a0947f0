"""Persian dates use the month names Afghan (Dari) and Iranian readers in the Netherlands
both recognise: the Dari forms (جنوری, مارچ, اگست), always written in full."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.dates import format_date

from bot.content.catalog import Catalog, Catalogs, date_pattern, load_catalogs

MESSAGES = Path(__file__).resolve().parents[2] / "messages"
DARI = ["جنوری", "فبروری", "مارچ", "اپریل", "می", "جون"]
DARI += ["جولای", "اگست", "سپتمبر", "اکتوبر", "نومبر", "دسمبر"]
# The Iranian forms (from French: janvier → ژانویه, août → اوت) Dari readers do not use.
IRANIAN = ["ژانویه", "فوریه", "مارس", "آوریل", "ژوئن", "ژوئیه", "اوت", "سپتامبر", "دسامبر"]


@pytest.fixture(scope="module")
def shipped() -> dict[str, Catalog]:
    problems: list = []
    catalogs = load_catalogs(MESSAGES, problems)
    assert problems == []
    return catalogs


def render_with(shipped: dict[str, Catalog], code: str, template: str, when: datetime) -> str:
    ours = {c: replace(cat, messages={"k": template}) for c, cat in shipped.items()}
    return Catalogs(ours).render("k", code, {"when": when})


@pytest.mark.parametrize("month", range(1, 13))
@pytest.mark.parametrize("template", ["{{ when | date }}", '{{ when | date("d MMM") }}'])
def test_persian_months_are_the_dari_names_in_full(shipped, month, template):
    when = datetime(2026, month, 15, 10, 0, tzinfo=UTC)
    text = render_with(shipped, "fa", template, when)
    assert DARI[month - 1] in text.split()
    assert not any(word in text for word in IRANIAN)


def test_persian_weekdays_and_digits_stay_as_every_reader_knows_them(shipped):
    text = render_with(
        shipped, "fa", "{{ when | datetime }}", datetime(2026, 3, 3, 13, 5, tzinfo=UTC)
    )
    assert text == "سه\u200cشنبه 3 مارچ 14:05"


@pytest.mark.parametrize(
    ("fmt", "locale", "expected"),
    [
        ("EEE d MMM", "fa_AF", "EEE d MMMM"),
        ("EEE d MMM HH:mm", "fa_AF", "EEE d MMMM HH:mm"),
        ("EEEE d MMMM", "fa_AF", "EEEE d MMMM"),
        ("EEE d MMM", "nl_NL", "EEE d MMM"),
        ("d MMM", "ar", "d MMM"),
    ],
)
def test_only_persian_writes_short_months_in_full(fmt, locale, expected):
    assert date_pattern(fmt, locale) == expected


def test_a_dutch_short_month_stays_short(shipped):
    when = datetime(2026, 10, 21, 10, 0, tzinfo=UTC)
    assert render_with(shipped, "nl", '{{ when | date("d MMM") }}', when) == "21 okt"
    assert format_date(when, date_pattern("d MMM", "fa_AF"), locale="fa_AF") == "21 اکتوبر"
