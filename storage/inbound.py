"""Each Telegram update is handled once: its `update_id` is recorded in its transaction."""

from __future__ import annotations

from datetime import datetime

from storage.db import Conn
from storage.times import to_db


async def first_time(conn: Conn, now: datetime, update_id: int) -> bool:
    """Record the update; False when it was handled before (Telegram delivered it twice)."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO inbound (update_id, received_at) VALUES (?, ?)",
        (update_id, to_db(now)),
    )
    return cur.rowcount == 1
