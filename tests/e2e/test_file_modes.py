"""Personal data on disk is the owner's alone: the files Coachbot creates (database, -wal,
-shm, lock, backups, exports) are 0600 and its folders 0700, whatever the umask it is started with;
an existing database that others can read gets a warning at start."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.sandbox.emulator import Emulator
from tests.e2e.process import REPO, child_env, closed_port_url, coachbot, run_bot
from tests.reliability.botprocess import BotProcess

TOKEN = "123456:FILE-MODES-TOKEN"
READABLE = "is readable by others than its owner"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """Children inherit the umask: start them with one that lets everybody read."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(token=TOKEN, host="127.0.0.1", port=0)
    await emulator.start()
    yield emulator
    await emulator.stop()


async def test_database_wal_shm_lock_backups_and_exports_are_the_owners_alone(
    emu: Emulator, tmp_path: Path, loose_umask: None
) -> None:
    db = tmp_path / "coachbot.sqlite3"
    bot = BotProcess(db, emu.base_url, TOKEN, tmp_path / "bot.log", REPO)
    try:
        bot.start()
        await bot.wait_ready(timeout=30)
        emu.send_command(4242, "/start")  # a write while it runs
        await emu.wait_for_bot_message(4242, timeout=10)
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}.lock")]
        assert {f.name: oct(mode(f)) for f in files} == {f.name: "0o600" for f in files}
        assert READABLE not in bot.current_output()

        # A nightly backup into folders that do not exist yet, while the bot runs.
        out = tmp_path / "backups" / "nightly" / "coachbot-2026-10-19.sqlite3"
        result = await coachbot(
            "backup", "--db", str(db), "--out", str(out), token=None, cwd=tmp_path
        )
        assert result.code == 0, result.output
        assert oct(mode(out)) == "0o600"
        assert oct(mode(out.parent)) == "0o700"
        assert oct(mode(out.parent.parent)) == "0o700"
        assert sorted(p.name for p in out.parent.iterdir()) == [out.name]  # no leftovers
        assert await bot.terminate(timeout=30) == 0
    finally:
        bot.cleanup()
    assert oct(mode(db)) == "0o600"

    # A researchers' export (pseudonymised, but about people) into a new folder.
    folder = tmp_path / "exports" / "2026"
    env = child_env(None, COACHBOT_EXPORT_SECRET="a-long-random-export-secret-0123456789")
    result = await coachbot(
        "export", "--db", str(db), "--out", str(folder), token=None, cwd=tmp_path, env=env
    )
    assert result.code == 0, result.output
    made = [folder.parent, folder, *folder.rglob("*")]
    assert len(made) > 3
    expected = {p.relative_to(tmp_path): "0o700" if p.is_dir() else "0o600" for p in made}
    assert {p.relative_to(tmp_path): oct(mode(p)) for p in made} == expected


async def test_a_database_others_can_read_gets_a_warning_at_start(
    emu: Emulator, tmp_path: Path, loose_umask: None
) -> None:
    db = tmp_path / "coachbot.sqlite3"
    bot = BotProcess(db, emu.base_url, TOKEN, tmp_path / "bot.log", REPO)
    try:
        bot.start()
        await bot.wait_ready(timeout=30)
        assert await bot.terminate(timeout=30) == 0
        db.chmod(0o644)  # as an older Coachbot, or a careless copy, left it
        bot.start()
        await bot.wait_ready(timeout=30)
        warnings = [ln for ln in bot.current_output().splitlines() if READABLE in ln]
        assert len(warnings) == 1
        assert "WARNING" in warnings[0] and "chmod 600" in warnings[0]
        assert await bot.terminate(timeout=30) == 0
    finally:
        bot.cleanup()
    assert oct(mode(db)) == "0o644"  # a warning, not a change behind the owner's back


async def test_a_failed_start_leaves_only_private_files(tmp_path: Path, loose_umask: None) -> None:
    db = tmp_path / "coachbot.sqlite3"
    result = await run_bot(db, closed_port_url(), TOKEN, "--startup-timeout", "0")
    assert result.code == 1, result.output
    made = sorted(p for p in tmp_path.iterdir() if p.name.startswith(db.name))
    assert made, "the database is created before the Bot API is asked"
    assert {p.name: oct(mode(p)) for p in made} == {p.name: "0o600" for p in made}
