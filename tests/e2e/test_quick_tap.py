"""A tap that comes before the bot has recorded which message holds the question (the
send is still being recorded, several being in flight): the ✅ goes on the message that
was tapped, not on the question before it; and an answer shows one ✅, never two."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing

from bot.host.flows import chosen
from tests.e2e.harness import Harness, buttons, invite_participant, onboard, register_coach

SARA = 3001


def keyboard(h: Harness, message_id: int) -> list[str]:
    found = [m for m in h.emu.bot_messages(SARA) if m["message_id"] == message_id]
    return [text for text, _ in buttons(found[-1])]


async def test_the_check_mark_goes_on_the_tapped_message_even_before_its_send_is_recorded(
    harness: Harness,
) -> None:
    h = harness
    await register_coach(h)
    token = await invite_participant(h, "Sara", "English")
    h.emu.add_user(SARA, "Sara", language_code="en")
    h.emu.send_command(SARA, "/start", args=token)
    language = await h.next_message(SARA, "language")
    await h.press(SARA, "English")
    consent = await h.next_message(SARA, "take part")
    assert keyboard(h, language["message_id"]) == ["✅ English"]
    # As if the consent question's send were not recorded yet: the run still names the
    # language question's message.
    with closing(sqlite3.connect(h.db_path, timeout=30)) as conn, conn:
        conn.execute(
            "UPDATE runs SET question_message_id = ? WHERE question_message_id = ?",
            (language["message_id"], consent["message_id"]),
        )
    yes = next(text for text, _ in buttons(consent) if "Yes" in text)
    await h.press(SARA, "Yes")
    await h.next_message(SARA)  # the flow goes on
    for _ in range(20):
        await h.tick()
    assert keyboard(h, consent["message_id"]) == [chosen(yes)]
    assert keyboard(h, consent["message_id"])[0].count("✅") == 1
    assert keyboard(h, language["message_id"]) == ["✅ English"], "the earlier question changed"


async def test_a_question_closed_while_its_message_was_in_the_air_loses_its_buttons(
    harness: Harness,
) -> None:
    h = harness
    await register_coach(h)
    token = await invite_participant(h, "Sara", "English")
    await onboard(h, SARA, token, ["English", "Yes", "No weekly question"], "en")
    # The language question is at the phone at once; the bot hears so 3 s later.
    h.emu.inject_fault("sendMessage", "slow_after", delay=3.0)
    h.emu.send_command(SARA, "/language")
    for _ in range(100):
        asked = h.emu.bot_messages(SARA)[-1]
        if asked.get("reply_markup"):
            break
        await asyncio.sleep(0.02)
    # Meanwhile another question replaces it: the language menu is closed.
    h.emu.send_command(SARA, "/pause")
    await h.next_message(SARA, "how long", timeout=15)
    await asyncio.sleep(3.0)  # the language question's answer arrives
    for _ in range(30):
        await h.tick()
    language = [m for m in h.emu.bot_messages(SARA) if "language" in (m.get("text") or "")][-1]
    assert language["message_id"] == asked["message_id"]
    live = [data for _, data in buttons(language) if data != "x"]
    assert live == [], "a closed question still shows live buttons"
