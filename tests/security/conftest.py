"""Shared pieces for the security tests: the e2e fixtures, a world with every role, and
helpers to wait for replies, let the bot settle and compare database snapshots.

The world (two coaches with a participant each, a deactivated coach with a participant,
a coordinator, a stranger) is built once per test module through the real bot and the
emulator; tests that use it run in the module's event loop (`IN_WORLD`) and leave it as
they found it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.sandbox.emulator import Emulator
from storage.people import Role
from storage.times import to_db
from tests.e2e.conftest import START, emu, harness
from tests.e2e.harness import (
    REPO,
    TOKEN,
    Harness,
    invite_participant,
    onboard,
    plan_appointment,
    register_coach,
    start_token,
)

__all__ = ["emu", "harness"]  # the e2e fixtures, for tests with a world of their own

IN_WORLD = pytest.mark.asyncio(loop_scope="module")

SANNE = 1001  # coach of Sara
TOM = 1002  # coach of Pim
DIRK = 1003  # coach of Lot, stopped by the coordinator
SARA = 3001
PIM = 3002
LOT = 3003
KIM = 9001  # coordinator
STRANGER = 7777  # never invited

ENGLISH = ["English", "Yes", "No weekly question"]


# --- the message catalog -------------------------------------------------------------

_MESSAGES: dict[str, str] | None = None


def messages() -> dict[str, str]:
    """messages/en.yaml as the bot loads it (raw templates)."""
    global _MESSAGES
    if _MESSAGES is None:
        from ruamel.yaml import YAML

        data = YAML(typ="safe").load((REPO / "messages" / "en.yaml").read_text("utf-8"))
        _MESSAGES = {str(k): str(v) for k, v in data["messages"].items()}
    return _MESSAGES


def text(key: str) -> str:
    """A message without variables, exactly as sent."""
    template = messages()[key]
    assert "{" not in template, f"{key} has variables; use marker()"
    return template.strip()


def marker(key: str) -> str:
    """The longest fixed line of a template: it appears in every rendering of it."""
    pieces = re.split(r"\{\{.*?\}\}|\{%.*?%\}", messages()[key], flags=re.S)
    lines = [line.strip() for piece in pieces for line in piece.splitlines()]
    return max(lines, key=len)


# --- waiting and settling --------------------------------------------------------------


def last_id(h: Harness, chat: int) -> int:
    """The id of the newest message in a private chat (0 for none): replies come after it."""
    found = h.emu.messages(chat)
    return found[-1]["message_id"] if found else 0


def body(message: dict[str, Any]) -> str:
    return message.get("text") or message.get("caption") or ""


async def reply_after(h: Harness, chat: int, after: int, timeout: float = 5.0) -> dict[str, Any]:
    """The first bot message in `chat` newer than message `after`."""
    return await h.emu.wait_for_bot_message(chat, timeout=timeout, after=after)


def new_bot_messages(h: Harness, chat: int, after: int) -> list[dict[str, Any]]:
    return [m for m in h.emu.bot_messages(chat) if m["message_id"] > after]


async def settle(h: Harness, timeout: float = 8.0) -> None:
    """Until every update is handled and every message that is due went out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    quiet = 0
    while True:
        due = await h.deps.db.scalar(
            "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending') AND due_at <= ?",
            (to_db(h.clock.now()),),
        )
        busy = due or h.emu.pending_update_count
        quiet = 0 if busy else quiet + 1
        if quiet >= 3:  # three looks in a row: nothing in flight
            return
        if loop.time() > deadline:
            raise AssertionError(
                f"the bot did not settle: {due} due messages, "
                f"{h.emu.pending_update_count} updates not handled"
            )
        if h.app is not None and h.app.dispatcher is not None:
            h.app.dispatcher.wake()
        await asyncio.sleep(0.02)


async def callback_toast(h: Harness, update: dict[str, Any], timeout: float = 5.0) -> str | None:
    """The toast the bot showed for a button press (None: answered without text)."""
    query_id = update["callback_query"]["id"]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (answer := h.emu.callback_answer(query_id)) is None:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"callback query {query_id} was never answered")
        await h.emu.wait_for_change(remaining)
    return answer.get("text")


