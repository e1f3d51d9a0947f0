"""Time travel for the sandbox: move the ManualClock and let the bot catch up.

A jump does not leap over what was scheduled in between: the clock stops at every due timer
and outbox row on the way (read through ``storage.views``), the dispatcher runs, and only
then does the clock move on. That is what a bot that was running the whole time would have
done, so a reminder is not skipped as expired because the jump passed the appointment. The
bot itself is untouched: only the clock moves, and ``dispatcher.tick()`` is called as its own
loop would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import ManualClock
from storage import views
from storage.timers import TimerKind

if TYPE_CHECKING:
    from bot.app import CoachbotApp
    from bot.sandbox.emulator import Emulator
    from storage.db import Database

log = logging.getLogger(__name__)

MAX_STEPS = 500  # stops on the way of one jump
NEXT_HORIZON = timedelta(days=60)  # "next scheduled message" looks this far ahead
SETTLE_SECONDS = 15.0  # real seconds to wait for paced sends at one stop
# Timers travelling stops at, and those worth announcing as "next" (most question timeouts
# end a question quietly).
STOPS = (TimerKind.FLOW, TimerKind.RESUME, TimerKind.TIMEOUT)
VISIBLE = (TimerKind.FLOW, TimerKind.RESUME)


@dataclass(frozen=True)
class Due:
    """The next scheduled piece of work after the current sandbox time."""

    when: datetime
    what: str  # a flow id, "timeout", "resume" or "message"
    who: str  # the person's name


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

    async def next_due(self, *, visible: bool = False) -> Due | None:
        """The earliest pending timer or outbox row due after the current sandbox time.

        ``visible`` leaves out question timeouts: most end a question quietly (and one whose
        question was answered stays pending and does nothing), so they are not worth
        announcing; travelling still stops at them.
        """
        db = self._db()
        now = self.clock.now()
        timer = await views.next_timer(db, now, VISIBLE if visible else STOPS)
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


def describe(due: Due | None, tz: Any) -> dict[str, Any] | None:
    """A JSON-ready account of the next due work."""
    if due is None:
        return None
    local = due.when.astimezone(tz)
    return {
        "at": due.when.isoformat(),
        "label": f"{local:%a} {local.day} {local:%b %H:%M}",
        "what": due.what,
        "who": due.who,
    }


def long_day(when: datetime) -> str:
    """'Monday 19 October 2026' (English: the page's own language)."""
    return f"{when:%A} {when.day} {when:%B %Y}"
