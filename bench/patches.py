"""Experiments only: the changes proposed in docs/benchmarks.md (Findings), applied in the
benchmark's child process by monkeypatching, so their effect can be measured before
anyone edits bot/. `python -m bench.outbound --patch drain,replies-first …`.

Nothing here is imported by the bot; every patch names the function it stands in for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def drain() -> None:
    """bot.dispatch.Dispatcher.run: tick again at once (no poll-interval sleep) when the
    tick handled a full batch, because more is due."""
    from bot import dispatch

    async def run(self: Any) -> None:
        await self.recover()
        while not self._stopped:
            handled = 0
            try:
                handled = await self.tick()
            except Exception:
                log.exception("dispatcher tick failed; trying again")
            if handled >= dispatch.BATCH and not self._stopped:
                await asyncio.sleep(0)  # let inbound updates in between batches
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.deps.settings.poll_interval)
            self._wake.clear()

    dispatch.Dispatcher.run = run  # type: ignore[method-assign]


def replies_first() -> None:
    """bot.dispatch.Dispatcher._send_batch: replies (unsolicited = 0) before the burst,
    a fresh look every 10 rows, and a global bucket without a burst (Telegram counts a
    sliding second, so 30/s plus a burst of 30 draws 429s that pause everything)."""
    from bot import dispatch
    from storage.db import Database

    dispatch.BATCH = 10
    original_init = dispatch.Dispatcher.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._global = dispatch.Bucket(self._global.rate, 1)

    dispatch.Dispatcher.__init__ = init  # type: ignore[method-assign]
    original_fetchall = Database.fetchall
    old = "SELECT * FROM outbox WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, id"
    new = (
        "SELECT * FROM outbox WHERE status = 'pending' AND due_at <= ?"
        " ORDER BY unsolicited, due_at, id"
    )

    async def fetchall(self: Any, sql: str, params: Any = ()) -> Any:
        return await original_fetchall(self, sql.replace(old, new), params)

    Database.fetchall = fetchall  # type: ignore[method-assign]


def lean_sender(app: Any) -> None:
    """bot.telegram.sender.TelegramSender.send_text: one aiohttp POST and only the
    message_id read back, instead of python-telegram-bot's Bot.send_message (request
    objects, httpx/httpcore/h11 in Python, the whole Message parsed into objects)."""
    import aiohttp

    from bot.errors import Rejected, RetryLater, Transient, Unreachable
    from bot.telegram.sender import keyboard

    sender = app.dispatcher.sender
    base = f"{app.options.api_url.rstrip('/')}{app.options.token}"
    session: aiohttp.ClientSession | None = None

    async def send_text(chat_id: int, text: str, buttons: Any) -> int:
        nonlocal session
        if session is None:
            session = aiohttp.ClientSession()
        body: dict[str, Any] = {"chat_id": chat_id, "text": text}
        markup = keyboard(buttons)
        if markup is not None:
            body["reply_markup"] = markup.to_dict()
        try:
            async with session.post(f"{base}/sendMessage", json=body) as response:
                data = json.loads(await response.read())
        except (aiohttp.ClientError, TimeoutError) as err:
            raise Transient(type(err).__name__) from err
        if data.get("ok"):
            return int(data["result"]["message_id"])
        code, description = data.get("error_code", 0), data.get("description", "")
        if code == 429:
            raise RetryLater(float((data.get("parameters") or {}).get("retry_after", 1)))
        if code == 403 or "chat not found" in description.lower():
            raise Unreachable(description)
        if code >= 500:
            raise Transient(description)
        raise Rejected(description)

    sender.send_text = send_text


def plan_missing() -> None:
    """bot.planner.plan_all_checkins (called by CoachbotApp.start before anything is sent):
    plan only participants without a pending check-in timer, in one query, instead of a
    SELECT and an INSERT OR IGNORE per participant."""
    from bot import app, planner
    from bot.people import Person

    async def plan_all_checkins(conn: Any, deps: Any) -> int:
        rows = await conn.execute_fetchall(
            "SELECT * FROM people p WHERE p.role = 'participant' AND p.status = 'active'"
            " AND p.checkin_day IS NOT NULL AND NOT EXISTS (SELECT 1 FROM timers t"
            " WHERE t.person_id = p.id AND t.status = 'pending' AND t.ref LIKE 'checkin:%')"
        )
        for row in rows:
            await planner.plan_checkin(conn, deps, Person.from_row(row))
        return len(rows)

    app.plan_all_checkins = plan_all_checkins  # type: ignore[attr-defined]


BEFORE_START: dict[str, Callable[[], None]] = {
    "drain": drain,
    "replies-first": replies_first,
    "plan-missing": plan_missing,
}
AFTER_START: dict[str, Callable[[Any], None]] = {"lean-sender": lean_sender}
NAMES = (*BEFORE_START, *AFTER_START)
