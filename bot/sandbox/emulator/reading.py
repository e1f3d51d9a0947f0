"""Reading what the bot did in the emulator, and waiting for it."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

from bot.sandbox.emulator.users import UserActions
from bot.sandbox.emulator.world import MessageRecord

Predicate = Callable[[dict[str, Any]], bool] | str | None


class ChatReaders(UserActions):
    """Accessors over chats, calls and commands, plus ``wait_for_bot_message``."""

    # -- reading what the bot did -------------------------------------------------------------

    @staticmethod
    def _render(record: MessageRecord) -> dict[str, Any]:
        message = copy.deepcopy(record.message)
        message["outgoing"] = record.outgoing
        if record.deleted:
            message["deleted"] = True
        return message

    def messages(self, chat_id: int, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Current Message dicts of a chat, oldest first, each with ``outgoing``."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [self._render(r) for r in chat.messages.values() if include_deleted or not r.deleted]

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Only the messages the bot sent (current versions, deleted ones left out)."""
        return [m for m in self.messages(chat_id) if m["outgoing"]]

    def last_bot_message(self, chat_id: int) -> dict[str, Any] | None:
        """The newest bot message still in the chat."""
        sent = self.bot_messages(chat_id)
        return sent[-1] if sent else None

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The ReplyKeyboardMarkup the user currently sees (None when removed/never sent)."""
        chat = self._chats.get(chat_id)
        return copy.deepcopy(chat.reply_keyboard) if chat else None

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """The answerCallbackQuery parameters for a query, or None while unanswered."""
        query = self._callbacks.get(query_id)
        return copy.deepcopy(query["answer"]) if query else None

    def chat_action(self, chat_id: int) -> str | None:
        """The last sendChatAction action in a chat."""
        chat = self._chats.get(chat_id)
        return chat.last_action if chat else None

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Every Bot API call as (canonical method name, decoded params)."""
        return [(entry["method"], copy.deepcopy(entry["params"])) for entry in self._call_log]

    @property
    def call_log(self) -> list[dict[str, Any]]:
        """Calls with outcome: method, params, ok, error_code, description, fault, time."""
        return copy.deepcopy(self._call_log)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Params of every call of one method (case-insensitive)."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str | None = None
    ) -> list[dict[str, str]]:
        """Commands stored for exactly this scope and language (like getMyCommands)."""
        key = (self.scope_key(scope), language_code or "")
        return copy.deepcopy(self._commands.get(key, []))

    def visible_commands(self, chat_id: int) -> list[dict[str, str]]:
        """The command menu a user sees in their private chat (Telegram's resolution order)."""
        user = self._users.get(chat_id)
        language = (user.user.get("language_code") or "") if user else ""
        for scope in (f"chat:{chat_id}", "all_private_chats", "default"):
            for lang in dict.fromkeys((language, "")):
                if (scope, lang) in self._commands:
                    return copy.deepcopy(self._commands[(scope, lang)])
        return []

    @property
    def pending_update_count(self) -> int:
        """Updates queued and not yet confirmed by the bot."""
        return len(self._updates)

    def pending_updates(self) -> list[dict[str, Any]]:
        """Copies of the queued updates."""
        return copy.deepcopy(self._updates)

    @property
    def seq(self) -> int:
        """Sequence number of the newest message event."""
        return self._seq

    async def wait_for_change(self, timeout: float) -> None:
        """Sleep until a message event, an update or a callback answer, or ``timeout``."""
        await self._wait_change(timeout)

    def events(self, since: int = 0) -> list[dict[str, Any]]:
        """Message events (new/edit/delete) after sequence number ``since``."""
        return [dict(e) for e in self._events if e["seq"] > since]

    # -- waiting ---------------------------------------------------------------------------------

    async def wait_for_bot_message(
        self,
        chat_id: int,
        predicate: Predicate = None,
        timeout: float = 5.0,
        after: int | None = None,
        *,
        include_edits: bool = False,
    ) -> dict[str, Any]:
        """Wait for a bot message in ``chat_id`` that the test has not seen yet.

        Without ``after`` it considers messages sent after the chat's read mark; the mark
        moves to "now" whenever a user acts (send_*, press_button, ...) and past each message
        this method returns, so consecutive calls walk through the bot's replies in order.
        With ``after`` it considers bot messages whose message_id is greater, ignoring the
        mark. ``predicate`` is a callable on the Message dict or a substring of its
        text/caption. ``include_edits`` also matches bot edits (the edited message is
        returned, with ``edit_date``). Raises TimeoutError describing the chat otherwise.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = self._scan(chat_id, predicate, after, include_edits)
            if found is not None:
                return found
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(self.describe_chat(chat_id, predicate, timeout, after))
            await self._wait_change(remaining)

    def _scan(
        self, chat_id: int, predicate: Predicate, after: int | None, include_edits: bool
    ) -> dict[str, Any] | None:
        chat = self._chats.get(chat_id)
        if chat is None:
            return None
        mark = self._read_seq.get(chat_id, 0)
        for event in self._events:
            if event["chat_id"] != chat_id or not event["outgoing"]:
                continue
            if event["kind"] not in (("new", "edit") if include_edits else ("new",)):
                continue
            if after is None and event["seq"] <= mark:
                continue
            if after is not None and event["message_id"] <= after:
                continue
            record = self._live_message(chat, event["message_id"])
            if record is None:
                continue
            message = self._render(record)
            if _matches(predicate, message):
                self._read_seq[chat_id] = max(mark, event["seq"])
                return message
        return None

    def describe_chat(
        self,
        chat_id: int,
        predicate: Predicate = None,
        timeout: float | None = None,
        after: int | None = None,
    ) -> str:
        """A readable account of a chat and the bot's recent calls (for failures)."""
        wanted = "any" if predicate is None else repr(predicate)
        lines = [
            f"no bot message in chat {chat_id} matching {wanted}"
            + (f" within {timeout}s" if timeout is not None else "")
            + (f" after message_id {after}" if after is not None else "")
            + f" (read mark at event {self._read_seq.get(chat_id, 0)})."
        ]
        history = self.messages(chat_id, include_deleted=True)
        lines.append(f"Chat {chat_id} holds {len(history)} message(s):")
        lines.extend(f"  {_summary(message)}" for message in history[-12:])
        related = [
            e
            for e in self._call_log
            if e["method"] != "getUpdates" and str(e["params"].get("chat_id")) == str(chat_id)
        ]
        errors = [e for e in self._call_log if not e["ok"] and e["method"] != "getUpdates"]
        lines.append("Recent bot calls for this chat:")
        lines.extend(f"  {_call_summary(e)}" for e in related[-6:])
        if errors:
            lines.append("Recent failed calls:")
            lines.extend(f"  {_call_summary(e)}" for e in errors[-4:])
        lines.append(f"Pending updates not fetched by the bot: {len(self._updates)}")
        return "\n".join(lines)


