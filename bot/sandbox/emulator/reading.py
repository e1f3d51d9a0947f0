"""Reading what the bot did: chats, keyboards, callback answers, calls, commands, events.

Everything returned is a copy: a test cannot change the emulator by editing it.
"""

from __future__ import annotations

import copy
from typing import Any

from bot.sandbox.emulator.botinfo import scope_key
from bot.sandbox.emulator.records import ChatState, MessageRecord
from bot.sandbox.emulator.updates import webhook_info
from bot.sandbox.emulator.world import World


def render(record: MessageRecord) -> dict[str, Any]:
    """A stored message as tests see it: the Message, plus ``outgoing`` and ``deleted``."""
    message = copy.deepcopy(record.message)
    message["outgoing"] = record.outgoing
    if record.deleted:
        message["deleted"] = True
    return message


def messages(world: World, chat_id: int, include_deleted: bool = False) -> list[dict[str, Any]]:
    """Current Message dicts of a chat, oldest first, each with ``outgoing``."""
    chat = world.chats.get(chat_id)
    if chat is None:
        return []
    return [render(r) for r in chat.messages.values() if include_deleted or not r.deleted]


def bot_messages(world: World, chat_id: int) -> list[dict[str, Any]]:
    """Only the messages the bot sent (current versions, deleted ones left out)."""
    return [m for m in messages(world, chat_id) if m["outgoing"]]


def last_bot_message(world: World, chat_id: int) -> dict[str, Any] | None:
    """The newest bot message still in the chat."""
    sent = bot_messages(world, chat_id)
    return sent[-1] if sent else None


def reply_keyboard(world: World, chat_id: int) -> dict[str, Any] | None:
    """The ReplyKeyboardMarkup the user currently sees (None when removed/never sent)."""
    chat = world.chats.get(chat_id)
    return copy.deepcopy(chat.reply_keyboard) if chat else None


def callback_answer(world: World, query_id: str) -> dict[str, Any] | None:
    """The answerCallbackQuery parameters for a query, or None while unanswered."""
    query = world.callbacks.get(query_id)
    return copy.deepcopy(query["answer"]) if query else None


def chat_action(world: World, chat_id: int) -> str | None:
    """The last sendChatAction action in a chat."""
    chat = world.chats.get(chat_id)
    return chat.last_action if chat else None


def calls(world: World) -> list[tuple[str, dict[str, Any]]]:
    """Every Bot API call as (canonical method name, decoded params)."""
    return [(entry["method"], copy.deepcopy(entry["params"])) for entry in world.call_log]


def calls_to(world: World, method: str) -> list[dict[str, Any]]:
    """Params of every call of one method (case-insensitive)."""
    return [params for name, params in calls(world) if name.lower() == method.lower()]


def commands(
    world: World, scope: dict[str, Any] | None = None, language_code: str | None = None
) -> list[dict[str, str]]:
    """Commands stored for exactly this scope and language (like getMyCommands)."""
    key = (scope_key(world, scope), language_code or "")
    return copy.deepcopy(world.commands.get(key, []))


def visible_commands(world: World, chat_id: int) -> list[dict[str, str]]:
    """The command menu a user sees in their private chat (Telegram's resolution order)."""
    user = world.users.get(chat_id)
    language = (user.user.get("language_code") or "") if user else ""
    for scope in (f"chat:{chat_id}", "all_private_chats", "default"):
        for lang in dict.fromkeys((language, "")):
            if (scope, lang) in world.commands:
                return copy.deepcopy(world.commands[(scope, lang)])
    return []


def events(world: World, since: int = 0) -> list[dict[str, Any]]:
    """Message events (new/edit/delete) after sequence number ``since``."""
    return [dict(e) for e in world.events if e["seq"] > since]


def overview(
    world: World,
    base_url: str,
    faults: list[dict[str, Any]],
    limits: dict[str, float | None] | None,
) -> dict[str, Any]:
    """A JSON-ready overview of the emulator (``Emulator.state()``, ``GET /_emu/state``)."""
    return {
        "bot": dict(world.bot_user),
        "base_url": base_url,
        "users": [
            {**s.user, "blocked": s.blocked, "started": s.started} for s in world.users.values()
        ],
        "chats": [_chat_summary(c) for c in world.chats.values()],
        "pending_update_count": len(world.updates),
        "allowed_updates": world.allowed_updates,
        "webhook": webhook_info(world),
        "faults": faults,
        "limits": limits,
        "commands": [
            {"scope": scope, "language_code": lang, "commands": cmds}
            for (scope, lang), cmds in world.commands.items()
        ],
        "seq": world.seq,
    }


def _chat_summary(chat: ChatState) -> dict[str, Any]:
    return {
        "chat": dict(chat.chat),
        "message_count": sum(1 for r in chat.messages.values() if not r.deleted),
        "reply_keyboard": chat.reply_keyboard,
        "left": chat.left,
        "last_action": chat.last_action,
    }
