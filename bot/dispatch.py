"""The dispatcher: fires due timers and sends due outbox rows, after commit.

At-least-once: a row is marked `sending` (committed) before the HTTP call; a row
found `sending` after a crash is sent again, so at most the message in flight at the
crash can arrive twice (a row is recorded `sent` in the transaction that marks the next
one `sending`, so there is never more than one). Telegram's limits are kept here: a
per-chat bucket (bursts of 3, then 1 per second), at most 30 new messages in any sliding
second (edits do not count), and `retry_after` on 429. Replies go before reminders.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from datetime import date, timedelta
from typing import Any, Protocol

from bot import outbox, planner
from bot.deps import Deps
from bot.documents import make_document
from bot.errors import Rejected, RetryLater, SendError, Transient, Uncertain, Unreachable
from bot.flowhost import FlowHost
from bot.periodic import daily_day, run_daily
from bot.qr import qr_png
from bot.timing import fit_window
from storage.events import log_event
from storage.people import SILENCED, Role, Status, by_id, update
from storage.times import from_db, to_db

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH
BATCH = 100  # timers fired per look
SEND_BATCH = 20  # rows sent per look: small, so a new reply never waits behind a burst
DAILY_RETRY_S = 300  # seconds before daily jobs that failed are tried again


class Sender(Protocol):
    """The Telegram seam: each call returns the sent message id or raises SendError."""

    async def send_text(
        self, chat_id: int, text: str, buttons: list[list[tuple[str, str]]] | None
    ) -> int: ...

    async def copy(self, chat_id: int, from_chat_id: int, message_id: int) -> int: ...

    async def send_photo(self, chat_id: int, photo: bytes, caption: str) -> int: ...

    async def send_document(
        self, chat_id: int, filename: str, content: bytes, caption: str
    ) -> int: ...

    async def edit_buttons(
        self, chat_id: int, message_id: int, buttons: list[list[tuple[str, str]]]
    ) -> int: ...


class Bucket:
    """A token bucket on the event loop's monotonic clock (real pacing, not sandbox time)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, 0.0

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def give_back(self) -> None:
        """A token taken for a message that turned out not to be sent."""
        self.tokens = min(self.burst, self.tokens + 1)


