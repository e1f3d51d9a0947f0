"""Outgoing messages: written as outbox rows in the caller's transaction (`write`), sent
after commit at Telegram's pace (`pacing`, `sending`)."""

from bot.outbox.write import Button, Meta, copy, edit_buttons, layout, message, render, say
from storage.outbox import cancel_unsolicited  # kept until the people-side modules move

__all__ = ["Button", "Meta",
    "cancel_unsolicited", "copy", "edit_buttons", "layout", "message", "render", "say"]
