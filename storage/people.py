"""People (participants, coaches, coordinators) as read from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.db import Conn, fetchall
from storage.times import from_db, to_db


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
class Address:
    """Where a person is reached: a messenger (channel) and their id there. Telegram is the
    one channel today; its ids are stored in the column `telegram_id`."""

    channel: str
    id: int


TELEGRAM = "telegram"


def _address(telegram_id: int | None) -> Address | None:
    return None if telegram_id is None else Address(TELEGRAM, int(telegram_id))


def _telegram_id(address: Address) -> int:
    if address.channel != TELEGRAM:
        raise ValueError(f"no storage for addresses on channel {address.channel!r}")
    return address.id


@dataclass(frozen=True)
class Person:
    id: int
    role: Role
    name: str
    language: str | None
    address: Address | None
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
    consent_at: str | None = None
    created_at: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> Person:
        return cls(
            row["id"],
            Role(row["role"]),
            row["name"],
            row["language"],
            _address(row["telegram_id"]),
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
            row["consent_at"],
            row["created_at"],
        )


@dataclass(frozen=True)
class CaseloadLine:
    """A participant on a coach's overview, with their next appointment."""

    person: Person
    next_appointment: datetime | None


async def by_id(conn: Conn, person_id: int | None) -> Person | None:
    """The person with this id, or None."""
    if person_id is None:
        return None
    rows = await fetchall(conn, "SELECT * FROM people WHERE id = ?", (person_id,))
    return Person.from_row(rows[0]) if rows else None


async def by_address(conn: Conn, address: Address) -> Person | None:
    """The person reached at this address, or None."""
    rows = await fetchall(
        conn, "SELECT * FROM people WHERE telegram_id = ?", (_telegram_id(address),)
    )
    return Person.from_row(rows[0]) if rows else None


async def set_address(conn: Conn, person_id: int, address: Address) -> None:
    """Link the person to where they are reached (when they redeem their invite)."""
    await conn.execute(
        "UPDATE people SET telegram_id = ? WHERE id = ?", (_telegram_id(address), person_id)
    )


async def add(
    conn: Conn,
    now: datetime,
    role: Role,
    name: str,
    *,
    coach_id: int | None = None,
    language: str | None = None,
) -> int:
    """A new person, status invited; returns the id."""
    cur = await conn.execute(
        "INSERT INTO people (role, name, language, coach_id, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (role.value, name, language, coach_id, Status.INVITED.value, to_db(now)),
    )
    return int(cur.lastrowid or 0)


async def update(conn: Conn, person_id: int, **fields: Any) -> None:
    """Set the given columns of one person."""
    names = ", ".join(f"{k} = ?" for k in fields)
    await conn.execute(f"UPDATE people SET {names} WHERE id = ?", (*fields.values(), person_id))


async def caseload(conn: Conn, coach_id: int) -> list[Person]:
    """A coach's participants, except those who declined or stopped, by name."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM people WHERE coach_id = ? AND role = 'participant' "
        "AND status NOT IN ('declined', 'stopped') ORDER BY name COLLATE NOCASE",
        (coach_id,),
    )
    return [Person.from_row(r) for r in rows]


# The order of /caseload: first who needs a look (unreachable, or gone quiet while active),
# then everyone else in a trajectory, then those whose trajectory ended or who stopped;
# within each, by name (ignoring case), and by id between equal names.
_CASELOAD_ORDER = (
    " ORDER BY CASE"
    " WHEN p.trajectory_end IS NULL AND (p.status = 'unreachable'"
    " OR (p.status = 'active' AND p.silent_since IS NOT NULL)) THEN 0"
    " WHEN p.trajectory_end IS NULL AND p.status != 'stopped' THEN 1"
    " ELSE 2 END, p.name COLLATE NOCASE, p.id"
)


async def caseload_overview(conn: Conn, coach_id: int, now: datetime) -> list[CaseloadLine]:
    """A coach's participants except those who declined, each with the start of their next
    appointment that is not cancelled. Unreachable and quiet people come first, then the
    others in a trajectory, then the ended and stopped ones; by name within each."""
    rows = await conn.execute_fetchall(
        "SELECT p.*, (SELECT MIN(a.starts_at) FROM appointments a WHERE a.participant_id = p.id"
        " AND a.status != 'cancelled' AND a.starts_at > ?) AS next_at"
        " FROM people p WHERE p.coach_id = ? AND p.role = 'participant'"
        " AND p.status NOT IN ('declined')" + _CASELOAD_ORDER,
        (to_db(now), coach_id),
    )
    return [
        CaseloadLine(Person.from_row(r), from_db(r["next_at"]) if r["next_at"] else None)
        for r in rows
    ]


async def participants_of(conn: Conn, coach_id: int) -> list[Person]:
    """Every participant of a coach, whatever their status, by id."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM people WHERE role = 'participant' AND coach_id = ? ORDER BY id",
        (coach_id,),
    )
    return [Person.from_row(r) for r in rows]


