"""Erasure and the right of access through the real bot.

After /forget a planted name and Telegram id are in none of the database's files (the
database, its WAL, its shared memory) and not in a backup made afterwards, also where they
were in other people's rows (the coach's cancelled and suspended runs, a relayed message,
the goodbye itself). /mydata holds the participant's own data and no other person's ids,
chat ids or names. The same greps after a SIGKILL of the real process are in
tests/reliability/test_erasure_kill.py.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from storage.backup import backup_database
from storage.erasure import ERASED, OTHER
from storage.people import Role
from tests.e2e.harness import (
    COACH,
    Harness,
    buttons,
    invite_participant,
    onboard,
    register_coach,
    start_token,
)

# Canaries: a name nobody else has (with a letter that JSON escapes) and a Telegram id
# whose decimal text cannot turn up by chance.
NAME = "Zyxwüvq"
PERSON = 7_395_184_260
OTHER_NAME = "Bertje"
OTHER_PERSON = 6_284_073_159
COORDINATOR = 9_001_002_003


def canaries(name: str, telegram_id: int) -> dict[str, bytes]:
    """The byte strings that betray a person in a raw SQLite file."""
    found = {
        "name (UTF-8)": name.encode(),
        "name (JSON)": json.dumps(name).strip('"').encode(),
        "id (text)": str(telegram_id).encode(),
    }
    # As a SQLite record integer: big-endian in the fewest of 1, 2, 3, 4, 6 or 8 bytes.
    size = next(n for n in (1, 2, 3, 4, 6, 8) if telegram_id < 2 ** (8 * n - 1))
    found["id (SQLite integer)"] = telegram_id.to_bytes(size, "big")
    return found


def traces(files: Iterable[Path], name: str = NAME, telegram_id: int = PERSON) -> list[str]:
    """Which canary is in which file."""
    found = []
    for file in files:
        if file.exists():
            data = file.read_bytes()
            found += [
                f"{what} in {file.name}"
                for what, pattern in canaries(name, telegram_id).items()
                if pattern in data
            ]
    return found


def db_files(db: Path) -> list[Path]:
    return [db, Path(f"{db}-wal"), Path(f"{db}-shm")]


async def until_clean(files: list[Path], timeout: float = 10.0) -> None:
    """The erasure is settled in the background just after its transaction: wait for it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while found := traces(files):
        if loop.time() > deadline:
            raise AssertionError(f"still there {timeout:.0f} s after the erasure: {found}")
        await asyncio.sleep(0.05)


async def pick(h: Harness, chat: int, label: str) -> None:
    """Wait for a question offering `label`, and press it."""
    while not any(label in t for t, d in buttons(await h.next_message(chat)) if d != "x"):
        pass
    await h.press(chat, label)


async def two_participants(h: Harness) -> None:
    await register_coach(h)
    token = await invite_participant(h, NAME, "English")
    await onboard(h, PERSON, token, ["English", "Yes", "No weekly question"], "en")
    other = await invite_participant(h, OTHER_NAME, "English")
    await onboard(h, OTHER_PERSON, other, ["English", "Yes", "No weekly question"], "en")


