"""The first journey end to end, with a Turkish-speaking participant.

Coach registers → invites a participant → participant onboards in Turkish → coach
plans an appointment → reminder the day before → "I can't come" reaches the coach →
weekly check-in with a low mood → the coach is asked to get in touch → a typed
message outside any flow is passed to the coach.
"""

from __future__ import annotations

from datetime import datetime

from tests.e2e.harness import (
    AMS,
    COACH,
    Harness,
    buttons,
    invite_participant,
    onboard,
    register_coach,
)

AYSE = 2001


async def test_turkish_participant_journey(harness: Harness) -> None:
    h = harness
    await register_coach(h)
    token = await invite_participant(h, "Ayşe", "Türkçe")

    # Onboarding, all in Turkish: language, what this is, consent, check-in on Wednesday morning.
    h.emu.send_command(AYSE, "/start", args=token)
    hello = await h.next_message(AYSE)
    assert "Ayşe" in hello["text"] and "Sanne" in hello["text"]
    assert tuple(t for t, _ in buttons(hello) if t == "Türkçe") == ("Türkçe",)
    assert {"Nederlands", "English", "العربية"} <= {t for t, _ in buttons(hello)}
    await h.press(AYSE, "Türkçe")
    explain = await h.next_message(AYSE)
    assert "(gemeente)" in explain["text"]  # who writes: the municipality's assistant
    await h.next_message(AYSE)  # who sees what
    kept = await h.next_message(AYSE)  # how long, /mydata, /forget, /stop
    assert "/forget" in kept["text"] and "24" in kept["text"]
    consent = await h.next_message(AYSE)
    assert next(t for t, _ in buttons(consent)).startswith("Evet")
    await h.press(AYSE, "Evet")
    await h.next_message(AYSE)  # which day?
    await h.press(AYSE, "Çarşamba")
    await h.next_message(AYSE)  # what time?
    await h.press(AYSE, "Sabah")
    await h.next_message(AYSE)  # all set
    joined = await h.next_message(COACH, "Ayşe")
    assert "Türkçe" in joined["text"]

    # The coach plans an appointment in two days (Wednesday 21 Oct) at 10:00.
    h.emu.send_command(COACH, "/appointment")
    await h.next_message(COACH)
    await h.press(COACH, "Ayşe")
    await h.next_message(COACH)
    await h.press(COACH, "21 Oct")
    await h.next_message(COACH)
    await h.press(COACH, "10:00")
    await h.next_message(COACH)
    await h.press(COACH, "Lindenholt")
    planned = await h.next_message(COACH, "Ayşe")
    assert "21" in planned["text"]
    told = await h.next_message(AYSE)
    assert "Ekim" in told["text"] and "10:00" in told["text"]  # Turkish month name

    # The day before at 10:00 the reminder comes, with the place's address.
    await h.travel_to(datetime(2026, 10, 20, 10, 0, tzinfo=AMS))
    reminder = await h.next_message(AYSE, "Lindenholt")
    assert "10:00" in reminder["text"]
    labels = [t for t, _ in buttons(reminder)]
    assert len(labels) == 3  # I'll be there, I can't come, no reminders
    await h.press(AYSE, labels[1])  # "I can't come"
    await h.next_message(AYSE)  # no problem, it happens
    declined = await h.next_message(COACH, "Ayşe")
    assert "21" in declined["text"]
    offer = await h.next_message(AYSE)  # three new times, "ask my coach", "not now"
    while len(buttons(offer)) != 5:
        offer = await h.next_message(AYSE)
    await h.press(AYSE, buttons(offer)[3][0])  # ask my coach
    await h.next_message(COACH, "would like a new time")
    await h.next_message(AYSE)

    # The weekly check-in on Wednesday morning at 10:00; a low mood asks for the coach.
    await h.travel_to(datetime(2026, 10, 21, 10, 0, tzinfo=AMS))
    checkin = await h.next_message(AYSE)
    assert [t for t, _ in buttons(checkin)][4:] == ["Şimdi değil", "🔕 Bir daha sorma"]
    await h.press(AYSE, "😞")
    await h.next_message(AYSE)  # shall your coach contact you?
    await h.press(AYSE, "Evet")
    alert = await h.next_message(COACH, "Ayşe")
    assert "🔔" in alert["text"]
    await h.next_message(AYSE)

    # Words typed outside any flow reach the coach, without being stored.
    h.emu.send_text(AYSE, "Merhaba, yarın gelemiyorum")
    await h.next_message(AYSE)  # acknowledged
    await h.next_message(COACH, "Ayşe")  # the header
    copied = await h.next_message(COACH)
    assert copied.get("text") == "Merhaba, yarın gelemiyorum"
    rows = await h.deps.db.fetchall("SELECT payload FROM outbox WHERE status = 'sent'")
    assert all(r["payload"] == "{}" for r in rows)
    events = await h.deps.db.fetchall("SELECT * FROM events")
    assert not any("gelemiyorum" in str(dict(e)) for e in events)


async def test_next_week_checkin_is_planned_after_one_fires(harness: Harness) -> None:
    h = harness
    await register_coach(h)
    token = await invite_participant(h, "Ayşe", "Türkçe")
    await onboard(h, AYSE, token, ["Türkçe", "Evet", "Çarşamba", "Akşam"], "tr")
    await h.travel_to(datetime(2026, 10, 21, 18, 0, tzinfo=AMS))
    await h.next_message(AYSE, None)
    rows = await h.deps.db.fetchall(
        "SELECT ref, due_at FROM timers WHERE ref LIKE 'checkin:%' AND status = 'pending'"
    )
    assert [r["ref"] for r in rows] == ["checkin:2026-10-28"]
    # 28 Oct is after the DST change: still 18:00 local, now 17:00 UTC.
    assert rows[0]["due_at"].startswith("2026-10-28T17:00")
