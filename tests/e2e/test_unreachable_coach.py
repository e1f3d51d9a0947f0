"""A coach who cannot be reached (403) is not cut off for good: alerts go to a colleague or a
coordinator, participants' messages wait, and anything the coach sends brings it all back.
A participant's message that Telegram refuses to copy is reported to both sides."""

from __future__ import annotations

from tests.e2e.harness import COACH, Harness, invite_participant, onboard, register_coach
from tests.e2e.test_coach_tools import KIM, second_coach_and_coordinator

SARA = 3001


async def sara(h: Harness) -> None:
    await register_coach(h)
    await second_coach_and_coordinator(h)
    token = await invite_participant(h, "Sara", "English")
    await onboard(h, SARA, token, ["English", "Yes", "No weekly question"], "en")
    await h.next_message(COACH, "joined")


def copies_to(h: Harness, chat_id: int) -> list[dict]:
    return [
        c
        for c in h.emu.call_log
        if c["method"] == "copyMessage" and c["params"].get("chat_id") == chat_id and c["ok"]
    ]


async def status_of(h: Harness, telegram_id: int) -> str:
    return str(
        await h.deps.db.scalar("SELECT status FROM people WHERE telegram_id = ?", (telegram_id,))
    )


async def test_a_coach_who_blocked_the_bot_gets_the_waiting_messages_when_back(
    harness: Harness,
) -> None:
    h = harness
    await sara(h)
    # The coach's chat answers 403 once: the relay header to the coach is the next send.
    h.emu.inject_fault("sendMessage", "403")
    h.emu.send_text(SARA, "Hello, my kittens were born!")
    told = await h.next_message(KIM, "can no longer reach coach Sanne")
    assert "wait" in told["text"]
    assert await status_of(h, COACH) == "unreachable"
    assert copies_to(h, COACH) == []  # the copy waits with its header

    # A second message: the participant is told truthfully that it waits.
    h.emu.send_text(SARA, "And a photo later")
    later = await h.next_message(SARA, "as soon as they can be reached again")
    assert "Sanne" in later["text"]
    # An alert about Sara (she asks for contact) goes to the coordinator meanwhile.
    h.emu.send_command(SARA, "/coach")
    alert = await h.next_message(KIM, "asks you to contact them")
    assert "Sara" in alert["text"] and "Sanne, who cannot be reached" in alert["text"]

    # The coach writes anything: reachable again, and both messages arrive.
    h.emu.send_command(COACH, "/help")
    await h.next_message(COACH, "Sara")
    for _ in range(50):
        if len(copies_to(h, COACH)) >= 2:
            break
        await h.tick()
    assert len(copies_to(h, COACH)) == 2
    assert await status_of(h, COACH) == "active"
    # Kim was told once, not again.
    assert sum("can no longer reach coach" in t for t in h.all_texts(KIM)) == 1


async def test_a_refused_copy_is_reported_to_the_participant_and_the_coach(
    harness: Harness,
) -> None:
    h = harness
    await sara(h)
    h.emu.inject_fault("copyMessage", "400")
    h.emu.send_text(SARA, "A message Telegram will not copy")
    await h.next_message(SARA, "did not reach your coach")
    shown = await h.next_message(COACH, "could not show it")
    assert "Sara" in shown["text"]
    assert copies_to(h, COACH) == []
    events = await h.deps.db.fetchall("SELECT type FROM events WHERE type = 'relay_failed'")
    assert len(events) == 1
