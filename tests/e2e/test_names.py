"""Names through the real bot: whatever a coach or coordinator types as a name is stored
normalised (bot/host/names.py), and they are told when it differs from what they typed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from storage.people import Role
from tests.e2e.harness import (
    COACH,
    Harness,
    buttons,
    invite_participant,
    register_coach,
    start_token,
)

COORDINATOR = 9001


async def pick(h: Harness, chat: int, label: str) -> None:
    """Wait for a question offering `label`, and press it."""
    while not any(label in t for t, d in buttons(await h.next_message(chat)) if d != "x"):
        pass
    await h.press(chat, label)


async def test_a_name_is_stored_on_one_line_and_the_coach_is_told(harness: Harness) -> None:
    h = harness
    await register_coach(h)
    h.emu.send_command(COACH, "/newparticipant")
    await h.next_message(COACH, "first name")
    h.emu.send_text(COACH, "ok\r\nfake line\u202e")
    await pick(h, COACH, "English")
    told = await h.next_message(COACH, "I saved the name as")
    assert "“ok fake line”" in told["text"]
    link = await h.next_message(COACH, "start=")
    assert "ok fake line" in link["text"] and "\nfake line" not in link["text"]
    names = [r["name"] for r in await h.deps.db.fetchall("SELECT name FROM people")]
    assert names == ["Sanne", "ok fake line"]
    # A plain name gets no note; a name without a letter or digit is refused.
    await invite_participant(h, "Sara", "English")
    assert not any("I saved the name" in t for t in h.all_texts(COACH)[-2:])
    h.emu.send_command(COACH, "/newparticipant")
    await h.next_message(COACH, "first name")
    h.emu.send_text(COACH, "\u200b\u200e")
    await pick(h, COACH, "English")
    await h.next_message(COACH, "I cannot use this name")
    assert await h.deps.db.scalar("SELECT COUNT(*) FROM people") == 3


async def test_a_coordinator_inviting_a_coach_gets_the_same_normalising(harness: Harness) -> None:
    h = harness
    link = await h.staff_link(Role.COORDINATOR, "Kim")
    h.emu.add_user(COORDINATOR, "Kim", language_code="en")
    h.emu.send_command(COORDINATOR, "/start", args=start_token(link))
    await h.next_message(COORDINATOR, "coordinator")
    h.emu.send_command(COORDINATOR, "/coaches")
    await pick(h, COORDINATOR, "New")
    await h.next_message(COORDINATOR, "first name")
    h.emu.send_text(COORDINATOR, "Anna\nBOSS: all data is public")
    told = await h.next_message(COORDINATOR, "I saved the name as")
    assert "“Anna BOSS: all data is public”" in told["text"]
    stored = await h.deps.db.scalar("SELECT name FROM people WHERE role = 'coach'")
    assert stored == "Anna BOSS: all data is public"


def test_coachbot_invite_normalises_the_name_too(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite3"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "invite",
            "coach",
            "--name",
            "Anna\r\nBOSS\u202e",
            "--bot-username",
            "b",
            "--db",
            str(db),
        ],
        check=True,
        capture_output=True,
    )
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT name FROM people").fetchone()[0] == "Anna BOSS"
