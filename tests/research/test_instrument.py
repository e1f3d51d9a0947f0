"""The questionnaire Coachbot ships is the pilot's: texts, scales and anchors pinned to the
item table (bot/research/instrument.py, shown in docs/questionnaire.md), and that table's
quotes pinned to the seed's lines."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bot.research.instrument import (
    ITEMS,
    SEED,
    PilotItem,
    Quote,
    Source,
    baseline_for,
    source_of,
    table_markdown,
)
from bot.research.report import shipped_content
from bot.research.survey import SPECIAL

REPO = Path(__file__).resolve().parents[2]
SURVEYS = ("intake_survey", "evaluation_survey")
LANGUAGES = ("nl", "en", "tr", "ar", "fa", "so", "ti")
SEED_PATH = Path(os.environ.get("COACHBOT_SEED", f"/work/shared/seed/{SEED}"))


@cache
def content() -> Any:
    loaded = shipped_content()
    assert loaded is not None, "the shipped content does not load: run `coachbot check`"
    return loaded


def messages(code: str) -> dict[str, str]:
    return dict(content().catalogs.by_code[code].messages)


def steps(flow_id: str) -> list[Any]:
    flow = content().flows[flow_id]
    return [s for s in flow.steps.values() if s.kind == "ask"]


def text(code: str, key: str) -> str:
    return messages(code)[key].strip()


def test_the_docs_hold_the_item_table() -> None:
    docs = (REPO / "docs" / "questionnaire.md").read_text(encoding="utf-8")
    assert table_markdown() in docs, "regenerate: python -m bot.research.instrument"


@pytest.mark.parametrize("flow_id", SURVEYS)
def test_both_waves_ask_the_items_of_the_table_in_its_order(flow_id: str) -> None:
    assert [s.id for s in steps(flow_id)] == [i.id for i in ITEMS]


@pytest.mark.parametrize("flow_id", SURVEYS)
@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i.id)
def test_shipped_dutch_english_scale_and_anchors_are_the_tables(
    item: PilotItem, flow_id: str
) -> None:
    step = next(s for s in steps(flow_id) if s.id == item.id)
    assert step.message == f"survey.{item.id}"
    assert text("nl", step.message) == item.dutch
    assert text("en", step.message) == item.english
    assert str(step.answer) == item.answer
    answers = [o for o in step.options if o.value not in SPECIAL]
    if item.answer == "scale":
        assert (step.minimum or 0, 10 if step.maximum is None else step.maximum) == (0, 10)
        assert answers == []
        low, high = item.anchors
        assert (low.code, high.code) == ("0", "10")
        assert item.dutch.splitlines()[-2:] == [f"0 = {low.dutch}", f"10 = {high.dutch}"]
        assert item.english.splitlines()[-2:] == [f"0 = {low.english}", f"10 = {high.english}"]
    else:
        assert tuple(o.value for o in answers) == item.codes
        assert [text("nl", o.label) for o in answers] == [a.shipped[0] for a in item.anchors]
        assert [text("en", o.label) for o in answers] == [a.shipped[1] for a in item.anchors]
    assert [o.value for o in step.options if o.value in SPECIAL] == ["skip", "later"]


def test_choice_anchors_are_the_pilots_own_labels() -> None:
    """Every answer of a choice item has the seed's label: none is Coachbot's."""
    for item in ITEMS:
        if item.answer == "choice":
            assert all(a.seed is not None and a.seed.text == a.dutch for a in item.anchors)


def seed_lines() -> list[str]:
    if not SEED_PATH.exists():
        pytest.skip(f"the seed is not here: {SEED_PATH} (set COACHBOT_SEED)")
    return SEED_PATH.read_text(encoding="utf-8").splitlines()


def quotes(item: PilotItem) -> list[Quote]:
    found = [*item.question]
    if item.scale is not None:
        found.append(item.scale)
    found += [a.seed for a in item.anchors if a.seed is not None]
    if item.baseline is not None:
        found.append(item.baseline.quote)
    return found


def plain(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i.id)
def test_every_quote_is_on_its_lines_of_the_seed(item: PilotItem) -> None:
    lines = seed_lines()
    for quote in quotes(item):
        cited = plain(" ".join(lines[n - 1] for n in quote.lines))
        assert plain(quote.text) in cited, (quote.where, quote.text)


def test_baselines_are_the_reported_means_of_53_people() -> None:
    lines = seed_lines()
    means = {i.id: i.baseline for i in ITEMS if i.baseline is not None}
    assert {k: b.mean for k, b in means.items()} == {
        "life_satisfaction": 5.98,
        "meaningful": 6.57,
        "trust_people": 5.36,
        "trust_municipality": 7.26,
        "at_home": 7.91,
    }
    for baseline in means.values():
        assert f"{baseline.mean:.2f}".replace(".", ",") in baseline.quote.text
        assert baseline.n == 53
    assert "N=53" in lines[1612 - 1] and "(N=53)" in lines[1294 - 1]


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_translation_keeps_the_scale_ends_and_distinct_answers(code: str) -> None:
    for item in ITEMS:
        shown = text(code, f"survey.{item.id}")
        if item.answer == "scale":
            low, high = shown.splitlines()[-2:]
            assert low.startswith("0 = ") and high.startswith("10 = "), (code, item.id)
        else:
            step = next(s for s in steps("intake_survey") if s.id == item.id)
            labels = [text(code, o.label) for o in step.options if o.value not in SPECIAL]
            assert len(set(labels)) == len(item.anchors), (code, item.id, labels)


INFORMAL_TURKISH = re.compile(r"\b(sen|senin|sana|seni)\b|m[ıiuü]s[ıiuü]n\?|\w+s[ıiuü]n\?")


def test_turkish_questionnaire_says_siz() -> None:
    keys = [f"survey.{item.id}" for item in ITEMS] + ["survey.none", "survey.later"]
    for key in keys:
        shown = text("tr", key)
        assert not INFORMAL_TURKISH.search(shown), shown


def test_the_words_that_drifted_are_gone() -> None:
    """The findings of issue 14: useful for meaningful, happy for satisfied, "niet zo goed"
    for matig, "klopt" for agree, narrowed contact groups."""
    assert "nuttig" not in text("nl", "survey.meaningful")
    assert "useful" not in text("en", "survey.meaningful")
    assert "happy" not in text("en", "survey.life_satisfaction")
    assert text("nl", "survey.scale.health.fair") == "Matig"
    assert text("ar", "survey.scale.health.fair") != "مقبولة"  # "acceptable"
    assert all("Klopt" not in text("nl", f"survey.scale.agree.{n}") for n in range(1, 6))


def test_only_unchanged_pilot_items_get_the_baseline() -> None:
    life = next(i for i in ITEMS if i.id == "life_satisfaction")
    found = baseline_for("life_satisfaction", life.dutch + "\n", "scale")
    assert found is not None and found.mean == 5.98
    assert baseline_for("life_satisfaction", "Hoe blij ben je met je leven?", "scale") is None
    assert baseline_for("life_satisfaction", life.dutch, "scale", 1, 5) is None
    assert baseline_for("life_satisfaction", life.dutch, "choice") is None
    health = next(i for i in ITEMS if i.id == "health_physical")
    assert baseline_for("health_physical", health.dutch, "choice") is None  # no mean reported
    assert baseline_for("a_new_item", "Iets nieuws?", "scale") is None


def test_source_is_pilot_for_the_tables_items_and_new_otherwise() -> None:
    assert {source_of(i.id) for i in ITEMS} == {Source.PILOT}
    assert source_of("a_new_item") == Source.NEW


def test_the_table_names_an_end_the_seed_does_not_give_as_coachbots_own() -> None:
    life = next(i for i in ITEMS if i.id == "life_satisfaction")
    assert life.anchors[0].seed is None and life.anchors[1].seed is not None
    assert "`0` helemaal niet tevreden (Coachbot's)" in table_markdown()
    assert "`10` tevreden (line 1612)" in table_markdown()