def _matches(predicate: Predicate, message: dict[str, Any]) -> bool:
    if predicate is None:
        return True
    if isinstance(predicate, str):
        return predicate in (message.get("text") or message.get("caption") or "")
    return bool(predicate(message))


def _summary(message: dict[str, Any]) -> str:
    who = "bot " if message.get("outgoing") else "user"
    if "text" in message:
        body = f"text {message['text'][:80]!r}"
    elif "photo" in message:
        body = "photo"
    else:
        body = next((k for k in ("voice", "document", "sticker") if k in message), "other")
    if message.get("caption"):
        body += f" caption {message['caption'][:60]!r}"
    buttons = [
        f"{b['text']}({b.get('callback_data', b.get('url', ''))})"
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
    ]
    if buttons:
        body += f" buttons {buttons}"
    flags = "".join(
        (
            " [edited]" if message.get("edit_date") else "",
            " [deleted]" if message.get("deleted") else "",
        )
    )
    return f"#{message['message_id']} {who} {body}{flags}"


def _call_summary(entry: dict[str, Any]) -> str:
    params = {k: v for k, v in entry["params"].items() if k in ("chat_id", "message_id", "text")}
    outcome = "ok" if entry["ok"] else f"{entry.get('error_code')} {entry.get('description')}"
    return f"{entry['method']} {params} -> {outcome}"
