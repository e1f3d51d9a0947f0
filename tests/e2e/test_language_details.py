"""Language details through the real bot: the time a participant reads is the time the
coach planned (24-hour clock) in Arabic, Somali and Tigrinya, the example address carries
no English note, and a scale answered with a Persian digit counts."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.e2e.harness import (
    AMS,
    COACH,
    REPO,
    Harness,
    answer,
    invite_participant,
    onboard,
    plan_appointment,
    register_coach,
)

AMAL = 6001
TWELVE_HOUR = re.compile(r"\d\s*(AM|PM|GH|GD|\u0635|\u0645|ቅ\.ቀ\.|ድ\.ቀ\.)")


def catalog(code: str) -> dict[str, Any]:
    data: Any = YAML(typ="safe").load((REPO / "messages" / f"{code}.yaml").read_text("utf-8"))
    return data


async def join(h: Harness, code: str) -> dict[str, str]:
    data = catalog(code)
    texts = dict(data["messages"])
    await register_coach(h)
    token = await invite_participant(h, "Amal", data["name"])
    await onboard(
        h,
        AMAL,
        token,
        [data["name"], texts["common.yes"], texts["onboarding.checkin_day.none"]],
        code,
    )
    return texts


@pytest.mark.parametrize("code", ["ar", "so", "ti"])
async def test_the_participant_reads_the_time_the_coach_planned_and_no_example_note(
    harness: Harness, code: str
) -> None:
    h = harness
    await join(h, code)
    await plan_appointment(h, "Amal", "21 Oct", "14:00", "Dukenburg")
    planned = await h.next_message(AMAL, "Dukenburg")
    assert "14:00" in planned["text"]
    assert "Meijhorst 1, Nijmegen" in planned["text"]
    assert "example" not in planned["text"].lower()
    assert not TWELVE_HOUR.search(planned["text"])
    assert any("14:00" in t and "Amal" in t for t in h.all_texts(COACH))
    await h.travel_to(datetime(2026, 10, 20, 10, 0, tzinfo=AMS))  # the day-before reminder
    reminder = await h.next_message(AMAL, "Dukenburg")
    assert "14:00" in reminder["text"] and not TWELVE_HOUR.search(reminder["text"])


async def test_a_scale_answered_with_a_persian_digit_counts(harness: Harness) -> None:
    h = harness
    fa = await join(h, "fa")
    h.emu.send_command(COACH, "/caseload")
    for label in ("Amal", "Questionnaire", "Start (intake)"):
        await answer(h, COACH, label)
    await h.next_message(AMAL, fa["survey.life_satisfaction"].strip()[:20])
    h.emu.send_text(AMAL, "۷")
    await h.next_message(AMAL, fa["survey.meaningful"].strip()[:20])
    h.emu.send_text(AMAL, "١٠")  # Arabic digits, as some Persian keyboards type them
    await h.next_message(AMAL, fa["survey.trust_people"].strip()[:20])
    rows = await h.deps.db.fetchall(
        "SELECT step, value FROM events WHERE type = 'answer' AND flow_id = 'intake_survey'"
        " ORDER BY id"
    )
    assert [(r["step"], r["value"]) for r in rows] == [
        ("life_satisfaction", "7"),
        ("meaningful", "10"),
    ]
    assert not any("۷" in t or "١٠" in t for t in h.all_texts(COACH))  # not passed on as a message
