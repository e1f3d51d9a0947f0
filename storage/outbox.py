"""Outgoing messages as rows: written inside the caller's transaction, sent after commit.

The payload (text) is cleared once a row is sent, failed, expired or cancelled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.db import Conn
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


NUDGE = "nudge"  # the tag of a coach's scheduled nudge


@dataclass(frozen=True)
class OutboxRow:
    id: int
    person_id: int | None
    chat_id: int
    kind: OutboxKind
    payload: dict[str, Any]
    unsolicited: bool
    run_id: int | None
    seq: int | None
    due_at: datetime
    expires_at: datetime | None
    attempts: int

    @classmethod
    def from_row(cls, row: Any) -> OutboxRow:
        return cls(
            row["id"],
            row["person_id"],
            row["chat_id"],
            OutboxKind(row["kind"]),
            json.loads(row["payload"] or "{}"),
            bool(row["unsolicited"]),
            row["run_id"],
            row["seq"],
            from_db(row["due_at"]),
            from_db(row["expires_at"]) if row["expires_at"] else None,
            row["attempts"],
        )


@dataclass(frozen=True)
class PendingNudge:
    id: int
    due_at: datetime
    participant: str  # the participant's name


async def add(
    conn: Conn,
    now: datetime,
    *,
    person_id: int | None,
    chat_id: int,
    kind: OutboxKind,
    payload: dict[str, Any],
    unsolicited: bool = False,
    due: datetime | None = None,
    expires: datetime | None = None,
    run_id: int | None = None,
    seq: int | None = None,
    about: int | None = None,
    tag: str | None = None,
) -> int:
    cur = await conn.execute(
        "INSERT INTO outbox (person_id, chat_id, kind, payload, unsolicited, run_id, seq,"
        " due_at, expires_at, created_at, about_id, tag)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            person_id,
            chat_id,
            kind.value,
            json.dumps(payload, ensure_ascii=False),
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


async def close(
    conn: Conn, row_id: int, status: OutboxStatus, error: str | None = None
) -> None:
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


async def cancel_unsolicited(conn: Conn, person_id: int) -> None:
    """Drop everything not yet sent that the person did not ask for."""
    await conn.execute(
        "UPDATE outbox SET status = 'cancelled', payload = '{}' WHERE person_id = ? AND "
        "status = 'pending' AND unsolicited = 1",
        (person_id,),
    )


async def first_sent_at(conn: Conn, run_id: int) -> datetime | None:
    """When the first message of a run went out (for reply latency)."""
    rows = await conn.execute_fetchall(
        "SELECT sent_at FROM outbox WHERE run_id = ? AND sent_at IS NOT NULL ORDER BY id LIMIT 1",
        (run_id,),
    )
    return from_db(rows[0]["sent_at"]) if rows else None


async def about_of_reply(conn: Conn, chat_id: int, message_id: int) -> int | None:
    """Which participant the sent message `message_id` in `chat_id` was about."""
    rows = await conn.execute_fetchall(
        "SELECT about_id FROM outbox WHERE chat_id = ? AND telegram_message_id = ?"
        " AND about_id IS NOT NULL ORDER BY id DESC LIMIT 1",
        (chat_id, message_id),
    )
    return rows[0]["about_id"] if rows else None


async def unanswered_since(conn: Conn, person_id: int, since: datetime) -> int:
    """Unasked messages sent to the person after `since` (the silent scan's count)."""
    rows = await conn.execute_fetchall(
        "SELECT COUNT(*) AS n FROM outbox WHERE person_id = ? AND unsolicited = 1"
        " AND status = 'sent' AND kind = 'message' AND sent_at > ?",
        (person_id, to_db(since)),
    )
    return int(rows[0]["n"])


async def pending_nudges(conn: Conn, coach_id: int, limit: int = 20) -> list[PendingNudge]:
    """A coach's scheduled nudges not yet sent, soonest first."""
    rows = await conn.execute_fetchall(
        "SELECT o.id, o.due_at, p.name FROM outbox o JOIN people p ON p.id = o.person_id"
        " WHERE o.tag = 'nudge' AND o.status = 'pending' AND p.coach_id = ?"
        " ORDER BY o.due_at LIMIT ?",
        (coach_id, limit),
    )
    return [PendingNudge(r["id"], from_db(r["due_at"]), r["name"]) for r in rows]


async def cancel_nudge(conn: Conn, coach_id: int, nudge_id: Any) -> str | None:
    """Cancel a coach's own pending nudge; the participant's name, or None when gone."""
    rows = await conn.execute_fetchall(
        "SELECT o.id, p.name FROM outbox o JOIN people p ON p.id = o.person_id"
        " WHERE o.id = ? AND o.tag = 'nudge' AND o.status = 'pending' AND p.coach_id = ?",
        (nudge_id, coach_id),
    )
    if not rows:
        return None
    await close(conn, rows[0]["id"], OutboxStatus.CANCELLED)
    return str(rows[0]["name"])
