"""The dispatcher, the bot's one loop: fires due timers into flows, starts the daily jobs,
and sends due outbox rows after commit.

Several messages are in flight at once (`Settings.in_flight`, K): over a real network a
send takes a round trip, and one at a time caps the bot at one message per round trip,
far below Telegram's 30 per second. Each chat has at most one message in flight, so a
chat's messages arrive in their order.

At-least-once: a row is marked `sending` (committed) before the network call; a row
found `sending` after a crash is sent again, so at most the K messages in flight at the
crash can arrive twice. A landed row is recorded `sent` at once, in one transaction with
whatever else landed meanwhile. Whether a row may go is the delivery
policy's (bot.schedule.policy); Telegram's pace is bot.outbox.pacing's; the network call
and what a failure means are bot.outbox.sending's. Replies go before reminders.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from asyncio import FIRST_COMPLETED
from datetime import date
from typing import Any

from bot.deps import Deps
from bot.errors import Rejected, SendError, Unreachable
from bot.host.daily import daily_day, run_daily
from bot.host.documents import make_document
from bot.host.flows import FlowHost
from bot.host.timers import fire_due
from bot.outbox import write
from bot.outbox.pacing import Bucket, Window
from bot.outbox.sending import Sender, perform, record_failure
from bot.schedule import policy
from bot.schedule.policy import Verdict
from storage import outbox, people, runs
from storage.events import log_event
from storage.outbox import OutboxKind, OutboxRow, OutboxStatus, Text
from storage.people import Role, Status, by_id, update
from storage.runs import RunStatus

log = logging.getLogger(__name__)

BATCH = 100  # timers fired per look
SEND_BATCH = 20  # rows sent per look: small, so a new reply never waits behind a burst
DAILY_RETRY_S = 300  # seconds before daily jobs that failed are tried again


class Dispatcher:
    def __init__(self, deps: Deps, sender: Sender, host: FlowHost | None = None) -> None:
        self.deps = deps
        self.sender = sender
        self.host = host or FlowHost(deps)
        self._chat: dict[int, Bucket] = {}
        settings = deps.settings
        # A sliding window, not a bucket with a burst: a burst on top of a steady 30/s earns
        # a 429 that pauses everyone, replies included.
        self._global = Window(settings.global_rate)
        self._more = False  # the last tick left due work behind (a full batch)
        self._daily_done: date | None = None  # the local day the daily jobs were last checked
        self._daily_retry_at = 0.0  # loop time before which a failed daily run is not retried
        self._per_chat = (settings.per_chat_rate, settings.per_chat_burst)
        self._paused_until = 0.0
        self._in_flight = max(1, settings.in_flight)
        self._flying: dict[int, asyncio.Task[None]] = {}  # chat → its one send in the air
        self._landed: list[tuple[OutboxRow, int]] = []  # sent, not yet recorded
        self._wake = asyncio.Event()  # something to look at: a new row, a landed send
        self._urgent = asyncio.Event()  # someone waits for an answer: replies first
        self._interrupted = False  # the last look stopped early for a reply
        self._lock = asyncio.Lock()
        self._daily_lock = asyncio.Lock()
        self._stopped = False

    def wake(self) -> None:
        self._wake.set()
        self._urgent.set()

    async def recover(self) -> int:
        """Rows left `sending` by a crash count as an attempt and go out again."""
        async with self.deps.db.transaction() as conn:
            return await outbox.recover_sending(conn)

    async def run(self) -> None:
        """Tick until stopped; sleep until woken or the poll interval passes. The daily
        jobs run beside it in their own task, so sending never waits for them."""
        await self.recover()
        daily: asyncio.Task[None] | None = None
        try:
            while not self._stopped:
                if (
                    (daily is None or daily.done())
                    and asyncio.get_running_loop().time() >= self._daily_retry_at
                    and self._daily_due() is not None
                ):
                    daily = asyncio.create_task(self._daily_in_background())
                try:
                    await self._cycle()
                except Exception:
                    log.exception("dispatcher tick failed; trying again")
                if self._more:
                    await asyncio.sleep(0)  # more is due already: no poll-interval nap
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.deps.settings.poll_interval)
                self._wake.clear()
        finally:
            if daily is not None and not daily.done():
                daily.cancel()  # its open chunk rolls back; the job runs again next time
                with contextlib.suppress(asyncio.CancelledError):
                    await daily
            await self._land_all()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    async def tick(self) -> int:
        """Everything due now, the daily jobs first (tests and the sandbox's time travel
        call this); returns how many timers and rows were handled."""
        await self.daily()
        return await self._cycle(drain=True)

    def _daily_due(self) -> date | None:
        day = daily_day(self.deps)
        return day if day is not None and day != self._daily_done else None

    async def daily(self) -> None:
        """The daily jobs, once per local day (checked in memory: every update wakes us;
        the `periodic` table guards across restarts)."""
        async with self._daily_lock:
            day = self._daily_due()
            if day is None:
                return
            await run_daily(self.deps, self.host, day)
            self._daily_done = day
        self.wake()  # they may have queued notes for coaches

    async def _daily_in_background(self) -> None:
        try:
            await self.daily()
        except Exception:
            # Not on every tick: a job that keeps failing would fill the log.
            self._daily_retry_at = asyncio.get_running_loop().time() + DAILY_RETRY_S
            log.exception("daily jobs failed; trying again in %d s", DAILY_RETRY_S)

    async def _cycle(self, drain: bool = False) -> int:
        """Fire due timers, then send what is due; with `drain`, until every send landed."""
        async with self._lock:
            fired = await self._fire_timers()
            handled = fired
            while True:
                sent, blocked = await self._send_batch()
                if drain:
                    await self._land_all()
                handled += sent
                if (sent == 0 and not self._interrupted) or blocked:
                    break
            self._more = fired >= BATCH
            return handled

    # --- timers ---------------------------------------------------------------

    async def _fire_timers(self) -> int:
        return await fire_due(self.deps, self.host, BATCH)

    # --- sending --------------------------------------------------------------

    async def _send_batch(self) -> tuple[int, bool]:
        """One look at the due rows: each goes into the air when its chat has nothing in
        flight, a slot is free and the pace allows. The transaction that marks a row
        `sending` also records the rows that landed meanwhile."""
        loop = asyncio.get_running_loop()
        now = self.deps.clock.now()
        rows = await outbox.due(self.deps.db.conn, now, SEND_BATCH)
        handled, blocked = 0, False
        self._interrupted = False
        busy_chats: set[int] = set()
        try:
            for row in rows:
                if loop.time() < self._paused_until:
                    return handled, True
                if row.chat_id in busy_chats or row.chat_id in self._flying:
                    # Keep each chat's order: nothing overtakes a waiting message, not even
                    # after the flight lands while this look goes on.
                    busy_chats.add(row.chat_id)
                    continue
                bucket = self._chat.setdefault(row.chat_id, Bucket(*self._per_chat))
                if not bucket.take(loop.time()):
                    busy_chats.add(row.chat_id)
                    blocked = True
                    continue
                # Edits are not new messages: Telegram's 30 per second does not count them.
                counted = row.kind != OutboxKind.EDIT
                if counted and not await self._place_in_window():
                    bucket.give_back()
                    self._urgent.clear()
                    self._interrupted = True
                    break  # a reply came while waiting: look again, replies first
                while len(self._flying) >= self._in_flight:
                    await asyncio.wait(set(self._flying.values()), return_when=FIRST_COMPLETED)
                async with self.deps.db.transaction() as conn:
                    await self._record(conn)
                    due = await self._still_due(conn, row) and await outbox.mark_sending(
                        conn, row.id
                    )
                handled += 1
                if not due:
                    bucket.give_back()
                    if counted:
                        self._global.give_back()
                    continue
                busy_chats.add(row.chat_id)
                self._flying[row.chat_id] = asyncio.create_task(self._flight(row))
                if self._urgent.is_set():
                    self._urgent.clear()
                    break  # someone is waiting for an answer: look again, replies first
        finally:
            await self._record_landed()
        if blocked and handled == 0:
            await asyncio.sleep(0.2)  # a chat is pacing; wait a moment before the next look
        return handled, blocked and handled == 0

    async def _place_in_window(self) -> bool:
        """Wait for a place in Telegram's 30 per second; False when someone started waiting
        for an answer meanwhile (their reply goes first)."""
        loop = asyncio.get_running_loop()
        while not self._global.take(loop.time()):
            await self._record_landed()  # use the wait
            if self._urgent.is_set():
                return False
            await asyncio.sleep(self._global.wait(loop.time()))
        return True

    async def _flight(self, row: OutboxRow) -> None:
        """One send in the air; its landing is recorded by the next transaction."""
        try:
            message_id = await self._deliver(row)
            if message_id is not None:
                self._landed.append((row, message_id))
                # Recorded at once (with whatever else landed meanwhile): a run must name
                # its question's message before the answer to it comes in.
                try:
                    await self._record_landed()
                except Exception:  # kept in _landed: the next transaction records it
                    log.exception("recording sent outbox rows failed; trying again")
        except Exception:
            # Not a Telegram answer (those are SendErrors, handled in _deliver): the row
            # stays `sending` and goes again after a restart.
            log.exception("sending outbox row %s failed", row.id)
        finally:
            self._flying.pop(row.chat_id, None)
            self._wake.set()  # its chat may have more, and a slot is free

    async def _land_all(self) -> None:
        """Wait for every send in the air and record them (tick, stop)."""
        while self._flying:
            await asyncio.wait(set(self._flying.values()))
        await self._record_landed()

    async def _still_due(self, conn: Any, row: OutboxRow) -> bool:
        """The delivery policy, asked again at the moment of sending."""
        now = self.deps.clock.now()
        about_someone = row.about_id is not None
        person = await by_id(conn, row.person_id) if row.unsolicited or about_someone else None
        if about_someone and person is not None and person.status == Status.UNREACHABLE:
            await outbox.hold(conn, row.id)  # waits for the coach to be reachable again
            return False
        decision = policy.decide(
            now,
            policy.window(self.deps),
            unsolicited=row.unsolicited,
            expires=row.expires_at,
            status=person.status if person else None,
        )
        if decision.verdict == Verdict.EXPIRE:
            await outbox.close(conn, row.id, OutboxStatus.EXPIRED)
            reason = None if decision.reason == "expired" else decision.reason
            await log_event(conn, now, "message_expired", row.person_id, value=reason)
            return False
        if (
            row.run_id is not None
            and row.seq is not None
            and not await runs.question_is_current(conn, row.run_id, row.seq)
        ):
            # The question was answered (or dropped) meanwhile, e.g. its first copy
            # went out before a crash: a second copy would only confuse.
            await outbox.close(conn, row.id, OutboxStatus.CANCELLED)
            return False
        if decision.verdict == Verdict.CANCEL:
            await outbox.close(conn, row.id, OutboxStatus.CANCELLED)
            return False
        if decision.verdict == Verdict.WAIT:
            assert decision.at is not None
            await outbox.postpone(conn, row.id, decision.at)
            return False
        return True

    async def _deliver(self, row: OutboxRow) -> int | None:
        """The network call; the message id, or None when it failed (recorded at once)."""
        try:
            return await perform(self.sender, row, self._document)
        except SendError as err:
            await self._failed(row, err)
            return None

    async def _document(self, spec: dict[str, Any]) -> tuple[str, bytes, str]:
        return await make_document(self.deps, spec)

    async def _record_landed(self) -> None:
        """Landed rows with no next row to share a transaction with."""
        if self._landed:
            async with self.deps.db.transaction() as conn:
                await self._record(conn)

    async def _record(self, conn: Any) -> None:
        landed, self._landed = self._landed, []
        try:
            for row, message_id in landed:
                await self._record_sent(conn, row, message_id)
        except BaseException:
            self._landed = landed + self._landed  # rolled back: record them next time
            raise

    async def _record_sent(self, conn: Any, row: OutboxRow, message_id: int) -> None:
        now = self.deps.clock.now()
        await outbox.record_sent(conn, now, row.id, message_id)
        if row.run_id is not None and row.seq is not None:
            if await runs.question_is_current(conn, row.run_id, row.seq):
                await runs.set_question_message(conn, row.run_id, message_id)
            else:
                await self._moved_on(conn, row, message_id)
        if row.kind == OutboxKind.MESSAGE:
            await log_event(
                conn,
                now,
                "message_sent",
                row.person_id,
                value="unsolicited" if row.unsolicited else "reply",
                ref=f"run:{row.run_id}" if row.run_id else None,
            )

    async def _moved_on(self, conn: Any, row: OutboxRow, message_id: int) -> None:
        """The question moved on while its message was in the air. Set aside, closed or
        expired: its buttons must not look alive. (Answered by a press on this very
        message: that press has put its ✅ there already.)"""
        payload = row.payload
        if row.run_id is None or not isinstance(payload, Text) or not payload.buttons:
            return
        run = await runs.get(conn, row.run_id)
        gone = (RunStatus.SUSPENDED, RunStatus.CANCELLED, RunStatus.EXPIRED)
        if run is None or run.status not in gone:
            return
        person = await by_id(conn, row.person_id)
        if person is not None:
            await write.edit_buttons(conn, self.deps, person, message_id, [])

    async def _failed(self, row: OutboxRow, err: SendError) -> None:
        now = self.deps.clock.now()
        max_attempts = self.deps.settings.max_send_attempts
        async with self.deps.db.transaction() as conn:
            if isinstance(err, Unreachable) and row.about_id is not None:
                # A message about a participant to a coach who blocked the bot waits for them.
                await outbox.hold(conn, row.id)
                await self._unreachable(conn, row.person_id)
                return
            failure = await record_failure(conn, now, row, err, max_attempts)
            if row.kind == OutboxKind.COPY and row.about_id is not None and failure.final:
                await self._relay_failed(conn, row)
            if failure.pause_s:
                self._paused_until = asyncio.get_running_loop().time() + failure.pause_s
            if failure.unreachable:
                await self._unreachable(conn, row.person_id)
            elif isinstance(err, Rejected):
                log.error("outbox row %s rejected by Telegram: %s", row.id, err)

    async def _relay_failed(self, conn: Any, row: OutboxRow) -> None:
        """A participant's own message could not be shown: tell both, kindly."""
        participant = await by_id(conn, row.about_id)
        reader = await by_id(conn, row.person_id)
        if participant is None:
            return
        now = self.deps.clock.now()
        await log_event(conn, now, "relay_failed", participant.id, row.person_id)
        coach = await by_id(conn, participant.coach_id)
        vars = {"coach": coach.name if coach else ""}
        await write.say(conn, self.deps, participant, "relay.failed", vars)
        if reader is not None:
            vars = {"participant": participant.name}
            await write.say(conn, self.deps, reader, "coach.relay_failed", vars)

    async def _unreachable(self, conn: Any, person_id: int | None) -> None:
        person = await by_id(conn, person_id)
        if person is None or person.status == Status.UNREACHABLE:
            return
        await update(conn, person.id, status=Status.UNREACHABLE.value)
        await outbox.cancel_unsolicited(conn, person.id)
        await log_event(conn, self.deps.clock.now(), "unreachable", person.id, person.coach_id)
        if person.role == Role.PARTICIPANT:
            await self.host.tools.notify_coach(conn, person, "coach.participant_unreachable")
        elif person.role == Role.COACH:
            # Once: the status changes to unreachable only once per spell.
            for coordinator in await people.reachable_coordinators(conn):
                vars = {"coach": person.name}
                await write.say(conn, self.deps, coordinator, "coordinator.coach_unreachable", vars)
