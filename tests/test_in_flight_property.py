"""The dispatcher with K messages in flight, whatever the order of queueing and the time
each send takes (hypothesis): every row is sent once, each chat's rows in their order,
never two of one chat in the air, never more than K in all. A real SQLite file and the
real dispatcher loop, rows queued before it starts and while it sends; the sender stands
in for the network with the drawn delays."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.content.bundle import load_content
from bot.deps import Deps, Settings
from bot.dispatcher import Dispatcher
from storage import outbox
from storage.db import Database
from storage.outbox import Text

REPO = Path(__file__).resolve().parents[1]
CONTENT = load_content(REPO)
# Before the daily jobs (09:00): only the sending is under test.
NOW = datetime(2026, 10, 21, 8, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


class Network:
    """Sends that take the drawn time; records what is in the air."""

    def __init__(self, delays: Sequence[float]) -> None:
        self.delays = list(delays)
        self.calls = 0
        self.flying: set[int] = set()
        self.most = 0
        self.chat_twice = False
        self.received: dict[int, list[str]] = {}

    async def send_text(self, chat_id: int, text: str, buttons: object) -> int:
        if chat_id in self.flying:
            self.chat_twice = True
        self.flying.add(chat_id)
        self.most = max(self.most, len(self.flying))
        delay = self.delays[self.calls % len(self.delays)]
        self.calls += 1
        await asyncio.sleep(delay)
        self.received.setdefault(chat_id, []).append(text)
        self.flying.discard(chat_id)
        return self.calls


async def queue(db: Database, order: Sequence[int], start: int, end: int) -> None:
    async with db.transaction() as conn:
        for i in range(start, end):
            chat = order[i]
            await outbox.add(conn, NOW, person_id=None, chat_id=chat, payload=Text(f"{chat}:{i}"))


async def run(order: Sequence[int], delays: Sequence[float], in_flight: int) -> Network:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "c.sqlite3")
        try:
            deps = Deps(
                db=db,
                clock=ManualClock(NOW),
                content=CONTENT,
                invite_link=str,
                settings=Settings(
                    per_chat_rate=1000, per_chat_burst=1000, global_rate=1000, in_flight=in_flight
                ),
            )
            network = Network(delays)
            dispatcher = Dispatcher(deps, network)  # type: ignore[arg-type]
            # Half is queued before the loop starts, the rest while it sends.
            half = len(order) // 2
            await queue(db, order, 0, half)
            running = asyncio.create_task(dispatcher.run())
            await asyncio.sleep(0.002)
            await queue(db, order, half, len(order))
            dispatcher.wake()
            async with asyncio.timeout(30):
                while sum(map(len, network.received.values())) < len(order):
                    await asyncio.sleep(0.005)
            dispatcher.stop()
            await running
            statuses = await db.fetchall("SELECT status, COUNT(*) FROM outbox GROUP BY status")
            assert [tuple(r) for r in statuses] == [("sent", len(order))]
            return network
        finally:
            await db.close()


@settings(max_examples=60, deadline=None)
@given(
    order=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=30),
    delays=st.lists(st.sampled_from([0.0, 0.001, 0.003, 0.01]), min_size=1, max_size=10),
    in_flight=st.integers(min_value=1, max_value=8),
)
def test_every_row_once_in_chat_order_never_more_than_k_in_the_air(
    order: list[int], delays: list[float], in_flight: int
) -> None:
    network = asyncio.run(run(order, delays, in_flight))
    expected: dict[int, list[str]] = {}
    for i, chat in enumerate(order):
        expected.setdefault(chat, []).append(f"{chat}:{i}")
    assert network.received == expected
    assert not network.chat_twice
    assert network.most <= in_flight
