"""Webhook mode with a secret token, and the command-line interface."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.app import CoachbotApp, Options
from bot.clock import ManualClock
from bot.deps import Settings
from bot.sandbox.emulator import Emulator
from tests.e2e.conftest import START
from tests.e2e.harness import REPO, TOKEN


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_answers_and_refuses_a_wrong_secret(
    emu: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    options = Options(
        token=TOKEN,
        db_path=tmp_path / "db.sqlite3",
        content_dir=REPO,
        api_url=emu.base_url,
        webhook_url=url,
        webhook_secret="s3cret-Token",
        webhook_port=port,
    )
    app = CoachbotApp(options, ManualClock(START), Settings(poll_interval=0.05))
    await app.start()
    try:
        assert emu.webhook_info()["url"] == url
        emu.send_command(4242, "/start")
        reply = await emu.wait_for_bot_message(4242, timeout=5)
        assert "personal link" in reply["text"] or "persoonlijke" in reply["text"]
        async with aiohttp.ClientSession() as http:
            fake = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": 7, "type": "private"},
                    "from": {"id": 7, "is_bot": False, "first_name": "X"},
                    "text": "/start",
                },
            }
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(url, json=fake, headers=headers) as response:
                    assert response.status == 403
        assert emu.bot_messages(7) == []
        refusals = [r for r in caplog.records if "webhook request refused" in r.getMessage()]
        assert len(refusals) == 2
        assert all("wrong" not in str(r.args) for r in refusals)  # the token is never logged
    finally:
        await app.stop()


def coachbot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},  # this checkout's Coachbot
    )


def test_invite_prints_a_single_use_deep_link(tmp_path: Path) -> None:
    result = coachbot(
        "invite",
        "coach",
        "--name",
        "Sanne",
        "--bot-username",
        "nijmegen_bot",
        "--db",
        str(tmp_path / "c.sqlite3"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    assert link.startswith("https://t.me/nijmegen_bot?start=")
    token = link.split("start=")[1]
    assert 16 <= len(token) <= 64
    with sqlite3.connect(tmp_path / "c.sqlite3") as conn:
        stored = [row[0] for row in conn.execute("SELECT token_hash FROM invites")]
    assert len(stored) == 1 and token not in stored[0]
    assert token.encode() not in (tmp_path / "c.sqlite3").read_bytes()


def test_invite_without_username_or_token_explains_what_to_give(tmp_path: Path) -> None:
    result = coachbot("invite", "coordinator", "--name", "Kim", cwd=tmp_path)
    assert result.returncode == 2
    assert "--bot-username" in result.stderr


def test_init_copies_the_content_and_check_accepts_it(tmp_path: Path) -> None:
    target = tmp_path / "gemeente"
    assert coachbot("init", str(target), cwd=tmp_path).returncode == 0
    assert (target / "flows" / "checkin.yaml").exists()
    assert (target / "messages" / "nl.yaml").exists()
    checked = coachbot("check", "--content", str(target), cwd=tmp_path)
    assert checked.returncode == 0 and checked.stdout.startswith("ok:")
    again = coachbot("init", str(target), cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = coachbot("--help", cwd=tmp_path)
    for command in ("run", "check", "init", "invite"):
        assert command in result.stdout
    run_help = coachbot("run", "--help", cwd=tmp_path).stdout
    for option in ("--db", "--content", "--api-url", "--webhook-url"):
        assert option in run_help
