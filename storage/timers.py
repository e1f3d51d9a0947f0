"""Internal timers: scheduled flows, question timeouts, the end of a pause."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.db import Conn
from storage.times import from_db, to_db


class TimerKind(StrEnum):
    FLOW = "flow"  # start a flow (reminder, check-in, follow-up …)
    TIMEOUT = "timeout"  # a question's answer window ended
    RESUME = "resume"  # the end of a pause


class TimerStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # due while the person was not active


@dataclass(frozen=True)
class Timer:
    id: int
    person_id: int
    kind: TimerKind
    payload: dict[str, Any]
    ref: str | None
    due_at: datetime
    expires_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Timer:
        return cls(
            row["id"],
            row["person_id"],
            TimerKind(row["kind"]),
            json.loads(row["payload"]),
            row["ref"],
            from_db(row["due_at"]),
            from_db(row["expires_at"]) if row["expires_at"] else None,
        )


async def add(
    conn: Conn,
    now: datetime,
    person_id: int,
    kind: str,
    payload: dict[str, Any],
    due: datetime,
    *,
    expires: datetime | None = None,
    ref: str | None = None,
) -> bool:
    """Add a timer; False when a pending one with the same ref already exists."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO timers (person_id, kind, payload, ref, due_at, expires_at,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            person_id,
            TimerKind(kind).value,
            json.dumps(payload),
            ref,
            to_db(due),
            to_db(expires) if expires else None,
            to_db(now),
        ),
    )
    return cur.rowcount == 1


async def cancel(
    conn: Conn,
    person_id: int,
    ref_prefix: str | None = None,
    kind: str | None = None,
) -> None:
    """Cancel the person's pending timers (those whose ref starts with `ref_prefix`, of `kind`)."""
    sql = "UPDATE timers SET status = 'cancelled' WHERE person_id = ? AND status = 'pending'"
    params: list[Any] = [person_id]
    if ref_prefix is not None:
        sql += " AND ref LIKE ? ESCAPE '\\'"
        params.append(ref_prefix.replace("%", "\\%").replace("_", "\\_") + "%")
    if kind is not None:
        sql += " AND kind = ?"
        params.append(TimerKind(kind).value)
    await conn.execute(sql, params)


async def cancel_ref(conn: Conn, person_id: int, ref: str) -> None:
    """Cancel the pending timer with exactly this ref."""
    await conn.execute(
        "UPDATE timers SET status = 'cancelled' WHERE person_id = ? AND ref = ?"
        " AND status = 'pending'",
        (person_id, ref),
    )


async def pending_refs(conn: Conn, person_id: int, ref_prefix: str) -> list[str]:
    rows = await conn.execute_fetchall(
        "SELECT ref FROM timers WHERE person_id = ? AND status = 'pending' AND ref LIKE ?"
        " ESCAPE '\\'",
        (person_id, ref_prefix.replace("%", "\\%").replace("_", "\\_") + "%"),
    )
    return [r["ref"] for r in rows]


async def due(conn: Conn, now: datetime, limit: int) -> list[Timer]:
    """Pending timers due now, oldest first."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM timers WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?",
        (to_db(now), limit),
    )
    return [Timer.from_row(r) for r in rows]


async def claim(conn: Conn, timer_id: int) -> bool:
    """Mark a pending timer done; False when it was not pending any more."""
    cur = await conn.execute(
        "UPDATE timers SET status = 'done' WHERE id = ? AND status = 'pending'", (timer_id,)
    )
    return cur.rowcount == 1


async def set_status(conn: Conn, timer_id: int, status: TimerStatus) -> None:
    await conn.execute("UPDATE timers SET status = ? WHERE id = ?", (status.value, timer_id))
