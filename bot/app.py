"""Wiring: content, database, clock, engine host, dispatcher and python-telegram-bot."""

from __future__ import annotations

import asyncio
import fcntl
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from telegram import BotCommand, CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, ExtBot, JobQueue, TypeHandler

from bot.channels.telegram.convert import to_inbound
from bot.channels.telegram.links import deep_link
from bot.channels.telegram.poller import Poller
from bot.channels.telegram.request import AiohttpRequest
from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.webhook import WebhookServer
from bot.clock import Clock
from bot.content.bundle import load_content
from bot.deps import Deps, Settings
from bot.dispatcher import Dispatcher
from bot.errors import AlreadyRunning
from bot.host.flows import FlowHost
from bot.host.inbound import InboundService
from bot.schedule.planner import plan_all_checkins
from storage.db import Database

log = logging.getLogger(__name__)

PARTICIPANT_MENU = ("help", "coach", "language", "pause", "stop")
PLAN_EVERY = 6 * 3600  # seconds; planning is idempotent, this only catches up

# What Application.builder().build() makes: the default bot, context and data types.
PtbApplication = Application[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]


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
        self._poller: Poller | None = None
        self._webhook: WebhookServer | None = None
        self._answers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        quiet_libraries()
        self._hold_lock()
        content = load_content(self.options.content_dir)
        db = await Database.open(self.options.db_path)
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
        await application.initialize()
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
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)
        # Send the backlog first; planning and the menu can wait (finding 6).
        self._task = asyncio.create_task(self.dispatcher.run())
        async with db.transaction() as conn:
            await plan_all_checkins(conn, self.deps)
        self.dispatcher.wake()
        await self._set_commands()
        await application.start()
        if application.job_queue is not None:
            application.job_queue.run_repeating(self._plan, interval=PLAN_EVERY, first=PLAN_EVERY)
        if self.options.webhook_url:
            self._webhook = WebhookServer(
                application.bot,
                application.process_update,
                url=self.options.webhook_url,
                secret=self.options.webhook_secret or "",
                listen=self.options.webhook_listen,
                port=self.options.webhook_port,
            )
            await self._webhook.start()
        else:
            self._poller = Poller(
                application.bot, application.process_update, self.options.poll_timeout
            )
            await self._poller.start()

    def _hold_lock(self) -> None:
        """One bot process per database: two dispatchers must never send the same row."""
        path = Path(f"{self.options.db_path}.lock")
        handle = path.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise AlreadyRunning(
                f"another Coachbot process is running on {self.options.db_path}"
            ) from None
        self._lock = handle

    async def stop(self) -> None:
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
            await self._task
        if self.application is not None:
            await self.application.shutdown()
        if self.deps is not None:
            await self.deps.db.close()
        if self._lock is not None:
            self._lock.close()  # closing releases the lock
            self._lock = None

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        event = to_inbound(update)
        if event is None:
            log.info("ignored update %s of a kind the bot does not act on", update.update_id)
            return
        outcome = await self.service.handle(event)
        if outcome.leave_chat is not None:
            try:
                await context.bot.leave_chat(outcome.leave_chat)
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
        if self.dispatcher is not None:
            self.dispatcher.wake()

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
