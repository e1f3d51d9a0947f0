"""Erasure and SIGKILL: the real `coachbot` process against the Bot API emulator.

Once /forget has been answered, the planted name and Telegram id are in none of the
database's files; a SIGKILL then brings nothing back (no WAL frame to recover), nor does
the next start, and `coachbot backup` afterwards copies none of it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.emulator import Emulator
from tests.e2e.conftest import START
from tests.e2e.harness import COACH, Harness, invite_participant, onboard, start_token
from tests.e2e.test_erasure import NAME, PERSON, db_files, traces, until_clean
from tests.reliability.botprocess import BotProcess

REPO = Path(__file__).resolve().parents[2]
TOKEN = "123456:ERASURE-TEST-TOKEN"
USERNAME = "coachbot_test_bot"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Harness, BotProcess]]:
    """A coach (invited with `coachbot invite`) and a participant who joined, both through
    the real process; the Harness is only used to talk through the emulator."""
    emu = Emulator(token=TOKEN, bot_username=USERNAME, host="127.0.0.1", port=0)
    await emu.start()
    h = Harness(emu, tmp_path, START)
    bot = BotProcess(h.db_path, emu.base_url, TOKEN, tmp_path / "bot.log", REPO)
    try:
        link = _cli(
            "invite", "coach", "--name", "Sanne", "--bot-username", USERNAME, "--db", str(h.db_path)
        ).strip()
        bot.start()
        await bot.wait_ready(timeout=60)
        emu.add_user(COACH, "Sanne", language_code="en")
        emu.send_command(COACH, "/start", args=start_token(link))
        await h.next_message(COACH, "Sanne", timeout=15)
        token = await invite_participant(h, NAME, "English")
        await onboard(h, PERSON, token, ["English", "Yes", "No weekly question"], "en")
        emu.send_text(PERSON, "hello coach")
        await h.next_message(COACH, "wrote")
        yield h, bot
    except BaseException:
        print(f"last bot output:\n{bot.tail()}")
        raise
    finally:
        bot.cleanup()
        await emu.stop()


def _cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def _forget(h: Harness, *, hold_the_first_goodbye: bool = False) -> None:
    h.emu.send_command(PERSON, "/forget")
    await h.next_message(PERSON, "erase your data")
    if hold_the_first_goodbye:  # the emulator holds the next message the bot sends
        h.emu.inject_fault("sendMessage", "slow", count=1, delay=2.0)
    await h.press(PERSON, "Yes")


async def test_after_the_erasure_a_sigkill_and_a_restart_bring_nothing_back(
    world: tuple[Harness, BotProcess], tmp_path: Path
) -> None:
    h, bot = world
    files = db_files(h.db_path)
    assert traces(files)
    await _forget(h)
    await h.next_message(PERSON, "Your data is erased")
    await h.next_message(COACH, "asked to erase")
    await until_clean(files)  # while the bot runs
    assert await bot.kill() is None
    assert traces(files) == []  # the kill leaves no WAL frame behind with them
    await bot.wait_lock_free()
    bot.start()
    await bot.wait_ready(timeout=60)
    assert traces(files) == []
    _cli("backup", "--db", str(h.db_path), "--out", str(tmp_path / "backup.sqlite3"))
    assert traces([tmp_path / "backup.sqlite3"]) == []
    assert await bot.terminate(timeout=30) == 0
    assert traces(files) == []


async def test_a_sigkill_before_the_erasure_settled_is_finished_by_the_next_start(
    world: tuple[Harness, BotProcess],
) -> None:
    h, bot = world
    files = db_files(h.db_path)
    await _forget(h, hold_the_first_goodbye=True)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while h.emu.state()["faults"]:  # the first goodbye message is in flight: kill now
        assert loop.time() < deadline, "the erasure sent nothing"
        await asyncio.sleep(0.005)
    assert await bot.kill() is None
    await bot.wait_lock_free()
    bot.start()
    await bot.wait_ready(timeout=60)
    await h.next_message(PERSON, "Your data is erased", timeout=15)
    await until_clean(files, timeout=10)
