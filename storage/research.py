"""Queries for the research views (report, export, log): plain typed rows; and the one
thing written for them alone, the language a questionnaire wave was answered in.

Only columns of the first migration are read, plus optional ones (and tables) when they
exist, so the research code keeps working while other features add columns. Names of
participants and Telegram ids are never loaded: nothing downstream can leak them (coaches
keep their name: staff, not subjects).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from storage.db import Conn, Database
from storage.times import from_db, to_db

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # stands in for a missing or unreadable time


@dataclass(frozen=True)
class PersonRow:
    """A person without name or Telegram id (coaches keep their name: staff, not subjects)."""

    id: int
    role: str
    language: str | None
    coach_id: int | None
    status: str
    consent_at: datetime | None
    trajectory_start: datetime | None
    trajectory_end: datetime | None
    created_at: datetime
    staff_name: str | None = None  # only for coaches and coordinators
    end_reason: str | None = None


@dataclass(frozen=True)
class EventRow:
    """One row of the engagement log."""

    id: int
    at: datetime
    type: str
    person_id: int | None = None
    coach_id: int | None = None
    flow_id: str | None = None
    step: str | None = None
    value: str | None = None
    ref: str | None = None
    latency_s: float | None = None


@dataclass(frozen=True)
class AppointmentRow:
    id: int
    participant_id: int
    coach_id: int
    starts_at: datetime
    status: str


class LanguageMoment(StrEnum):
    """When a wave's language was noted."""

    SENT = "sent"  # the coach sent the questionnaire: its first question goes out now
    COMPLETED = "completed"  # its last answer came


@dataclass(frozen=True)
class SurveyLanguageRow:
    """The participant's chat language at one moment of a questionnaire wave."""

    person_id: int
    wave: str
    moment: str
    language: str
    at: datetime


def _when(text: str | None) -> datetime | None:
    """A stored time (UTC text as `to_db` writes it; other ISO forms are read as UTC)."""
    if not text:
        return None
    try:
        return from_db(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def columns(db: Database, table: str) -> set[str]:
    """The names of the columns `table` has now (empty when there is no such table)."""
    rows = await db.fetchall("SELECT name FROM pragma_table_info(?)", (table,))
    return {row["name"] for row in rows}


_PEOPLE = (
    "SELECT id, role, language, coach_id, status, consent_at, trajectory_start,"
    " trajectory_end, created_at, CASE WHEN role = 'participant' THEN NULL ELSE name END"
    " AS staff_name, "
)
_PEOPLE_WITH_END_REASON = _PEOPLE + "end_reason FROM people ORDER BY id"
_PEOPLE_WITHOUT_END_REASON = _PEOPLE + "NULL AS end_reason FROM people ORDER BY id"


async def people(db: Database) -> tuple[PersonRow, ...]:
    """Everyone by id, without Telegram ids and without the names of participants."""
    has_reason = "end_reason" in await columns(db, "people")
    rows = await db.fetchall(_PEOPLE_WITH_END_REASON if has_reason else _PEOPLE_WITHOUT_END_REASON)
    return tuple(
        PersonRow(
            id=row["id"],
            role=row["role"],
            language=row["language"],
            coach_id=row["coach_id"],
            status=row["status"],
            consent_at=_when(row["consent_at"]),
            trajectory_start=_when(row["trajectory_start"]),
            trajectory_end=_when(row["trajectory_end"]),
            created_at=_when(row["created_at"]) or EPOCH,
            staff_name=row["staff_name"],
            end_reason=row["end_reason"],
        )
        for row in rows
    )


async def events(db: Database) -> tuple[EventRow, ...]:
    """The whole engagement log, oldest first."""
    rows = await db.fetchall(
        "SELECT id, at, type, person_id, coach_id, flow_id, step, value, ref, latency_s"
        " FROM events ORDER BY at, id"
    )
    return tuple(
        EventRow(
            id=row["id"],
            at=_when(row["at"]) or EPOCH,
            type=row["type"],
            person_id=row["person_id"],
            coach_id=row["coach_id"],
            flow_id=row["flow_id"],
            step=row["step"],
            value=row["value"],
            ref=row["ref"],
            latency_s=row["latency_s"],
        )
        for row in rows
    )


async def appointments(db: Database) -> tuple[AppointmentRow, ...]:
    """Every appointment by id."""
    rows = await db.fetchall(
        "SELECT id, participant_id, coach_id, starts_at, status FROM appointments ORDER BY id"
    )
    return tuple(
        AppointmentRow(
            id=row["id"],
            participant_id=row["participant_id"],
            coach_id=row["coach_id"],
            starts_at=_when(row["starts_at"]) or EPOCH,
            status=row["status"],
        )
        for row in rows
    )


async def record_survey_language(
    conn: Conn, at: datetime, person_id: int, wave: str, moment: LanguageMoment, language: str
) -> None:
    """Note the chat language of a questionnaire wave (inside the caller's transaction)."""
    await conn.execute(
        "INSERT INTO survey_languages (person_id, wave, moment, language, at)"
        " VALUES (?, ?, ?, ?, ?)",
        (person_id, wave, moment.value, language, to_db(at)),
    )


async def survey_languages(db: Database) -> tuple[SurveyLanguageRow, ...]:
    """Every noted wave language, oldest first (none before migration 006)."""
    if not await columns(db, "survey_languages"):
        return ()
    rows = await db.fetchall(
        "SELECT person_id, wave, moment, language, at FROM survey_languages ORDER BY at, id"
    )
    return tuple(
        SurveyLanguageRow(
            person_id=row["person_id"],
            wave=row["wave"],
            moment=row["moment"],
            language=row["language"],
            at=_when(row["at"]) or EPOCH,
        )
        for row in rows
    )
