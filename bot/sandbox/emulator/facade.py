"""The Emulator: one object that wires the emulator's parts and offers its in-process API.

The bot talks to it as to api.telegram.org (``Bot(token, base_url=emu.base_url,
base_file_url=emu.base_file_url)``); tests act as users through the in-process API below or
the HTTP control endpoints (control.py) and read back what the bot did.

In-process API (call it from the event loop the server runs in)
    Lifecycle: ``start()``, ``stop()``, ``async with Emulator(...)``; ``port``, ``url``,
    ``base_url``, ``base_file_url``, ``token``, ``bot_id``.
    Users (users.py, raw.py): ``add_user``, ``send_text``, ``send_command``,
    ``press_button``, ``press_button_text``, ``send_photo``, ``send_voice``,
    ``send_document``, ``edit_text``, ``send_raw_update``, ``block``, ``unblock`` (each
    returns the queued Update dict).
    Reading (reading.py, waiting.py): ``messages``, ``bot_messages``, ``last_bot_message``,
    ``wait_for_bot_message``, ``reply_keyboard``, ``callback_answer``, ``chat_action``,
    ``calls``, ``call_log``, ``calls_to``, ``commands``, ``visible_commands``,
    ``pending_update_count``, ``pending_updates``, ``webhook_info``, ``events``, ``state``,
    ``describe_chat``.
    Faults (faults.py, limits.py): ``inject_fault``, ``clear_faults``, ``enforce_limits``,
    ``disable_limits``, ``set_round_trip`` (a network delay on every Bot API call).
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from bot.sandbox.emulator import reading, users, waiting
from bot.sandbox.emulator.answers import ApiError
from bot.sandbox.emulator.control import add_control_routes
from bot.sandbox.emulator.faults import Faults, RoundTrip
from bot.sandbox.emulator.files import MAX_UPLOAD_SIZE
from bot.sandbox.emulator.limits import RateLimits
from bot.sandbox.emulator.raw import send_raw_update
from bot.sandbox.emulator.records import ChatState, MessageRecord, UserState
from bot.sandbox.emulator.registry import canonical
from bot.sandbox.emulator.server import BotApi
from bot.sandbox.emulator.updates import webhook_info
from bot.sandbox.emulator.waiting import Predicate
from bot.sandbox.emulator.webhook import LOCAL_HOSTS, WebhookSender
from bot.sandbox.emulator.world import World

__all__ = ["Emulator"]


class Emulator:
    """Telegram Bot API emulator; see the module docstring for its in-process API."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "coachbot_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_first_name: str = "Coachbot",
        seed: int | None = None,
        webhook_max_attempts: int | None = None,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 10.0,
    ) -> None:
        """``webhook_max_attempts=None`` retries a failing delivery forever (like Telegram).

        Retries back off from ``webhook_retry_delay`` doubling up to 2 s.
        """
        if host not in LOCAL_HOSTS:
            raise ValueError("the emulator only listens on 127.0.0.1/localhost")
        self.world = World(token, bot_username, bot_first_name, seed)
        self.token = self.world.token
        self.bot_id = self.world.bot_id
        self.bot_user = self.world.bot_user
        self.files = self.world.files
        self.host = host
        self.port = port
        self._faults = Faults()
        self._rate_limits = RateLimits()
        self._round_trip = RoundTrip()
        self._api = BotApi(
            self.world, self._faults, self._log, self._check_limits, self._round_trip
        )
        self._webhook_sender = WebhookSender(
            self.world, self.call_method, webhook_max_attempts, webhook_retry_delay, webhook_timeout
        )
        # The world's seams lead through this object's hooks, which a subclass may override.
        self.world.store = self._store
        self.world.event = self._event
        self.world.webhook_changed = self._webhook_sender.restart
        self._runner: web.AppRunner | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening; ``port=0`` picks a free port (see ``emu.port``)."""
        app = web.Application(client_max_size=MAX_UPLOAD_SIZE + 1024 * 1024)
        self._api.add_routes(app)
        add_control_routes(app, self)
        self.world.closing = False
        # Handlers are not cancelled when a client disconnects: Telegram also completes a
        # request whose caller timed out (the message is sent, the answer is lost).
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop the server, release long polls and the webhook sender."""
        self.world.closing = True
        self.world.notify()
        await self._webhook_sender.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Root URL of the emulator, e.g. ``http://127.0.0.1:PORT``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """PTB's ``base_url`` (the token is appended by PTB)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's ``base_file_url``."""
        return f"{self.url}/file/bot"

    async def call_method(
        self, method: str, params: dict[str, Any], source: str = "http"
    ) -> tuple[int, dict[str, Any]]:
        """Run a Bot API method; returns (HTTP status, JSON body)."""
        status, body, _ = await self._api.execute(method, params, source)
        return status, body

    # -- hooks: a subclass may watch or replace this bookkeeping (bench/common.py does) ------

    def _store(self, chat: ChatState, message: dict[str, Any], outgoing: bool) -> MessageRecord:
        """Every message, the bot's and the users', is recorded here."""
        return self.world.keep_message(chat, message, outgoing)

    def _event(self, chat_id: int, message_id: int, kind: str, outgoing: bool) -> None:
        """Every message event (new/edit/delete) passes here; it wakes the waiters."""
        self.world.note_event(chat_id, message_id, kind, outgoing)

    def _log(
        self, method: str, values: dict[str, Any], error: ApiError | None, **extra: Any
    ) -> dict[str, Any]:
        """Every Bot API call is logged here; returns the entry (completed after the call)."""
        return self.world.log_call(method, values, error, **extra)

    def _check_limits(self, method: str, params: dict[str, Any]) -> None:
        """Every Bot API call is counted here; raises a 429 ApiError past the rate limits."""
        self._rate_limits.check(method, params)

    @property
    def _users(self) -> dict[int, UserState]:
        """The known users by id (a subclass may mark one as having written before)."""
        return self.world.users

    @property
    def _seq(self) -> int:
        """The message event counter (a subclass that replaces ``_event`` advances it)."""
        return self.world.seq

    @_seq.setter
    def _seq(self, value: int) -> None:
        self.world.seq = value

    # -- acting as users (users.py, raw.py) --------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None = "nl",
        username: str | None = None,
        *,
        last_name: str | None = None,
        is_bot: bool = False,
    ) -> dict[str, Any]:
        """Create (or update) a user. The bot can message them only after they wrote."""
        return users.add_user(
            self.world,
            user_id,
            first_name,
            language_code,
            username,
            last_name=last_name,
            is_bot=is_bot,
        )

    def mark_read(self, chat_id: int) -> None:
        """Treat every message so far as seen by wait_for_bot_message (users do on acting)."""
        users.mark_read(self.world, chat_id)

    def send_text(
        self, user_id: int, text: str, reply_to_message_id: int | None = None
    ) -> dict[str, Any]:
        """The user sends a text message (entities auto-detected as Telegram does)."""
        return users.send_text(self.world, user_id, text, reply_to_message_id)

    def send_command(
        self,
        user_id: int,
        command: str,
        args: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends ``/command args`` (a bot_command entity covers the command)."""
        return users.send_command(self.world, user_id, command, args, reply_to_message_id)

    def press_button(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        force: bool = False,
        *,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """The user taps an inline button; see users.press_button for ``force``/``chat_id``."""
        return users.press_button(
            self.world, user_id, message_id, callback_data, force, chat_id=chat_id
        )

    def press_button_text(
        self, user_id: int, button_text: str, message_id: int | None = None
    ) -> dict[str, Any]:
        """Tap the callback button labelled ``button_text`` on the newest bot message having it."""
        return users.press_button_text(self.world, user_id, button_text, message_id)

    def send_photo(
        self,
        user_id: int,
        caption: str | None = None,
        *,
        data: bytes | None = None,
        width: int = 800,
        height: int = 600,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a photo (a generated PNG unless ``data`` is given)."""
        return users.send_photo(
            self.world,
            user_id,
            caption,
            data=data,
            width=width,
            height=height,
            reply_to_message_id=reply_to_message_id,
        )

    def send_voice(
        self, user_id: int, duration: int = 3, *, data: bytes | None = None
    ) -> dict[str, Any]:
        """The user sends a voice note."""
        return users.send_voice(self.world, user_id, duration, data=data)

    def send_document(
        self,
        user_id: int,
        file_name: str = "a.pdf",
        *,
        data: bytes | None = None,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a file."""
        return users.send_document(
            self.world, user_id, file_name, data=data, mime_type=mime_type, caption=caption
        )

    def edit_text(self, user_id: int, message_id: int, new_text: str) -> dict[str, Any]:
        """The user edits one of their text messages (an edited_message update)."""
        return users.edit_text(self.world, user_id, message_id, new_text)

    def block(self, user_id: int) -> dict[str, Any]:
        """The user blocks the bot: sends to them fail with 403; a my_chat_member is queued."""
        return users.block(self.world, user_id)

    def unblock(self, user_id: int) -> dict[str, Any]:
        """The user unblocks the bot (a my_chat_member update is queued)."""
        return users.unblock(self.world, user_id)

    def send_raw_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue any update (group messages, channel posts, my_chat_member, stickers, ...)."""
        return send_raw_update(self.world, payload)

    # -- reading what the bot did (reading.py, waiting.py) -----------------------------------

    def messages(self, chat_id: int, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Current Message dicts of a chat, oldest first, each with ``outgoing``."""
        return reading.messages(self.world, chat_id, include_deleted)

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Only the messages the bot sent (current versions, deleted ones left out)."""
        return reading.bot_messages(self.world, chat_id)

    def last_bot_message(self, chat_id: int) -> dict[str, Any] | None:
        """The newest bot message still in the chat."""
        return reading.last_bot_message(self.world, chat_id)

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The ReplyKeyboardMarkup the user currently sees (None when removed/never sent)."""
        return reading.reply_keyboard(self.world, chat_id)

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """The answerCallbackQuery parameters for a query, or None while unanswered."""
        return reading.callback_answer(self.world, query_id)

    def chat_action(self, chat_id: int) -> str | None:
        """The last sendChatAction action in a chat."""
        return reading.chat_action(self.world, chat_id)

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Every Bot API call as (canonical method name, decoded params)."""
        return reading.calls(self.world)

    @property
    def call_log(self) -> list[dict[str, Any]]:
        """Calls with outcome: method, params, ok, error_code, description, fault, time."""
        return copy.deepcopy(self.world.call_log)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Params of every call of one method (case-insensitive)."""
        return reading.calls_to(self.world, method)

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str | None = None
    ) -> list[dict[str, str]]:
        """Commands stored for exactly this scope and language (like getMyCommands)."""
        return reading.commands(self.world, scope, language_code)

    def visible_commands(self, chat_id: int) -> list[dict[str, str]]:
        """The command menu a user sees in their private chat (Telegram's resolution order)."""
        return reading.visible_commands(self.world, chat_id)

    @property
    def pending_update_count(self) -> int:
        """Updates queued and not yet confirmed by the bot."""
        return len(self.world.updates)

    def pending_updates(self) -> list[dict[str, Any]]:
        """Copies of the queued updates."""
        return copy.deepcopy(self.world.updates)

    @property
    def seq(self) -> int:
        """Sequence number of the newest message event."""
        return self.world.seq

    def events(self, since: int = 0) -> list[dict[str, Any]]:
        """Message events (new/edit/delete) after sequence number ``since``."""
        return reading.events(self.world, since)

    async def wait_for_change(self, timeout: float) -> None:
        """Sleep until a message event, an update or a callback answer, or ``timeout``."""
        await self.world.wait_change(timeout)

    async def wait_for_bot_message(
        self,
        chat_id: int,
        predicate: Predicate = None,
        timeout: float = 5.0,
        after: int | None = None,
        *,
        include_edits: bool = False,
    ) -> dict[str, Any]:
        """Wait for a bot message the test has not seen yet; see waiting.py for the rules."""
        return await waiting.wait_for_bot_message(
            self.world, chat_id, predicate, timeout, after, include_edits=include_edits
        )

    def describe_chat(
        self,
        chat_id: int,
        predicate: Predicate = None,
        timeout: float | None = None,
        after: int | None = None,
    ) -> str:
        """A readable account of a chat and the bot's recent calls (for failures)."""
        return waiting.describe_chat(self.world, chat_id, predicate, timeout, after)

    def webhook_info(self) -> dict[str, Any]:
        """The WebhookInfo object getWebhookInfo returns now."""
        return webhook_info(self.world)

    def state(self) -> dict[str, Any]:
        """A JSON-ready overview (served at ``GET /_emu/state``)."""
        return reading.overview(
            self.world, self.base_url, self._faults.pending(), self._rate_limits.settings
        )

    # -- faults and rate limits (faults.py, limits.py) ---------------------------------------

    def inject_fault(
        self,
        method: str,
        kind: str | int,
        count: int = 1,
        retry_after: int | None = None,
        delay: float | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (or ``"*"``) fail.

        kinds: "429" (with retry_after, default 1), "403", "500", "502", "400", "slow" (sleep
        ``delay`` s, then answer), "slow_after" (do the call at once, answer ``delay`` s
        later), "drop" (close the connection unanswered, nothing happens),
        "drop_after" (do the call, then close the connection unanswered).
        """
        name = method if method == "*" else canonical(method) or method
        self._faults.inject(name, kind, count, retry_after, delay, description)

    def clear_faults(self) -> None:
        """Remove all pending injected faults."""
        self._faults.clear()

    def enforce_limits(
        self,
        per_chat_per_sec: float | None = 1,
        global_per_sec: float | None = 30,
        per_group_per_min: float | None = 20,
    ) -> None:
        """Answer 429 like Telegram when send methods exceed these rates (None = no limit)."""
        self._rate_limits.enforce(per_chat_per_sec, global_per_sec, per_group_per_min)

    def disable_limits(self) -> None:
        """Switch rate limiting off again (the default)."""
        self._rate_limits.disable()

    def set_round_trip(self, seconds: float, jitter: float = 0.0) -> None:
        """Add a network round trip to every Bot API call over HTTP (0 = none, the default):
        half before the method runs, half before its answer leaves. ``jitter`` (0..1) varies
        each half by up to ±jitter/2 of it."""
        self._round_trip.set(seconds, jitter)

    @property
    def round_trip(self) -> float:
        return self._round_trip.seconds
