"""Outgoing messages: written as outbox rows in the caller's transaction (`write`), sent
after commit at Telegram's pace (`pacing`, `sending`)."""

from bot.outbox.write import Meta, copy, edit_buttons, layout, message, render, say
from storage.outbox import (
    Button,
    Press,
    cancel_unsolicited,  # kept until the people-side modules move
)

__all__ = [
    "Button",
    "Meta",
    "Press",
    "cancel_unsolicited",
    "copy",
    "edit_buttons",
    "layout",
    "message",
    "render",
    "say",
]
