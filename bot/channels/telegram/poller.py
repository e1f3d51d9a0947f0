"""Long polling that confirms an update only after it was handled.

python-telegram-bot's Updater asks for the next batch (which confirms the previous one to
Telegram) before its handlers have run, so a crash in between loses those updates. Here the
offset moves past an update only after its transaction has committed; an update handled
but not yet confirmed at a crash comes again and is recognised by its `update_id`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0  # seconds between tries while Telegram cannot be reached


class Poller:
    def __init__(self, bot: Bot, handle: Callable[[Update], Awaitable[None]], timeout: int) -> None:
        self.bot = bot
        self.handle = handle
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        offset: int | None = None
        failures = 0
        while True:
            try:
                # Raw JSON, read one update at a time: one update the library cannot parse
                # must not block the ones behind it (nor get its contents logged).
                batch = await self.bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": offset,
                        "timeout": self.timeout,
                        "allowed_updates": list(Update.ALL_TYPES),
                    },
                    read_timeout=self.timeout + 10,
                )
                failures = 0
            except RetryAfter as err:
                await asyncio.sleep(_seconds(err.retry_after))
                continue
            except InvalidToken:
                log.error("Telegram refused the bot token; polling stops")
                raise
            except (Conflict, NetworkError, TelegramError) as err:
                # A lost connection, a 5xx or another poller: wait, then try again.
                failures += 1
                delay = min(0.5 * 2.0**failures, MAX_BACKOFF)
                log.warning("getUpdates failed (%s); retrying in %.0f s", type(err).__name__, delay)
                await asyncio.sleep(delay)
                continue
            for raw in batch if isinstance(batch, list) else []:
                update_id = raw.get("update_id") if isinstance(raw, dict) else None
                if not isinstance(update_id, int):
                    continue
                try:
                    update = Update.de_json(raw, self.bot)
                except Exception as err:  # any parse failure: skip it, never loop on it
                    log.warning(
                        "skipped update %s that could not be read (%s)",
                        update_id,
                        type(err).__name__,
                    )
                    update = None
                if update is not None:
                    await self.handle(update)
                offset = update_id + 1


def _seconds(value: int | timedelta) -> float:
    """RetryAfter.retry_after: whole seconds, or a timedelta once PTB_TIMEDELTA is set."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