async def first_reachable_coordinator(conn: Conn) -> Person | None:
    """The active coordinator with the lowest id who is linked to Telegram."""
    rows = await fetchall(
        conn,
        "SELECT * FROM people WHERE role = 'coordinator' AND status = 'active'"
        " AND telegram_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    return Person.from_row(rows[0]) if rows else None


async def reachable_coordinators(conn: Conn) -> list[Person]:
    """Every active coordinator who is linked to a messenger, by id."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM people WHERE role = 'coordinator' AND status = 'active'"
        " AND telegram_id IS NOT NULL ORDER BY id"
    )
    return [Person.from_row(r) for r in rows]


async def colleagues(conn: Conn, person_id: int) -> list[Person]:
    """Active coaches and coordinators other than `person_id`, by role, then name."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM people WHERE role IN ('coach', 'coordinator')"
        " AND status = 'active' AND id != ? ORDER BY role, name COLLATE NOCASE",
        (person_id,),
    )
    return [Person.from_row(r) for r in rows]


async def coaches(conn: Conn) -> list[Person]:
    """Coaches who have joined (active or deactivated), by name."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM people WHERE role = 'coach' AND status != 'invited'"
        " ORDER BY name COLLATE NOCASE"
    )
    return [Person.from_row(r) for r in rows]


async def in_trajectory(conn: Conn) -> list[Person]:
    """Active participants whose trajectory has started (and not been ended)."""
    rows = await fetchall(
        conn,
        "SELECT * FROM people WHERE role = 'participant' AND status = 'active'"
        " AND trajectory_start IS NOT NULL AND trajectory_end IS NULL ORDER BY id",
    )
    return [Person.from_row(r) for r in rows]


async def active_without_pending_checkin(conn: Conn) -> list[Person]:
    """Active participants who chose a check-in day, did not stop the check-in, and have
    no check-in timer pending."""
    rows = await conn.execute_fetchall(
        "SELECT p.* FROM people p WHERE p.role = 'participant' AND p.status = 'active'"
        " AND p.checkin_day IS NOT NULL AND p.checkin_day != 'none' AND NOT EXISTS"
        " (SELECT 1 FROM timers t WHERE t.person_id = p.id AND t.status = 'pending'"
        " AND t.ref LIKE 'checkin:%') AND NOT EXISTS"
        " (SELECT 1 FROM stopped_kinds s WHERE s.person_id = p.id AND s.kind = 'checkin')"
    )
    return [Person.from_row(r) for r in rows]


# --- the daily jobs' candidates, a page at a time (ids above `after`, in id order) -----


async def silent_candidates(conn: Conn, *, after: int, limit: int) -> list[Person]:
    """Active participants not yet flagged as silent."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM people WHERE role = 'participant' AND status = 'active'"
        " AND silent_since IS NULL AND id > ? ORDER BY id LIMIT ?",
        (after, limit),
    )
    return [Person.from_row(r) for r in rows]


async def open_trajectories_unnotified(conn: Conn, *, after: int, limit: int) -> list[Person]:
    """Active or paused participants in a trajectory whose coach was not yet told it is
    nearing its end."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM people WHERE role = 'participant' AND trajectory_start IS NOT NULL"
        " AND trajectory_end IS NULL AND five_month_notified_at IS NULL"
        " AND status IN ('active', 'paused') AND id > ? ORDER BY id LIMIT ?",
        (after, limit),
    )
    return [Person.from_row(r) for r in rows]


async def ladder_due(conn: Conn, last_before: datetime, *, after: int, limit: int) -> list[Person]:
    """Active or paused participants in a trajectory whose ladder rung was last recorded or
    asked at or before `last_before` (never: their trajectory started by then)."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM (SELECT p.*, (SELECT MAX(e.at) FROM events e WHERE e.person_id = p.id"
        " AND e.type IN ('ladder_recorded', 'ladder_asked')) AS last_at FROM people p"
        " WHERE p.role = 'participant' AND p.status IN ('active', 'paused')"
        " AND p.trajectory_start IS NOT NULL AND p.trajectory_end IS NULL AND p.id > ?)"
        " WHERE COALESCE(last_at, trajectory_start) <= ? ORDER BY id LIMIT ?",
        (after, to_db(last_before), limit),
    )
    return [Person.from_row(r) for r in rows]
