"""Coachbot's own small error tree; lower-level errors are mapped once, at the edges.

Every exception class defined in `bot` and `storage` is drawn here with its module and when
it is raised; tests/test_errors.py checks the drawing against the classes (each one named,
each branch a real base class). Leave this module without imports: storage.db imports it.

CoachbotError (bot.errors)                base of all of them; never raised itself
├── ContentError (bot.content.problems)   content files are broken; lists every problem
├── DatabaseError (storage.db)            wrong SQLite settings or a failed migration
├── AlreadyRunning (bot.errors)           another bot process holds the database
├── NotSent (bot.channels.telegram.request)  never reached Telegram: resend (PTB NetworkError)
├── SecretError (bot.research.pseudonym)  no usable export secret: missing, short or unreadable
├── UnknownCoach (bot.research.report)    report --coach names no coach (also a ValueError)
├── CommandError (bot.cli_args)           a wrong command line: one line on stderr, exit 2
└── SendError (bot.errors)                Telegram did not take a message
    ├── RetryLater (bot.errors)           429: wait `retry_after` seconds, then retry
    ├── Transient (bot.errors)            5xx, connect/pool timeout, no connection: retry, backoff
    ├── Uncertain (bot.errors)            read timeout, lost answer: may have arrived; not resent
    ├── Unreachable (bot.errors)          403: blocked or deleted; never retried
    └── Rejected (bot.errors)             400: this message can never be sent as it is

Not under CoachbotError, and why:

    FlowError (bot.engine.runner)         a flow breaks at run time; engine not converted yet

FlowError belongs in the tree (a broken flow is Coachbot's own error); bot/engine/runner.py
was outside the change that drew this tree. Subclass CoachbotError there and move its line up.
The Bot API emulator (bot.sandbox.emulator*) plays Telegram's side in the sandbox and tests:
its errors are the fake server's answers, not Coachbot's, and are not drawn here.
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
