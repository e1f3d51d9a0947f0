"""What the host needs from the outside world, injected in one place."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.clock import Clock
from bot.content.bundle import Content
from storage.db import Database


def random_token() -> str:
    """An invite token: 128 bits, URL-safe, fits Telegram's 64-character start payload."""
    return secrets.token_urlsafe(16)


@dataclass
class Settings:
    bot_username: str = "coachbot"
    invite_ttl: timedelta = timedelta(days=14)
    max_send_attempts: int = 8
    poll_interval: float = 1.0  # seconds between dispatcher ticks when nothing wakes it
    # Telegram: about 1 message per second per chat (short bursts pass), 30 per second overall.
    per_chat_rate: float = 1.0
    per_chat_burst: float = 3.0
    global_rate: float = 30.0
    # Messages in the air at once. Telegram's 30/s over a 250 ms round trip needs 7.5;
    # a crash re-sends at most this many (docs/reliability.md).
    in_flight: int = 10


@dataclass
class Deps:
    db: Database
    clock: Clock
    content: Content
    # The channel's invite link for a token (Telegram: a t.me deep link), set at wiring.
    invite_link: Callable[[str], str]
    settings: Settings = field(default_factory=Settings)
    new_token: Callable[[], str] = random_token