class Window:
    """At most `limit` sends in any `span` seconds, counted as Telegram counts: a sliding
    window. Unlike a bucket without burst it loses no capacity to a late wake-up or a
    moment spent firing timers; the span has a small margin for the network's jitter."""

    def __init__(self, limit: float, span: float = 1.02) -> None:
        self.limit, self.span = max(1, int(limit)), span
        self.sent: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self.sent and now - self.sent[0] >= self.span:
            self.sent.popleft()

    def take(self, now: float) -> bool:
        self._expire(now)
        if len(self.sent) < self.limit:
            self.sent.append(now)
            return True
        return False

    def wait(self, now: float) -> float:
        self._expire(now)
        return 0.0 if len(self.sent) < self.limit else self.sent[0] + self.span - now

    def give_back(self) -> None:
        if self.sent:
            self.sent.pop()


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a long text at line breaks (or hard) into parts Telegram accepts."""
    parts: list[str] = []
    while len(text.encode("utf-16-le")) // 2 > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        while len(text[:cut].encode("utf-16-le")) // 2 > limit:
            cut -= 1
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts


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
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._daily_lock = asyncio.Lock()
        self._stopped = False

    def wake(self) -> None:
        self._wake.set()

    async def recover(self) -> int:
        """Rows left `sending` by a crash count as an attempt and go out again."""
        async with self.deps.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE outbox SET status = 'pending' WHERE status = 'sending'"
            )
            return cur.rowcount

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

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    async def tick(self) -> int:
        """Everything due now, the daily jobs first (tests and the sandbox's time travel
        call this); returns how many timers and rows were handled."""
        await self.daily()
        return await self._cycle()

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

    async def _cycle(self) -> int:
        """Fire due timers, then send what is due."""
        async with self._lock:
            fired = await self._fire_timers()
            handled = fired
            while True:
                sent, blocked = await self._send_batch()
                handled += sent
                if sent == 0 or blocked:
                    break
            self._more = fired >= BATCH
            return handled

    # --- timers ---------------------------------------------------------------

    async def _fire_timers(self) -> int:
        now = self.deps.clock.now()
        rows = await self.deps.db.fetchall(
            "SELECT * FROM timers WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, id"
            " LIMIT ?",
            (to_db(now), BATCH),
        )
        for row in rows:
            try:
                async with self.deps.db.transaction() as conn:
                    await self._fire(conn, row)
            except Exception:
                log.exception("timer %s failed; it is dropped", row["id"])
                async with self.deps.db.transaction() as conn:
                    await conn.execute(
                        "UPDATE timers SET status = 'cancelled' WHERE id = ?", (row["id"],)
                    )
                    await log_event(conn, now, "timer_failed", row["person_id"], ref=row["ref"])
        return len(rows)

    async def _fire(self, conn: Any, row: Any) -> None:
        now = self.deps.clock.now()
        cur = await conn.execute(
            "UPDATE timers SET status = 'done' WHERE id = ? AND status = 'pending'", (row["id"],)
        )
        if cur.rowcount != 1:
            return
        person = await by_id(conn, row["person_id"])
        if person is None:
            return
        payload = json.loads(row["payload"])
        expires = from_db(row["expires_at"]) if row["expires_at"] else None
        if row["kind"] == "timeout":
            await self.host.timeout(conn, person, payload["run_id"], payload["seq"])
        elif row["kind"] == "resume":
            if person.status == Status.PAUSED:
                await self.host.actions.resume(conn, person)
        elif expires is not None and expires <= now:
            await conn.execute("UPDATE timers SET status = 'expired' WHERE id = ?", (row["id"],))
            await log_event(
                conn,
                now,
                "flow_expired",
                person.id,
                person.coach_id,
                flow_id=payload["flow"],
                ref=row["ref"],
            )
        elif person.status != Status.ACTIVE:
            await conn.execute("UPDATE timers SET status = 'skipped' WHERE id = ?", (row["id"],))
        else:
            await self.host.start(
                conn, person, payload["flow"], payload.get("vars"), scheduled=True, expires=expires
            )
        if (row["ref"] or "").startswith("checkin:"):
            fresh = await by_id(conn, person.id)
            if fresh is not None:
                await planner.plan_checkin(conn, self.deps, fresh)

    # --- sending --------------------------------------------------------------

    async def _send_batch(self) -> tuple[int, bool]:
        """One look at the due rows. One write transaction per message: the row is marked
        `sending` in the same transaction that records the previous row as sent."""
        loop = asyncio.get_running_loop()
        now = self.deps.clock.now()
        rows = await self.deps.db.fetchall(
            "SELECT * FROM outbox WHERE status = 'pending' AND due_at <= ?"
            " ORDER BY unsolicited, due_at, id LIMIT ?",
            (to_db(now), SEND_BATCH),
        )
        handled, blocked = 0, False
        busy_chats: set[int] = set()
        sent: tuple[Any, int] | None = None  # sent, not yet recorded (the next write does)
        try:
            for row in rows:
                if loop.time() < self._paused_until:
                    return handled, True
                if row["chat_id"] in busy_chats:
                    continue  # keep each chat's order: nothing overtakes a waiting message
                bucket = self._chat.setdefault(row["chat_id"], Bucket(*self._per_chat))
                if not bucket.take(loop.time()):
                    busy_chats.add(row["chat_id"])
                    blocked = True
                    continue
                # Edits are not new messages: Telegram's 30 per second does not count them.
                counted = row["kind"] != "edit"
                while counted and not self._global.take(loop.time()):
                    if sent is not None:  # record it now rather than after the wait
                        await self._record_alone(sent)
                        sent = None
                        continue
                    await asyncio.sleep(self._global.wait(loop.time()))
                async with self.deps.db.transaction() as conn:
                    if sent is not None:
                        await self._record_sent(conn, *sent)
                        sent = None
                    due = await self._still_due(conn, row) and await self._mark_sending(conn, row)
                handled += 1
                if not due:
                    bucket.give_back()
                    if counted:
                        self._global.give_back()
                    continue
                message_id = await self._deliver(row)
                if message_id is not None:
                    sent = (row, message_id)
                if self._wake.is_set():
                    self._wake.clear()
                    break  # someone is waiting for an answer: look again, replies first
        finally:
            if sent is not None:
                await self._record_alone(sent)
        if blocked and handled == 0:
            await asyncio.sleep(0.2)  # a chat is pacing; wait a moment before the next look
        return handled, blocked and handled == 0

    async def _still_due(self, conn: Any, row: Any) -> bool:
        """Expiry, silence and quiet hours, checked at the moment of sending."""
        now = self.deps.clock.now()
        expires = from_db(row["expires_at"]) if row["expires_at"] else None
        if expires is not None and expires <= now:
            await self._finish(conn, row, "expired")
            await log_event(conn, now, "message_expired", row["person_id"])
            return False
        if row["run_id"] is not None and row["seq"] is not None:
            run = await conn.execute_fetchall(
                "SELECT status, state FROM runs WHERE id = ?", (row["run_id"],)
            )
            if (
                not run
                or run[0]["status"] != "active"
                or (json.loads(run[0]["state"] or "{}").get("seq") != row["seq"])
            ):
                # The question was answered (or dropped) meanwhile, e.g. its first copy
                # went out before a crash: a second copy would only confuse.
                await self._finish(conn, row, "cancelled")
                return False
        if not row["unsolicited"]:
            return True
        person = await by_id(conn, row["person_id"])
        if person is not None and person.status in SILENCED:
            await self._finish(conn, row, "cancelled")
            return False
        quiet = self.deps.content.schedules.quiet_hours
        fitted = fit_window(now, quiet.start, quiet.end, self.deps.content.tz)
        if fitted != now:
            if expires is not None and fitted >= expires:
                await self._finish(conn, row, "expired")
                await log_event(conn, now, "message_expired", row["person_id"], value="quiet_hours")
            else:
                await conn.execute(
                    "UPDATE outbox SET due_at = ? WHERE id = ?", (to_db(fitted), row["id"])
                )
            return False
        return True

    async def _finish(self, conn: Any, row: Any, status: str) -> None:
        await conn.execute(
            "UPDATE outbox SET status = ?, payload = '{}' WHERE id = ?", (status, row["id"])
        )

    async def _mark_sending(self, conn: Any, row: Any) -> bool:
        """Committed before the HTTP call: a crash after it sends the row again."""
        cur = await conn.execute(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1"
            " WHERE id = ? AND status = 'pending'",
            (row["id"],),
        )
        return cur.rowcount == 1  # else cancelled meanwhile (e.g. /stop) since the SELECT

    async def _deliver(self, row: Any) -> int | None:
        """The HTTP call; the message id, or None when it failed (recorded at once)."""
        try:
            return await self._perform(row, json.loads(row["payload"]))
        except SendError as err:
            await self._failed(row, err)
            return None

    async def _record_alone(self, sent: tuple[Any, int]) -> None:
        """A sent row with no next row to share its transaction with."""
        async with self.deps.db.transaction() as conn:
            await self._record_sent(conn, *sent)

    async def _record_sent(self, conn: Any, row: Any, message_id: int) -> None:
        now = self.deps.clock.now()
        await conn.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, telegram_message_id = ?,"
            " payload = '{}', last_error = NULL WHERE id = ?",
            (to_db(now), message_id, row["id"]),
        )
        if row["run_id"] is not None and row["seq"] is not None:
            await conn.execute(
                "UPDATE runs SET question_message_id = ? WHERE id = ?",
                (message_id, row["run_id"]),
            )
        if row["kind"] == "message":
            await log_event(
                conn,
                now,
                "message_sent",
                row["person_id"],
                value="unsolicited" if row["unsolicited"] else "reply",
                ref=f"run:{row['run_id']}" if row["run_id"] else None,
            )

    async def _perform(self, row: Any, payload: dict[str, Any]) -> int:
        chat_id = row["chat_id"]
        if row["kind"] == "copy":
            return await self.sender.copy(chat_id, payload["from_chat_id"], payload["message_id"])
        if row["kind"] == "edit":
            return await self.sender.edit_buttons(
                chat_id, payload["message_id"], payload["buttons"]
            )
        if payload.get("document"):
            filename, content, extra = await make_document(self.deps, payload["document"])
            caption = f"{payload['text']}\n\n{extra}".strip()
            return await self.sender.send_document(chat_id, filename, content, caption)
        if payload.get("qr"):
            return await self.sender.send_photo(chat_id, qr_png(payload["qr"]), payload["text"])
        parts = split_text(payload["text"])
        message_id = 0
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            message_id = await self.sender.send_text(
                chat_id, part, payload.get("buttons") if last else None
            )
        return message_id

    async def _failed(self, row: Any, err: SendError) -> None:
        now = self.deps.clock.now()
        name = type(err).__name__
        async with self.deps.db.transaction() as conn:
            if isinstance(err, RetryLater):
                self._paused_until = asyncio.get_running_loop().time() + err.retry_after
                await conn.execute(
                    "UPDATE outbox SET status = 'pending', due_at = ?, last_error = ? WHERE id = ?",
                    (to_db(now + timedelta(seconds=err.retry_after)), name, row["id"]),
                )
                return
            if isinstance(err, Uncertain):
                # It may have arrived: count it as sent rather than risk a second copy.
                await conn.execute(
                    "UPDATE outbox SET status = 'sent', sent_at = ?, payload = '{}',"
                    " last_error = ? WHERE id = ?",
                    (to_db(now), name, row["id"]),
                )
                await log_event(conn, now, "message_uncertain", row["person_id"], value=name)
                return
            attempts = row["attempts"] + 1
            if isinstance(err, Transient) and attempts < self.deps.settings.max_send_attempts:
                backoff = min(2**attempts, 300)  # capped exponential backoff, in seconds
                await conn.execute(
                    "UPDATE outbox SET status = 'pending', due_at = ?, last_error = ? WHERE id = ?",
                    (to_db(now + timedelta(seconds=backoff)), name, row["id"]),
                )
                return
            await conn.execute(
                "UPDATE outbox SET status = 'failed', payload = '{}', last_error = ? WHERE id = ?",
                (name, row["id"]),
            )
            await log_event(conn, now, "message_failed", row["person_id"], value=name)
            if isinstance(err, Unreachable):
                await self._unreachable(conn, row["person_id"])
            elif isinstance(err, Rejected):
                log.error("outbox row %s rejected by Telegram: %s", row["id"], err)

    async def _unreachable(self, conn: Any, person_id: int | None) -> None:
        person = await by_id(conn, person_id)
        if person is None or person.status == Status.UNREACHABLE:
            return
        await update(conn, person.id, status=Status.UNREACHABLE.value)
        await outbox.cancel_unsolicited(conn, person.id)
        await log_event(conn, self.deps.clock.now(), "unreachable", person.id, person.coach_id)
        if person.role == Role.PARTICIPANT:
            await self.host.actions.notify_coach(conn, person, "coach.participant_unreachable")
