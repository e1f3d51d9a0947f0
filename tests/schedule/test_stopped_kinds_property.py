"""Random orders of "don't ask again" (per kind), /pause, its end, /stop and /start for one
participant (hypothesis), through the real inbound handler, flow host, timers and planner
on a real database (no Telegram: the buttons are pressed as the bot wrote them).

Invariants:
- the kinds stopped are exactly those stopped since the last /start: a pause, its end or
  its undoing, /stop and the undoing of /stop by /start (which is also the undo) leave
  nothing half-done, whatever the order;
- nobody who stopped the check-in has a check-in planned; an active participant who did
  not stop it has exactly one planned.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.content.bundle import load_content
from bot.deps import Deps
from bot.host.flows import FlowHost
from bot.host.inbound import Inbound, InboundService
from bot.host.timers import fire_due
from bot.schedule import planner
from storage import people, preferences
from storage.db import Database
from storage.outbox import Press
from storage.people import TELEGRAM, Address, Role, Status
from storage.preferences import Kind
from tests.e2e.harness import AMS, REPO

CHAT = 501
START = datetime(2026, 10, 19, 11, 0, tzinfo=AMS)
# The question of each kind a "don't ask again" is pressed on, and its variables.
ASKED = {
    Kind.CHECKIN: ("checkin", {}),
    Kind.REMINDER: (
        "reminder_day_before",
        {
            "appointment_id": 1,
            "when": "2026-12-01T10:00:00+01:00",
            "place": "Hatert",
            "address": "",
        },
    ),
    Kind.NUDGE: ("nudge_message", {"text": "Hoi Ada 👋"}),
}

steps = st.one_of(
    st.tuples(st.just("stop_kind"), st.sampled_from(list(Kind))),
    st.tuples(st.just("pause"), st.sampled_from([0, 1, 2])),  # 1, 2 or 4 weeks
    st.tuples(st.just("resume"), st.just(0)),  # /pause → "start messages again"
    st.tuples(st.just("stop"), st.just(0)),  # /stop → yes
    st.tuples(st.just("start"), st.just(0)),
    st.tuples(st.just("jump"), st.integers(1, 20)),  # days pass; timers fire
)


class World:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.host = FlowHost(deps)
        self.inbound = InboundService(deps, self.host)
        self.updates = itertools.count(1)
        self.person_id = 0

    async def send(self, event: Inbound) -> None:
        await self.inbound.handle(event)

    async def command(self, name: str) -> None:
        await self.send(Inbound(next(self.updates), "command", CHAT, CHAT, command=name))

    async def press(self, value: str | None = None, index: int = 0) -> None:
        """Press a button of the question the bot wrote last (by value, else by index)."""
        row = await self.deps.db.fetchone(
            "SELECT o.run_id, o.seq, r.state FROM outbox o JOIN runs r ON r.id = o.run_id"
            " WHERE o.person_id = ? AND o.run_id IS NOT NULL ORDER BY o.id DESC LIMIT 1",
            (self.person_id,),
        )
        assert row is not None
        options = [o[0] for o in json.loads(row["state"])["options"]]
        option = options.index(value) if value is not None else index
        press = Press(row["run_id"], row["seq"], option)
        await self.send(Inbound(next(self.updates), "callback", CHAT, CHAT, press=press))

    async def status(self) -> Status:
        person = await people.by_id(self.deps.db.conn, self.person_id)
        assert person is not None
        return person.status

    async def stopped(self) -> frozenset[Kind]:
        return await preferences.stopped(self.deps.db.conn, self.person_id)

    async def planned_checkins(self) -> int:
        return int(
            await self.deps.db.scalar(
                "SELECT COUNT(*) FROM timers WHERE person_id = ? AND status = 'pending'"
                " AND ref LIKE 'checkin:%'",
                (self.person_id,),
            )
        )


async def scenario(tmp: Path, plan: list[tuple[str, object]]) -> None:
    db = await Database.open(tmp / "property.sqlite3")
    clock = ManualClock(START)
    deps = Deps(db, clock, load_content(REPO), invite_link=lambda token: token)
    world = World(deps)
    try:
        async with db.transaction() as conn:
            coach = await people.add(conn, clock.now(), Role.COACH, "Sanne")
            pid = await people.add(conn, clock.now(), Role.PARTICIPANT, "Ada", coach_id=coach)
            await people.update(
                conn, pid, status="active", language="en", checkin_day="tue", checkin_time="morning"
            )
            await people.set_address(conn, pid, Address(TELEGRAM, CHAT))
            await planner.plan_all_checkins(conn, deps)
        world.person_id = pid
        model: set[Kind] = set()
        for kind, value in plan:
            if kind == "stop_kind":
                assert isinstance(value, Kind)
                if await world.status() != Status.ACTIVE:
                    continue  # nothing is asked of someone paused or stopped
                flow, variables = ASKED[value]
                async with db.transaction() as conn:
                    person = await people.by_id(conn, pid)
                    assert person is not None
                    await world.host.start(
                        conn, person, flow, variables, scheduled=True, expires=None
                    )
                await world.press("stop")
                model.add(value)
            elif kind == "pause":
                await world.command("pause")
                await world.press(index=int(str(value)))
            elif kind == "resume":
                await world.command("pause")
                await world.press("resume")
            elif kind == "stop":
                await world.command("stop")
                await world.press("yes")
            elif kind == "start":
                await world.command("start")
                model.clear()
            else:
                clock.set(clock.now() + timedelta(days=int(str(value))))
                await fire_due(deps, world.host, 1000)
            async with db.transaction() as conn:  # what the JobQueue does every few minutes
                await planner.plan_all_checkins(conn, deps)
            assert await world.stopped() == model, (kind, value)
            planned = await world.planned_checkins()
            if Kind.CHECKIN in model:
                assert planned == 0, (kind, value)
            elif await world.status() == Status.ACTIVE:
                assert planned == 1, (kind, value)
    finally:
        await db.close()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(steps, min_size=1, max_size=10))
def test_stopped_kinds_stay_stopped_until_start_in_any_order(
    plan: list[tuple[str, object]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(scenario(Path(tmp), plan))
