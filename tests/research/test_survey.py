"""Questionnaire items from the flows: codes, scores, "later", and the codebook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bot.engine.model import AnswerType, Flow, Option, Step, StepKind
from bot.research.codebook import entries
from bot.research.rows import EventRow, PersonRow, Scope, Snapshot
from bot.research.survey import items_from_content, surveys

HEALTH = ["poor", "fair", "good", "very_good", "excellent"]
MESSAGES = {
    "survey.life": "How satisfied are you with your life, {{ name }}?",
    "survey.health": "How is your health?",
    "survey.skip": "I'd rather not say",
    **{f"survey.health.{h}": h.replace("_", " ").capitalize() for h in HEALTH},
    "checkin.how": "How are you?",
    "checkin.how.great": "Great 😀",
}
SPECIAL = [Option("skip", "survey.skip"), Option("later", "survey.later")]


def _flow(flow_id: str) -> Flow:
    steps = {
        "life_satisfaction": Step(
            "life_satisfaction",
            StepKind.ASK,
            "survey.life",
            AnswerType.SCALE,
            options=tuple(SPECIAL),
        ),
        "health_physical": Step(
            "health_physical",
            StepKind.ASK,
            "survey.health",
            AnswerType.CHOICE,
            options=tuple(Option(h, f"survey.health.{h}") for h in HEALTH) + tuple(SPECIAL),
        ),
        "done": Step("done", StepKind.SAY, "survey.done"),
    }
    return Flow(flow_id, "participant", "life_satisfaction", steps)


CONTENT = SimpleNamespace(
    flows={
        "intake_survey": _flow("intake_survey"),
        "evaluation_survey": _flow("evaluation_survey"),
        "checkin": Flow(
            "checkin",
            "participant",
            "how",
            {
                "how": Step(
                    "how",
                    StepKind.ASK,
                    "checkin.how",
                    AnswerType.CHOICE,
                    options=(Option("great", "checkin.how.great"),),
                ),
            },
        ),
    },
    catalogs=SimpleNamespace(by_code={"en": SimpleNamespace(messages=MESSAGES)}),
)


def test_items_come_from_the_questionnaire_flows() -> None:
    life, health = items_from_content(CONTENT)
    assert (life.id, life.answer) == ("life_satisfaction", "scale")
    assert life.label == "How satisfied are you with your life, …?"
    assert life.score("7") == 7 and life.score("skip") is None and life.score("later") is None
    assert health.score("poor") == 1 and health.score("excellent") == 5
    assert health.scale == "1 = Poor … 5 = Excellent"
    assert dict(health.codes)["very_good"] == "Very good"
    assert "skip" in dict(health.codes) and "later" in dict(health.codes)
    assert items_from_content(None) == []


def test_choice_items_are_averaged_by_score_and_later_is_no_answer() -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    people = tuple(
        PersonRow(i, "participant", "nl", None, "active", None, None, None, start)
        for i in range(1, 7)
    )
    events = []
    for i in range(1, 7):
        t0, t1 = HEALTH[i % 3], HEALTH[i % 3 + 1]  # everyone one step better
        events += [
            EventRow(
                len(events) + 1,
                start,
                "answer",
                i,
                flow_id="intake_survey",
                step="health_physical",
                value=t0,
            ),
            EventRow(
                len(events) + 2,
                start + timedelta(days=90),
                "answer",
                i,
                flow_id="evaluation_survey",
                step="health_physical",
                value=t1,
            ),
            EventRow(
                len(events) + 3,
                start + timedelta(days=91),
                "answer",
                i,
                flow_id="evaluation_survey",
                step="health_physical",
                value="later",
            ),
        ]
    result = surveys(Snapshot(people, tuple(events)), Scope(UTC), items_from_content(CONTENT))
    life, health = result.items
    assert life.t0.n == 0
    assert health.pairs.n == 6
    assert health.diff.value == 1.0
    assert health.t0_mean.value == (2 + 3 + 1 + 2 + 3 + 1) / 6


def test_codebook_lists_answer_codes_of_every_flow() -> None:
    rows = entries(Snapshot((), ()), items_from_content(CONTENT), CONTENT)
    codes = {(r.column, r.code): r.meaning for r in rows if r.code}
    assert codes[("value (checkin/how)", "great")] == "Great 😀"
    assert codes[("value (health_physical)", "poor")] == "Poor (score 1)"
    assert ("value (life_satisfaction)", "10") in codes
    assert codes[("item", "health_physical")] == "How is your health?"
    assert not any("intake_survey" in r.column for r in rows)  # items have their own table
