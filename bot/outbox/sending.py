"""Sending one outbox row through the channel, and what a failure means for the row.

The failure policy: 429 waits `retry_after` (for every send); a transient failure is
retried with capped exponential backoff up to `max_attempts`; an uncertain one (the
request went out, no answer came) counts as sent rather than risk a second copy; 403
marks the person unreachable; 400 fails the row for good.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.errors import RetryLater, SendError, Transient, Uncertain, Unreachable
from storage import outbox
from storage.db import Conn
from storage.events import log_event
from storage.outbox import Copy, EditButtons, Keyboard, OutboxRow, OutboxStatus, Text

MAX_TEXT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH
MAX_BACKOFF_S = 300

# Makes a document at the moment of sending: (file name, content, caption addition).
DocumentMaker = Callable[[dict[str, Any]], Awaitable[tuple[str, bytes, str]]]


class Sender(Protocol):
    """The channel seam: each call returns the sent message id or raises SendError."""

    async def send_text(self, chat_id: int, text: str, buttons: Keyboard) -> int: ...

    async def copy(self, chat_id: int, from_chat_id: int, message_id: int) -> int: ...

    async def send_qr(self, chat_id: int, link: str, caption: str) -> int: ...

    async def send_document(
        self, chat_id: int, filename: str, content: bytes, caption: str
    ) -> int: ...

    async def edit_buttons(self, chat_id: int, message_id: int, buttons: Keyboard) -> int: ...


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a long text at line breaks (or hard) into parts Telegram accepts."""
    parts: list[str] = []
    while len(text.encode("utf-16-le")) // 2 > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        while len(text[:cut].encode("utf-16-le")) // 2 > limit:
            cut -= 1
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts


async def perform(sender: Sender, row: OutboxRow, documents: DocumentMaker) -> int:
    """The network call(s) for one row; the id of the (last) message sent."""
    chat_id = row.chat_id
    match row.payload:
        case Copy(from_chat_id=from_chat_id, message_id=message_id):
            return await sender.copy(chat_id, from_chat_id, message_id)
        case EditButtons(message_id=message_id, buttons=buttons):
            return await sender.edit_buttons(chat_id, message_id, buttons)
        case Text(text=text, document=document) if document:
            filename, content, extra = await documents(document)
            caption = f"{text}\n\n{extra}".strip()
            return await sender.send_document(chat_id, filename, content, caption)
        case Text(text=text, qr=qr) if qr:
            return await sender.send_qr(chat_id, qr, text)
        case Text(text=text, buttons=buttons):
            parts = split_text(text)
            message_id = 0
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                message_id = await sender.send_text(chat_id, part, buttons if last else ())
            return message_id
    raise ValueError(f"outbox row {row.id} has no payload left to send")


@dataclass(frozen=True)
class Failure:
    """What the dispatcher must do after a failed send besides what is recorded."""

    pause_s: float = 0.0  # 429: nothing goes to Telegram for this long
    unreachable: bool = False  # 403: the person can no longer be reached
    final: bool = False  # the row failed for good (not retried)


async def record_failure(
    conn: Conn, now: datetime, row: OutboxRow, err: SendError, max_attempts: int
) -> Failure:
    """Record what a failed send means for the row (see the module's docstring)."""
    name = type(err).__name__
    if isinstance(err, RetryLater):
        await outbox.postpone(conn, row.id, now + timedelta(seconds=err.retry_after), name)
        return Failure(pause_s=err.retry_after)
    if isinstance(err, Uncertain):
        await outbox.record_sent(conn, now, row.id, None, name)
        await log_event(conn, now, "message_uncertain", row.person_id, value=name)
        return Failure()
    attempts = row.attempts + 1
    if isinstance(err, Transient) and attempts < max_attempts:
        backoff = min(2**attempts, MAX_BACKOFF_S)
        await outbox.postpone(conn, row.id, now + timedelta(seconds=backoff), name)
        return Failure()
    await outbox.close(conn, row.id, OutboxStatus.FAILED, name)
    await log_event(conn, now, "message_failed", row.person_id, value=name)
    return Failure(unreachable=isinstance(err, Unreachable), final=True)
