"""What a participant chose not to get: kinds of unasked messages, stopped one by one.

A kind stays stopped through a pause, a /stop and its undoing by the timer or /pause; only
`restart_all` (the participant's /start) brings the kinds back. The planner and the timers
read `stopped` before anything of that kind is planned or started.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from storage.db import Conn, fetchall
from storage.times import to_db


class Kind(StrEnum):
    """A kind of unasked message a participant can stop by itself."""

    CHECKIN = "checkin"  # "how are you?": the weekly check-in and the follow-ups after the end
    REMINDER = "reminder"  # reminders before an appointment
    NUDGE = "nudge"  # the coach's short messages (/nudge)


async def stop(conn: Conn, now: datetime, person_id: int, kind: Kind) -> bool:
    """Stop one kind for a person; False when it was stopped already."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO stopped_kinds (person_id, kind, stopped_at) VALUES (?, ?, ?)",
        (person_id, kind.value, to_db(now)),
    )
    return cur.rowcount == 1


async def stopped(conn: Conn, person_id: int) -> frozenset[Kind]:
    """The kinds this person stopped."""
    rows = await fetchall(conn, "SELECT kind FROM stopped_kinds WHERE person_id = ?", (person_id,))
    return frozenset(Kind(r["kind"]) for r in rows)


async def restart_all(conn: Conn, person_id: int) -> list[Kind]:
    """Bring back every stopped kind; the kinds that were stopped, in a fixed order."""
    was = await stopped(conn, person_id)
    await conn.execute("DELETE FROM stopped_kinds WHERE person_id = ?", (person_id,))
    return [kind for kind in Kind if kind in was]
