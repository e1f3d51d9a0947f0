"""What the report, export and log read: plain rows from the database, loaded once.

The queries are in `storage.research` (the rows are defined there and re-exported here):
only columns of the first migration are read (plus optional ones when they exist), so the
research code keeps working while other features add columns. Names and Telegram ids are
never loaded: nothing downstream can leak them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from storage import research
from storage.db import Database
from storage.research import AppointmentRow, EventRow, PersonRow, SurveyLanguageRow

__all__ = [
    "COACH",
    "PARTICIPANT",
    "AppointmentRow",
    "EventRow",
    "PersonRow",
    "Scope",
    "Snapshot",
    "SurveyLanguageRow",
    "coach_ids_named",
    "load",
    "month_of",
    "ref_id",
    "week_of",
]

PARTICIPANT = "participant"
COACH = "coach"


@dataclass(frozen=True)
class Snapshot:
    """Everything the research views need, read in one go."""

    people: tuple[PersonRow, ...]
    events: tuple[EventRow, ...]
    appointments: tuple[AppointmentRow, ...] = ()
    languages: tuple[SurveyLanguageRow, ...] = ()  # the chat language of questionnaire waves

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


async def load(db: Database) -> Snapshot:
    """Read people (without names of participants), events, appointments and the languages
    questionnaire waves were answered in."""
    people = await research.people(db)
    events = await research.events(db)
    appointments = await research.appointments(db)
    languages = await research.survey_languages(db)
    return Snapshot(people, events, appointments, languages)


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
