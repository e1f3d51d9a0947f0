"""Internal timers: scheduled flows, question timeouts, the end of a pause."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiosqlite

from bot.clock import to_db


async def add(
    conn: aiosqlite.Connection,
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
            kind,
            json.dumps(payload),
            ref,
            to_db(due),
            to_db(expires) if expires else None,
            to_db(now),
        ),
    )
    return cur.rowcount == 1


async def cancel(
    conn: aiosqlite.Connection,
    person_id: int,
    ref_prefix: str | None = None,
    kind: str | None = None,
) -> None:
    sql = "UPDATE timers SET status = 'cancelled' WHERE person_id = ? AND status = 'pending'"
    params: list[Any] = [person_id]
    if ref_prefix is not None:
        sql += " AND ref LIKE ? ESCAPE '\\'"
        params.append(ref_prefix.replace("%", "\\%").replace("_", "\\_") + "%")
    if kind is not None:
        sql += " AND kind = ?"
        params.append(kind)
    await conn.execute(sql, params)
