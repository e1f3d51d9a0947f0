"""Telegram's answers through the emulator: 429, 5xx, 403; commands menu; global commands."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tests.e2e.harness import (
    AMS,
    COACH,
    Harness,
    invite_participant,
    onboard,
    plan_appointment,
    register_coach,
)

SARA = 3001


async def active_participant(h: Harness, checkin: str = "No weekly question") -> None:
    await register_coach(h)
    token = await invite_participant(h, "Sara", "English")
    answers = ["English", "Yes", checkin] + (["Morning"] if checkin != "No weekly question" else [])
    await onboard(h, SARA, token, answers, "en")


def sends_to(h: Harness, chat_id: int) -> list[dict]:
    return [
        c
        for c in h.emu.call_log
        if c["method"] == "sendMessage" and c["params"].get("chat_id") == chat_id
    ]


async def test_429_is_obeyed_with_retry_after(harness: Harness) -> None:
    h = harness
    await register_coach(h)
    h.emu.inject_fault("sendMessage", "429", retry_after=1)
    h.emu.send_command(COACH, "/help")
    for _ in range(50):
        if sends_to(h, COACH)[-1].get("ok") is False:
            break
        await asyncio.sleep(0.02)
    first = sends_to(h, COACH)[-1]
    assert first["ok"] is False
    await h.tick()
    assert len(sends_to(h, COACH)) == 2  # nothing retried before retry_after
    await h.advance(timedelta(seconds=1))
    help_message = await h.next_message(COACH, "/newparticipant")
    retried = sends_to(h, COACH)[-1]
    assert retried["ok"] is True and retried["time"] - first["time"] >= 1.0
    assert help_message["text"].startswith("Coachbot for coaches")


async def test_server_error_is_retried_with_backoff(harness: Harness) -> None:
    h = harness
    await register_coach(h)
    h.emu.inject_fault("sendMessage", "500", count=2)
    h.emu.send_command(COACH, "/help")
    for _ in range(50):
        if len([c for c in sends_to(h, COACH) if c["ok"] is False]) == 1:
            break
        await asyncio.sleep(0.02)
    await h.advance(timedelta(seconds=2))  # first backoff: 2 s
    await h.advance(timedelta(seconds=4))  # second: 4 s
    await h.next_message(COACH, "/newparticipant")
    failures = [c for c in sends_to(h, COACH) if c["ok"] is False]
    assert len(failures) == 2


async def test_blocked_participant_is_marked_unreachable_and_the_coach_told(
    harness: Harness,
) -> None:
    h = harness
    await active_participant(h)
    await plan_appointment(h, "Sara", "21 Oct", "14:00", "Dukenburg")
    await h.next_message(SARA, "Dukenburg")
    # Telegram answers 403 (e.g. the account was deleted) without a my_chat_member update:
    # the next send is the day-before reminder, the only message due at that moment.
    h.emu.inject_fault("sendMessage", "403")
    await h.travel_to(datetime(2026, 10, 20, 10, 0, tzinfo=AMS))
    alert = await h.next_message(COACH, "can no longer be reached")
    assert "Sara" in alert["text"]
    status = await h.deps.db.scalar("SELECT status FROM people WHERE telegram_id = ?", (SARA,))
    assert status == "unreachable"
    # Nothing more is tried: the two-hours-before reminder is dropped at its time.
    attempts = len(sends_to(h, SARA))
    await h.travel_to(datetime(2026, 10, 21, 12, 0, tzinfo=AMS))
    assert len(sends_to(h, SARA)) == attempts


async def test_commands_are_described_in_each_language(harness: Harness) -> None:
    h = harness
    for code in ("nl", "en", "tr", "ar", "fa", "so", "ti", None):
        commands = h.emu.commands(language_code=code)
        assert [c["command"] for c in commands] == [
            "help",
            "coach",
            "survey",
            "language",
            "pause",
            "stop",
        ]
    assert h.emu.commands(language_code="en")[1]["description"] == "Ask my coach to contact me"
    assert h.emu.commands(language_code="tr")[2]["description"] == "Anketi doldur"
    assert h.emu.commands(language_code=None) == h.emu.commands(language_code="nl")


async def test_moving_an_appointment_moves_its_reminders(harness: Harness) -> None:
    h = harness
    await active_participant(h)
    await plan_appointment(h, "Sara", "21 Oct", "14:00", "Dukenburg")
    await h.next_message(SARA, "Dukenburg")
    h.emu.send_command(COACH, "/appointments")
    for label in ("Sara", "Move", "23 Oct", "15:00"):
        await h.next_message(COACH)
        await h.press(COACH, label)
    moved = await h.next_message(SARA, "moved")
    assert "23 October" in moved["text"] and "15:00" in moved["text"]
    rows = await h.deps.db.fetchall(
        "SELECT ref, status, due_at FROM timers WHERE ref LIKE 'appointment:%'"
        " AND ref NOT LIKE '%attendance' ORDER BY id"
    )
    pending = [(r["ref"], r["due_at"][:16]) for r in rows if r["status"] == "pending"]
    assert pending == [
        ("appointment:1:day_before", "2026-10-22T08:00"),
        ("appointment:1:two_hours_before", "2026-10-23T11:00"),
    ]
    await h.travel_to(datetime(2026, 10, 20, 10, 0, tzinfo=AMS))
    assert not any("Tomorrow" in t for t in h.all_texts(SARA))  # no day-before reminder
    await h.travel_to(datetime(2026, 10, 22, 10, 0, tzinfo=AMS))
    await h.next_message(SARA, "Tomorrow")


async def test_cancelling_an_appointment_cancels_its_reminders(harness: Harness) -> None:
    h = harness
    await active_participant(h)
    await plan_appointment(h, "Sara", "21 Oct", "14:00", "Dukenburg")
    await h.next_message(SARA, "Dukenburg")
    h.emu.send_command(COACH, "/appointments")
    for label in ("Sara", "Cancel"):
        await h.next_message(COACH)
        await h.press(COACH, label)
    await h.next_message(SARA, "cancelled")
    await h.travel_to(datetime(2026, 10, 21, 13, 0, tzinfo=AMS))
    assert not any("Tomorrow" in t or "See you soon" in t for t in h.all_texts(SARA))


async def test_pause_holds_scheduled_messages_and_ends_by_itself(harness: Harness) -> None:
    h = harness
    await active_participant(h, checkin="Wednesday")
    h.emu.send_command(SARA, "/pause")
    await h.next_message(SARA, "For how long?")
    await h.press(SARA, "1 week")
    done = await h.next_message(SARA, "No messages until")
    assert "26 October" in done["text"]
    await h.travel_to(datetime(2026, 10, 21, 10, 0, tzinfo=AMS))  # Wednesday check-in time
    assert not any("How are you this week" in t for t in h.all_texts(SARA))
    await h.travel_to(datetime(2026, 10, 26, 11, 0, tzinfo=AMS))  # the pause is over
    status = await h.deps.db.scalar("SELECT status FROM people WHERE telegram_id = ?", (SARA,))
    assert status == "active"
    await h.travel_to(datetime(2026, 10, 28, 10, 0, tzinfo=AMS))
    await h.next_message(SARA, "How are you this week")


async def test_stop_after_confirmation_tells_the_coach_and_start_brings_back(
    harness: Harness,
) -> None:
    h = harness
    await active_participant(h, checkin="Wednesday")
    h.emu.send_command(SARA, "/stop")
    await h.next_message(SARA, "stop all messages")
    await h.press(SARA, "Yes")
    await h.next_message(SARA, "no more messages")
    await h.next_message(COACH, "Sara stopped")
    await h.travel_to(datetime(2026, 10, 21, 10, 0, tzinfo=AMS))
    assert not any("How are you this week" in t for t in h.all_texts(SARA))
    h.emu.send_command(SARA, "/start")
    await h.next_message(SARA, "Welcome back")
    await h.travel_to(datetime(2026, 10, 28, 10, 0, tzinfo=AMS))
    await h.next_message(SARA, "How are you this week")


async def test_coach_command_asks_the_coach_to_get_in_touch(harness: Harness) -> None:
    h = harness
    await active_participant(h)
    h.emu.send_command(SARA, "/coach")
    await h.next_message(SARA, "asked your coach Sanne")
    await h.next_message(COACH, "Sara asks you to contact them")


async def test_a_command_mid_question_resumes_the_question_after(harness: Harness) -> None:
    h = harness
    await active_participant(h, checkin="Wednesday")
    await h.travel_to(datetime(2026, 10, 21, 10, 0, tzinfo=AMS))
    await h.next_message(SARA, "How are you this week")
    h.emu.send_command(SARA, "/language")
    await h.next_message(SARA, "Which language")
    await h.press(SARA, "Nederlands")
    await h.next_message(SARA, "Nederlands")
    again = await h.next_message(SARA, "Hoe gaat het")  # the check-in again, now in Dutch
    assert "Sara" in again["text"]


async def test_polling_recovers_by_itself_after_lost_connections(harness: Harness) -> None:
    h = harness
    await register_coach(h)
    h.emu.inject_fault("getUpdates", "drop", count=1)
    h.emu.inject_fault("getUpdates", "502", count=1)
    h.emu.send_command(COACH, "/help")
    reply = await h.next_message(COACH, "/newparticipant", timeout=15)
    assert reply["text"].startswith("Coachbot for coaches")


async def test_an_update_sent_while_the_bot_is_down_is_handled_once_after_start(
    harness: Harness,
) -> None:
    h = harness
    await register_coach(h)
    await h.stop()
    h.emu.send_command(COACH, "/help")  # waits at "Telegram" while the bot is down
    await h.start()  # handled once; the crash case itself is tests/reliability/test_crash.py
    await h.next_message(COACH, "/newparticipant")
    await h.restart()
    await h.tick()
    assert sum("/newparticipant" in t for t in h.all_texts(COACH)) == 2  # welcome + one help


async def test_a_lost_answer_is_not_sent_again(harness: Harness) -> None:
    h = harness
    await register_coach(h)
    h.emu.inject_fault("sendMessage", "drop_after")  # delivered, but the answer never comes
    h.emu.send_command(COACH, "/help")
    await h.next_message(COACH, "/newparticipant", timeout=15)
    for _ in range(3):
        await h.advance(timedelta(seconds=30))
    assert sum(t.startswith("Coachbot for coaches") for t in h.all_texts(COACH)) == 1
    assert (
        await h.deps.db.scalar("SELECT COUNT(*) FROM events WHERE type = 'message_uncertain'") == 1
    )


async def test_server_errors_are_retried_up_to_the_cap_then_reported_failed(
    harness: Harness,
) -> None:
    h = harness
    await register_coach(h)
    cap = h.deps.settings.max_send_attempts
    h.emu.inject_fault("sendMessage", "500", count=cap + 5)
    h.emu.send_command(COACH, "/help")
    for _ in range(cap + 3):
        await h.advance(timedelta(seconds=301))  # past the longest backoff each time
    failures = [c for c in sends_to(h, COACH) if c["ok"] is False]
    assert len(failures) == cap  # no attempt beyond the cap
    failed = await h.deps.db.fetchall(
        "SELECT value FROM events WHERE type = 'message_failed' AND value = 'Transient'"
    )
    assert len(failed) == 1
    status = await h.deps.db.scalar("SELECT status FROM outbox ORDER BY id DESC LIMIT 1")
    assert status == "failed"
