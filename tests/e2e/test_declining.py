"""Saying no through the real bot and its emulator: "don't ask again" on a check-in stops
the check-ins only (the appointment reminder still comes), /mydata shows it, /start brings
the check-in back; "not now" tapped after the question closed is answered honestly; a
coach's nudge carries OK / not now / no more of these, and a stopped nudge is said plainly
to the coach."""

from __future__ import annotations

import json
from datetime import datetime

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
CHECKIN = "How are you this week?"


async def sara(h: Harness) -> None:
    """An English-speaking participant with a weekly check-in on Tuesday at 10:00."""
    await register_coach(h)
    token = await invite_participant(h, "Sara", "English")
    await onboard(h, SARA, token, ["English", "Yes", "Tuesday", "Morning"], "en")
    await h.next_message(COACH, "joined")


async def toast(h: Harness, chat: int, message: dict, label: str) -> str:
    """Press `label` on `message` as the chat still shows it; the bot's answer to the press."""
    data = next(d for t, d in buttons(message) if label in t)
    update = h.emu.press_button(chat, message["message_id"], data, force=True)
    query = update["callback_query"]["id"]
    for _ in range(100):
        if h.emu.callback_answer(query):
            break
        await h.tick()
    return str((h.emu.callback_answer(query) or {}).get("text"))


async def test_dont_ask_again_stops_the_check_in_and_the_reminder_still_comes(
    harness: Harness,
) -> None:
    h = harness
    await sara(h)
    await plan_appointment(h, "Sara", "28 Oct", "14:00", "Dukenburg")
    told = await h.next_message(SARA, "Dukenburg")
    assert [t for t, _ in buttons(told)] == ["I'll be there 👍", "I can't come"]

    # Tuesday 10:00: the check-in, with "not now" and "don't ask again" under the moods.
    await h.travel_to(datetime(2026, 10, 20, 10, 0, tzinfo=AMS))
    checkin = await h.next_message(SARA, CHECKIN)
    assert [t for t, _ in buttons(checkin)][-2:] == ["Not now", "🔕 Don't ask again"]
    coach_before = len(h.emu.bot_messages(COACH))
    since = await h.deps.db.scalar("SELECT MAX(id) FROM events")
    await h.press(SARA, "Don't ask again")
    stopped = await h.next_message(SARA, "not ask how you are")
    assert "/start" in stopped["text"]  # how to undo it

    # A week later: no check-in, but the day-before reminder of Wednesday's appointment.
    await h.travel_to(datetime(2026, 10, 27, 10, 0, tzinfo=AMS))
    reminder = await h.next_message(SARA, "Tomorrow")
    assert "Dukenburg" in reminder["text"] and "🔕 No reminders" in str(buttons(reminder))
    assert sum(CHECKIN in t for t in h.all_texts(SARA)) == 1
    assert len(h.emu.bot_messages(COACH)) == coach_before  # no alert for saying no
    logged = await h.deps.db.fetchall(
        "SELECT type, flow_id, value FROM events WHERE id > ? AND type IN ('kind_stopped',"
        " 'skipped_by_choice', 'coach_notified')",
        (since,),
    )
    assert [tuple(r) for r in logged] == [("kind_stopped", "checkin", "checkin")]

    # /mydata shows the choice.
    h.emu.send_command(SARA, "/mydata")
    doc = await h.emu.wait_for_bot_message(SARA, predicate=lambda m: "document" in m, timeout=5)
    content = json.loads(h.emu.files.get(doc["document"]["file_id"]).data)
    assert [r["kind"] for r in content["stopped_kinds"]] == ["checkin"]

    # /start brings the check-in back, and says so.
    h.emu.send_command(SARA, "/start")
    back = await h.next_message(SARA, "ask again how you are")
    assert back["text"].startswith("✅")
    await h.travel_to(datetime(2026, 11, 3, 10, 0, tzinfo=AMS))
    await h.next_message(SARA, CHECKIN)