async def person_id(h: Harness, telegram_id: int) -> int:
    found = await h.deps.db.scalar("SELECT id FROM people WHERE telegram_id = ?", (telegram_id,))
    assert found is not None, telegram_id
    return int(found)


async def refused(h: Harness, telegram_id: int) -> list[str | None]:
    """Values of the `refused` audit events logged for this person, oldest first."""
    rows = await h.deps.db.fetchall(
        "SELECT e.value FROM events e JOIN people p ON p.id = e.person_id"
        " WHERE e.type = 'refused' AND p.telegram_id = ? ORDER BY e.id",
        (telegram_id,),
    )
    return [r["value"] for r in rows]


async def cancel_open_runs(h: Harness) -> None:
    """Forget every question still waiting, so the next test starts from a quiet chat."""
    async with h.deps.db.transaction() as conn:
        await conn.execute(
            "UPDATE runs SET status = 'cancelled' WHERE status IN ('active', 'suspended', 'queued')"
        )


# --- snapshots ---------------------------------------------------------------------------

# Bookkeeping that any sign of life may touch; not a change of anything that matters here.
ACTIVITY_COLUMNS = frozenset({"last_contact_at", "silent_since"})


def plain(row: Any) -> dict[str, Any]:
    """A database row as a dict, without the activity bookkeeping."""
    return {k: v for k, v in dict(row).items() if k not in ACTIVITY_COLUMNS}


async def snapshot(h: Harness, tables: Iterable[str] = ()) -> dict[str, Any]:
    """Runs, appointments, people, timers, invites and the outbox (rows and pending ones)."""
    db = h.deps.db
    found: dict[str, Any] = {}
    for table in ("runs", "appointments", "people", "timers", "invites", *tables):
        rows = await db.fetchall(f"SELECT * FROM {table} ORDER BY id")
        found[table] = [plain(r) for r in rows]
    found["outbox_rows"] = await db.scalar("SELECT COUNT(*) FROM outbox")
    found["outbox_pending"] = [
        dict(r)
        for r in await db.fetchall(
            "SELECT id, person_id, chat_id, kind, status FROM outbox"
            " WHERE status IN ('pending', 'sending') ORDER BY id"
        )
    ]
    return found


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


# --- the world ---------------------------------------------------------------------------


@dataclass
class World:
    h: Harness

    @property
    def emu(self) -> Emulator:
        return self.h.emu


async def onboard_english(h: Harness, user: int, name: str, coach: int) -> str:
    token = await invite_participant(h, name, "English", coach=coach)
    await onboard(h, user, token, ENGLISH, "en")
    return token


async def build_world(h: Harness) -> World:
    await register_coach(h, SANNE, "Sanne")
    await onboard_english(h, SARA, "Sara", SANNE)
    await register_coach(h, TOM, "Tom")
    await onboard_english(h, PIM, "Pim", TOM)
    await register_coach(h, DIRK, "Dirk")
    await onboard_english(h, LOT, "Lot", DIRK)
    link = await h.staff_link(Role.COORDINATOR, "Kim")
    h.emu.add_user(KIM, "Kim", language_code="en")
    h.emu.send_command(KIM, "/start", args=start_token(link))
    await h.next_message(KIM, "coordinator")
    # The coordinator stops Dirk through /coaches, as in real use.
    h.emu.send_command(KIM, "/coaches")
    await h.next_message(KIM, "Which coach")
    await h.press(KIM, "Dirk")
    await h.next_message(KIM, "What should happen")
    await h.press(KIM, "Stop")
    await h.next_message(KIM, "Dirk is stopped")
    await plan_appointment(h, "Sara", "20 Oct", "14:00", "Dukenburg", coach=SANNE)
    h.emu.add_user(STRANGER, "Eve", language_code="en")
    h.emu.send_text(STRANGER, "hi")  # a stranger who found the bot and wrote to it
    await h.next_message(STRANGER)
    await settle(h)
    return World(h)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    emulator = Emulator(token=TOKEN, bot_username="coachbot_test_bot", host="127.0.0.1", port=0)
    await emulator.start()
    h = Harness(emulator, Path(tmp_path_factory.mktemp("world")), START)
    await h.start()
    try:
        yield await build_world(h)
    finally:
        await h.stop()
        await emulator.stop()
