"""Nothing waits behind an open question (docs/architecture.md, "When flows meet"): reminders,
check-ins and coach questions arrive on time while a question, a menu or a half-done command
is open; closed questions say so; attendance is recorded once; any message counts as contact.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

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


async def sara(h: Harness, checkin: str = "No weekly question") -> None:
    await register_coach(h)
    token = await invite_participant(h, "Sara", "English")
    answers = ["English", "Yes", checkin] + (["Morning"] if checkin != "No weekly question" else [])
    await onboard(h, SARA, token, answers, "en")
    await h.next_message(COACH, "joined")


def live_buttons(message: dict) -> list[str]:
    return [label for label, data in buttons(message) if data != "x"]


async def toast_after_pressing(h: Harness, chat: int, message: dict) -> str | None:
    """Press the first live-looking button of `message` (as an old chat still shows it) and
    return the text of the bot's answer to the press."""
    data = next(d for _, d in buttons(message) if d != "x")
    update = h.emu.press_button(chat, message["message_id"], data, force=True)
    query = update["callback_query"]["id"]
    for _ in range(100):
        if h.emu.callback_answer(query):
            break
        await h.tick()
    return (h.emu.callback_answer(query) or {}).get("text")


async def keyboard_now(h: Harness, chat: int, message_id: int) -> list:
    for _ in range(50):
        await h.tick()
    found = [m for m in h.emu.bot_messages(chat) if m["message_id"] == message_id]
    return buttons(found[-1]) if found else []


@pytest.mark.parametrize("command", ["/language", "/pause"])
async def test_the_day_before_reminder_comes_while_a_command_question_is_open(
    harness: Harness, command: str
) -> None:
    h = harness
    await sara(h)
    await plan_appointment(h, "Sara", "21 Oct", "14:00", "Dukenburg")
    await h.next_message(SARA, "Dukenburg")
    h.emu.send_command(SARA, command)
    question = await h.next_message(SARA, "language" if command == "/language" else "how long")
    # Two days pass without an answer; the reminder is due Tuesday 10:00.
    await h.travel_to(datetime(2026, 10, 20, 10, 0, tzinfo=AMS))
    reminder = await h.next_message(SARA, "Can you come?")
    assert live_buttons(reminder) == ["I'll be there 👍", "I can't come", "🔕 No reminders"]
    # The forgotten menu lost its buttons: nothing looks alive that is not.
    assert await keyboard_now(h, SARA, question["message_id"]) == []
    await h.press(SARA, "I'll be there")
    await h.next_message(SARA, "see you tomorrow")
    # The two-hours-before reminder also comes, with the menu long gone.
    await h.travel_to(datetime(2026, 10, 21, 12, 0, tzinfo=AMS))
    await h.next_message(SARA, "See you soon")


async def test_a_reminder_sets_aside_an_open_check_in_which_is_asked_again_after(
    harness: Harness,
) -> None:
    h = harness
    await sara(h, checkin="Tuesday")
    await plan_appointment(h, "Sara", "21 Oct", "14:00", "Dukenburg")
    await h.next_message(SARA, "Dukenburg")
    # The weekly check-in (Tuesday morning 10:00) and the day-before reminder (10:00) meet.
    await h.travel_to(datetime(2026, 10, 20, 10, 0, tzinfo=AMS))
    reminder = await h.next_message(SARA, "Can you come?")
    assert live_buttons(reminder)
    await h.press(SARA, "I'll be there")
    # The check-in that gave way is asked again, with live buttons.
    again = await h.next_message(SARA, "How are you this week?")
    assert "😀 Great" in live_buttons(again)
    await h.press(SARA, "Great")
    await h.next_message(SARA, "Have a good week")


async def test_the_attendance_question_comes_while_a_half_done_appointment_is_open(
    harness: Harness,
) -> None:
    h = harness
    await sara(h)
    await plan_appointment(h, "Sara", "19 Oct", "11:30", "Dukenburg")
    await h.next_message(SARA, "Dukenburg")
    # The coach starts a second appointment and stops half-way (person and day chosen).
    h.emu.send_command(COACH, "/appointment")
    for label in ("Sara", "22 Oct"):
        while not any(label in t for t, _ in buttons(await h.next_message(COACH))):
            pass
        await h.press(COACH, label)
    await h.next_message(COACH)  # the time question, left open
    # An hour after the first appointment the attendance question comes at once.
    await h.travel_to(datetime(2026, 10, 19, 13, 0, tzinfo=AMS))
    asked = await h.next_message(COACH, "Did Sara come")
    assert "✅ Came" in live_buttons(asked)
    await h.press(COACH, "Came")
    await h.next_message(COACH, "Noted")
    # The half-done appointment is not lost: the coach can go on with it.
    resumed = await h.next_message(COACH)
    assert any(":" in label for label in live_buttons(resumed))  # the times again