async def test_not_now_tapped_days_later_gets_an_honest_answer(harness: Harness) -> None:
    h = harness
    await sara(h)
    await h.travel_to(datetime(2026, 10, 20, 10, 0, tzinfo=AMS))
    checkin = await h.next_message(SARA, CHECKIN)
    # Three days later the check-in's two-day answer window has passed.
    await h.travel_to(datetime(2026, 10, 23, 12, 0, tzinfo=AMS))
    assert "closed" in await toast(h, SARA, checkin, "Not now")
    stopped = await h.deps.db.scalar("SELECT COUNT(*) FROM stopped_kinds")
    declined = await h.deps.db.scalar("SELECT COUNT(*) FROM events WHERE type = 'question_not_now'")
    assert (stopped, declined) == (0, 0)


async def test_not_now_on_a_check_in_changes_nothing_and_the_next_one_comes(
    harness: Harness,
) -> None:
    h = harness
    await sara(h)
    await h.travel_to(datetime(2026, 10, 20, 10, 0, tzinfo=AMS))
    await h.next_message(SARA, CHECKIN)
    await h.press(SARA, "Not now")
    await h.next_message(SARA, "no problem")
    await h.travel_to(datetime(2026, 10, 27, 10, 0, tzinfo=AMS))
    await h.next_message(SARA, CHECKIN)
    event = await h.deps.db.fetchone(
        "SELECT flow_id, value FROM events WHERE type = 'question_not_now'"
    )
    assert event is not None and tuple(event) == ("checkin", "checkin")


async def send_nudge(h: Harness, which: str) -> None:
    h.emu.send_command(COACH, "/nudge")
    for label in ("Sara", which, "Now"):
        while not any(label in t for t, _ in buttons(await h.next_message(COACH))):
            pass
        await h.press(COACH, label)


async def test_a_nudge_has_ok_not_now_and_no_more_of_these(harness: Harness) -> None:
    h = harness
    await sara(h)
    await send_nudge(h, "Thinking of you")
    await h.next_message(COACH, "Sent to Sara")
    nudge = await h.next_message(SARA, "thinking of you")
    assert [t for t, _ in buttons(nudge)] == ["👍 OK", "Not now", "🔕 No more of these"]
    await h.press(SARA, "OK")
    await h.next_message(COACH, "Sara tapped OK")
    # A second nudge: "no more of these". The third is not sent; the coach is told why.
    await send_nudge(h, "See you soon")
    await h.next_message(SARA, "See you soon")
    await h.press(SARA, "No more of these")
    stopped = await h.next_message(SARA, "/start")
    assert "messages like this" in stopped["text"]
    await send_nudge(h, "Thinking of you")
    await h.next_message(COACH, "no more nudges")
    assert sum("thinking of you" in t for t in h.all_texts(SARA)) == 1


async def end_trajectory(h: Harness, reason: str) -> None:
    h.emu.send_command(COACH, "/caseload")
    await h.next_message(COACH, "Your participants")
    await h.press(COACH, "Sara")
    await h.next_message(COACH, "what would you like to do")
    await h.press(COACH, "End trajectory")
    for label in (reason, "2 Social contacts", "Yes"):
        while not any(label in t for t, _ in buttons(await h.next_message(COACH))):
            pass
        await h.press(COACH, label)
    await h.next_message(COACH, "ended")


async def test_a_trajectory_ended_because_she_stopped_says_no_well_done(harness: Harness) -> None:
    h = harness
    await sara(h)
    await end_trajectory(h, "Stopped")
    goodbye = await h.next_message(SARA, "has ended")
    assert "That is OK" in goodbye["text"] and "Well done" not in goodbye["text"]
    assert "do not have to answer" in goodbye["text"]


async def test_a_trajectory_ended_with_a_volunteering_place_says_well_done(
    harness: Harness,
) -> None:
    h = harness
    await sara(h)
    await end_trajectory(h, "Volunteer work")
    goodbye = await h.next_message(SARA, "has ended")
    assert "volunteering place" in goodbye["text"] and "Well done" in goodbye["text"]
