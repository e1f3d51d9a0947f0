"""Issue 3 end to end: caseload, relay both ways, nudges, attendance, silence, trajectory
end with follow-ups, away and handover, coaches managed by a coordinator."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.people import Role
from tests.e2e.harness import (
    AMS,
    COACH,
    Harness,
    buttons,
    invite_participant,
    onboard,
    plan_appointment,
    register_coach,
    start_token,
)

AYSE = 2001
SARA = 3001
TOM = 1002
KIM = 9001  # coordinator


async def setup(h: Harness, checkin: str = "No weekly question") -> None:
    await register_coach(h)
    token = await invite_participant(h, "Ayşe", "Türkçe")
    answers = ["Türkçe", "Evet", {"No weekly question": "Haftalık soru yok"}.get(checkin, checkin)]
    if checkin != "No weekly question":
        answers.append("Sabah")
    await onboard(h, AYSE, token, answers, "tr")
    await h.next_message(COACH, "joined")


async def second_coach_and_coordinator(h: Harness) -> None:
    await register_coach(h, TOM, "Tom")
    link = await h.staff_link(Role.COORDINATOR, "Kim")
    h.emu.add_user(KIM, "Kim", language_code="en")
    h.emu.send_command(KIM, "/start", args=start_token(link))
    await h.next_message(KIM, "coordinator")


async def next_question(h: Harness, chat: int, count: int) -> dict:
    """The next message in `chat` that shows `count` buttons."""
    while True:
        message = await h.next_message(chat)
        if len(buttons(message)) == count:
            return message


async def caseload_action(h: Harness, who: str, action: str, coach: int = COACH) -> None:
    h.emu.send_command(coach, "/caseload")
    await h.next_message(coach, "Your participants")
    await h.press(coach, who)
    await h.next_message(coach, "what would you like to do")
    await h.press(coach, action)


async def test_caseload_lists_people_with_markers_and_offers_actions(harness: Harness) -> None:
    h = harness
    await setup(h)
    await invite_participant(h, "Sara", "English")  # invited, not joined yet
    h.emu.send_command(COACH, "/caseload")
    overview = await h.next_message(COACH, "Your participants (2)")
    assert "Ayşe · TR · active" in overview["text"]
    assert "✉️ Sara" in overview["text"] and "invited" in overview["text"]
    assert {t for t, _ in buttons(overview)} == {"Ayşe", "Sara"}
    await h.press(COACH, "Sara")
    actions = await h.next_message(COACH, "Sara: what would you like to do")
    assert len(buttons(actions)) == 9
    await h.press(COACH, "Invite link")
    photo = await h.emu.wait_for_bot_message(COACH, predicate=lambda m: "photo" in m, timeout=5)
    assert "start=" in photo["caption"]


async def test_relay_both_ways_with_photo_and_voice_headers(harness: Harness) -> None:
    h = harness
    await setup(h)
    h.emu.send_photo(AYSE, caption="kedilerim")
    header = await h.next_message(COACH, "sent a photo")
    assert header["text"].startswith("📷 Ayşe (Türkçe)")
    copied = await h.emu.wait_for_bot_message(COACH, predicate=lambda m: "photo" in m, timeout=5)
    assert copied["caption"] == "kedilerim"
    h.emu.send_voice(AYSE, duration=4)
    voice_header = await h.next_message(COACH, "voice message")
    assert voice_header["text"].startswith("🎤 Ayşe (Türkçe)")
    await h.emu.wait_for_bot_message(COACH, predicate=lambda m: "voice" in m, timeout=5)
    # The coach answers by replying to the header: a photo, then words.
    h.emu.send_photo(COACH, caption="🐱", reply_to_message_id=header["message_id"])
    photo_header = await h.next_message(AYSE, "💬")
    assert "Sanne" in photo_header["text"]
    back = await h.emu.wait_for_bot_message(AYSE, predicate=lambda m: "photo" in m, timeout=5)
    assert back["caption"] == "🐱"
    h.emu.send_text(COACH, "Çok güzel! 😊", reply_to_message_id=header["message_id"])
    told = await h.next_message(AYSE, "💬")
    assert "Sanne" in told["text"]
    answer = await h.next_message(AYSE, "Çok güzel")
    assert answer["text"] == "Çok güzel! 😊"
    events = await h.deps.db.fetchall(
        "SELECT type, value FROM events WHERE type LIKE '%relay%' OR type = 'coach_replied'"
    )
    assert [(e["type"], e["value"]) for e in events] == [
        ("message_relayed", "photo"),
        ("message_relayed", "voice"),
        ("coach_replied", "photo"),
        ("coach_replied", "text"),
    ]


async def test_a_coach_cannot_reply_to_someone_no_longer_theirs(harness: Harness) -> None:
    h = harness
    await setup(h)
    await second_coach_and_coordinator(h)
    h.emu.send_text(AYSE, "Merhaba")
    header = await h.next_message(COACH, "wrote")
    h.emu.send_command(KIM, "/handover")
    for label in ("Sanne", "Ayşe", "Tom"):
        await h.next_message(KIM)
        await h.press(KIM, label)
    await h.next_message(KIM, "Moved 1")
    new_coach = await h.next_message(AYSE, "Tom")
    assert "koçun" in new_coach["text"].lower() or "Tom" in new_coach["text"]
    await h.next_message(TOM, "Ayşe")
    before = len(h.emu.bot_messages(AYSE))
    h.emu.send_text(COACH, "Hoi", reply_to_message_id=header["message_id"])
    await h.next_message(COACH, "not possible")
    assert len(h.emu.bot_messages(AYSE)) == before
    refused = await h.deps.db.scalar(
        "SELECT COUNT(*) FROM events WHERE type = 'refused' AND value = 'relay'"
    )
    assert refused == 1


async def test_nudge_now_in_the_participants_language_and_a_later_one_cancelled(
    harness: Harness,
) -> None:
    h = harness
    await setup(h)
    await caseload_action(h, "Ayşe", "Nudge")
    for label in ("Thinking of you", "Now"):
        await h.next_message(COACH)
        await h.press(COACH, label)
    await h.next_message(COACH, "Sent to Ayşe")
    nudge = await h.next_message(AYSE, "Sanne")
    assert "👋" in nudge["text"] and "Thinking" not in nudge["text"]
    h.emu.send_command(COACH, "/nudge")
    for label in ("Ayşe", "My own words"):
        await h.next_message(COACH)
        await h.press(COACH, label)
    await h.next_message(COACH, "Type your message")
    h.emu.send_text(COACH, "Tot morgen bij de taalcafé!")
    for label in ("Later", "20 Oct", "09:00"):
        await h.next_message(COACH)
        await h.press(COACH, label)
    await h.next_message(COACH, "Planned for Ayşe")
    h.emu.send_command(COACH, "/nudges")
    await h.next_message(COACH, "not gone out yet")
    await h.press(COACH, "Ayşe")
    await h.next_message(COACH, "cancelled")
    await h.travel_to(datetime(2026, 10, 20, 9, 5, tzinfo=AMS))
    assert not any("taalcafé" in t for t in h.all_texts(AYSE))


async def test_no_show_gets_a_kind_message_and_the_answer_reaches_the_coach(
    harness: Harness,
) -> None:
    h = harness
    await setup(h)
    await plan_appointment(h, "Ayşe", "20 Oct", "14:00", "Dukenburg")
    await h.travel_to(datetime(2026, 10, 20, 15, 0, tzinfo=AMS))
    asked = await h.next_message(COACH, "Did Ayşe come")
    assert len(buttons(asked)) == 3
    await h.press(COACH, "Didn't come")
    await h.next_message(COACH, "Noted")
    missed = await next_question(h, AYSE, 2)
    assert "Sanne" not in missed["text"] or "👋" in missed["text"]
    await h.press(AYSE, "Evet")
    await h.next_message(COACH, "Ayşe missed the appointment and would like a new time")
    row = await h.deps.db.fetchall("SELECT attendance FROM appointments")
    assert row[0]["attendance"] == "no_show"


async def test_cant_come_offers_new_times_and_a_pick_moves_the_appointment(
    harness: Harness,
) -> None:
    h = harness
    await setup(h)
    await plan_appointment(h, "Ayşe", "23 Oct", "14:00", "Dukenburg")  # a Friday
    await h.travel_to(datetime(2026, 10, 22, 10, 0, tzinfo=AMS))
    reminder = await next_question(h, AYSE, 3)  # coming, can't come, no reminders
    assert "Dukenburg" in reminder["text"]
    await h.press(AYSE, buttons(reminder)[1][0])  # I can't come
    offer = await next_question(h, AYSE, 5)
    labels = [t for t, _ in buttons(offer)]
    assert len(labels) == 5  # three times on the next working days, ask coach, not now
    assert "26" in labels[0] and "14:00" in labels[0]  # Monday, skipping the weekend
    await h.press(AYSE, labels[0])
    picked = await h.next_message(COACH, "picked a new time")
    assert "26 October" in picked["text"]
    starts = await h.deps.db.scalar("SELECT starts_at FROM appointments")
    assert starts.startswith("2026-10-26T13:00")  # 14:00 CET


async def test_silent_scan_tells_the_coach_once_per_spell(harness: Harness) -> None:
    h = harness
    await setup(h)
    await h.advance(timedelta(minutes=5))  # the nudges come after the last contact
    for _ in range(3):
        h.emu.send_command(COACH, "/nudge")
        for label in ("Ayşe", "See you soon", "Now"):
            await h.next_message(COACH)
            await h.press(COACH, label)
        await h.next_message(COACH, "Sent to Ayşe")
    for _ in range(3):  # paced at one per second in her chat
        await h.next_message(AYSE, "Yakında görüşürüz")
    await h.travel_to(datetime(2026, 10, 20, 9, 0, tzinfo=AMS))
    alert = await h.next_message(COACH, "quiet")
    assert "3 messages" in alert["text"]
    await h.travel_to(datetime(2026, 10, 21, 9, 0, tzinfo=AMS))
    await h.travel_to(datetime(2026, 10, 22, 9, 0, tzinfo=AMS))
    assert sum("quiet" in t for t in h.all_texts(COACH)) == 1
    h.emu.send_text(AYSE, "İyiyim")  # a sign of life ends the spell
    await h.next_message(COACH, "wrote")
    # 21 days without contact: a new spell, a new alert.
    await h.travel_to(datetime(2026, 11, 12, 9, 0, tzinfo=AMS))
    again = await h.next_message(COACH, "quiet")
    assert "21 days" in again["text"]


async def test_coach_is_reminded_at_five_months(harness: Harness) -> None:
    h = harness
    await setup(h)
    await h.travel_to(datetime(2027, 3, 18, 12, 0, tzinfo=AMS))
    assert not any("months" in t for t in h.all_texts(COACH))
    await h.travel_to(datetime(2027, 3, 19, 9, 0, tzinfo=AMS))
    reminder = await h.next_message(COACH, "5 months")
    assert "19 April" in reminder["text"]


async def test_followups_after_the_end_keep_local_time_across_dst(harness: Harness) -> None:
    h = harness
    await setup(h, checkin="Çarşamba")
    await caseload_action(h, "Ayşe", "End trajectory")
    for label in ("Volunteer work", "4 Volunteering", "Yes"):
        await h.next_message(COACH)
        await h.press(COACH, label)
    done = await h.next_message(COACH, "ended")
    assert "2 November" in done["text"]
    await h.next_message(AYSE, "Sanne")
    rows = await h.deps.db.fetchall(
        "SELECT ref, due_at FROM timers WHERE ref LIKE 'followup:%' ORDER BY id"
    )
    assert [(r["ref"], r["due_at"][:16]) for r in rows] == [
        ("followup:1", "2026-11-02T09:00"),  # 10:00 CET
        ("followup:2", "2026-11-19T09:00"),
        ("followup:3", "2026-12-19T09:00"),
        ("followup:4", "2027-01-19T09:00"),
        ("followup:5", "2027-04-19T08:00"),  # 10:00 CEST
    ]
    pending = await h.deps.db.scalar(
        "SELECT COUNT(*) FROM timers WHERE ref LIKE 'checkin:%' AND status = 'pending'"
    )
    assert pending == 0  # weekly check-ins stop
    await h.travel_to(datetime(2026, 11, 2, 10, 0, tzinfo=AMS))
    followup = await h.next_message(AYSE)
    assert len(buttons(followup)) == 6  # four moods, not now, don't ask again
    await h.press(AYSE, "😕")
    await h.next_message(AYSE)
    await h.press(AYSE, "Evet")
    await h.next_message(COACH, "trajectory ended) would like you to get in touch")
    h.emu.send_command(AYSE, "/coach")  # still works after the end
    await h.next_message(COACH, "Ayşe asks you to contact them")


async def test_away_coach_sends_alerts_to_the_backup_who_can_answer(harness: Harness) -> None:
    h = harness
    await setup(h)
    await second_coach_and_coordinator(h)
    h.emu.send_command(COACH, "/away")
    await h.next_message(COACH, "Away until")
    await h.press(COACH, "26 Oct")
    await h.next_message(COACH, "Who gets your alerts")
    await h.press(COACH, "Tom")
    await h.next_message(COACH, "You are away until")
    await h.next_message(TOM, "Sanne is away")
    h.emu.send_text(AYSE, "Yardım lazım")
    auto = await h.next_message(AYSE, "Tom")
    assert "Sanne" in auto["text"]
    header = await h.next_message(TOM, "who is away")
    assert "Ayşe" in header["text"]
    h.emu.send_text(TOM, "Ik bel je morgen", reply_to_message_id=header["message_id"])
    await h.next_message(AYSE, "Tom")
    await h.next_message(AYSE, "Ik bel je morgen")
    assert not any("Yardım" in t for t in h.all_texts(COACH))


async def test_deactivated_coach_commands_stop_at_once(harness: Harness) -> None:
    h = harness
    await setup(h)
    await second_coach_and_coordinator(h)
    h.emu.send_command(KIM, "/coaches")
    await h.next_message(KIM, "Which coach")
    await h.press(KIM, "Sanne")
    await h.next_message(KIM, "What should happen")
    await h.press(KIM, "Stop")
    await h.next_message(KIM, "Sanne is stopped")
    h.emu.send_command(COACH, "/caseload")
    await h.next_message(COACH, "not possible")
    # A participant of a stopped coach is told nothing wrong; the coordinator moves them.
    h.emu.send_command(KIM, "/handover")
    for label in ("Sanne", "Everyone", "Tom"):
        await h.next_message(KIM)
        await h.press(KIM, label)
    await h.next_message(KIM, "Moved 1")
    assert any("Tom" in t for t in h.all_texts(AYSE))


async def test_a_location_or_sticker_reaches_the_coach_too(harness: Harness) -> None:
    h = harness
    await setup(h)
    chat = {"id": AYSE, "type": "private", "first_name": "P"}
    sender = {"id": AYSE, "is_bot": False, "first_name": "P", "language_code": "tr"}
    h.emu.send_raw_update(
        {
            "message": {
                "message_id": 900,
                "date": 0,
                "chat": chat,
                "from": sender,
                "location": {"latitude": 51.84, "longitude": 5.86},
            }
        }
    )
    header = await h.next_message(COACH, "sent something")
    assert header["text"].startswith("📎 Ayşe (Türkçe)")
    await h.next_message(AYSE)  # thanked
