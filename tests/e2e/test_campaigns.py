"""A plain scheduled question needs no Python: a flow file, its texts and one `campaigns`
entry in schedules.yaml (docs/architecture.md, "Where to change what")."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.content.bundle import check_content
from bot.sandbox.emulator import Emulator
from tests.e2e.conftest import START
from tests.e2e.harness import (
    AMS,
    COACH,
    REPO,
    Harness,
    invite_participant,
    onboard,
    register_coach,
)

SARA = 3001
FLOW = """\
flow: job_search
description: Once a month, how the search for work or volunteering goes.
audience: participant
start: ask
steps:
  ask:
    ask: job_search.how
    answer: choice
    options: [good, slow, later]
    timeout: 3d
    on_timeout: end
    next: thanks
  thanks:
    say: job_search.thanks
    next: end
"""
CAMPAIGN = """campaigns:
  - name: job_search
    flow: job_search
    every: 1mo
    at: "11:00"
    answer_window: 3d
"""
TEXTS = {
    "nl": {
        "job_search.how": "Hoi {{ name }} 👋 Hoe gaat het zoeken naar werk of vrijwilligerswerk?",
        "job_search.how.good": "Goed 👍",
        "job_search.how.slow": "Langzaam",
        "job_search.how.later": "Later",
        "job_search.thanks": "Dank je! 🌷",
    },
    "en": {
        "job_search.how": "Hi {{ name }} 👋 How is your search for work or volunteering going?",
        "job_search.how.good": "Good 👍",
        "job_search.how.slow": "Slowly",
        "job_search.how.later": "Later",
        "job_search.thanks": "Thank you! 🌷",
    },
}


def content_with_a_campaign(root: Path) -> Path:
    content = root / "content"
    shutil.copytree(REPO / "flows", content / "flows")
    shutil.copytree(REPO / "messages", content / "messages")
    (content / "flows" / "job_search.yaml").write_text(FLOW, encoding="utf-8")
    schedules = content / "flows" / "schedules.yaml"
    text = schedules.read_text(encoding="utf-8")
    assert "\ncampaigns: []\n" in text  # the shipped file declares none
    schedules.write_text(text.replace("\ncampaigns: []\n", "\n" + CAMPAIGN), encoding="utf-8")
    for code, texts in TEXTS.items():
        path = content / "messages" / f"{code}.yaml"
        lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
        at = lines.index("messages:") + 1
        lines[at:at] = [f'  {key}: "{text}"' for key, text in texts.items()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return content


@pytest.fixture
async def campaign_harness(emu: Emulator, tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(emu, tmp_path, START, content_dir=content_with_a_campaign(tmp_path))
    await h.start()
    yield h
    await h.stop()


def test_the_check_accepts_the_campaign_and_names_an_unknown_flow(tmp_path: Path) -> None:
    content = content_with_a_campaign(tmp_path)
    loaded, problems = check_content(content)
    assert loaded is not None and [p for p in problems if p.fatal] == []
    schedules = content / "flows" / "schedules.yaml"
    schedules.write_text(schedules.read_text().replace("flow: job_search", "flow: job_serch"))
    _, problems = check_content(content)
    assert any("unknown flow 'job_serch'" in str(p) for p in problems)


async def test_a_monthly_question_declared_in_schedules_comes_every_month(
    campaign_harness: Harness,
) -> None:
    h = campaign_harness
    await register_coach(h)
    token = await invite_participant(h, "Sara", "English")
    await onboard(h, SARA, token, ["English", "Yes", "No weekly question"], "en")
    await h.next_message(COACH, "joined")
    # Consent on Monday 19 October 11:00: the first month ends Thursday 19 November.
    await h.travel_to(datetime(2026, 11, 19, 10, 59, tzinfo=AMS))
    assert not any("search for work" in t for t in h.all_texts(SARA))
    await h.travel_to(datetime(2026, 11, 19, 11, 0, tzinfo=AMS))
    await h.next_message(SARA, "How is your search for work")
    await h.press(SARA, "Good")
    await h.next_message(SARA, "Thank you! 🌷")
    answers = await h.deps.db.fetchall(
        "SELECT value FROM events WHERE type = 'answer' AND flow_id = 'job_search'"
    )
    assert [r["value"] for r in answers] == ["good"]
    # And again a month later (after the change to winter time: still 11:00 local).
    await h.travel_to(datetime(2026, 12, 19, 11, 0, tzinfo=AMS))
    again = await h.next_message(SARA, "How is your search for work")
    assert again
