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
from storage.outbox import OutboxKind, OutboxRow, OutboxStatus

MAX_TEXT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH
MAX_BACKOFF_S = 300

# Makes a document at the moment of sending: (file name, content, caption addition).
DocumentMaker = Callable[[dict[str, Any]], Awaitable[tuple[str, bytes, str]]]
Buttons = list[list[tuple[str, str]]]


class Sender(Protocol):
    """The channel seam: each call returns the sent message id or raises SendError."""

    async def send_text(self, chat_id: int, text: str, buttons: Buttons | None) -> int: ...

    async def copy(self, chat_id: int, from_chat_id: int, message_id: int) -> int: ...

    async def send_qr(self, chat_id: int, link: str, caption: str) -> int: ...

    async def send_document(
        self, chat_id: int, filename: str, content: bytes, caption: str
    ) -> int: ...

    async def edit_buttons(self, chat_id: int, message_id: int, buttons: Buttons) -> int: ...


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
    payload, chat_id = row.payload, row.chat_id
    if row.kind == OutboxKind.COPY:
        return await sender.copy(chat_id, payload["from_chat_id"], payload["message_id"])
    if row.kind == OutboxKind.EDIT:
        return await sender.edit_buttons(chat_id, payload["message_id"], payload["buttons"])
    if payload.get("document"):
        filename, content, extra = await documents(payload["document"])
        caption = f"{payload['text']}\n\n{extra}".strip()
        return await sender.send_document(chat_id, filename, content, caption)
    if payload.get("qr"):
        return await sender.send_qr(chat_id, payload["qr"], payload["text"])
    parts = split_text(payload["text"])
    message_id = 0
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        message_id = await sender.send_text(chat_id, part, payload.get("buttons") if last else None)
    return message_id


@dataclass(frozen=True)
class Failure:
    """What the dispatcher must do after a failed send besides what is recorded."""

    pause_s: float = 0.0  # 429: nothing goes to Telegram for this long
    unreachable: bool = False  # 403: the person can no longer be reached


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
    return Failure(unreachable=isinstance(err, Unreachable))
