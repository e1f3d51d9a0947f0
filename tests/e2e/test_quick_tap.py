"""A tap that comes before the bot has recorded which message holds the question (the
send is still being recorded, several being in flight): the ✅ goes on the message that
was tapped, not on the question before it; and an answer shows one ✅, never two."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from bot.host.flows import chosen
from tests.e2e.harness import Harness, buttons, invite_participant, register_coach

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
