"""Parked updates: incoming updates that could not be handled, kept as a dead letter.

A row holds the update id, when it was parked, the class of the error and how often the
update was tried; never its content or who sent it. It is written in a transaction of its
own, after the update's transaction failed, and the update is confirmed only after that.
"""

from __future__ import annotations

from datetime import datetime

from storage.db import Conn, Database
from storage.times import to_db


def ref(update_id: int) -> str:
    """How an event refers to a parked update."""
    return f"update:{update_id}"


async def park(conn: Conn, now: datetime, update_id: int, error: str, attempts: int) -> bool:
    """Record an update that could not be handled; False when it was parked before."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO parked_updates (update_id, parked_at, error, attempts)"
        " VALUES (?, ?, ?, ?)",
        (update_id, to_db(now), error, attempts),
    )
    return cur.rowcount == 1


async def count(db: Database, since: datetime | None = None) -> int:
    """How many updates were parked (at or after `since`)."""
    found = await db.scalar(
        "SELECT COUNT(*) FROM parked_updates WHERE parked_at >= ?",
        (to_db(since) if since is not None else "",),
    )
    return int(found or 0)
