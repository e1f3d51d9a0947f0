"""Privacy and safety through the real bot: /mydata, /forget, blocking, groups, guessing
invite tokens, one process per database, and logs without personal data."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import CoachbotApp, Options
from bot.errors import AlreadyRunning
from storage import parked
from storage.people import Role
from tests.e2e.harness import (
    COACH,
    REPO,
    TOKEN,
    Harness,
    invite_participant,
    onboard,
    register_coach,
)

SARA = 3001
CANARY = "Zyxwvu"  # a name that must disappear


async def joined(h: Harness, name: str = "Sara") -> str:
    await register_coach(h)
    token = await invite_participant(h, name, "English")
    await onboard(h, SARA, token, ["English", "Yes", "No weekly question"], "en")
    return token


async def test_mydata_sends_everything_stored_as_a_file(harness: Harness) -> None:
    h = harness
    await joined(h)
    h.emu.send_command(SARA, "/mydata")
    doc = await h.emu.wait_for_bot_message(SARA, predicate=lambda m: "document" in m, timeout=5)
    assert doc["document"]["file_name"] == "coachbot-my-data.json"
    path = doc["document"]["file_id"]
    content = json.loads(h.emu.files.get(path).data)
    assert content["people"][0]["name"] == "Sara"
    assert {"runs", "events", "outbox", "timers"} <= set(content)


async def test_forget_erases_personal_data_and_tells_the_coach(harness: Harness) -> None:
    h = harness
    await joined(h, CANARY)
    h.emu.send_command(SARA, "/forget")
    await h.next_message(SARA, "erase your data")
    await h.press(SARA, "Yes")
    await h.next_message(SARA, "Your data is erased")
    await h.next_message(COACH, "asked to erase their data")
    row = (await h.deps.db.fetchall("SELECT * FROM people WHERE role = 'participant'"))[0]
    assert row["name"] == "—" and row["telegram_id"] is None and row["language"] is None
    assert (
        await h.deps.db.scalar("SELECT COUNT(*) FROM runs WHERE person_id = ?", (row["id"],)) == 0
    )
    assert (
        await h.deps.db.scalar("SELECT COUNT(*) FROM events WHERE person_id = ?", (row["id"],)) > 0
    )  # pseudonymous statistics stay
    await h.stop()  # the last connection to close checkpoints the WAL
    for suffix in ("", "-wal"):
        file = Path(f"{h.db_path}{suffix}")
        if file.exists():
            assert CANARY.encode() not in file.read_bytes(), file


async def test_blocking_stops_messages_tells_the_coach_and_start_brings_back(
    harness: Harness,
) -> None:
    h = harness
    await joined(h)
    h.emu.block(SARA)
    await h.next_message(COACH, "blocked the chat")
    assert (
        await h.deps.db.scalar("SELECT status FROM people WHERE telegram_id = ?", (SARA,))
        == "stopped"
    )
    h.emu.unblock(SARA)
    h.emu.send_command(SARA, "/start")
    await h.next_message(SARA, "Welcome back")
    assert (
        await h.deps.db.scalar("SELECT status FROM people WHERE telegram_id = ?", (SARA,))
        == "active"
    )


async def test_the_bot_leaves_groups_and_never_answers_there(harness: Harness) -> None:
    h = harness
    group = {"id": -100123, "type": "supergroup", "title": "Some group"}
    someone = {"id": 777, "is_bot": False, "first_name": "X"}
    h.emu.send_raw_update(
        {
            "my_chat_member": {
                "chat": group,
                "from": someone,
                "date": 0,
                "old_chat_member": {"status": "left", "user": h.emu.bot_user},
                "new_chat_member": {"status": "member", "user": h.emu.bot_user},
            }
        }
    )
    h.emu.send_raw_update(
        {"message": {"message_id": 1, "date": 0, "chat": group, "from": someone, "text": "/help"}}
    )
    for _ in range(100):
        if h.emu.calls_to("leaveChat"):
            break
        await h.tick()
    assert h.emu.calls_to("leaveChat")[0]["chat_id"] == -100123
    assert all(c["chat_id"] != -100123 for c in h.emu.calls_to("sendMessage"))


async def test_wrong_invite_tokens_get_one_answer_and_guessing_is_slowed(harness: Harness) -> None:
    h = harness
    await register_coach(h)
    token = await invite_participant(h, "Sara", "English")
    h.emu.add_user(SARA, "Sara", language_code="en")
    for guess in range(5):
        h.emu.send_command(SARA, "/start", args=f"wrong{guess}")
        await h.next_message(SARA, "does not work")
    h.emu.send_command(SARA, "/start", args=token)  # the right one, but too soon
    await h.next_message(SARA, "does not work")
    assert (
        await h.deps.db.scalar("SELECT COUNT(*) FROM events WHERE type = 'invite_throttled'") == 1
    )
    h.clock.advance(timedelta(minutes=16))
    h.emu.send_command(SARA, "/start", args=token)
    await h.next_message(SARA, "Which language")


async def test_used_and_expired_links_get_the_same_answer_as_invalid_ones(harness: Harness) -> None:
    h = harness
    await register_coach(h)
    token = await invite_participant(h, "Sara", "English")
    await onboard(h, SARA, token, ["English", "Yes", "No weekly question"], "en")
    other = 4004
    h.emu.add_user(other, "Eve", language_code="en")
    h.emu.send_command(other, "/start", args=token)  # used
    used = await h.next_message(other)
    expiring = await invite_participant(h, "Tim", "English")
    h.clock.advance(timedelta(days=15))
    h.emu.send_command(other, "/start", args=expiring)  # expired
    expired = await h.next_message(other)
    h.emu.send_command(other, "/start", args="nonsense")
    invalid = await h.next_message(other)
    assert used["text"] == expired["text"] == invalid["text"]


async def test_a_second_bot_process_on_the_same_database_refuses_to_start(harness: Harness) -> None:
    h = harness
    options = Options(token=TOKEN, db_path=h.db_path, content_dir=REPO, api_url=h.emu.base_url)
    second = CoachbotApp(options, h.clock)
    with pytest.raises(AlreadyRunning):
        await second.start()


async def test_logs_hold_no_names_texts_or_tokens(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    caplog.set_level(logging.DEBUG)
    token = await joined(h, "Saartje")
    h.emu.send_text(SARA, "my phone is 0612345678")
    await h.next_message(COACH, "wrote")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    logged += "\n".join(str(r.args) for r in caplog.records)
    for secret in ("Saartje", "Sanne", "0612345678", token, TOKEN, TOKEN.split(":")[1]):
        assert secret not in logged, secret


async def test_coordinator_report_arrives_as_a_file_with_a_summary(harness: Harness) -> None:
    h = harness
    await joined(h)
    link = await h.staff_link(Role.COORDINATOR, "Kim")
    h.emu.add_user(9001, "Kim", language_code="en")
    h.emu.send_command(9001, "/start", args=link.split("start=")[1])
    await h.next_message(9001, "coordinator")
    h.emu.send_command(9001, "/report")
    doc = await h.emu.wait_for_bot_message(9001, predicate=lambda m: "document" in m, timeout=20)
    assert doc["document"]["file_name"] == "coachbot-report.html"
    html = h.emu.files.get(doc["document"]["file_id"]).data.decode()
    assert "<html" in html.lower() and "Sara" not in html
    assert doc["caption"].startswith("📊")
    h.emu.send_command(SARA, "/report")  # not for participants
    await h.next_message(SARA, "not possible")


async def test_parked_updates_are_named_in_the_coordinators_report(harness: Harness) -> None:
    h = harness
    await joined(h)
    async with h.deps.db.transaction() as conn:
        await parked.park(conn, h.clock.now(), 4242, "OperationalError", 4)
    link = await h.staff_link(Role.COORDINATOR, "Kim")
    h.emu.add_user(9001, "Kim", language_code="en")
    h.emu.send_command(9001, "/start", args=link.split("start=")[1])
    await h.next_message(9001, "coordinator")
    h.emu.send_command(9001, "/report")
    doc = await h.emu.wait_for_bot_message(9001, predicate=lambda m: "document" in m, timeout=20)
    assert "1 incoming messages could not be handled" in doc["caption"]
