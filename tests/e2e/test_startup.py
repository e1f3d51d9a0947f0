"""A start-up that fails ends the process, says why in one line, keeps the token secret and
releases the lock; one that fails for now (5xx, no connection) is tried again first.

Each test runs the real `coachbot run` as a child process against the Bot API emulator in
this test's event loop (or against a port where nothing listens).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.emulator import Emulator
from tests.e2e.process import (
    CANNOT_START,
    REPO,
    Exit,
    closed_port_url,
    free_port,
    lock_is_free,
    run_bot,
)
from tests.reliability.botprocess import BotProcess

TOKEN = "123456:STARTUP-TEST-TOKEN"
# A token that looks real, so that its secret part is recognisable anywhere in the output.
FAKE_SECRET = "AAHf0rG3dSecretPartThatMustNeverShow"
FAKE_TOKEN = f"7654321:{FAKE_SECRET}"
SHORT = "2"  # --startup-timeout for the tests, in seconds
QUICK = 15.0  # seconds: "exits within seconds" (imports and migrations included)


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(token=TOKEN, host="127.0.0.1", port=0)
    await emulator.start()
    yield emulator
    await emulator.stop()


def assert_one_clear_line(result: Exit, *words: str) -> str:
    """Exit code 1, no traceback, and exactly one line (besides log records) saying why."""
    assert result.code == 1, result.output
    assert "Traceback" not in result.output, result.output
    lines = result.error_lines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(CANNOT_START), result.output
    for word in words:
        assert word in lines[0], result.output
    return lines[0]


async def assert_a_new_bot_starts(db: Path, emu: Emulator) -> None:
    """The lock is free and a second `coachbot run` right after starts and stops cleanly."""
    assert lock_is_free(db)
    bot = BotProcess(db, emu.base_url, emu.token, db.parent / "second.log", REPO)
    try:
        bot.start()
        await bot.wait_ready(timeout=30)
        assert await bot.terminate(timeout=30) == 0
    finally:
        bot.cleanup()


async def test_a_rejected_token_ends_start_up_at_once_with_one_line(
    emu: Emulator, tmp_path: Path
) -> None:
    db = tmp_path / "coachbot.sqlite3"
    result = await run_bot(db, emu.base_url, FAKE_TOKEN)  # the emulator answers 401
    line = assert_one_clear_line(result, "rejected the bot token", "TELEGRAM_BOT_TOKEN")
    assert result.seconds < QUICK
    assert "trying again" not in result.stderr  # a refusal is not tried again
    assert FAKE_SECRET not in line
    await assert_a_new_bot_starts(db, emu)


async def test_a_failing_getme_is_tried_again_until_it_answers(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.inject_fault("getMe", "500", count=2)
    emu.inject_fault("deleteWebhook", "502", count=2)
    db = tmp_path / "coachbot.sqlite3"
    bot = BotProcess(db, emu.base_url, emu.token, tmp_path / "bot.log", REPO)
    try:
        bot.start()
        await bot.wait_ready(timeout=30)
        output = bot.current_output()
        assert output.count("getMe failed (Internal Server Error); trying again") == 2
        assert output.count("deleteWebhook failed (Bad Gateway); trying again") == 2
        assert len(emu.calls_to("getMe")) >= 3
        assert await bot.terminate(timeout=30) == 0
    finally:
        bot.cleanup()


@pytest.mark.parametrize(
    "failure", ["getMe 500", "deleteWebhook 500", "getMe no answer", "unreachable"]
)
async def test_a_bot_api_failing_past_the_startup_timeout_ends_the_process(
    emu: Emulator, tmp_path: Path, failure: str
) -> None:
    db = tmp_path / "coachbot.sqlite3"
    api_url = emu.base_url
    step = failure.split()[0]
    if failure == "unreachable":
        api_url, step = closed_port_url(), "getMe"
    elif failure == "getMe no answer":  # longer than the whole start-up may take
        emu.inject_fault("getMe", "slow", count=10_000, delay=30.0)
    else:
        emu.inject_fault(step, "500", count=10_000)
    result = await run_bot(db, api_url, emu.token, "--startup-timeout", SHORT)
    assert_one_clear_line(result, f"did not answer {step} within {SHORT} s")
    assert result.seconds < float(SHORT) + QUICK
    if failure.endswith("500"):
        assert f"{step} failed" in result.stderr  # the tries are logged as they happen
        assert 2 <= len(emu.calls_to(step)) <= 10  # backoff, not a busy loop
    emu.clear_faults()
    await assert_a_new_bot_starts(db, emu)


async def test_a_failing_setwebhook_is_tried_again_on_the_same_port(
    emu: Emulator, tmp_path: Path
) -> None:
    """Webhook mode listens before it calls setWebhook: a retry must free the port first."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    emu.inject_fault("setWebhook", "500", count=2)
    db = tmp_path / "coachbot.sqlite3"
    result = await run_bot(
        db,
        emu.base_url,
        emu.token,
        *("--webhook-url", url, "--webhook-secret", "s3cret", "--webhook-port", str(port)),
        sigterm_when=lambda: emu.webhook_info()["url"] == url,
    )
    assert result.code == 0, result.output
    assert result.stderr.count("setWebhook failed (Internal Server Error)") == 2
    assert "coachbot is running" in result.stdout
    assert "Traceback" not in result.output


