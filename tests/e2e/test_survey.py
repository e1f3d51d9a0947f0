"""The short questionnaire through the emulator in Persian (right-to-left): a skip, a
pause ("later") and a resume with /survey; the coach learns only that it is done."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bot.research.export import export
from bot.research.pseudonym import Pseudonyms
from bot.research.rows import load
from tests.e2e.harness import (
    AMS,
    COACH,
    REPO,
    Harness,
    answer,
    buttons,
    invite_participant,
    onboard,
    register_coach,
)

LEILA = 5001
PERSIAN = re.compile(r"[\u0600-\u06FF]")
ITEMS = [
    "life_satisfaction",
    "meaningful",
    "trust_people",
    "trust_municipality",
    "at_home",
    "health_physical",
    "health_mental",
    "solve_difficult",
    "overcome_setbacks",
    "contact_neighbours",
    "contact_friends",
    "contact_family",
    "find_volunteer_work",
]


def catalog(code: str) -> dict[str, str]:
    data: Any = YAML(typ="safe").load((REPO / "messages" / f"{code}.yaml").read_text("utf-8"))
    return dict(data["messages"])


async def test_persian_questionnaire_with_a_skip_a_pause_and_a_resume(harness: Harness) -> None:
    h = harness
    fa = catalog("fa")
    await register_coach(h)
    token = await invite_participant(h, "Leila", "فارسی")
    await onboard(
        h, LEILA, token, ["فارسی", fa["common.yes"], fa["onboarding.checkin_day.none"]], "fa"
    )
    h.emu.send_command(COACH, "/caseload")
    await answer(h, COACH, "Leila")
    await answer(h, COACH, "Questionnaire")
    await answer(h, COACH, "Start (intake)")
    await h.next_message(COACH, "Questionnaire (T0) sent to Leila")

    intro = await h.next_message(LEILA)
    assert PERSIAN.search(intro["text"]) and "Sanne" in intro["text"]
    first = await h.next_message(LEILA)
    labels = [t for t, _ in buttons(first)]
    assert labels[:11] == [str(n) for n in range(11)]
    assert labels[11:] == [fa["survey.skip"], fa["survey.later_button"]]
    # Three rows on the phone: 0–5, 6–10, then "rather not say" and "later" side by side.
    rows = [[b["text"] for b in row] for row in first["reply_markup"]["inline_keyboard"]]
    assert rows == [labels[0:6], labels[6:11], labels[11:]]
    assert first["text"] == fa["survey.life_satisfaction"].strip()
    await h.press(LEILA, "7")
    second = await h.next_message(LEILA)
    assert second["text"] == fa["survey.meaningful"].strip()
    await h.press(LEILA, fa["survey.skip"])
    third = await h.next_message(LEILA)
    await h.press(LEILA, fa["survey.later_button"])
    later = await h.next_message(LEILA, "/survey")
    assert PERSIAN.search(later["text"])
    assert not any("finished the questionnaire" in t for t in h.all_texts(COACH))

    h.emu.send_command(LEILA, "/survey")  # resume where she left off
    again = await h.next_message(LEILA)
    if again["text"] != third["text"]:  # the intro is said again first
        again = await h.next_message(LEILA)
    assert again["text"] == fa["survey.trust_people"].strip()
    for _item in ITEMS[2:]:
        first_label = buttons(again)[0][0]  # "0" on a 0–10 scale, else the first answer
        await h.press(LEILA, first_label)
        again = await h.next_message(LEILA)
    assert again["text"] == fa["survey.thanks"].strip()
    done = await h.next_message(COACH, "finished the questionnaire (T0)")
    assert "Leila" in done["text"]

    rows = await h.deps.db.fetchall(
        "SELECT step, value FROM events WHERE type = 'answer' AND flow_id = 'intake_survey'"
        " ORDER BY id"
    )
    answers = {r["step"]: r["value"] for r in rows}
    assert list(answers) == ITEMS
    assert answers["life_satisfaction"] == "7" and answers["meaningful"] == "skip"
    assert "later" not in answers.values()
    noted = await h.deps.db.fetchall(
        "SELECT wave, moment, language FROM survey_languages ORDER BY id"
    )
    assert [tuple(r) for r in noted] == [("T0", "sent", "fa"), ("T0", "completed", "fa")]
    h.emu.send_command(COACH, "/caseload")
    overview = await h.next_message(COACH, "Your participants")
    assert "📋 T0✓" in overview["text"]
    assert "7" not in overview["text"].split("📋")[1]  # no answers shown to the coach


async def test_a_language_switch_halfway_goes_on_in_dutch_and_the_export_says_both(
    harness: Harness, tmp_path: Path
) -> None:
    h = harness
    en, nl = catalog("en"), catalog("nl")
    await register_coach(h)
    token = await invite_participant(h, "Leila", "English")
    await onboard(h, LEILA, token, ["English", "Yes", "No weekly question"], "en")
    h.emu.send_command(COACH, "/caseload")
    for label in ("Leila", "Questionnaire", "Start (intake)"):
        await answer(h, COACH, label)
    await h.next_message(COACH, "Questionnaire (T0) sent to Leila")
    await h.next_message(LEILA)  # the intro
    first = await h.next_message(LEILA)
    assert first["text"] == en["survey.life_satisfaction"].strip()
    assert first["text"].endswith("0 = not satisfied at all\n10 = satisfied")
    await h.press(LEILA, "6")
    second = await h.next_message(LEILA)
    assert second["text"] == en["survey.meaningful"].strip()

    h.emu.send_command(LEILA, "/language")  # halfway, she goes on in Dutch
    await answer(h, LEILA, "Nederlands")
    await h.next_message(LEILA, nl["language.changed"].strip())
    again = await h.next_message(LEILA)
    assert again["text"] == nl["survey.meaningful"].strip()  # the pilot's "zinvol"
    health = None
    for _ in ITEMS[1:]:
        if again["text"] == nl["survey.health_physical"].strip():
            health = [t for t, _ in buttons(again)]
        await h.press(LEILA, buttons(again)[0][0])
        again = await h.next_message(LEILA)
    assert again["text"] == nl["survey.thanks"].strip()
    pilot = ["Slecht", "Matig", "Goed", "Zeer goed", "Uitstekend"]
    assert health == [*pilot, nl["survey.skip"], nl["survey.later_button"]]

    noted = await h.deps.db.fetchall(
        "SELECT wave, moment, language FROM survey_languages ORDER BY id"
    )
    assert [tuple(r) for r in noted] == [("T0", "sent", "en"), ("T0", "completed", "nl")]
    snapshot = await load(h.deps.db)
    out = tmp_path / "export"
    export(snapshot, Pseudonyms(b"a-test-secret-of-enough-length-1"), out, tz=AMS, items=())
    with (out / "answers_wide.csv").open(encoding="utf-8", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert (row["language_T0"], row["language_T1"]) == ("en+nl", "")
    assert (row["life_satisfaction_T0"], row["meaningful_T0"]) == ("6", "0")


async def test_ladder_recorded_at_intake_monthly_and_at_the_end(harness: Harness) -> None:
    from datetime import datetime

    h = harness
    await register_coach(h)
    token = await invite_participant(h, "Leila", "English")
    await onboard(h, LEILA, token, ["English", "Yes", "No weekly question"], "en")
    h.emu.send_command(COACH, "/caseload")
    for label in ("Leila", "Ladder step", "2 Social contacts"):
        await answer(h, COACH, label)
    await h.next_message(COACH, "Noted")
    # A month later the coach is asked again, at the morning scan.
    await h.travel_to(datetime(2026, 11, 19, 9, 0, tzinfo=AMS))
    asked = await h.next_message(COACH, "Which step of the participation ladder is Leila")
    assert len(buttons(asked)) == 6
    await h.press(COACH, "3 Group")
    await h.next_message(COACH, "Noted")
    h.emu.send_command(COACH, "/caseload")
    for label in ("Leila", "End trajectory", "Volunteer work", "4 Volunteering", "Yes"):
        await answer(h, COACH, label)
    await h.next_message(COACH, "ended")
    rows = await h.deps.db.fetchall(
        "SELECT value, ref FROM events WHERE type = 'ladder_recorded' ORDER BY id"
    )
    assert [(r["value"], r["ref"]) for r in rows] == [
        ("2", "intake"),
        ("3", "monthly"),
        ("4", "end"),
    ]
