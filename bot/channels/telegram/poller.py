"""Long polling that confirms an update only after it was handled or parked.

python-telegram-bot's Updater asks for the next batch (which confirms the previous one to
Telegram) before its handlers have run, so a crash in between loses those updates. Here the
offset moves past an update only after `receive` returned, which it does once the update's
transaction committed or the update was parked (`storage/parked.py`). When `receive` raises,
neither happened: the update is offered again after a pause, and the ones behind it wait.
An update handled but not yet confirmed at a crash comes again and is recognised by its
`update_id`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot, Update
from telegram.error import (
    Conflict,
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0  # seconds between tries while Telegram cannot be reached
MAX_UPDATE_ID = 2**63 - 1  # SQLite's INTEGER; Telegram's ids are far below


@dataclass(frozen=True)
class Unreadable:
    """An update python-telegram-bot could not read: only its id and the error's class."""

    update_id: int
    error: str


# Returns once the update's transaction committed or it was parked; raises when neither
# (then the update must not be confirmed).
Receive = Callable[[Update | Unreadable], Awaitable[None]]


def update_id_of(raw: object) -> int | None:
    """The update id of a raw update, if it has a usable one."""
    value = raw.get("update_id") if isinstance(raw, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_UPDATE_ID:
        return value
    return None


def read(raw: dict[str, object], update_id: int, bot: Bot) -> Update | Unreadable:
    """The Update, or what is known of one the library cannot read (never its content)."""
    try:
        update = Update.de_json(raw, bot)
    except Exception as err:  # any failure of the library to read it
        return Unreadable(update_id, type(err).__name__)
    if update is None:
        return Unreadable(update_id, "Empty")
    return update


class Poller:
    def __init__(
        self,
        bot: Bot,
        receive: Receive,
        timeout: int,
        on_fatal: Callable[[str], None] | None = None,
    ) -> None:
        self.bot = bot
        self.receive = receive
        self.timeout = timeout
        # Told when polling cannot go on (the token was revoked): the process must end,
        # not stay alive without receiving anything.
        self.on_fatal = on_fatal
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
            except (InvalidToken, EndPointNotFound):
                # do_api_request reports a 401/404 as EndPointNotFound (it cannot tell an
                # unknown method from a bad token); getUpdates exists, so it is the token.
                log.error("Telegram refused the bot token; polling stops")
                if self.on_fatal is not None:
                    self.on_fatal("Telegram rejected the bot token (revoked or changed?)")
                    return
                raise
            except (Conflict, NetworkError, TelegramError) as err:
                # A lost connection, a 5xx or another poller: wait, then try again.
                failures += 1
                delay = min(0.5 * 2.0**failures, MAX_BACKOFF)
                log.warning("getUpdates failed (%s); retrying in %.0f s", type(err).__name__, delay)
                await asyncio.sleep(delay)
                continue
            for raw in batch if isinstance(batch, list) else []:
                update_id = update_id_of(raw)
                if update_id is None:
                    log.warning("skipped an update without a usable update_id")
                    continue
                await self._deliver(read(raw, update_id, self.bot))
                offset = update_id + 1

    async def _deliver(self, update: Update | Unreadable) -> None:
        """Until the update was handled or parked; the offset does not move before that."""
        failures = 0
        while True:
            try:
                await self.receive(update)
                return
            except Exception as err:  # neither committed nor parked: not confirmed
                failures += 1
                delay = min(0.5 * 2.0**failures, MAX_BACKOFF)
                log.warning(
                    "could not confirm update %s (%s); trying it again in %.0f s",
                    update.update_id,
                    type(err).__name__,
                    delay,
                )
                await asyncio.sleep(delay)


def _seconds(value: int | timedelta) -> float:
    """RetryAfter.retry_after: whole seconds, or a timedelta once PTB_TIMEDELTA is set."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
