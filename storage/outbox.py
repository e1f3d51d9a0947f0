"""Outgoing messages as rows: written inside the caller's transaction, sent after commit.

The payload (text) is cleared once a row is sent, failed, expired or cancelled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from storage.db import Conn, fetchall
from storage.times import from_db, to_db


class OutboxKind(StrEnum):
    MESSAGE = "message"  # a text, photo or document of our own
    COPY = "copy"  # a person's own message passed on without storing it
    EDIT = "edit"  # new buttons on a message already sent


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # committed before the network call: a crash sends it again
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Press:
    """What pressing a button answers: option `option` of question `seq` of run `run_id`.
    Plain data: the channel encodes it for its messenger (Telegram: callback data)."""

    run_id: int
    seq: int
    option: int


@dataclass(frozen=True)
class Button:
    label: str
    press: Press | None = None  # None: shows a choice already made, does nothing


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Text:
    """A text of our own, with buttons; or the caption of a QR picture or a document."""

    text: str
    buttons: Keyboard = ()
    qr: str | None = None  # a link shown as a QR code picture
    document: dict[str, Any] | None = None  # made at send time (bot.host.documents)


@dataclass(frozen=True)
class Copy:
    """A person's own message passed on without storing it."""

    from_chat_id: int
    message_id: int


@dataclass(frozen=True)
class EditButtons:
    """New buttons on a message already sent (the chosen answer, or none)."""

    message_id: int
    buttons: Keyboard = ()


Payload = Text | Copy | EditButtons


def _keyboard_json(rows: Keyboard) -> list[list[dict[str, Any]]]:
    return [
        [
            {"label": b.label, "press": [b.press.run_id, b.press.seq, b.press.option]}
            if b.press
            else {"label": b.label}
            for b in row
        ]
        for row in rows
    ]


def _keyboard(rows: Any) -> Keyboard:
    found = []
    for row in rows or []:
        buttons = []
        for item in row:
            if isinstance(item, dict):
                press = item.get("press")
                buttons.append(Button(item["label"], Press(*press) if press else None))
            else:  # a row written before buttons were plain data: [label, "a:run:seq:i"]
                label, data = item
                parts = str(data).split(":")
                legacy = Press(*map(int, parts[1:])) if len(parts) == 4 else None
                buttons.append(Button(label, legacy))
        found.append(tuple(buttons))
    return tuple(found)


def encode(payload: Payload) -> tuple[OutboxKind, str]:
    """The row's kind and JSON text for a payload."""
    match payload:
        case Copy():
            data: dict[str, Any] = {
                "from_chat_id": payload.from_chat_id,
                "message_id": payload.message_id,
            }
            return OutboxKind.COPY, json.dumps(data)
        case EditButtons():
            data = {"message_id": payload.message_id, "buttons": _keyboard_json(payload.buttons)}
            return OutboxKind.EDIT, json.dumps(data, ensure_ascii=False)
        case Text():
            data = {"text": payload.text}
            if payload.buttons:
                data["buttons"] = _keyboard_json(payload.buttons)
            if payload.qr:
                data["qr"] = payload.qr
            if payload.document:
                data["document"] = payload.document
            return OutboxKind.MESSAGE, json.dumps(data, ensure_ascii=False)


def decode(kind: OutboxKind, text: str) -> Payload | None:
    """The payload of a row; None once it was cleared (sent, failed, cancelled)."""
    data = json.loads(text or "{}")
    if not data:
        return None
    if kind == OutboxKind.COPY:
        return Copy(int(data["from_chat_id"]), int(data["message_id"]))
    if kind == OutboxKind.EDIT:
        return EditButtons(int(data["message_id"]), _keyboard(data.get("buttons")))
    return Text(data["text"], _keyboard(data.get("buttons")), data.get("qr"), data.get("document"))


@dataclass(frozen=True)
class OutboxRow:
    id: int
    person_id: int | None
    chat_id: int
    kind: OutboxKind
    payload_text: str  # decoded only for the row that is sent (a look reads 20 rows)
    unsolicited: bool
    run_id: int | None
    seq: int | None
    due_at: datetime
    expires_at: datetime | None
    attempts: int
    about_id: int | None = None  # the participant a message to a coach is about

    @cached_property
    def payload(self) -> Payload | None:
        """What to send; None once the row's text was cleared."""
        return decode(self.kind, self.payload_text)

    @classmethod
    def from_row(cls, row: Any) -> OutboxRow:
        return cls(
            row["id"],
            row["person_id"],
            row["chat_id"],
            OutboxKind(row["kind"]),
            row["payload"] or "{}",
            bool(row["unsolicited"]),
            row["run_id"],
            row["seq"],
            from_db(row["due_at"]),
            from_db(row["expires_at"]) if row["expires_at"] else None,
            row["attempts"],
            row["about_id"],
        )


