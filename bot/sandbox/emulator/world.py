"""The emulated Telegram: the bot, its users and chats, their messages, the update queue."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import random
import time
from collections.abc import Callable
from typing import Any

from bot.sandbox.emulator.answers import ApiError, bad_request, forbidden
from bot.sandbox.emulator.files import FileStore
from bot.sandbox.emulator.params import printable_params
from bot.sandbox.emulator.records import ChatState, MessageRecord, UserState

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

StoreHook = Callable[[ChatState, dict[str, Any], bool], MessageRecord]
EventHook = Callable[[int, int, str, bool], None]


def _nothing() -> None:
    return None


class World:
    """Everything the emulator remembers, and the operations all its parts share.

    The Bot API method handlers, the user actions and the readers all work on one World.
    Three seams are filled in by the Emulator that owns it: every message passes through
    ``store`` and every message event through ``event`` (so a subclass of the Emulator can
    watch or replace that bookkeeping), and ``webhook_changed`` restarts the webhook sender.
    """

    def __init__(
        self,
        token: str,
        bot_username: str = "coachbot_test_bot",
        bot_first_name: str = "Coachbot",
        seed: int | None = None,
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
        self.rng = random.Random(seed)
        self.files = FileStore(self.rng)
        self.users: dict[int, UserState] = {}
        self.chats: dict[int, ChatState] = {}
        self.updates: list[dict[str, Any]] = []
        self.next_update_id = self.rng.randint(100_000_000, 900_000_000)
        self.allowed_updates: list[str] | None = None
        self.events: list[dict[str, Any]] = []
        self.seq = 0
        self.read_seq: dict[int, int] = {}  # chat -> event seq wait_for_bot_message has seen
        self.callbacks: dict[str, dict[str, Any]] = {}  # query id -> {"query", "answer"}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}  # (kind, language) -> text
        self.default_menu_button: dict[str, Any] = {"type": "commands"}
        self.call_log: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self.webhook_error: tuple[int, str] | None = None
        self.poll_generation = 0
        self.closing = False
        self._changed = asyncio.Event()
        self.store: StoreHook = self.keep_message
        self.event: EventHook = self.note_event
        self.webhook_changed: Callable[[], None] = _nothing

    # -- time, ids and change notification --------------------------------------------------

    @staticmethod
    def now() -> int:
        """Current Unix time in seconds, as Telegram dates are."""
        return int(time.time())

    def new_id(self) -> str:
        return str(self.rng.getrandbits(62))

    def notify(self) -> None:
        """Wake every waiter (long polls, webhook sender, wait_for_bot_message)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, timeout: float) -> None:
        """Sleep until the next state change or ``timeout`` seconds."""
        event = self._changed
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, timeout)):
                await event.wait()

    def note_event(self, chat_id: int, message_id: int, kind: str, outgoing: bool) -> None:
        """Append a message event (new/edit/delete) and wake waiters; ``event`` by default."""
        self.seq += 1
        self.events.append(
            {
                "seq": self.seq,
                "chat_id": chat_id,
                "message_id": message_id,
                "kind": kind,
                "outgoing": outgoing,
            }
        )
        self.notify()

    def log_call(
        self, method: str, values: dict[str, Any], error: ApiError | None, **extra: Any
    ) -> dict[str, Any]:
        """Append a Bot API call to the call log; returns the entry (completed later)."""
        entry: dict[str, Any] = {
            "method": method,
            "params": printable_params(values),
            "ok": error is None,
            "time": time.time(),
        }
        if error is not None:
            entry["error_code"] = error.error_code
            entry["description"] = error.description
        entry.update(extra)
        self.call_log.append(entry)
        return entry

    # -- users and chats --------------------------------------------------------------------

    def lookup_user(self, user_id: int) -> dict[str, Any] | None:
        """The User object of a known user (or the bot itself)."""
        if user_id == self.bot_id:
            return dict(self.bot_user)
        state = self.users.get(user_id)
        return dict(state.user) if state else None

    def register_user(self, user: dict[str, Any]) -> UserState:
        state = self.users.get(user["id"])
        if state is None:
            state = self.users[user["id"]] = UserState(user=dict(user))
        else:
            state.user.update(user)
        return state

    def register_chat(self, chat: dict[str, Any]) -> ChatState:
        state = self.chats.get(chat["id"])
        if state is None:
            state = self.chats[chat["id"]] = ChatState(
                chat=dict(chat), chat_instance=str(self.rng.getrandbits(63) - 2**62)
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

    def find_chat(self, chat_id: Any) -> ChatState:
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
                    for c in self.chats.values()
                    if c.chat["type"] != "private"
                    and str(c.chat.get("username", "")).lower() == name
                ),
                None,
            )
        else:
            try:
                state = self.chats.get(int(chat_id))
            except (TypeError, ValueError):
                state = None
        if state is None:
            raise bad_request("chat not found")
        return state

    def writable_chat(self, chat_id: Any) -> ChatState:
        """Resolve a chat the bot wants to post in, with Telegram's access errors."""
        chat = self.find_chat(chat_id)
        user = self.users.get(chat.chat["id"])
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

    # -- messages ---------------------------------------------------------------------------

    @staticmethod
    def live_message(chat: ChatState, message_id: int | None) -> MessageRecord | None:
        """The message with this id, unless it was never there or is deleted."""
        record = chat.messages.get(message_id) if message_id is not None else None
        return None if record is None or record.deleted else record

    def keep_message(
        self, chat: ChatState, message: dict[str, Any], outgoing: bool
    ) -> MessageRecord:
        """Record a message in its chat (a "new" event); ``store`` by default."""
        record = MessageRecord(message=message, outgoing=outgoing)
        chat.messages[message["message_id"]] = record
        chat.next_message_id = max(chat.next_message_id, message["message_id"] + 1)
        self.event(chat.chat["id"], message["message_id"], "new", outgoing)
        return record

    def bot_message(
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
        self.store(chat, message, True)
        return copy.deepcopy(message)

    @staticmethod
    def snapshot(record: MessageRecord) -> dict[str, Any]:
        """A Message as embedded in another (reply_to_message, callback message)."""
        message = copy.deepcopy(record.message)
        message.pop("reply_to_message", None)
        return message

    # -- the update queue and the webhook setting -------------------------------------------

    def wanted(self, update_type: str) -> bool:
        """Whether allowed_updates lets this kind of update through."""
        allowed = self.allowed_updates
        if not allowed:
            return update_type not in OPT_IN_UPDATE_TYPES
        return update_type in allowed

    def enqueue(self, update_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update unless allowed_updates filters it; returns the Update dict."""
        if not self.wanted(update_type):
            return {"update_id": None, update_type: copy.deepcopy(payload)}
        update = {"update_id": self.next_update_id, update_type: copy.deepcopy(payload)}
        self.next_update_id += 1
        self.updates.append(update)
        self.notify()
        return copy.deepcopy(update)

    def confirm(self, offset: int) -> None:
        """Forget updates as getUpdates' offset prescribes (negative = keep the last -offset)."""
        if offset < 0:
            self.updates = self.updates[offset:]
        elif offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def set_allowed_updates(self, allowed: list[Any] | None) -> None:
        if allowed is not None:
            self.allowed_updates = [str(kind) for kind in allowed if kind in ALL_UPDATE_TYPES]

    def set_webhook(self, hook: dict[str, Any] | None) -> dict[str, Any] | None:
        """Set (or, with None, delete) the webhook; returns the previous one."""
        previous, self.webhook = self.webhook, hook
        self.webhook_error = None
        self.webhook_changed()
        return previous
