"""Coachbot's own small error tree; lower-level errors are mapped once, at the edges.

CoachbotError
├── ContentError (bot.content.problems)  content files are broken; lists every problem
├── DatabaseError (storage.db)           wrong SQLite settings or a failed migration
├── AlreadyRunning                       another bot process holds the database
└── SendError                            Telegram did not take a message
    ├── RetryLater                       429: wait `retry_after` seconds, then retry
    ├── Transient                        5xx, connect/pool timeout, no connection: retry, backoff
    ├── Uncertain                        read timeout, lost answer: may have arrived; not resent
    ├── Unreachable                      403: blocked or deleted; never retried
    └── Rejected                         400: this message can never be sent as it is
"""

from __future__ import annotations


class CoachbotError(Exception):
    """Base of Coachbot's own errors."""


class AlreadyRunning(CoachbotError):
    """When a second bot process starts on a database another one is using."""


class SendError(CoachbotError):
    """When Telegram did not accept a send; `retryable` says whether to try again."""

    retryable = False


class RetryLater(SendError):
    """When Telegram says 429 Too Many Requests."""

    retryable = True

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class Transient(SendError):
    """When the server failed (5xx) or the connection did; a later try may work."""

    retryable = True


class Uncertain(SendError):
    """When the request went out but no answer came back (read timeout, connection lost):
    Telegram may have delivered it, so a blind retry could send it twice."""


class Unreachable(SendError):
    """When the user blocked the bot or the chat no longer exists (403)."""


class Rejected(SendError):
    """When Telegram refuses the request itself (400), e.g. a bad button."""
