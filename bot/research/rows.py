"""What the report, export and log read: plain rows from the database, loaded once.

Only columns of the first migration are read (plus optional ones when they exist), so the
research code keeps working while other features add columns. Names and Telegram ids are
never loaded: nothing downstream can leak them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from storage.db import Database
from storage.times import from_db

PARTICIPANT = "participant"
COACH = "coach"


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


@dataclass(frozen=True)
class Snapshot:
    """Everything the research views need, read in one go."""

    people: tuple[PersonRow, ...]
    events: tuple[EventRow, ...]
    appointments: tuple[AppointmentRow, ...] = ()

    def participants(self) -> list[PersonRow]:
        return [p for p in self.people if p.role == PARTICIPANT]

    def coaches(self) -> list[PersonRow]:
        return [p for p in self.people if p.role == COACH]


@dataclass(frozen=True)
class Scope:
    """Which part of the data a view covers: a period of local dates and maybe some coaches."""

    tz: tzinfo
    start: date | None = None
    end: date | None = None  # inclusive
    coach_ids: frozenset[int] | None = None

    @property
    def start_at(self) -> datetime | None:
        if self.start is None:
            return None
        return datetime.combine(self.start, time(0), self.tz)

    @property
    def end_at(self) -> datetime | None:
        """The first moment after the period."""
        if self.end is None:
            return None
        return datetime.combine(self.end + timedelta(days=1), time(0), self.tz)

    def in_period(self, at: datetime) -> bool:
        return self.by_end(at) and (self.start_at is None or at >= self.start_at)

    def by_end(self, at: datetime) -> bool:
        """At or before the end of the period."""
        return self.end_at is None or at < self.end_at

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    def covers(self, person: PersonRow) -> bool:
        """A participant of the selected coach(es)."""
        return person.role == PARTICIPANT and (
            self.coach_ids is None or person.coach_id in self.coach_ids
        )


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


async def _columns(db: Database, table: str) -> set[str]:
    return {row["name"] for row in await db.fetchall(f"PRAGMA table_info({table})")}


async def load(db: Database) -> Snapshot:
    """Read people (without names of participants), events and appointments."""
    optional = await _columns(db, "people")
    reason = "end_reason" if "end_reason" in optional else "NULL AS end_reason"
    people = tuple(
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
        for row in await db.fetchall(
            "SELECT id, role, language, coach_id, status, consent_at, trajectory_start,"
            " trajectory_end, created_at, CASE WHEN role = 'participant' THEN NULL ELSE name END"
            f" AS staff_name, {reason} FROM people ORDER BY id"
        )
    )
    events = tuple(
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
        for row in await db.fetchall(
            "SELECT id, at, type, person_id, coach_id, flow_id, step, value, ref, latency_s"
            " FROM events ORDER BY at, id"
        )
    )
    appointments = tuple(
        AppointmentRow(
            id=row["id"],
            participant_id=row["participant_id"],
            coach_id=row["coach_id"],
            starts_at=_when(row["starts_at"]) or EPOCH,
            status=row["status"],
        )
        for row in await db.fetchall(
            "SELECT id, participant_id, coach_id, starts_at, status FROM appointments ORDER BY id"
        )
    )
    return Snapshot(people, events, appointments)


def coach_ids_named(snapshot: Snapshot, name: str) -> frozenset[int]:
    """The coaches called `name` (case-insensitive; a first name alone also matches)."""
    wanted = " ".join(name.split()).casefold()
    names = {p.id: " ".join((p.staff_name or "").split()).casefold() for p in snapshot.coaches()}
    exact = frozenset(i for i, n in names.items() if n == wanted)
    return exact or frozenset(i for i, n in names.items() if n.split(" ")[0] == wanted)


def ref_id(ref: str | None, kind: str) -> int | None:
    """The number in a reference like "run:12" or "appointment:7:day_before" of that kind."""
    if not ref:
        return None
    parts = ref.split(":")
    if len(parts) < 2 or parts[0] != kind:
        return None
    try:
        return int(parts[1])
    except ValueError:
        return None


def week_of(day: date) -> date:
    """The Monday of the ISO week that `day` is in."""
    return day - timedelta(days=day.weekday())


def month_of(day: date) -> date:
    return day.replace(day=1)
