"""Internal timers: scheduled flows, question timeouts, the end of a pause.

Free text in a timer (a coach's nudge, `vars.text`) stays only while the timer is pending:
claiming, cancelling or closing it removes the text, as the outbox clears a sent payload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.db import Conn, fetchall
from storage.times import from_db, to_db


class TimerKind(StrEnum):
    FLOW = "flow"  # start a flow (reminder, check-in, follow-up …)
    TIMEOUT = "timeout"  # a question's answer window ended
    RESUME = "resume"  # the end of a pause


NUDGE = "nudge:"  # the ref prefix of a coach's nudge planned for later
# What a timer that is no longer pending keeps of its payload: no free text.
_DROP_TEXT = "payload = json_remove(payload, '$.vars.text')"


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
    sql = (
        f"UPDATE timers SET status = 'cancelled', {_DROP_TEXT}"
        " WHERE person_id = ? AND status = 'pending'"
    )
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
        f"UPDATE timers SET status = 'cancelled', {_DROP_TEXT} WHERE person_id = ?"
        " AND ref = ? AND status = 'pending'",
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
        f"UPDATE timers SET status = 'done', {_DROP_TEXT} WHERE id = ? AND status = 'pending'",
        (timer_id,),
    )
    return cur.rowcount == 1


async def set_status(conn: Conn, timer_id: int, status: TimerStatus) -> None:
    await conn.execute(
        f"UPDATE timers SET status = ?, {_DROP_TEXT} WHERE id = ?", (status.value, timer_id)
    )


@dataclass(frozen=True)
class PendingNudge:
    """A coach's nudge planned for later, as the coach picks it from a list."""

    id: int  # the timer's id
    due_at: datetime
    participant: str  # the participant's name


async def pending_nudges(conn: Conn, coach_id: int, limit: int = 20) -> list[PendingNudge]:
    """Nudges planned for a coach's participants that have not gone out, soonest first."""
    rows = await conn.execute_fetchall(
        "SELECT t.id, t.due_at, p.name FROM timers t JOIN people p ON p.id = t.person_id"
        " WHERE t.ref LIKE 'nudge:%' AND t.status = 'pending' AND p.coach_id = ?"
        " ORDER BY t.due_at, t.id LIMIT ?",
        (coach_id, limit),
    )
    return [PendingNudge(r["id"], from_db(r["due_at"]), r["name"]) for r in rows]


async def cancel_nudge(conn: Conn, coach_id: int, nudge_id: Any) -> str | None:
    """Cancel a planned nudge for one of the coach's participants; the participant's name,
    or None when it went out or was cancelled already."""
    rows = await fetchall(
        conn,
        "SELECT t.id, t.person_id, t.ref, p.name FROM timers t JOIN people p"
        " ON p.id = t.person_id WHERE t.id = ? AND t.ref LIKE 'nudge:%'"
        " AND t.status = 'pending' AND p.coach_id = ?",
        (nudge_id, coach_id),
    )
    if not rows:
        return None
    await cancel_ref(conn, rows[0]["person_id"], rows[0]["ref"])
    return str(rows[0]["name"])
