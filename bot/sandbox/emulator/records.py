"""What the emulator remembers of each user, chat and message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
