"""Read-only views for the sandbox page: who is on each phone, invite links, what is due next.

Nothing here writes. The async functions take the `Database` and read through its one-trip
helpers; `people_in_file` is synchronous and opens a file read-only, so it can look at a
database before (or without) the bot opening it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from storage.db import Database
from storage.people import Role, Status
from storage.timers import TimerKind
from storage.times import from_db, to_db


@dataclass(frozen=True)
class PhoneOwner:
    """The person behind a Telegram account."""

    telegram_id: int
    role: Role
    name: str
    language: str | None
    status: Status


@dataclass(frozen=True)
class InviteView:
    """An invite link's state and whom it is for."""

    used_at: datetime | None
    expires_at: datetime
    name: str
    language: str | None
    role: Role


@dataclass(frozen=True)
class DueTimer:
    """A pending timer and the name of its person."""

    due_at: datetime
    kind: TimerKind
    payload: dict[str, Any]  # {} when the stored payload is not a JSON object
    name: str | None


@dataclass(frozen=True)
class DueMessage:
    """A pending outbox row and the name of its person (None for a chat without one)."""

    due_at: datetime
    name: str | None


async def phone_owners(db: Database) -> dict[int, PhoneOwner]:
    """Everyone with a Telegram account, by Telegram id."""
    rows = await db.fetchall(
        "SELECT telegram_id, role, name, language, status FROM people WHERE telegram_id IS NOT NULL"
    )
    return {
        int(row["telegram_id"]): PhoneOwner(
            int(row["telegram_id"]),
            Role(row["role"]),
            row["name"],
            row["language"],
            Status(row["status"]),
        )
        for row in rows
    }


async def invite(db: Database, token_hash: str) -> InviteView | None:
    """The invite with this token hash, or None when there is none."""
    row = await db.fetchone(
        "SELECT i.used_at, i.expires_at, p.name, p.language, p.role FROM invites i"
        " JOIN people p ON p.id = i.person_id WHERE i.token_hash = ?",
        (token_hash,),
    )
    if row is None:
        return None
    return InviteView(
        from_db(row["used_at"]) if row["used_at"] else None,
        from_db(row["expires_at"]),
        row["name"],
        row["language"],
        Role(row["role"]),
    )


async def next_timer(
    db: Database, after: datetime, kinds: Collection[TimerKind]
) -> DueTimer | None:
    """The earliest pending timer of one of `kinds` due after `after`."""
    if not kinds:
        return None
    places = ", ".join("?" for _ in kinds)
    row = await db.fetchone(
        "SELECT t.due_at, t.kind, t.payload, p.name FROM timers t"
        " LEFT JOIN people p ON p.id = t.person_id"
        " WHERE t.status = 'pending' AND t.kind IN (" + places + ") AND t.due_at > ?"
        " ORDER BY t.due_at, t.id LIMIT 1",
        (*(TimerKind(kind).value for kind in kinds), to_db(after)),
    )
    if row is None:
        return None
    payload: Any = None
    with contextlib.suppress(ValueError, TypeError):
        payload = json.loads(row["payload"])
    return DueTimer(
        from_db(row["due_at"]),
        TimerKind(row["kind"]),
        payload if isinstance(payload, dict) else {},
        row["name"],
    )


async def next_message(db: Database, after: datetime) -> DueMessage | None:
    """The earliest pending outbox row due after `after`."""
    row = await db.fetchone(
        "SELECT o.due_at, p.name FROM outbox o LEFT JOIN people p ON p.id = o.person_id"
        " WHERE o.status = 'pending' AND o.due_at > ? ORDER BY o.due_at, o.id LIMIT 1",
        (to_db(after),),
    )
    if row is None:
        return None
    return DueMessage(from_db(row["due_at"]), row["name"])


async def overdue(db: Database, now: datetime) -> int:
    """Outbox rows pending or sending and pending timers, due at or before `now`."""
    moment = to_db(now)
    row = await db.fetchone(
        "SELECT (SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')"
        " AND due_at <= ?) + (SELECT COUNT(*) FROM timers WHERE status = 'pending'"
        " AND due_at <= ?) AS n",
        (moment, moment),
    )
    return int(row["n"]) if row is not None else 0


def people_in_file(path: Path) -> int:
    """How many people the SQLite file at `path` holds, opened read-only.

    0 when there is no file, it is empty, or it is not a Coachbot database (yet): opening it
    for real will say what is wrong with it.
    """
    if not path.exists() or path.stat().st_size == 0:
        return 0
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        ) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM people").fetchone()[0])
    except sqlite3.Error:
        return 0
