"""Telegram's links: an invite is a deep link that starts the bot with a single-use token."""

from __future__ import annotations


def deep_link(username: str, token: str) -> str:
    """`https://t.me/<bot>?start=<token>`: opens the bot and sends /start <token>."""
    return f"https://t.me/{username}?start={token}"
