"""The engagement log: append-only, never message texts."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.times import to_db


async def log_event(
    conn: aiosqlite.Connection,
    at: datetime,
    type: str,
    person_id: int | None = None,
    coach_id: int | None = None,
    *,
    flow_id: str | None = None,
    step: str | None = None,
    value: str | None = None,
    ref: str | None = None,
    latency_s: float | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO events (at, type, person_id, coach_id, flow_id, step, value, ref, latency_s)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (to_db(at), type, person_id, coach_id, flow_id, step, value, ref, latency_s),
    )
