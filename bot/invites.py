"""Single-use, expiring invite links. Only a hash of the token is stored."""

from __future__ import annotations

import hashlib
from datetime import datetime

import aiosqlite

from bot.deps import Deps
from storage.people import Person, Role
from storage.people import by_id as person_by_id
from storage.times import from_db, to_db


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def deep_link(username: str, token: str) -> str:
    return f"https://t.me/{username}?start={token}"


async def create_person(
    conn: aiosqlite.Connection,
    now: datetime,
    role: Role,
    name: str,
    *,
    coach_id: int | None = None,
    language: str | None = None,
) -> int:
    cur = await conn.execute(
        "INSERT INTO people (role, name, language, coach_id, status, created_at)"
        " VALUES (?, ?, ?, ?, 'invited', ?)",
        (role.value, name, language, coach_id, to_db(now)),
    )
    return int(cur.lastrowid or 0)


async def new_invite(
    conn: aiosqlite.Connection, deps: Deps, person_id: int
) -> tuple[str, datetime]:
    """A fresh token for a person (older unused ones stop working)."""
    now = deps.clock.now()
    token = deps.new_token()
    expires = now + deps.settings.invite_ttl
    await conn.execute(
        "UPDATE invites SET expires_at = ? WHERE person_id = ? AND used_at IS NULL",
        (to_db(now), person_id),
    )
    await conn.execute(
        "INSERT INTO invites (token_hash, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (token_hash(token), person_id, to_db(now), to_db(expires)),
    )
    return token, expires


async def redeem(
    conn: aiosqlite.Connection, deps: Deps, token: str, telegram_id: int
) -> Person | None:
    """The invited person if the token is valid, unused and unexpired and `telegram_id`
    may take it (nobody registered yet, or the same person again); marks it used.
    A refused token stays valid for the person it was made for.

    Looking up by hash keeps the comparison off the secret itself; invalid, used and
    expired tokens all give None, so callers answer them the same way.
    """
    now = deps.clock.now()
    rows = await conn.execute_fetchall(
        "SELECT id, person_id, expires_at, used_at FROM invites WHERE token_hash = ?",
        (token_hash(token),),
    )
    if not rows:
        return None
    row = rows[0]
    if row["used_at"] is not None or from_db(row["expires_at"]) <= now:
        return None
    invited = await person_by_id(conn, row["person_id"])
    holder = await conn.execute_fetchall(
        "SELECT id FROM people WHERE telegram_id = ?", (telegram_id,)
    )
    if invited is None or invited.telegram_id is not None or holder:
        return None
    cur = await conn.execute(
        "UPDATE invites SET used_at = ? WHERE id = ? AND used_at IS NULL", (to_db(now), row["id"])
    )
    if cur.rowcount != 1:
        return None
    return invited
