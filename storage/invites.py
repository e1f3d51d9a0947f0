"""Invite links: only a hash of each token is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Conn, fetchall
from storage.times import from_db, to_db


@dataclass(frozen=True)
class Invite:
    id: int
    person_id: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Invite:
        return cls(
            row["id"],
            row["person_id"],
            from_db(row["created_at"]),
            from_db(row["expires_at"]),
            from_db(row["used_at"]) if row["used_at"] else None,
        )


async def issue(
    conn: Conn, now: datetime, person_id: int, token_hash: str, expires: datetime
) -> None:
    """A new invite for the person; their older unused invites expire now."""
    await conn.execute(
        "UPDATE invites SET expires_at = ? WHERE person_id = ? AND used_at IS NULL",
        (to_db(now), person_id),
    )
    await conn.execute(
        "INSERT INTO invites (token_hash, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (token_hash, person_id, to_db(now), to_db(expires)),
    )


async def by_hash(conn: Conn, token_hash: str) -> Invite | None:
    """The invite whose token has this hash, or None."""
    rows = await fetchall(conn, "SELECT * FROM invites WHERE token_hash = ?", (token_hash,))
    return Invite.from_row(rows[0]) if rows else None


async def mark_used(conn: Conn, now: datetime, invite_id: int) -> bool:
    """Use an invite up; False when it was already used."""
    cur = await conn.execute(
        "UPDATE invites SET used_at = ? WHERE id = ? AND used_at IS NULL", (to_db(now), invite_id)
    )
    return cur.rowcount == 1
