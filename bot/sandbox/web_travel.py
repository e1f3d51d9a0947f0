"""Time travel for the sandbox: move the ManualClock and let the bot catch up.

A jump does not leap over what was scheduled in between: the clock stops at every due timer
and outbox row on the way (read through ``storage.views``), the dispatcher runs, and only
then does the clock move on. That is what a bot that was running the whole time would have
done, so a reminder is not skipped as expired because the jump passed the appointment. The
bot itself is untouched: only the clock moves, and ``dispatcher.tick()`` is called as its own
loop would.

What the page shows as coming (:meth:`TimeMachine.coming`) is read from the same rows: timers,
outbox rows waiting for their time (quiet hours), and runs: a question that waits for an
answer, and the questions set aside behind it, which come only after it is answered or closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import ManualClock
from bot.schedule import policy
from storage import outbox, people, runs, timers, views
from storage.outbox import HELD_UNTIL, Copy, EditButtons, Text
from storage.runs import Run, RunStatus
from storage.timers import TimerKind
from storage.times import from_db

if TYPE_CHECKING:
    from bot.app import CoachbotApp
    from bot.sandbox.emulator import Emulator
    from storage.db import Database

log = logging.getLogger(__name__)

MAX_STEPS = 500  # stops on the way of one jump
NEXT_HORIZON = timedelta(days=60)  # "next scheduled message" looks this far ahead
SETTLE_SECONDS = 15.0  # real seconds to wait for paced sends at one stop
# Timers travelling stops at.
STOPS = (TimerKind.FLOW, TimerKind.RESUME, TimerKind.TIMEOUT)
LOOK = 200  # rows read for "coming"; the sandbox holds a handful of people
HELD = from_db(HELD_UNTIL)


@dataclass(frozen=True)
class Due:
    """The next scheduled piece of work after the current sandbox time."""

    when: datetime
    what: str  # a flow id, "timeout", "resume" or "message"
    who: str  # the person's name


@dataclass(frozen=True)
class Coming:
    """Something the bot will send by itself, or a question that waits for a person.

    ``why``: "" (its time), "quiet_hours" (an unasked message held until the window opens),
    "held" (until the coach can be reached again), "open" (a question sent, not answered;
    ``when`` is when it closes), "set_aside" or "queued" (a question that comes only after
    the open one is answered or closes; ``when`` is None).
    """

    when: datetime | None
    what: str  # a flow id, "message" or "resume"
    who: str
    why: str = ""
    text: str = ""  # the first line of a message waiting in the outbox
    expires: datetime | None = None


@dataclass(frozen=True)
class Travel:
    """What one jump did."""

    now: datetime
    stops: int
    messages: int  # new bot messages during the jump
    note: str = ""


class TimeMachine:
    """Moves the sandbox clock and keeps the sandbox time of each message."""

    def __init__(
        self, clock: ManualClock, emulator: Emulator, on_change: Callable[[], None]
    ) -> None:
        self.clock = clock
        self.emulator = emulator
        self.app: CoachbotApp | None = None
        self._on_change = on_change
        self._lock = asyncio.Lock()
        self._stamped_seq = 0
        self._stamps: dict[tuple[int, int], datetime] = {}
        self._task: asyncio.Task[None] | None = None

    # -- sandbox time of messages --------------------------------------------------------------

    def stamp_new(self) -> None:
        """Give every message event not seen yet the current sandbox time."""
        now = self.clock.now()
        for event in self.emulator.events(self._stamped_seq):
            if event["kind"] == "new":
                self._stamps.setdefault((event["chat_id"], event["message_id"]), now)
            self._stamped_seq = max(self._stamped_seq, event["seq"])

    def stamp(self, chat_id: int, message_id: int) -> datetime:
        """The sandbox time at which a message appeared."""
        self.stamp_new()
        return self._stamps.get((chat_id, message_id), self.clock.now())

    def stamps(self) -> list[list[Any]]:
        """Every message's sandbox time, JSON-ready: [chat id, message id, ISO time]."""
        self.stamp_new()
        return [[chat, message, at.isoformat()] for (chat, message), at in self._stamps.items()]

    def restore_stamps(self, stamps: list[list[Any]]) -> None:
        """Give restored messages the sandbox time they first appeared at."""
        for chat, message, at in stamps:
            self._stamps[(int(chat), int(message))] = datetime.fromisoformat(str(at))

    def start_watching(self) -> None:
        """Stamp messages as they arrive, also when no page is open."""
        if self._task is None:
            self._task = asyncio.create_task(self._watch())

    async def stop_watching(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        while True:
            self.stamp_new()
            await self.emulator.wait_for_change(30.0)

    # -- what is scheduled -----------------------------------------------------------------------

    async def next_due(self) -> Due | None:
        """The earliest pending timer or outbox row due after the current sandbox time."""
        db = self._db()
        now = self.clock.now()
        timer = await views.next_timer(db, now, STOPS)
        message = await views.next_message(db, now)
        found: list[Due] = []
        if timer is not None:
            what = str(timer.kind)
            if timer.kind == TimerKind.FLOW:
                what = str(timer.payload.get("flow") or what)
            found.append(Due(timer.due_at, what, timer.name or "?"))
        if message is not None:
            found.append(Due(message.due_at, "message", message.name or "?"))
        return min(found, key=lambda due: due.when) if found else None

    def quiet_until(self) -> datetime | None:
        """When the delivery window opens, if the sandbox time is in quiet hours now."""
        deps = self._app().deps
        assert deps is not None
        now = self.clock.now()
        opens = policy.earliest(now, policy.window(deps))
        return opens if opens != now else None

    async def coming(self) -> list[Coming]:
        """Everything waiting: messages and flows with a time (soonest first), then the
        questions that wait for an answer to another one."""
        deps = self._app().deps
        assert deps is not None
        conn, now = deps.db.conn, self.clock.now()
        quiet_end = self.quiet_until()
        names: dict[int, str] = {}

        async def name(person_id: int | None) -> str:
            if person_id is None:
                return "?"
            if person_id not in names:
                person = await people.by_id(conn, person_id)
                names[person_id] = person.name if person else "?"
            return names[person_id]

        dated: list[Coming] = []
        unsent: set[int] = set()  # runs whose question still waits in the outbox
        for row in await outbox.due(conn, HELD, LOOK):
            payload = row.payload
            if row.due_at <= now or isinstance(payload, EditButtons):
                continue  # going out now, or not a new message
            what, text = "message", ""
            if row.run_id is not None:
                unsent.add(row.run_id)
                run = await runs.get(conn, row.run_id)
                what = run.flow_id if run else what
            if isinstance(payload, Text):
                text = payload.text.strip().split("\n", 1)[0][:80]
            elif isinstance(payload, Copy):
                text = "(a message passed on)"
            why = ""
            if row.due_at >= HELD:
                why = "held"
            elif quiet_end is not None and row.due_at == quiet_end and row.unsolicited:
                why = "quiet_hours"
            when = None if why == "held" else row.due_at
            dated.append(Coming(when, what, await name(row.person_id), why, text))

        pending = [t for t in await timers.due(conn, now + NEXT_HORIZON, LOOK) if t.due_at > now]
        closes = {
            int(t.payload.get("run_id") or 0): t.due_at
            for t in pending
            if t.kind == TimerKind.TIMEOUT
        }
        for timer in pending:
            if timer.kind == TimerKind.FLOW:
                what = str(timer.payload.get("flow") or "flow")
            elif timer.kind == TimerKind.RESUME:
                what = "resume"
            else:
                continue  # a question's timeout: shown with its open question below
            dated.append(Coming(timer.due_at, what, await name(timer.person_id)))

        waiting: list[Coming] = []
        for telegram_id in await views.phone_owners(deps.db):
            person = await people.by_address(conn, people.Address(people.TELEGRAM, telegram_id))
            if person is None:
                continue
            active = await runs.latest(conn, person.id, RunStatus.ACTIVE)
            behind: list[Run] = [
                *await runs.suspended(conn, person.id),
                *await runs.queued(conn, person.id),
            ]
            if active is not None and active.id not in unsent and (active.scheduled or behind):
                when = closes.get(active.id) or active.expires_at
                dated.append(Coming(when, active.flow_id, person.name, "open"))
            for run in behind:
                why = "set_aside" if run.status == RunStatus.SUSPENDED else "queued"
                waiting.append(Coming(None, run.flow_id, person.name, why, expires=run.expires_at))
        latest = datetime.max.replace(tzinfo=UTC)
        dated.sort(key=lambda c: c.when or latest)
        return dated + waiting

    async def _overdue(self) -> int:
        """Work due now that the bot has not done yet (paced sends, unfired timers)."""
        return await views.overdue(self._db(), self.clock.now())

    # -- moving ------------------------------------------------------------------------------

    async def settle(self, budget: float = SETTLE_SECONDS) -> None:
        """Run the dispatcher until nothing due now is left (or ``budget`` real seconds)."""
        dispatcher = self._app().dispatcher
        assert dispatcher is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        while True:
            await dispatcher.tick()
            self.stamp_new()
            if not await self._overdue() or loop.time() >= deadline:
                break
            await asyncio.sleep(0.2)  # a chat is pacing (Telegram's 1 message/s)
        # Let the emulator record what was just sent before the clock moves on.
        await asyncio.sleep(0)
        self.stamp_new()
        dispatcher.wake()

    async def advance(self, delta: timedelta) -> Travel:
        """Move forward by ``delta``, stopping at everything scheduled on the way."""
        if delta <= timedelta(0):
            raise ValueError("time only moves forward in the sandbox")
        return await self.travel_to(self.clock.now() + delta)

    async def travel_to(self, target: datetime) -> Travel:
        """Move forward to ``target`` (not backwards), stopping at each due moment."""
        async with self._lock:
            start_seq = self.emulator.seq
            stops = 0
            if target <= self.clock.now():
                await self.settle()
                return self._result(start_seq, stops, "")
            while stops < MAX_STEPS:
                due = await self.next_due()
                step = target if due is None or due.when > target else due.when
                self.clock.set(step)
                await self.settle()
                stops += 1
                if step >= target:
                    break
            else:
                self.clock.set(target)
                await self.settle()
            return self._result(start_seq, stops, "")

    async def travel_to_next(self) -> Travel:
        """Move to the next moment at which the bot sends something by itself.

        Timers that send nothing (an expired check-in, an ended timeout) are passed on the
        way; the jump stops at the first moment a new bot message appears, or gives up after
        ``NEXT_HORIZON`` without moving when nothing is scheduled.
        """
        async with self._lock:
            start_seq = self.emulator.seq
            horizon = self.clock.now() + NEXT_HORIZON
            stops = 0
            while stops < MAX_STEPS:
                due = await self.next_due()
                if due is None or due.when > horizon:
                    note = "nothing is scheduled" if stops == 0 else ""
                    return self._result(start_seq, stops, note)
                self.clock.set(due.when)
                await self.settle()
                stops += 1
                if self._bot_messages_since(start_seq):
                    break
            return self._result(start_seq, stops, "")

    def _bot_messages_since(self, seq: int) -> int:
        return sum(1 for e in self.emulator.events(seq) if e["outgoing"] and e["kind"] == "new")

    def _result(self, start_seq: int, stops: int, note: str) -> Travel:
        self._on_change()
        return Travel(self.clock.now(), stops, self._bot_messages_since(start_seq), note)

    def _app(self) -> CoachbotApp:
        if self.app is None or self.app.deps is None:
            raise RuntimeError("the bot is not running yet")
        return self.app

    def _db(self) -> Database:
        deps = self._app().deps
        assert deps is not None
        return deps.db


def describe_coming(items: list[Coming], tz: Any) -> list[dict[str, Any]]:
    """JSON-ready accounts of what is coming."""
    return [
        {
            "at": c.when.isoformat() if c.when else None,
            "label": _label(c.when, tz) if c.when else None,
            "what": c.what,
            "who": c.who,
            "why": c.why,
            "text": c.text,
            "expires": _label(c.expires, tz) if c.expires else None,
        }
        for c in items
    ]


def _label(when: datetime, tz: Any) -> str:
    local = when.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def long_day(when: datetime) -> str:
    """'Monday 19 October 2026' (English: the page's own language)."""
    return f"{when:%A} {when.day} {when:%B %Y}"