async def test_a_forgotten_caseload_menu_is_closed_and_never_sent_again(
    harness: Harness,
) -> None:
    h = harness
    await sara(h)
    await plan_appointment(h, "Sara", "19 Oct", "11:30", "Dukenburg")
    await h.next_message(SARA, "Dukenburg")
    h.emu.send_command(COACH, "/caseload")
    menu = await h.next_message(COACH, "Your participants")
    await h.travel_to(datetime(2026, 10, 19, 13, 0, tzinfo=AMS))
    await h.next_message(COACH, "Did Sara come")
    await h.press(COACH, "Came")
    await h.next_message(COACH, "Noted")
    for _ in range(30):
        await h.tick()
    lists = [t for t in h.all_texts(COACH) if "Your participants" in t]
    assert len(lists) == 1  # never sent again by itself
    assert await keyboard_now(h, COACH, menu["message_id"]) == []
    # Pressing a button of the closed menu says so, truthfully.
    assert await toast_after_pressing(h, COACH, menu) == "This question is closed."


async def test_attendance_is_recorded_once_and_a_correction_is_one_explicit_event(
    harness: Harness,
) -> None:
    h = harness
    await sara(h)
    await plan_appointment(h, "Sara", "19 Oct", "11:30", "Dukenburg")
    await h.next_message(SARA, "Dukenburg")
    await h.travel_to(datetime(2026, 10, 19, 12, 0, tzinfo=AMS))

    async def record(label: str) -> None:
        h.emu.send_command(COACH, "/caseload")
        await h.next_message(COACH, "Your participants")
        await h.press(COACH, "Sara")
        await h.next_message(COACH, "what would you like to do")
        await h.press(COACH, "Attendance")
        while not live_buttons(await h.next_message(COACH)):
            pass
        await h.press(COACH, "19 Oct")
        await h.next_message(COACH, "Did Sara come")
        await h.press(COACH, label)
        await h.next_message(COACH, "Noted")

    await record("Didn't come")
    await h.next_message(SARA)  # the kind missed-appointment message
    # At 12:30 the scheduled attendance question would come: it is not asked.
    await h.travel_to(datetime(2026, 10, 19, 13, 0, tzinfo=AMS))
    for _ in range(30):
        await h.tick()
    assert sum("Did Sara come" in t for t in h.all_texts(COACH)) == 1
    await record("Came")  # the coach corrects it from the menu
    rows = await h.deps.db.fetchall(
        "SELECT type, value FROM events WHERE type LIKE 'attendance_%' ORDER BY id"
    )
    assert [(r["type"], r["value"]) for r in rows] == [
        ("attendance_no_show", None),
        ("attendance_corrected", "came"),
    ]
    assert await h.deps.db.scalar("SELECT attendance FROM appointments") == "came"


async def test_a_timed_out_question_loses_its_buttons_and_says_it_is_closed(
    harness: Harness,
) -> None:
    h = harness
    await sara(h, checkin="Tuesday")
    await h.travel_to(datetime(2026, 10, 20, 10, 0, tzinfo=AMS))
    checkin = await h.next_message(SARA, "How are you this week?")
    await h.advance(timedelta(days=3))  # past the answer window
    assert await keyboard_now(h, SARA, checkin["message_id"]) == []
    assert await toast_after_pressing(h, SARA, checkin) == "This question is closed."


async def test_start_after_stop_counts_as_contact(harness: Harness) -> None:
    h = harness
    await sara(h)
    h.emu.send_command(SARA, "/stop")
    await h.next_message(SARA)
    await h.advance(timedelta(days=20))
    h.emu.send_command(SARA, "/start")
    await h.next_message(SARA)
    last = await h.deps.db.scalar(
        "SELECT last_contact_at FROM people WHERE telegram_id = ?", (SARA,)
    )
    assert last.startswith("2026-11-08")  # the /start, not the last message before /stop
