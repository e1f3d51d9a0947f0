"""Wiring: content, database, clock, engine host, dispatcher and python-telegram-bot."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sqlite3
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from telegram import BotCommand, CallbackQuery, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes, ExtBot, JobQueue

from bot.channels.telegram.convert import to_inbound
from bot.channels.telegram.links import deep_link
from bot.channels.telegram.poller import Poller, Unreadable
from bot.channels.telegram.request import AiohttpRequest
from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.webhook import WebhookServer
from bot.clock import Clock
from bot.content.bundle import load_content
from bot.deps import Deps, Settings
from bot.dispatcher import Dispatcher
from bot.errors import AlreadyRunning
from bot.host.flows import FlowHost
from bot.host.inbound import InboundService, Outcome
from bot.host.privacy import settle_erasures
from bot.schedule.planner import plan_all_campaigns, plan_all_checkins
from storage import parked
from storage.db import FILE_MODE, Database, DatabaseError
from storage.events import log_event

log = logging.getLogger(__name__)

T = TypeVar("T")

PARTICIPANT_MENU = ("help", "coach", "survey", "language", "pause", "stop")
PLAN_EVERY = 6 * 3600  # seconds; planning is idempotent, this only catches up
STARTUP_TIMEOUT = 60.0  # seconds start-up keeps trying a Bot API that fails for now
CHECKPOINT_EVERY = 3600.0  # seconds between WAL checkpoints (and at a clean stop)
FIRST_RETRY, MAX_RETRY = 0.5, 8.0  # seconds between start-up tries: doubling, capped
LAST_TRY = 1.0  # seconds a try may take when the start-up time is (nearly) up

# What Application.builder().build() makes: the default bot, context and data types.
PtbApplication = Application[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]

# An update whose transaction fails with a database error (busy or locked: another process
# writes; a disk error…) is tried again after these pauses, each try first waiting up to the
# busy timeout. After the last one it is parked, or, when the database is still busy (parking
# needs the write lock too, and once it is free the update can be handled), left unconfirmed
# for the channel to offer again. Any other error parks it at once: another try would meet
# the same fault.
RETRY_DELAYS = (0.5, 1.0, 2.0)  # seconds
SOURCE_ROOT = Path(__file__).resolve().parents[1]  # bot/ and storage/ are in it


@dataclass
class Options:
    token: str
    db_path: Path
    content_dir: Path
    api_url: str | None = None  # python-telegram-bot base_url form, e.g. http://127.0.0.1:8081/bot
    poll_timeout: int = 10
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    startup_timeout: float = STARTUP_TIMEOUT
    checkpoint_every: float = CHECKPOINT_EVERY


def quiet_libraries() -> None:
    """HTTP clients log request URLs, which contain the bot token (httpx at INFO)."""
    # aiosqlite logs every statement with its parameters (names, texts) at DEBUG.
    # python-telegram-bot logs each call with its parameters (message texts) at DEBUG.
    for name in ("httpx", "httpcore", "aiohttp", "telegram", "apscheduler", "aiosqlite"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # The bot logs a whole received batch (names, texts) at CRITICAL when it cannot parse it;
    # its errors reach Coachbot as exceptions anyway.
    for name in ("telegram.Bot", "telegram.ext.ExtBot"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


class CoachbotApp:
    """One running bot. `start()` returns once it is polling (or listening)."""

    def __init__(self, options: Options, clock: Clock, settings: Settings | None = None) -> None:
        self.options = options
        self.clock = clock
        self.settings = settings or Settings()
        self.deps: Deps | None = None
        self.application: PtbApplication | None = None
        self.dispatcher: Dispatcher | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock: IO[str] | None = None
        self._db: Database | None = None
        self._poller: Poller | None = None
        # Set when the bot cannot go on after start-up (the token was revoked): the CLI
        # then stops and exits non-zero, so a supervisor restarts or alerts.
        self.failed = asyncio.Event()
        self.failure: str | None = None
        self._webhook: WebhookServer | None = None
        self._answers: set[asyncio.Task[None]] = set()
        self._deadline = 0.0
        self._abort: asyncio.Event | None = None

    async def start(self, abort: asyncio.Event | None = None) -> None:
        """Start, or fail with everything opened so far closed again and the lock released.

        A Bot API that fails for now (5xx, 429, no connection, a timeout) is tried again with
        backoff for `options.startup_timeout` seconds, then TimeoutError. A refused token
        (InvalidToken, without the token in it), another refusal (TelegramError), a database
        that cannot be used (DatabaseError), another process on it (AlreadyRunning) or broken
        content (ContentError) fail at once. Setting `abort` (SIGTERM) ends the retrying with
        asyncio.CancelledError."""
        self._deadline = asyncio.get_running_loop().time() + self.options.startup_timeout
        self._abort = abort
        try:
            await self._start()
        except BaseException:
            try:
                await self.stop()
            except Exception as err:  # never hide why start-up failed
                log.warning("cleaning up after a failed start: %s", type(err).__name__)
            raise

    async def _start(self) -> None:
        quiet_libraries()
        self._hold_lock()
        content = load_content(self.options.content_dir)
        db = self._db = await Database.open(self.options.db_path)
        # No AIORateLimiter: the dispatcher paces every send already, and a second limiter
        # halves the throughput it allows (docs/benchmarks.md, finding 5).
        builder = (
            Application.builder()
            .token(self.options.token)
            .request(AiohttpRequest())
            .get_updates_request(
                AiohttpRequest(pool_size=1, read_timeout=self.options.poll_timeout + 10)
            )
            .concurrent_updates(False)
            .updater(None)  # Coachbot's own poller and webhook confirm after commit
        )
        if self.options.api_url:
            api = self.options.api_url.rstrip("/")
            builder = builder.base_url(api).base_file_url(api.removesuffix("/bot") + "/file/bot")
        application = builder.build()
        self.application = application
        try:
            await self._until_answered("getMe", application.initialize)
        except InvalidToken as err:
            # python-telegram-bot puts the token itself in the message it re-raises with.
            cause = err.__cause__
            reason = cause.message if isinstance(cause, InvalidToken) else "Unauthorized"
            raise InvalidToken(reason) from None
        self.settings.bot_username = application.bot.username
        settings = self.settings
        self.deps = Deps(
            db=db,
            clock=self.clock,
            content=content,
            invite_link=lambda token: deep_link(settings.bot_username, token),
            settings=settings,
        )
        host = FlowHost(self.deps)
        self.service = InboundService(self.deps, host)
        self.dispatcher = Dispatcher(self.deps, TelegramSender(application.bot), host)
        application.add_error_handler(self._on_error)
        # Send the backlog first; planning and the menu can wait (finding 6).
        self._task = asyncio.create_task(self.dispatcher.run())
        async with db.transaction() as conn:
            await plan_all_checkins(conn, self.deps)
            await plan_all_campaigns(conn, self.deps)
        self.dispatcher.wake()
        settle_erasures(self.deps)  # finishes an erasure a kill interrupted (bot.host.privacy)
        await self._set_commands()
        await application.start()
        if application.job_queue is not None:
            application.job_queue.run_repeating(self._plan, interval=PLAN_EVERY, first=PLAN_EVERY)
            every = self.options.checkpoint_every
            application.job_queue.run_repeating(self._checkpoint, interval=every, first=every)
        if self.options.webhook_url:
            webhook = self._webhook = WebhookServer(
                application.bot,
                self._on_update,
                url=self.options.webhook_url,
                secret=self.options.webhook_secret or "",
                listen=self.options.webhook_listen,
                port=self.options.webhook_port,
            )

            async def listen() -> None:
                try:
                    await webhook.start()  # listens, then setWebhook
                except BaseException:
                    await webhook.stop()  # frees the port for the next try
                    raise

            await self._until_answered("setWebhook", listen)
        else:
            poller = self._poller = Poller(
                application.bot, self._on_update, self.options.poll_timeout, self._fatal
            )
            await self._until_answered("deleteWebhook", poller.start)

    async def _until_answered(self, step: str, call: Callable[[], Awaitable[T]]) -> T:
        """`call()`, tried again with backoff while the Bot API fails for now, until the
        start-up deadline; refusals (a bad token, a bad request) are raised at once."""
        loop = asyncio.get_running_loop()
        delay = FIRST_RETRY
        while True:
            try:
                left = self._deadline - loop.time()
                return await asyncio.wait_for(call(), timeout=max(left, LAST_TRY))
            except BadRequest:
                raise
            except (NetworkError, RetryAfter, TimeoutError) as err:
                reason = _reason(err)
                wait = _seconds(err.retry_after) if isinstance(err, RetryAfter) else delay
            left = self._deadline - loop.time()
            if left <= 0:
                raise TimeoutError(
                    f"the Bot API did not answer {step} within "
                    f"{self.options.startup_timeout:g} s (last: {reason})"
                )
            wait = min(wait, left)
            log.warning(
                "%s failed (%s); trying again in %.1f s (giving up in %.0f s)",
                step,
                reason,
                wait,
                left,
            )
            if await self._aborted_within(wait):
                raise asyncio.CancelledError
            delay = min(delay * 2, MAX_RETRY)

    async def _aborted_within(self, seconds: float) -> bool:
        if self._abort is None:
            await asyncio.sleep(seconds)
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._abort.wait(), timeout=seconds)
        return self._abort.is_set()

    def _hold_lock(self) -> None:
        """One bot process per database: two dispatchers must never send the same row."""
        path = Path(f"{self.options.db_path}.lock")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as err:
            raise DatabaseError(f"cannot create the lock file {path}: {err.strerror}") from None
        with contextlib.suppress(OSError):  # not ours to change: leave it
            os.fchmod(fd, FILE_MODE)
        handle = os.fdopen(fd, "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise AlreadyRunning(
                f"another Coachbot process is running on {self.options.db_path}"
            ) from None
        self._lock = handle

    async def stop(self) -> None:
        """Stop what runs and close what is open; safe after a start that failed half-way.
        The database gets a last WAL checkpoint; the lock goes last, whatever happens."""
        try:
            if self._poller is not None:
                await self._poller.stop()
                self._poller = None
            if self._webhook is not None:
                await self._webhook.stop()
                self._webhook = None
            if self._answers:
                await asyncio.gather(*self._answers, return_exceptions=True)
            if self.application is not None and self.application.running:
                await self.application.stop()
            if self.dispatcher is not None:
                self.dispatcher.stop()
            if self._task is not None:
                task, self._task = self._task, None
                await task
            if self.application is not None:
                await self.application.shutdown()
                # A failed getMe leaves the application uninitialised but its HTTP
                # sessions open; shutting the bot down closes them (a no-op otherwise).
                await self.application.bot.shutdown()
        finally:
            if self._db is not None:
                db, self._db = self._db, None
                await db.close()
            if self._lock is not None:
                self._lock.close()  # closing releases the lock
                self._lock = None

    def _fatal(self, why: str) -> None:
        self.failure = why
        self.failed.set()

    async def _on_update(self, update: Update | Unreadable) -> None:
        """One update from the poller or the webhook, which confirm it when this returns.

        It returns once the update's transaction committed, or once the update was parked
        (`storage/parked.py`: it could not be read, or failed on every try); it raises when
        neither happened, and then the update is not confirmed: Telegram sends it again.
        """
        if isinstance(update, Unreadable):
            await self._park(update.update_id, update.error, 1, "")
            return
        tries = 0
        while True:
            tries += 1
            try:
                outcome = await self._handle(update)
                break
            except sqlite3.OperationalError as err:
                if tries > len(RETRY_DELAYS):
                    if _busy(err):
                        raise  # not confirmed: the channel offers it again later
                    await self._park(update.update_id, type(err).__name__, tries, _where(err))
                    return
                delay = RETRY_DELAYS[tries - 1]
                log.warning(
                    "database error (%s) on try %d of update %s; trying again in %.1f s",
                    type(err).__name__,
                    tries,
                    update.update_id,
                    delay,
                )
                await asyncio.sleep(delay)
            except Exception as err:  # a fault that another try would meet again
                await self._park(update.update_id, type(err).__name__, tries, _where(err))
                return
        if outcome is None:
            return
        if outcome.leave_chat is not None:
            try:
                await update.get_bot().leave_chat(outcome.leave_chat)
            except TelegramError as err:
                log.info("could not leave a chat: %s", type(err).__name__)
        if self.dispatcher is not None:
            self.dispatcher.wake()
        if update.callback_query is not None:
            # Beside the next update rather than before it: it only stops the button's
            # spinner, and waiting for its round trip held up every press behind it.
            task = asyncio.create_task(self._answer(update.callback_query, outcome.callback_text))
            self._answers.add(task)
            task.add_done_callback(self._answers.discard)

    async def _handle(self, update: Update) -> Outcome | None:
        """Convert and handle in one transaction; None for a kind the bot does not act on."""
        event = to_inbound(update)
        if event is None:
            log.info("ignored update %s of a kind the bot does not act on", update.update_id)
            return None
        return await self.service.handle(event)

    async def _park(self, update_id: int, error: str, tries: int, where: str) -> None:
        """Set the update aside in a transaction of its own, logged, and visible in the
        engagement log (`update_parked`); raises when that fails (then it is not confirmed)."""
        assert self.deps is not None
        now = self.deps.clock.now()
        async with self.deps.db.transaction() as conn:
            if await parked.park(conn, now, update_id, error, tries):
                await log_event(conn, now, "update_parked", value=error, ref=parked.ref(update_id))
        log.error(
            "parked update %s after %d %s: %s%s",
            update_id,
            tries,
            "try" if tries == 1 else "tries",
            error,
            f" at {where}" if where else "",
        )

    async def _answer(self, query: CallbackQuery, text: str | None) -> None:
        try:
            await query.answer(text)
        except TelegramError as err:
            log.info("could not answer callback query: %s", type(err).__name__)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Never log the update itself: it holds names and texts.
        log.error(
            "error while handling an update: %r",
            type(context.error).__name__,
            exc_info=context.error,
        )

    async def _plan(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert self.deps is not None
        async with self.deps.db.transaction() as conn:
            await plan_all_checkins(conn, self.deps)
            await plan_all_campaigns(conn, self.deps)
        if self.dispatcher is not None:
            self.dispatcher.wake()

    async def _checkpoint(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Keep the WAL file small: it would otherwise stay at its largest size ever. Never
        waits for a backup that is reading: that would hold up every transaction."""
        if self._db is not None:
            await self._db.checkpoint(wait=False)

    async def _set_commands(self) -> None:
        assert self.deps is not None and self.application is not None
        catalogs = self.deps.content.catalogs
        for code in [*catalogs.codes, None]:
            commands = [
                BotCommand(c, catalogs.render(f"cmd.{c}", code)[:256]) for c in PARTICIPANT_MENU
            ]
            try:
                await self.application.bot.set_my_commands(commands, language_code=code)
            except TelegramError as err:
                log.warning("setMyCommands failed for %s: %s", code, type(err).__name__)


def _reason(err: BaseException) -> str:
    """What went wrong, for one log line: never the URL (it holds the token)."""
    if isinstance(err, TimeoutError):
        return "no answer in time"
    if isinstance(err, TelegramError):
        return err.message
    return type(err).__name__


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


def _busy(err: sqlite3.Error) -> bool:
    """Another connection holds the lock (SQLITE_BUSY or SQLITE_LOCKED, extended codes too)."""
    code = getattr(err, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _where(err: BaseException) -> str:
    """The innermost line of Coachbot's own code the error passed (a place, no values)."""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        try:
            path = Path(frame.filename).resolve().relative_to(SOURCE_ROOT)
        except ValueError:
            continue
        if path.parts and path.parts[0] in ("bot", "storage"):
            return f"{path.as_posix()}:{frame.lineno} in {frame.name}"
    return ""
