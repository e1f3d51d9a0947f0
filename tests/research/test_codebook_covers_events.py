"""Every event type the bot writes is described in the researchers' codebook."""

from __future__ import annotations

import re
from pathlib import Path

from bot.research.codebook import EVENT_TYPES

BOT = Path(__file__).resolve().parents[2] / "bot"
CALL = re.compile(r"log_event\(\s*[^,]+,\s*[^,]+,\s*(f?)\"([a-z_{}.]+)\"", re.S)
EXPANSIONS = {
    "appointment_{status.value}": ["appointment_confirmed", "appointment_declined"],
    "attendance_{attendance.value}": [
        "attendance_came",
        "attendance_no_show",
        "attendance_cancelled",
    ],
}


def logged_types() -> set[str]:
    found: set[str] = set()
    for path in BOT.rglob("*.py"):
        for _f, name in CALL.findall(path.read_text("utf-8")):
            found.update(EXPANSIONS.get(name, [name]))
    return found


def test_the_scan_finds_the_event_calls() -> None:
    assert {"answer", "linked", "forgotten", "attendance_no_show"} <= logged_types()


def test_every_logged_event_type_is_in_the_codebook() -> None:
    missing = sorted(t for t in logged_types() if t not in EVENT_TYPES and "{" not in t)
    assert missing == []
