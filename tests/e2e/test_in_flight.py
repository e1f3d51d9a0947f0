"""Several messages in flight over a slow network (issue 15): through the real bot, its
HTTP path and the emulator with a round trip on every call."""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path

from bot.deps import Settings
from bot.sandbox.emulator import Emulator
from storage import outbox
from storage.outbox import Text
from tests.e2e.conftest import START
from tests.e2e.harness import Harness

ROUND_TRIP = 0.4  # seconds; a slot frees only when the answer is back
IN_FLIGHT = 4
CHATS = [5001 + i for i in range(12)]
PER_CHAT = 3


async def test_messages_fly_side_by_side_at_most_k_at_once_and_each_chat_in_order(
    emu: Emulator, tmp_path: Path
) -> None:
    settings = Settings(poll_interval=0.05, per_chat_rate=20, per_chat_burst=20)
    settings.in_flight = IN_FLIGHT
    h = Harness(emu, tmp_path, START, settings=settings)
    await h.start()
    try:
        for chat in CHATS:
            emu.add_user(chat, f"P{chat}")
            emu.send_command(chat, "start")  # may be messaged
        emu.set_round_trip(ROUND_TRIP)
        async with h.deps.db.transaction() as conn:
            for n in range(PER_CHAT):
                for chat in CHATS:
                    await outbox.add(
                        conn, h.clock.now(), person_id=None, chat_id=chat, payload=Text(f"m{n}")
                    )
        await h.tick()  # returns once every send landed
    finally:
        emu.set_round_trip(0)
        await h.stop()

    # Each chat got its messages once, in the order they were queued.
    for chat in CHATS:
        texts = [m["text"] for m in emu.bot_messages(chat) if m["text"].startswith("m")]
        assert texts == [f"m{n}" for n in range(PER_CHAT)], chat
    # When each request reached the server: several within half a round trip (so they
    # were in the air together), never more than K within a whole round trip (a slot is
    # free again only after its answer travelled back and the next request travelled out).
    arrivals = sorted(
        c["time"]
        for c in emu.call_log
        if c["method"] == "sendMessage" and c["ok"] and c["params"].get("text", "").startswith("m")
    )
    assert len(arrivals) == len(CHATS) * PER_CHAT
    together = max(sum(1 for t in arrivals if a <= t < a + ROUND_TRIP / 2) for a in arrivals)
    assert together > 1, "one message at a time"
    most = max(sum(1 for t in arrivals if a <= t < a + ROUND_TRIP * 0.9) for a in arrivals)
    assert most <= IN_FLIGHT, f"{most} requests within one round trip, K = {IN_FLIGHT}"
    per_chat: dict[int, list[float]] = defaultdict(list)
    for c in emu.call_log:
        if c["method"] == "sendMessage" and c["params"].get("text", "").startswith("m"):
            per_chat[int(c["params"]["chat_id"])].append(c["time"])
    for chat, times in per_chat.items():
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(g >= ROUND_TRIP * 0.9 for g in gaps), f"chat {chat}: two in the air at once"
