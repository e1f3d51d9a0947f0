"""Appointments between a coach and a participant, and what became of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.db import Conn, fetchall
from storage.times import from_db, to_db


class AppointmentStatus(StrEnum):
    PLANNED = "planned"
    CONFIRMED = "confirmed"  # the participant said they will come
    DECLINED = "declined"  # the participant said they cannot come
    CANCELLED = "cancelled"  # by the coach


class Attendance(StrEnum):
    """What the coach recorded afterwards."""

    CAME = "came"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Appointment:
    id: int
    participant_id: int
    coach_id: int
    starts_at: datetime
    place: str
    address: str | None
    status: AppointmentStatus
    attendance: Attendance | None

    @classmethod
    def from_row(cls, row: Any) -> Appointment:
        return cls(
            row["id"],
            row["participant_id"],
            row["coach_id"],
            from_db(row["starts_at"]),
            row["place"],
            row["address"],
            AppointmentStatus(row["status"]),
            Attendance(row["attendance"]) if row["attendance"] else None,
        )


@dataclass(frozen=True)
class AppointmentLine:
    """An appointment as a coach picks it from a list."""

    id: int
    starts_at: datetime
    participant: str  # the participant's name


async def add(
    conn: Conn,
    now: datetime,
    participant_id: int,
    coach_id: int,
    starts_at: datetime,
    place: str,
    address: str | None,
) -> int:
    """A new planned appointment; returns its id."""
    cur = await conn.execute(
        "INSERT INTO appointments (participant_id, coach_id, starts_at, place, address,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (participant_id, coach_id, to_db(starts_at), place, address, to_db(now), to_db(now)),
    )
    return int(cur.lastrowid or 0)


async def get(conn: Conn, appointment_id: int | None) -> Appointment | None:
    """The appointment with this id, or None."""
    if appointment_id is None:
        return None
    rows = await fetchall(conn, "SELECT * FROM appointments WHERE id = ?", (appointment_id,))
    return Appointment.from_row(rows[0]) if rows else None


async def of_coach(conn: Conn, coach_id: int, appointment_id: int | None) -> Appointment | None:
    """The appointment if `coach_id` is its coach, else None."""
    if appointment_id is None:
        return None
    rows = await fetchall(
        conn, "SELECT * FROM appointments WHERE id = ? AND coach_id = ?", (appointment_id, coach_id)
    )
    return Appointment.from_row(rows[0]) if rows else None


async def of_participant(
    conn: Conn, participant_id: int, appointment_id: int | None
) -> Appointment | None:
    """The appointment if `participant_id` is its participant, else None."""
    if appointment_id is None:
        return None
    rows = await fetchall(
        conn,
        "SELECT * FROM appointments WHERE id = ? AND participant_id = ?",
        (appointment_id, participant_id),
    )
    return Appointment.from_row(rows[0]) if rows else None


async def upcoming_of_coach(
    conn: Conn, coach_id: int, now: datetime, limit: int = 20
) -> list[AppointmentLine]:
    """A coach's appointments after `now` that are not cancelled, soonest first."""
    rows = await conn.execute_fetchall(
        "SELECT a.id, a.starts_at, p.name FROM appointments a JOIN people p"
        " ON p.id = a.participant_id WHERE a.coach_id = ? AND a.status != 'cancelled'"
        " AND a.starts_at > ? ORDER BY a.starts_at LIMIT ?",
        (coach_id, to_db(now), limit),
    )
    return [AppointmentLine(r["id"], from_db(r["starts_at"]), r["name"]) for r in rows]


async def recent_of_participant(
    conn: Conn,
    coach_id: int,
    participant_id: int,
    since: datetime,
    until: datetime,
    limit: int = 10,
) -> list[AppointmentLine]:
    """A coach's appointments with one participant that started between `since` and
    `until` (inclusive) and are not cancelled, latest first."""
    rows = await conn.execute_fetchall(
        "SELECT a.id, a.starts_at, p.name FROM appointments a JOIN people p"
        " ON p.id = a.participant_id WHERE a.coach_id = ? AND a.status != 'cancelled'"
        " AND a.participant_id = ? AND a.starts_at BETWEEN ? AND ?"
        " ORDER BY a.starts_at DESC LIMIT ?",
        (coach_id, participant_id, to_db(since), to_db(until), limit),
    )
    return [AppointmentLine(r["id"], from_db(r["starts_at"]), r["name"]) for r in rows]


async def answer(
    conn: Conn,
    now: datetime,
    appointment_id: int,
    participant_id: int,
    status: AppointmentStatus,
) -> None:
    """The participant's confirmation or refusal; an appointment cancelled meanwhile stays so."""
    await conn.execute(
        "UPDATE appointments SET status = ?, updated_at = ? WHERE id = ? AND"
        " participant_id = ? AND status != 'cancelled'",
        (status.value, to_db(now), appointment_id, participant_id),
    )


async def cancel(conn: Conn, now: datetime, appointment_id: int) -> None:
    """The coach cancels the appointment."""
    await conn.execute(
        "UPDATE appointments SET status = 'cancelled', updated_at = ? WHERE id = ?",
        (to_db(now), appointment_id),
    )


async def reschedule(conn: Conn, now: datetime, appointment_id: int, starts_at: datetime) -> None:
    """A new time; the appointment is planned again (to be confirmed anew)."""
    await conn.execute(
        "UPDATE appointments SET starts_at = ?, status = 'planned', updated_at = ? WHERE id = ?",
        (to_db(starts_at), to_db(now), appointment_id),
    )


async def set_attendance(
    conn: Conn, now: datetime, appointment_id: int, attendance: Attendance
) -> None:
    """Whether the participant came, as the coach recorded it."""
    await conn.execute(
        "UPDATE appointments SET attendance = ?, updated_at = ? WHERE id = ?",
        (attendance.value, to_db(now), appointment_id),
    )


async def hand_over_upcoming(conn: Conn, now: datetime, participant_id: int, coach_id: int) -> None:
    """A participant's appointments after `now` go to their new coach."""
    await conn.execute(
        "UPDATE appointments SET coach_id = ? WHERE participant_id = ? AND starts_at > ?",
        (coach_id, participant_id, to_db(now)),
    )
