"""People (participants, coaches, coordinators) as read from the database."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiosqlite


class Role(StrEnum):
    PARTICIPANT = "participant"
    COACH = "coach"
    COORDINATOR = "coordinator"


class Status(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"
    DECLINED = "declined"
    UNREACHABLE = "unreachable"
    DEACTIVATED = "deactivated"


# Statuses in which nothing unasked may be sent.
SILENCED = frozenset(
    {Status.PAUSED, Status.STOPPED, Status.DECLINED, Status.UNREACHABLE, Status.DEACTIVATED}
)


@dataclass(frozen=True)
class Person:
    id: int
    role: Role
    name: str
    language: str | None
    telegram_id: int | None
    coach_id: int | None
    status: Status
    checkin_day: str | None
    checkin_time: str | None
    last_mood: str | None
    paused_until: str | None
    trajectory_end: str | None = None
    trajectory_start: str | None = None
    last_contact_at: str | None = None
    silent_since: str | None = None
    away_until: str | None = None
    backup_id: int | None = None

    @classmethod
    def from_row(cls, row: Any) -> Person:
        return cls(
            row["id"],
            Role(row["role"]),
            row["name"],
            row["language"],
            row["telegram_id"],
            row["coach_id"],
            Status(row["status"]),
            row["checkin_day"],
            row["checkin_time"],
            row["last_mood"],
            row["paused_until"],
            row["trajectory_end"],
            row["trajectory_start"],
            row["last_contact_at"],
            row["silent_since"],
            row["away_until"],
            row["backup_id"],
        )


async def by_id(conn: aiosqlite.Connection, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    rows = await conn.execute_fetchall("SELECT * FROM people WHERE id = ?", (person_id,))
    return Person.from_row(rows[0]) if rows else None


async def by_telegram(conn: aiosqlite.Connection, telegram_id: int) -> Person | None:
    rows = await conn.execute_fetchall(
        "SELECT * FROM people WHERE telegram_id = ?", (telegram_id,)
    )
    return Person.from_row(rows[0]) if rows else None


async def update(conn: aiosqlite.Connection, person_id: int, **fields: Any) -> None:
    names = ", ".join(f"{k} = ?" for k in fields)
    await conn.execute(f"UPDATE people SET {names} WHERE id = ?", (*fields.values(), person_id))


async def caseload(conn: aiosqlite.Connection, coach_id: int) -> list[Person]:
    rows = await conn.execute_fetchall(
        "SELECT * FROM people WHERE coach_id = ? AND role = 'participant' "
        "AND status NOT IN ('declined', 'stopped') ORDER BY name COLLATE NOCASE",
        (coach_id,),
    )
    return [Person.from_row(r) for r in rows]
