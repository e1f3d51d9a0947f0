"""Outgoing messages: written as outbox rows in the caller's transaction (`write`), sent
after commit at Telegram's pace (`pacing`, `sending`)."""

from bot.outbox.write import Meta, copy, edit_buttons, layout, message, render, say
from storage.outbox import Button, Press

__all__ = ["Button", "Meta", "Press", "copy", "edit_buttons", "layout", "message", "render", "say"]
