"""State of the Telegram emulator: users, chats, messages, formatted text, the update queue."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import random
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.sandbox.emulator.answers import bad_request, forbidden
from bot.sandbox.emulator.files import FileStore
from bot.sandbox.emulator.formatting import format_text
from bot.sandbox.emulator.text import Entity

ALL_UPDATE_TYPES = (
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages",
    "message_reaction", "message_reaction_count", "inline_query", "chosen_inline_result",
    "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll",
    "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
    "removed_chat_boost",
)  # fmt: skip
# Telegram leaves these out unless they are asked for explicitly.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
MESSAGE_UPDATE_TYPES = frozenset(
    {"message", "edited_message", "channel_post", "edited_channel_post", "business_message",
     "edited_business_message"}
)  # fmt: skip
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass
class UserState:
    """A Telegram user as the emulator knows it."""

    user: dict[str, Any]
    blocked: bool = False
    started: bool = False  # wrote to the bot, so a private chat exists


@dataclass
class MessageRecord:
    """A message in a chat; ``message`` is always the current Message object."""

    message: dict[str, Any]
    outgoing: bool
    deleted: bool = False


@dataclass
class ChatState:
    """A chat and its history."""

    chat: dict[str, Any]
    chat_instance: str
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None
    left: bool = False
    last_action: str | None = None
    menu_button: dict[str, Any] | None = None


class EmulatorCore:
    """Shared state and helpers; the Bot API methods and the public API build on it."""

    def __init__(
        self,
        token: str,
        bot_username: str,
        bot_first_name: str,
        seed: int | None,
        webhook_max_attempts: int | None,
        webhook_retry_delay: float,
        webhook_timeout: float,
    ) -> None:
        prefix, _, secret = token.partition(":")
        if not prefix.isdigit() or not secret:
            raise ValueError("token must look like '<bot id>:<secret>'")
        self.token = token
        self.bot_id = int(prefix)
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self._rng = random.Random(seed)
        self.files = FileStore(self._rng)
        self._users: dict[int, UserState] = {}
        self._chats: dict[int, ChatState] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = self._rng.randint(100_000_000, 900_000_000)
        self._allowed_updates: list[str] | None = None
        self._events: list[dict[str, Any]] = []
        self._seq = 0
        self._read_seq: dict[int, int] = {}
        self._callbacks: dict[str, dict[str, Any]] = {}
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._default_menu_button: dict[str, Any] = {"type": "commands"}
        self._call_log: list[dict[str, Any]] = []
        self._webhook: dict[str, Any] | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_max_attempts = webhook_max_attempts
        self._webhook_retry_delay = webhook_retry_delay
        self._webhook_timeout = webhook_timeout
        self._session: aiohttp.ClientSession | None = None
        self._poll_generation = 0
        self._changed = asyncio.Event()
        self._closing = False

    # -- small helpers ----------------------------------------------------------------------

    @staticmethod
    def now() -> int:
        """Current Unix time in seconds, as Telegram dates are."""
        return int(time.time())

    def _notify(self) -> None:
        """Wake every waiter (long polls, webhook sender, wait_for_bot_message)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, timeout: float) -> None:
        """Sleep until the next state change or ``timeout`` seconds."""
        event = self._changed
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, timeout)):
                await event.wait()

    def _event(self, chat_id: int, message_id: int, kind: str, outgoing: bool) -> None:
        self._seq += 1
        self._events.append(
            {
                "seq": self._seq,
                "chat_id": chat_id,
                "message_id": message_id,
                "kind": kind,
                "outgoing": outgoing,
            }
        )
        self._notify()

    def _new_id(self) -> str:
        return str(self._rng.getrandbits(62))

    def lookup_user(self, user_id: int) -> dict[str, Any] | None:
        """The User object of a known user (or the bot itself)."""
        if user_id == self.bot_id:
            return dict(self.bot_user)
        state = self._users.get(user_id)
        return dict(state.user) if state else None

    # -- users and chats --------------------------------------------------------------------

    def _register_user(self, user: dict[str, Any]) -> UserState:
        state = self._users.get(user["id"])
        if state is None:
            state = self._users[user["id"]] = UserState(user=dict(user))
        else:
            state.user.update(user)
        return state

    def _register_chat(self, chat: dict[str, Any]) -> ChatState:
        state = self._chats.get(chat["id"])
        if state is None:
            state = self._chats[chat["id"]] = ChatState(
                chat=dict(chat), chat_instance=str(self._rng.getrandbits(63) - 2**62)
            )
        else:
            state.chat.update(chat)
        return state

    @staticmethod
    def private_chat(user: dict[str, Any]) -> dict[str, Any]:
        """The Chat object of a user's private chat with the bot."""
        chat: dict[str, Any] = {"id": user["id"], "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if user.get(key):
                chat[key] = user[key]
        chat["type"] = "private"
        return chat

    def _find_chat(self, chat_id: Any) -> ChatState:
        """Resolve a chat_id parameter without access checks.

        ``@username`` only works for groups and channels, as in Telegram.
        """
        if chat_id in (None, ""):
            raise bad_request("chat_id is empty")
        state: ChatState | None = None
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            name = chat_id[1:].lower()
            state = next(
                (
                    c
                    for c in self._chats.values()
                    if c.chat["type"] != "private"
                    and str(c.chat.get("username", "")).lower() == name
                ),
                None,
            )
        else:
            try:
                state = self._chats.get(int(chat_id))
            except (TypeError, ValueError):
                state = None
        if state is None:
            raise bad_request("chat not found")
        return state

    def _writable_chat(self, chat_id: Any) -> ChatState:
        """Resolve a chat the bot wants to post in, with Telegram's access errors."""
        chat = self._find_chat(chat_id)
        user = self._users.get(chat.chat["id"])
        if chat.chat["type"] == "private" and user is not None:
            if user.user.get("is_bot"):
                raise forbidden("bot can't send messages to bots")
            if user.blocked:
                raise forbidden("bot was blocked by the user")
            if not user.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif chat.chat["type"] != "private" and chat.left:
            kinds = {
                "group": "group chat",
                "supergroup": "supergroup chat",
                "channel": "channel chat",
            }
            raise forbidden(f"bot is not a member of the {kinds.get(chat.chat['type'], 'chat')}")
        return chat

    def _live_message(self, chat: ChatState, message_id: int | None) -> MessageRecord | None:
        record = chat.messages.get(message_id) if message_id is not None else None
        return None if record is None or record.deleted else record

    def _store(self, chat: ChatState, message: dict[str, Any], outgoing: bool) -> MessageRecord:
        record = MessageRecord(message=message, outgoing=outgoing)
        chat.messages[message["message_id"]] = record
        chat.next_message_id = max(chat.next_message_id, message["message_id"] + 1)
        self._event(chat.chat["id"], message["message_id"], "new", outgoing)
        return record

    def _bot_message(
        self,
        chat: ChatState,
        content: dict[str, Any],
        reply_to: dict[str, Any] | None = None,
        markup: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create, store and return a bot-sent Message."""
        message: dict[str, Any] = {
            "message_id": chat.next_message_id,
            "from": dict(self.bot_user),
            "chat": dict(chat.chat),
            "date": self.now(),
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(content)
        message.update(extra or {})
        if markup:
            message["reply_markup"] = markup
        self._store(chat, message, outgoing=True)
        return copy.deepcopy(message)

    @staticmethod
    def snapshot(record: MessageRecord) -> dict[str, Any]:
        """A Message as embedded in another (reply_to_message, callback message)."""
        message = copy.deepcopy(record.message)
        message.pop("reply_to_message", None)
        return message

    # -- formatted text ---------------------------------------------------------------------

    def _format(
        self, text: str | None, parse_mode: str | None, entities: Any, caption: bool = False
    ) -> tuple[str, list[Entity]]:
        """Apply parse_mode/entities and Telegram's clean-up; enforce the length limit."""
        return format_text(text, parse_mode, entities, self.lookup_user, caption)

    # -- updates ----------------------------------------------------------------------------

    def _wanted(self, update_type: str) -> bool:
        allowed = self._allowed_updates
        if not allowed:
            return update_type not in OPT_IN_UPDATE_TYPES
        return update_type in allowed

    def _enqueue(self, update_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update unless allowed_updates filters it; returns the Update dict."""
        if not self._wanted(update_type):
            return {"update_id": None, update_type: copy.deepcopy(payload)}
        update = {"update_id": self._next_update_id, update_type: copy.deepcopy(payload)}
        self._next_update_id += 1
        self._updates.append(update)
        self._notify()
        return copy.deepcopy(update)

    def _confirm(self, offset: int) -> None:
        """Forget updates as getUpdates' offset prescribes (negative = keep the last -offset)."""
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _set_allowed_updates(self, allowed: list[Any] | None) -> None:
        if allowed is not None:
            self._allowed_updates = [str(kind) for kind in allowed if kind in ALL_UPDATE_TYPES]

    def method_names(self) -> dict[str, str]:
        """Lower-case Bot API method name -> canonical camelCase name (``api_*`` methods)."""
        return {
            name[4:].lower(): name[4:]
            for name in dir(type(self))
            if name.startswith("api_") and callable(getattr(self, name))
        }

    async def call_method(
        self, method: str, params: dict[str, Any], source: str = "http"
    ) -> tuple[int, dict[str, Any]]:
        """Run a Bot API method; returns (HTTP status, JSON body). Implemented by subclasses."""
        raise NotImplementedError