async def add(
    conn: Conn,
    now: datetime,
    *,
    person_id: int | None,
    chat_id: int,
    payload: Payload,
    unsolicited: bool = False,
    due: datetime | None = None,
    expires: datetime | None = None,
    run_id: int | None = None,
    seq: int | None = None,
    about: int | None = None,
    tag: str | None = None,
) -> int:
    """Queue a payload for `chat_id`; the row's id."""
    kind, text = encode(payload)
    cur = await conn.execute(
        "INSERT INTO outbox (person_id, chat_id, kind, payload, unsolicited, run_id, seq,"
        " due_at, expires_at, created_at, about_id, tag)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            person_id,
            chat_id,
            kind.value,
            text,
            int(unsolicited),
            run_id,
            seq,
            to_db(due or now),
            to_db(expires) if expires else None,
            to_db(now),
            about,
            tag,
        ),
    )
    return int(cur.lastrowid or 0)


async def due(conn: Conn, now: datetime, limit: int) -> list[OutboxRow]:
    """Pending rows due now: replies (asked for) before unsolicited ones, oldest first."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM outbox WHERE status = 'pending' AND due_at <= ?"
        " ORDER BY unsolicited, due_at, id LIMIT ?",
        (to_db(now), limit),
    )
    return [OutboxRow.from_row(r) for r in rows]


async def recover_sending(conn: Conn) -> int:
    """Rows left `sending` by a crash go out again; returns how many."""
    cur = await conn.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
    return cur.rowcount


async def mark_sending(conn: Conn, row_id: int) -> bool:
    """False when the row is no longer pending (cancelled meanwhile, e.g. by /stop)."""
    cur = await conn.execute(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1"
        " WHERE id = ? AND status = 'pending'",
        (row_id,),
    )
    return cur.rowcount == 1


async def record_sent(
    conn: Conn, now: datetime, row_id: int, message_id: int | None, error: str | None = None
) -> None:
    await conn.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, telegram_message_id = ?,"
        " payload = '{}', last_error = ? WHERE id = ?",
        (to_db(now), message_id, error, row_id),
    )


async def close(conn: Conn, row_id: int, status: OutboxStatus, error: str | None = None) -> None:
    """End a row without sending it (or after a final failure); its text goes."""
    await conn.execute(
        "UPDATE outbox SET status = ?, payload = '{}', last_error = COALESCE(?, last_error)"
        " WHERE id = ?",
        (status.value, error, row_id),
    )


async def postpone(conn: Conn, row_id: int, due: datetime, error: str | None = None) -> None:
    """Back to pending, due again at `due` (a retry, or the next delivery window)."""
    await conn.execute(
        "UPDATE outbox SET status = 'pending', due_at = ?, last_error = COALESCE(?, last_error)"
        " WHERE id = ?",
        (to_db(due), error, row_id),
    )


# A held row waits for its recipient to be reachable again (a coach who blocked the bot
# keeps the participants' messages); `release_held` makes them due.
HELD_UNTIL = "9999-12-31T00:00:00.000000Z"


async def hold(conn: Conn, row_id: int) -> None:
    """Keep a row back until `release_held` for its person."""
    await conn.execute(
        "UPDATE outbox SET status = 'pending', due_at = ? WHERE id = ?", (HELD_UNTIL, row_id)
    )


async def release_held(conn: Conn, now: datetime, person_id: int) -> int:
    """Make the person's held rows due now; how many."""
    cur = await conn.execute(
        "UPDATE outbox SET due_at = ? WHERE person_id = ? AND status = 'pending' AND due_at = ?",
        (to_db(now), person_id, HELD_UNTIL),
    )
    return cur.rowcount


async def cancel_unsolicited(conn: Conn, person_id: int) -> None:
    """Drop everything not yet sent that the person did not ask for."""
    await conn.execute(
        "UPDATE outbox SET status = 'cancelled', payload = '{}' WHERE person_id = ? AND "
        "status = 'pending' AND unsolicited = 1",
        (person_id,),
    )


async def first_sent_at(conn: Conn, run_id: int) -> datetime | None:
    """When the first message of a run went out (for reply latency)."""
    rows = await fetchall(
        conn,
        "SELECT sent_at FROM outbox WHERE run_id = ? AND sent_at IS NOT NULL ORDER BY id LIMIT 1",
        (run_id,),
    )
    return from_db(rows[0]["sent_at"]) if rows else None


async def about_of_reply(conn: Conn, chat_id: int, message_id: int) -> int | None:
    """Which participant the sent message `message_id` in `chat_id` was about."""
    rows = await fetchall(
        conn,
        "SELECT about_id FROM outbox WHERE chat_id = ? AND telegram_message_id = ?"
        " AND about_id IS NOT NULL ORDER BY id DESC LIMIT 1",
        (chat_id, message_id),
    )
    return rows[0]["about_id"] if rows else None


async def unanswered_since(conn: Conn, person_id: int, since: datetime) -> int:
    """Unasked messages sent to the person after `since` (the silent scan's count)."""
    rows = await fetchall(
        conn,
        "SELECT COUNT(*) AS n FROM outbox WHERE person_id = ? AND unsolicited = 1"
        " AND status = 'sent' AND kind = 'message' AND sent_at > ?",
        (person_id, to_db(since)),
    )
    return int(rows[0]["n"])
