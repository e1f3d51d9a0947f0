"""Reminders and timing through the real bot: restarts, downtime, quiet hours, DST, stale
buttons."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.e2e.harness import (
    AMS,
    COACH,
    Harness,
    buttons,
    invite_participant,
    onboard,
    plan_appointment,
    register_coach,
)

SARA = 3001


async def active_participant(h: Harness) -> None:
    await register_coach(h)
    token = await invite_participant(h, "Sara", "English")
    await onboard(h, SARA, token, ["English", "Yes", "No weekly question"], "en")


async def sent_reminders(h: Harness) -> list[str]:
    rows = await h.deps.db.fetchall(
        "SELECT r.flow_id FROM runs r WHERE r.flow_id LIKE 'reminder%' ORDER BY r.id"
    )
    return [r["flow_id"] for r in rows]


async def test_reminder_planned_before_a_restart_goes_out_once_after_it(harness: Harness) -> None:
    h = harness
    await active_participant(h)
    await plan_appointment(h, "Sara", "21 Oct", "14:00", "Dukenburg")
    await h.next_message(SARA, "Dukenburg")  # "your coach planned…"
    await h.stop()
    h.clock.set(datetime(2026, 10, 20, 10, 0, tzinfo=AMS))
    await h.start()
    await h.tick()
    reminder = await h.next_message(SARA, "Dukenburg")
    assert "14:00" in reminder["text"]
    await h.restart()
    await h.advance(timedelta(minutes=5))
    reminders = [t for t in h.all_texts(SARA) if "Tomorrow" in t and "Can you come?" in t]
    assert len(reminders) == 1


async def test_bot_down_past_an_appointment_sends_nothing_stale(harness: Harness) -> None:
    h = harness
    await active_participant(h)
    await plan_appointment(h, "Sara", "21 Oct", "14:00", "Dukenburg")
    await h.next_message(SARA, "Dukenburg")
    before = len(h.emu.bot_messages(SARA))
    await h.stop()
    h.clock.set(datetime(2026, 10, 21, 15, 0, tzinfo=AMS))  # an hour after it started
    await h.start()
    await h.tick()
    await h.tick()
    assert len(h.emu.bot_messages(SARA)) == before
    expired = await h.deps.db.fetchall(
        "SELECT ref FROM events WHERE type = 'flow_expired' ORDER BY ref"
    )
    assert [r["ref"] for r in expired] == [
        "appointment:1:day_before",
        "appointment:1:two_hours_before",
    ]


async def test_unasked_message_at_night_waits_for_the_morning(harness: Harness) -> None:
    h = harness
    await active_participant(h)
    h.clock.set(datetime(2026, 10, 19, 21, 30, tzinfo=AMS))
    await plan_appointment(h, "Sara", "21 Oct", "14:00", "Dukenburg")  # coach gets the reply
    before = len(h.emu.bot_messages(SARA))
    await h.travel_to(datetime(2026, 10, 20, 8, 59, tzinfo=AMS))
    assert len(h.emu.bot_messages(SARA)) == before
    await h.travel_to(datetime(2026, 10, 20, 9, 0, tzinfo=AMS))
    told = await h.next_message(SARA, "Dukenburg")
    assert "planned an appointment" in told["text"]


async def test_reminder_in_the_dst_week_comes_at_local_time(harness: Harness) -> None:
    # Clocks go back on Sunday 25 October 2026; the appointment is on Monday 26th at 10:00.
    h = harness
    await active_participant(h)
    await plan_appointment(h, "Sara", "26 Oct", "10:00", "Hatert")
    await h.next_message(SARA, "Hatert")
    before = len(h.emu.bot_messages(SARA))
    await h.travel_to(datetime(2026, 10, 25, 9, 59, tzinfo=AMS))
    assert len(h.emu.bot_messages(SARA)) == before
    await h.travel_to(datetime(2026, 10, 25, 10, 0, tzinfo=AMS))
    reminder = await h.next_message(SARA, "Hatert")
    assert "Tomorrow" in reminder["text"] and "10:00" in reminder["text"]
    timer = await h.deps.db.fetchall(
        "SELECT due_at FROM timers WHERE ref = 'appointment:1:day_before'"
    )
    assert timer[0]["due_at"].startswith("2026-10-25T09:00")  # 10:00 CET is 09:00 UTC
    # "2 hours before" would be 08:00, before the window opens: it comes at 09:00.
    await h.travel_to(datetime(2026, 10, 26, 9, 0, tzinfo=AMS))
    soon = await h.next_message(SARA, "See you soon")
    assert "10:00" in soon["text"]


async def test_pressing_an_old_button_changes_nothing(harness: Harness) -> None:
    h = harness
    await active_participant(h)
    await plan_appointment(h, "Sara", "21 Oct", "14:00", "Dukenburg")
    await h.next_message(SARA, "Dukenburg")
    await h.travel_to(datetime(2026, 10, 20, 10, 0, tzinfo=AMS))
    reminder = await h.next_message(SARA, "Can you come?")
    coming, cannot, _no_reminders = (data for _, data in buttons(reminder))
    h.emu.press_button(SARA, reminder["message_id"], coming)
    await h.next_message(SARA, "see you")
    status = await h.deps.db.scalar("SELECT status FROM appointments WHERE id = 1")
    assert status == "confirmed"
    count = len(h.emu.bot_messages(SARA))
    update = h.emu.press_button(SARA, reminder["message_id"], cannot, force=True)
    query_id = update["callback_query"]["id"]
    for _ in range(100):
        if h.emu.callback_answer(query_id):
            break
        await h.tick()
    assert "already answered" in (h.emu.callback_answer(query_id) or {}).get("text", "")
    await h.tick()
    assert len(h.emu.bot_messages(SARA)) == count
    assert await h.deps.db.scalar("SELECT status FROM appointments WHERE id = 1") == "confirmed"
    coach_texts = " ".join(h.all_texts(COACH))
    assert "cannot come" not in coach_texts
