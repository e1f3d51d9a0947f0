"""The WAL file does not grow for ever: `journal_size_limit` is set and checked, the bot
checkpoints it while it runs, and a clean stop leaves it empty."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.app import CoachbotApp, Options
from bot.clock import ManualClock
from bot.deps import Settings
from bot.sandbox.emulator import Emulator
from storage.db import JOURNAL_SIZE_LIMIT, Database, DatabaseError
from tests.e2e.conftest import START
from tests.e2e.process import REPO
from tests.reliability.botprocess import BotProcess

TOKEN = "123456:WAL-TEST-TOKEN"
MIB = 1024 * 1024


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(token=TOKEN, host="127.0.0.1", port=0)
    await emulator.start()
    yield emulator
    await emulator.stop()


def wal_size(db: Path) -> int:
    wal = Path(f"{db}-wal")
    return wal.stat().st_size if wal.exists() else 0


async def test_the_wal_size_limit_is_set_and_checked(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    try:
        assert await db.scalar("PRAGMA journal_size_limit") == JOURNAL_SIZE_LIMIT == 64 * MIB
        await db.conn.execute("PRAGMA journal_size_limit=-1")  # SQLite's default: no limit
        with pytest.raises(DatabaseError, match="journal_size_limit"):
            await db.verify_settings()
    finally:
        await db.close()


async def test_after_a_clean_stop_the_wal_file_is_empty(emu: Emulator, tmp_path: Path) -> None:
    db = tmp_path / "coachbot.sqlite3"
    bot = BotProcess(db, emu.base_url, TOKEN, tmp_path / "bot.log", REPO)
    try:
        bot.start()
        await bot.wait_ready(timeout=30)
        # Another connection stays open (as a backup or a report would): then SQLite's own
        # cleanup at the bot's last close does not apply, only Coachbot's checkpoint does.
        with closing(sqlite3.connect(db)) as other:
            for user in range(5001, 5021):
                emu.send_command(user, "/start")
            for user in range(5001, 5021):
                await emu.wait_for_bot_message(user, timeout=15)
            assert other.execute("SELECT count(*) FROM inbound").fetchone()[0] >= 20
            assert wal_size(db) > 0  # the writes are in the WAL while it runs
            assert await bot.terminate(timeout=30) == 0
            assert Path(f"{db}-wal").exists()  # kept: the other connection is still open
            assert wal_size(db) == 0
            assert other.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        bot.cleanup()


async def test_the_running_bot_checkpoints_the_wal(emu: Emulator, tmp_path: Path) -> None:
    db = tmp_path / "coachbot.sqlite3"
    options = Options(
        token=TOKEN,
        db_path=db,
        content_dir=REPO,
        api_url=emu.base_url,
        poll_timeout=1,
        checkpoint_every=0.5,
    )
    app = CoachbotApp(options, ManualClock(START), Settings(poll_interval=0.05))
    await app.start()
    try:
        assert app.deps is not None
        async with app.deps.db.transaction() as conn:
            await conn.execute("CREATE TABLE scratch (blob BLOB)")
            for _ in range(40):
                await conn.execute("INSERT INTO scratch VALUES (zeroblob(65536))")
        assert wal_size(db) > 2 * MIB
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while wal_size(db) > 256 * 1024:
            assert loop.time() < deadline, f"WAL still {wal_size(db)} bytes after 10 s"
            await asyncio.sleep(0.1)
    finally:
        await app.stop()


async def test_the_periodic_checkpoint_never_waits_for_a_reader(tmp_path: Path) -> None:
    """A backup reading in another process must not hold up the bot's transactions."""
    path = tmp_path / "c.sqlite3"
    db = await Database.open(path)
    try:
        async with db.transaction() as conn:
            await conn.execute("CREATE TABLE scratch (blob BLOB)")
            await conn.execute("INSERT INTO scratch VALUES (zeroblob(100000))")
        with closing(sqlite3.connect(path, isolation_level=None)) as reader:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM scratch").fetchone()  # holds a snapshot
            async with db.transaction() as conn:  # a write the reader does not see
                await conn.execute("INSERT INTO scratch VALUES (zeroblob(100000))")
            loop = asyncio.get_running_loop()
            began = loop.time()
            busy, _, _ = await db.checkpoint(wait=False)
            assert busy == 1
            assert loop.time() - began < 1.0  # not the 5 s busy timeout
            await db.verify_settings()  # the busy timeout is back
            reader.execute("COMMIT")
        assert (await db.checkpoint())[0] == 0
        assert wal_size(path) == 0
    finally:
        await db.close()