async def test_forget_leaves_no_name_or_telegram_id_in_any_file_or_a_later_backup(
    harness: Harness, tmp_path: Path
) -> None:
    h = harness
    await two_participants(h)
    h.emu.send_text(PERSON, "hello coach")  # relayed: the coach's copy names their chat
    header = await h.next_message(COACH, "wrote")
    h.emu.send_text(COACH, "Hi!", reply_to_message_id=header["message_id"])
    await h.next_message(PERSON, "Hi!")
    # The coach starts a nudge for them twice (the first run is cancelled), then opens the
    # caseload (the second is suspended): their states show the name.
    h.emu.send_command(COACH, "/nudge")
    await pick(h, COACH, NAME)
    await h.next_message(COACH, "Which message")
    h.emu.send_command(COACH, "/nudge")
    await h.next_message(COACH, "Appointment with whom")
    h.emu.send_command(COACH, "/caseload")
    await h.next_message(COACH)
    files = db_files(h.db_path)
    assert traces(files), "the canaries should be findable before the erasure"

    h.emu.send_command(PERSON, "/forget")
    await h.next_message(PERSON, "erase your data")
    await h.press(PERSON, "Yes")
    await h.next_message(PERSON, "Your data is erased")
    note = await h.next_message(COACH, "asked to erase")
    assert NAME in note["text"]  # the coach is told who
    await until_clean(files)

    db = h.deps.db
    assert await db.scalar("SELECT COUNT(*) FROM outbox WHERE chat_id = ?", (PERSON,)) == 0
    states = [r["state"] for r in await db.fetchall("SELECT state FROM runs")]
    assert any(json.dumps(ERASED) in s for s in states)  # the open runs were scrubbed
    person = await db.scalar("SELECT id FROM people WHERE name = ?", (ERASED,))
    assert await db.scalar("SELECT COUNT(*) FROM events WHERE person_id = ?", (person,)) > 0

    copy = tmp_path / "backup-after-erasure.sqlite3"
    backup_database(h.db_path, copy)
    assert traces([copy]) == []
    assert OTHER_NAME.encode() in copy.read_bytes()  # the grep does see what is there
    # The bot keeps working for the others, and the coach's scrubbed question still works.
    h.emu.send_text(OTHER_PERSON, "still here")
    await h.next_message(COACH, "wrote")
    await until_clean(files)


async def test_forget_by_a_coordinator_is_settled_the_same_way(harness: Harness) -> None:
    h = harness
    await two_participants(h)
    link = await h.staff_link(Role.COORDINATOR, "Kim")
    h.emu.add_user(COORDINATOR, "Kim", language_code="en")
    h.emu.send_command(COORDINATOR, "/start", args=start_token(link))
    await h.next_message(COORDINATOR, "coordinator")
    h.emu.send_command(COORDINATOR, "/forget")
    await pick(h, COORDINATOR, "Sanne")
    await pick(h, COORDINATOR, NAME)
    await pick(h, COORDINATOR, "Yes")
    await h.next_message(COORDINATOR, "Done")
    await h.next_message(PERSON, "Your data is erased")
    await h.next_message(COACH, "asked to erase")
    await until_clean(db_files(h.db_path))


def _values(data: Any, key: str = "") -> Iterable[tuple[str, Any]]:
    """Every (key, value) pair in a JSON document."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _values(v, k)
    elif isinstance(data, list):
        for v in data:
            yield from _values(v, key)
    else:
        yield key, data


async def test_mydata_holds_no_one_elses_identifiers(harness: Harness) -> None:
    h = harness
    await two_participants(h)
    h.emu.send_text(PERSON, "hello coach")  # notes to the coach about them, in the coach's chat
    header = await h.next_message(COACH, "wrote")
    h.emu.send_text(COACH, "Hi!", reply_to_message_id=header["message_id"])  # a copy from the coach
    await h.next_message(PERSON, "Hi!")
    h.emu.send_text(OTHER_PERSON, "me too")
    await h.next_message(COACH, "wrote")
    h.emu.send_command(PERSON, "/mydata")
    doc = await h.emu.wait_for_bot_message(PERSON, predicate=lambda m: "document" in m, timeout=5)
    raw = h.emu.files.get(doc["document"]["file_id"]).data.decode()
    data = json.loads(raw)

    db = h.deps.db
    own = await db.scalar("SELECT id FROM people WHERE telegram_id = ?", (PERSON,))
    others = await db.fetchall("SELECT id, name, telegram_id FROM people WHERE id != ?", (own,))
    assert {r["name"] for r in others} == {"Sanne", OTHER_NAME}
    assert data["people"][0]["name"] == NAME and data["people"][0]["telegram_id"] == PERSON
    assert {"runs", "events", "outbox", "invites"} <= set(data)
    assert any(row.get("about_id") == own for row in data["outbox"])  # notes about them stay
    for other in others:
        assert other["name"] not in raw
        assert not re.search(rf"(?<!\w){other['telegram_id']}(?!\w)", raw), other["name"]
    for key, value in _values(data):
        if key in ("person_id", "participant_id", "about_id", "coach_id", "backup_id"):
            assert value in (own, None, OTHER), (key, value)
        if key in ("chat_id", "from_chat_id", "telegram_id"):
            assert value in (PERSON, None, OTHER), (key, value)
        if key == "ref" and isinstance(value, str) and value.startswith("from:"):
            assert value == f"from:{OTHER}"
