"""Online backup while the bot runs (and a clean start from the copy), and retention."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

from bot.app import CoachbotApp, Options
from storage.backup import backup_database
from tests.e2e.harness import (
    AMS,
    COACH,
    REPO,
    TOKEN,
    Harness,
    answer,
    invite_participant,
    onboard,
    register_coach,
)

SARA = 3001


async def joined(h: Harness) -> None:
    await register_coach(h)
    token = await invite_participant(h, "Sara", "English")
    await onboard(h, SARA, token, ["English", "Yes", "No weekly question"], "en")


async def test_backup_while_running_restores_cleanly(harness: Harness, tmp_path: Path) -> None:
    h = harness
    await joined(h)
    copy = tmp_path / "copy.sqlite3"
    pages = backup_database(h.db_path, copy)
    assert pages > 0
    h.emu.send_command(SARA, "/coach")  # the bot keeps working during and after
    await h.next_message(COACH, "asks you to contact them")
    await h.stop()
    restored = CoachbotApp(
        Options(token=TOKEN, db_path=copy, content_dir=REPO, api_url=h.emu.base_url), h.clock
    )
    await restored.start()
    try:
        assert restored.deps is not None
        names = await restored.deps.db.fetchall("SELECT name FROM people ORDER BY id")
        assert [r["name"] for r in names] == ["Sanne", "Sara"]
    finally:
        await restored.stop()


def test_backup_command_copies_and_checks(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite3"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "invite",
            "coach",
            "--name",
            "A",
            "--bot-username",
            "b",
            "--db",
            str(db),
        ],
        check=True,
        capture_output=True,
    )
    out = tmp_path / "backup.sqlite3"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "backup", "--db", str(db), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout and out.exists()


async def test_data_is_erased_24_months_after_the_last_followup(harness: Harness) -> None:
    h = harness
    await joined(h)
    h.emu.send_command(COACH, "/caseload")
    for label in ("Sara", "End trajectory", "Paid work", "6 Paid work", "Yes"):
        await answer(h, COACH, label)
    await h.next_message(COACH, "ended")
    # Ended 19 Oct 2026; the last follow-up is 6 months later; 24 months after that:
    await h.travel_to(datetime(2029, 4, 18, 9, 0, tzinfo=AMS))
    assert (
        await h.deps.db.scalar("SELECT name FROM people WHERE telegram_id = ?", (SARA,)) == "Sara"
    )
    await h.travel_to(datetime(2029, 4, 21, 9, 0, tzinfo=AMS))
    row = (await h.deps.db.fetchall("SELECT * FROM people WHERE role = 'participant'"))[0]
    assert row["name"] == "—" and row["telegram_id"] is None
    assert (
        await h.deps.db.scalar("SELECT value FROM events WHERE type = 'forgotten'") == "retention"
    )
