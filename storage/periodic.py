"""The `periodic` table: the last local day each daily job ran."""

from __future__ import annotations

from datetime import date

from storage.db import Conn, fetchall


async def last_day(conn: Conn, job: str) -> date | None:
    """The last local day `job` ran, or None if it never did."""
    rows = await fetchall(conn, "SELECT last_day FROM periodic WHERE job = ?", (job,))
    return date.fromisoformat(rows[0]["last_day"]) if rows else None


async def mark_ran(conn: Conn, job: str, day: date) -> None:
    """Remember that `job` ran on `day`."""
    await conn.execute(
        "INSERT INTO periodic (job, last_day) VALUES (?, ?)"
        " ON CONFLICT(job) DO UPDATE SET last_day = excluded.last_day",
        (job, day.isoformat()),
    )
