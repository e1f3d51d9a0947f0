"""The consent and privacy texts in all seven languages, against the settings and the code:
the retention they state comes from `flows/schedules.yaml` (change it, the text follows) and
matches what the retention job erases; the commands they name are a participant's; the
onboarding stays short. (The end-to-end checks are in tests/e2e/test_consent.py.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.content import bundle
from bot.content.bundle import Content, shipped_content_dir
from bot.content.schedules import Schedules
from bot.host.inbound import DIRECT_COMMANDS, PARTICIPANT_COMMANDS, _direct_allowed
from bot.host.privacy import privacy_terms, retention_cutoffs
from storage.people import Role

LANGUAGES = ("nl", "en", "tr", "ar", "fa", "so", "ti")
# The onboarding up to the consent question, in the order a participant reads it.
ONBOARDING = ("onboarding.explain", "onboarding.who_sees", "onboarding.how_long")
# Every text a participant reads about their data, and what each must name.
PRIVACY = (
    *ONBOARDING,
    "onboarding.consent",
    "onboarding.declined",
    "survey.intro",
    "privacy.forget_confirm",
    "privacy.forgotten",
)
NOW = datetime(2026, 10, 19, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def content() -> Content:
    return bundle.load_content(shipped_content_dir())


def with_settings(content: Content, **changes: Any) -> Schedules:
    return content.schedules.model_copy(update=changes)


def render(content: Content, key: str, code: str, terms: dict[str, int]) -> str:
    vars = {"name": "Amal", "coach": "Sanne", "participant": "Amal", **terms}
    return content.catalogs.render(key, code, vars, content.tz)


def test_the_terms_are_the_shipped_settings(content: Content) -> None:
    assert content.schedules.retention_months == 24
    assert privacy_terms(content.schedules) == {"followup_months": 6, "retention_months": 24}


@pytest.mark.parametrize(
    ("after", "months", "followup_months"),
    [(["2w", "1mo", "6mo"], 13, 6), (["3w"], 24, 1), (["1mo", "2mo"], 7, 2), ([], 30, 0)],
)
def test_the_terms_follow_the_settings(
    content: Content, after: list[str], months: int, followup_months: int
) -> None:
    followups = content.schedules.followups.model_copy(update={"after": after})
    schedules = with_settings(content, retention_months=months, followups=followups)
    assert privacy_terms(schedules) == {
        "followup_months": followup_months,
        "retention_months": months,
    }


@pytest.mark.parametrize("months", [24, 11, 36])
def test_the_stated_terms_are_when_the_retention_job_erases(content: Content, months: int) -> None:
    """ "After your trajectory I ask for F months; after that we keep your data R months":
    a trajectory that ended F + R months ago (a few days more) is due, a few days less
    is not; someone who declined is due R months after the invite."""
    schedules = with_settings(content, retention_months=months)
    terms = privacy_terms(schedules)
    deps: Any = SimpleNamespace(
        content=SimpleNamespace(schedules=schedules), clock=ManualClock(NOW)
    )
    ended_before, created_before = retention_cutoffs(deps)
    stated = timedelta(days=(terms["followup_months"] + terms["retention_months"]) * 30.44)
    assert NOW - stated - timedelta(days=2) < ended_before < NOW - stated + timedelta(days=2)
    declined = timedelta(days=terms["retention_months"] * 30.44)
    assert NOW - declined - timedelta(days=2) < created_before < NOW - declined + timedelta(days=2)


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_numbers_in_the_texts_come_from_the_settings(content: Content, code: str) -> None:
    shipped = privacy_terms(content.schedules)
    other = privacy_terms(with_settings(content, retention_months=17))
    how_long = render(content, "onboarding.how_long", code, other)
    assert "17" in how_long and "6" in how_long and "24" not in how_long
    assert "24" in render(content, "onboarding.how_long", code, shipped)
    declined = render(content, "onboarding.declined", code, other)
    assert "17" in declined and "24" not in declined
    catalog = content.catalogs.by_code[code].messages
    for key in PRIVACY:
        assert not re.search(r"\b(6|24|30)\b", catalog[key]), (key, "a number typed in")


def participant_commands() -> set[str]:
    direct = {c for c in DIRECT_COMMANDS if c in ("start", "help")}
    direct |= {c for c in DIRECT_COMMANDS if _direct_allowed(c, Role.PARTICIPANT)}
    return {*PARTICIPANT_COMMANDS, *direct}


def commands_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w/])/([a-z]+)\b", text))


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_commands_named_are_a_participants_and_the_same_in_every_language(
    content: Content, code: str
) -> None:
    terms = privacy_terms(content.schedules)
    for key in PRIVACY:
        named = commands_in(render(content, key, code, terms))
        assert named <= participant_commands(), (key, named)
        assert named == commands_in(render(content, key, "nl", terms)), key
    how_long = render(content, "onboarding.how_long", code, terms)
    assert commands_in(how_long) == {"mydata", "forget", "stop"}


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_benefit_and_the_municipality_are_named_in_dutch_words_too(
    content: Content, code: str
) -> None:
    """Participants know the Dutch words from their letters: every language names them."""
    terms = privacy_terms(content.schedules)
    assert "uitkering" in render(content, "onboarding.consent", code, terms)
    assert "gemeente" in render(content, "onboarding.explain", code, terms)


def test_the_dutch_onboarding_is_short(content: Content) -> None:
    """No wall of text: at most six lines a bubble (one idea, or a short list), no sentence
    longer than 16 words, and the three bubbles before the question at most 160 words in
    all (152 when this was written; the old, untrue texts had about 60)."""
    terms = privacy_terms(content.schedules)
    total = 0
    for key in (*ONBOARDING, "onboarding.consent", "onboarding.declined"):
        text = render(content, key, "nl", terms)
        lines = [line for line in text.splitlines() if line.strip()]
        sentences = [s for line in lines for s in re.split(r"(?<=[.?!])\s+", line) if s.strip()]
        assert len(lines) <= 6, key
        words = [w for w in re.findall(r"[\w'’-]+", text) if not w.isdigit()]
        assert all(len(re.findall(r"[\w'’-]+", s)) <= 16 for s in sentences), key
        if key in ONBOARDING:
            total += len(words)
    assert total <= 160, total
