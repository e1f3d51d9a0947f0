"""An update is confirmed only after its transaction committed, or after it was parked
(issue 13, item 1): in polling and in webhook mode, through the real bot and the emulator.

- Another process holds SQLite's write lock longer than the busy timeout while a participant
  presses a button: the press is tried again and handled once the lock is gone.
- The lock outlasts every retry: the update is not parked (parking needs the lock too) and
  not confirmed; Telegram keeps it, and it is handled after the lock is gone.
- An update that keeps failing, or one python-telegram-bot cannot read, is parked: a row in
  `parked_updates` (no content, no user id), one log line, an `update_parked` event that
  `coachbot log` shows, and only then it is confirmed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import bot.app
import storage.db
from bot.app import CoachbotApp, Options
from bot.deps import Settings
from bot.sandbox.emulator import Emulator
from tests.e2e.conftest import START
from tests.e2e.harness import REPO, TOKEN, Harness, buttons, invite_participant, register_coach

SARA = 3001
SECRET = "s3cret-Token_for-tests"
LANGUAGE_QUESTION = "Which language do you want?"
CONSENT_QUESTION = "Do you want to take part?"
EXPORT_SECRET = "a-pseudonym-secret-for-the-tests-0123456789"

# The write lock from another process: BEGIN IMMEDIATE, held until a line arrives on stdin.
HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
print("released", flush=True)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ModeHarness(Harness):
    """The e2e harness, polling or behind a webhook (with its secret token)."""

    def __init__(self, emu: Emulator, tmp_path: Path, mode: str) -> None:
        super().__init__(emu, tmp_path, START)
        self.mode = mode
        self.port = free_port()

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    async def start(self) -> CoachbotApp:
        webhook = self.mode == "webhook"
        options = Options(
            token=TOKEN,
            db_path=self.db_path,
            content_dir=REPO,
            api_url=self.emu.base_url,
            poll_timeout=1,
            webhook_url=self.webhook_url if webhook else None,
            webhook_secret=SECRET if webhook else None,
            webhook_port=self.port,
        )
        self.app = CoachbotApp(
            options, self.clock, Settings(poll_interval=0.05, per_chat_rate=20, per_chat_burst=20)
        )
        await self.app.start()
        return self.app


@pytest.fixture(params=["polling", "webhook"])
async def h(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ModeHarness]:
    # Telegram waits about a minute for a webhook's answer; the emulator's default is 10 s.
    emu = Emulator(token=TOKEN, bot_username="coachbot_test_bot", webhook_timeout=60.0)
    await emu.start()
    harness = ModeHarness(emu, tmp_path, request.param)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
        await emu.stop()


class WriteLock:
    """Another process that holds the database's write lock until `release()`."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.proc: asyncio.subprocess.Process | None = None

    async def hold(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            HOLD_LOCK,
            str(self.db_path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        assert line.strip() == b"locked", line

    async def release(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(b"\n")
        await self.proc.stdin.drain()
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        assert line.strip() == b"released", line
        assert await asyncio.wait_for(self.proc.wait(), 30) == 0
        self.proc = None

    def kill(self) -> None:
        """For `finally`: no holder outlives the test."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()


def look(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read with a connection of the test's own (the bot's may be inside a transaction)."""
    with sqlite3.connect(db_path, timeout=30) as conn:
        return list(conn.execute(sql, params))


def write_from_outside(db_path: Path, sql: str) -> None:
    """Another process changes the database. BEGIN IMMEDIATE takes the write lock through the
    busy handler first; a plain ALTER reads the schema, then upgrades, and that upgrade fails
    at once (SQLITE_BUSY_SNAPSHOT) when the bot committed in between."""
    with closing(sqlite3.connect(db_path, isolation_level=None, timeout=30)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql)
        conn.execute("COMMIT")


async def until(check: Callable[[], Awaitable[bool] | bool], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.05)


async def to_the_language_question(h: ModeHarness) -> dict[str, Any]:
    """A coach invites Sara; she opens the link and sees the first question."""
    await register_coach(h)
    token = await invite_participant(h, "Sara", "English")
    h.emu.add_user(SARA, "Sara", language_code="en")
    h.emu.send_command(SARA, "/start", args=token)
    return await h.next_message(SARA, LANGUAGE_QUESTION)


def press_english(h: ModeHarness, question: dict[str, Any]) -> int:
    """Sara presses "English"; returns the update's id."""
    data = next(d for text, d in buttons(question) if "English" in text)
    update = h.emu.press_button(SARA, question["message_id"], data)
    return int(update["update_id"])


def answers_to_the_language_question(db_path: Path) -> int:
    rows = look(
        db_path,
        "SELECT COUNT(*) FROM events WHERE type = 'answer' AND flow_id = 'onboarding'"
        " AND step = 'choose_language'",
    )
    return int(rows[0][0])


def from_the_bot(caplog: pytest.LogCaptureFixture, since: int = 0) -> list[logging.LogRecord]:
    return [r for r in caplog.records[since:] if r.name.startswith(("bot.app", "bot.channels"))]


async def test_a_press_while_another_process_holds_the_write_lock_is_handled_after_it(
    h: ModeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    question = await to_the_language_question(h)
    lock = WriteLock(h.db_path)
    await lock.hold()
    try:
        update_id = press_english(h, question)
        # 8 s: longer than the busy timeout (5 s), so the first try fails.
        await asyncio.sleep(8.0)
        assert h.emu.pending_update_count == 1, "confirmed before its transaction committed"
        assert not [m for m in h.emu.bot_messages(SARA) if CONSENT_QUESTION in m.get("text", "")]
        await lock.release()
    finally:
        lock.kill()
    await h.next_message(SARA, CONSENT_QUESTION, timeout=15)
    await until(lambda: h.emu.pending_update_count == 0, 10, "the press confirmed")
    assert answers_to_the_language_question(h.db_path) == 1
    assert look(h.db_path, "SELECT update_id FROM inbound WHERE update_id = ?", (update_id,))
    assert look(h.db_path, "SELECT * FROM parked_updates") == []
    records = from_the_bot(caplog)
    retried = [r.getMessage() for r in records if "database error" in r.getMessage()]
    assert retried and all(f"update {update_id}" in m for m in retried), retried
    assert not [r for r in records if r.levelno >= logging.ERROR]
    assert not any("error while handling" in r.getMessage() for r in caplog.records)


async def test_a_lock_that_outlasts_every_retry_leaves_the_update_with_telegram(
    h: ModeHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    question = await to_the_language_question(h)
    await h.stop()
    # The same story in less time: a short busy timeout and short pauses between tries.
    monkeypatch.setattr(storage.db, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(bot.app, "RETRY_DELAYS", (0.1, 0.1))
    await h.start()
    lock = WriteLock(h.db_path)
    await lock.hold()
    try:
        update_id = press_english(h, question)
        await until(
            lambda: any(
                f"could not confirm update {update_id}" in r.getMessage() for r in caplog.records
            ),
            15,
            "the update left unconfirmed",
        )
        await asyncio.sleep(1.0)
        assert h.emu.pending_update_count == 1, "confirmed, yet neither handled nor parked"
        await lock.release()
    finally:
        lock.kill()
    await h.next_message(SARA, CONSENT_QUESTION, timeout=30)
    await until(lambda: h.emu.pending_update_count == 0, 10, "the press confirmed")
    assert answers_to_the_language_question(h.db_path) == 1
    assert look(h.db_path, "SELECT * FROM parked_updates") == []
    assert look(h.db_path, "SELECT * FROM events WHERE type = 'update_parked'") == []
    assert not any("error while handling" in r.getMessage() for r in caplog.records)


async def test_an_update_that_keeps_failing_is_parked_logged_shown_and_then_confirmed(
    h: ModeHarness, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    question = await to_the_language_question(h)
    # Another process breaks the database for every update: the table of seen updates is gone.
    write_from_outside(h.db_path, "ALTER TABLE inbound RENAME TO inbound_away")
    since = len(caplog.records)
    update_id = press_english(h, question)
    await until(
        lambda: bool(look(h.db_path, "SELECT 1 FROM parked_updates")), 20, "the update parked"
    )
    await until(lambda: h.emu.pending_update_count == 0, 10, "the parked update confirmed")

    # The dead letter: id, time, error class, tries; nothing of the update or its sender.
    with sqlite3.connect(h.db_path) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute("SELECT * FROM parked_updates")]
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == {"update_id", "parked_at", "error", "attempts"}
    assert row["update_id"] == update_id
    assert row["error"] == "OperationalError"
    assert row["attempts"] == len(bot.app.RETRY_DELAYS) + 1
    events = look(
        h.db_path, "SELECT person_id, coach_id, value, ref FROM events WHERE type = 'update_parked'"
    )
    assert events == [(None, None, "OperationalError", f"update:{update_id}")]

    # Logged in one line, without the update's content or its sender.
    parked_lines = [r for r in caplog.records[since:] if "parked update" in r.getMessage()]
    assert len(parked_lines) == 1
    line = parked_lines[0]
    assert line.levelno == logging.ERROR and line.exc_info is None
    message = line.getMessage()
    assert f"parked update {update_id} after" in message and "OperationalError" in message
    for secret in ("Sara", str(SARA), "English"):
        assert secret not in message
    assert not any("error while handling" in r.getMessage() for r in caplog.records)

    # `coachbot log` shows it as a line of its own.
    shown = subprocess.run(
        [sys.executable, "-m", "bot", "log", "--db", str(h.db_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "COACHBOT_EXPORT_SECRET": EXPORT_SECRET},
    )
    assert shown.returncode == 0, shown.stderr
    lines = [ln for ln in shown.stdout.splitlines() if "update_parked" in ln]
    assert len(lines) == 1 and f"update:{update_id}" in lines[0], shown.stdout
    assert "OperationalError" in lines[0]

    # Repaired, the bot goes on: the question still waits, and the next press is handled.
    write_from_outside(h.db_path, "ALTER TABLE inbound_away RENAME TO inbound")
    press_english(h, question)
    await h.next_message(SARA, CONSENT_QUESTION, timeout=10)
    assert answers_to_the_language_question(h.db_path) == 1


async def test_an_update_the_library_cannot_read_is_parked_not_skipped(
    h: ModeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    raw = {"callback_query": {"from": "Sara Secret", "data": "a:1:1:0"}}
    if h.mode == "polling":
        update_id = int(h.emu.send_raw_update(raw)["update_id"])
        await until(lambda: h.emu.pending_update_count == 0, 10, "the update confirmed")
    else:
        update_id = 987654
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                h.webhook_url,
                json={"update_id": update_id, **raw},
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            ) as response,
        ):
            assert response.status == 200
    rows = look(h.db_path, "SELECT update_id, error, attempts FROM parked_updates")
    assert len(rows) == 1 and rows[0][0] == update_id and rows[0][2] == 1, rows
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"parked update {update_id} after 1 try" in m for m in messages), messages
    assert not any("Sara Secret" in m for m in messages)
    # The bot goes on.
    h.emu.add_user(4242, "Eve", language_code="en")
    h.emu.send_command(4242, "/start")
    await h.emu.wait_for_bot_message(4242, timeout=5)