async def test_the_startup_timeout_can_come_from_the_environment(
    emu: Emulator, tmp_path: Path
) -> None:
    from tests.e2e.process import child_env, coachbot

    emu.inject_fault("getMe", "502", count=10_000)
    db = tmp_path / "coachbot.sqlite3"
    env = child_env(emu.token, COACHBOT_STARTUP_TIMEOUT="2")
    args = ("run", "--db", str(db), "--api-url", emu.base_url, "--content", str(REPO))
    result = await coachbot(*args, token=emu.token, cwd=tmp_path, env=env)
    assert_one_clear_line(result, "did not answer getMe within 2 s")


@pytest.mark.parametrize("problem", ["not a database", "no such folder"])
async def test_a_database_that_cannot_be_opened_ends_start_up_at_once(
    emu: Emulator, tmp_path: Path, problem: str
) -> None:
    if problem == "not a database":
        db = tmp_path / "coachbot.sqlite3"
        db.write_bytes(b"this is a spreadsheet, not a database\n" * 200)
        words = [str(db), "cannot open the database", "file is not a database"]
    else:
        db = tmp_path / "missing" / "coachbot.sqlite3"
        words = [f"the folder {db.parent} does not exist", f"mkdir -p {db.parent}", "--db"]
    result = await run_bot(db, emu.base_url, emu.token)
    assert_one_clear_line(result, *words)
    assert result.seconds < QUICK
    assert emu.calls_to("getMe") == []  # the database comes first
    if problem == "not a database":
        assert lock_is_free(db)
        db.unlink()
        await assert_a_new_bot_starts(db, emu)


async def test_sigterm_while_start_up_waits_for_the_bot_api_stops_at_once(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.inject_fault("getMe", "500", count=10_000)
    db = tmp_path / "coachbot.sqlite3"
    # The signal handlers are in place before the first getMe; SIGTERM after the second.
    result = await run_bot(
        db, emu.base_url, emu.token, sigterm_when=lambda: len(emu.calls_to("getMe")) >= 2
    )
    assert result.code == 0, result.output
    assert "Traceback" not in result.output
    assert "stopped during start-up" in result.stderr
    assert result.seconds < 15.0  # not the 60 s of the default start-up timeout
    assert lock_is_free(db)


@pytest.mark.parametrize("answer", ["401", "500", "unreachable"])
async def test_the_bot_token_never_appears_in_the_output(tmp_path: Path, answer: str) -> None:
    # The emulator knows the fake token only where it must answer 500 instead of 401.
    emulator = Emulator(token=FAKE_TOKEN if answer == "500" else TOKEN, host="127.0.0.1", port=0)
    await emulator.start()
    try:
        if answer == "500":
            emulator.inject_fault("*", "500", count=10_000)
        api_url = closed_port_url() if answer == "unreachable" else emulator.base_url
        db = tmp_path / "coachbot.sqlite3"
        result = await run_bot(db, api_url, FAKE_TOKEN, "--startup-timeout", SHORT)
    finally:
        await emulator.stop()
    assert result.code == 1, result.output
    assert FAKE_SECRET not in result.output
    assert FAKE_SECRET[:12] not in result.output  # not even a part of it
    if answer == "401":
        assert "rejected the bot token" in result.stderr
    else:
        assert "did not answer getMe" in result.stderr


async def test_a_token_revoked_while_running_ends_the_process_with_one_line(
    emu: Emulator, tmp_path: Path
) -> None:
    db = tmp_path / "coachbot.sqlite3"
    bot = BotProcess(db, emu.base_url, emu.token, tmp_path / "bot.log", REPO)
    try:
        bot.start()
        await bot.wait_ready(timeout=30)
        # Revoked in BotFather: the same bot, a new secret; the old token gets 401.
        emu.world.token = emu.token.split(":")[0] + ":NewSecretAfterRevoking"
        for _ in range(300):
            if bot.exited_by_itself() is not None:
                break
            await asyncio.sleep(0.1)
        assert bot.exited_by_itself() == 1  # not alive without polling
        output = bot.current_output()
        assert "coachbot: stopped: Telegram rejected the bot token" in output
        assert "Traceback" not in output
        assert emu.token.split(":")[1] not in output
    finally:
        bot.cleanup()
    emu.world.token = emu.token
    await assert_a_new_bot_starts(db, emu)  # the lock was released
