"""Dynamic button options (`options_from:` in flows), computed by the host per question.

Each source gets what is known so far in the run (its vars and answers), so a later
question can depend on an earlier answer (handover: first the coach, then their people).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_date, format_datetime

from bot.content.catalog import CLOCK, date_pattern
from bot.deps import Deps
from bot.engine.model import Option
from bot.schedule.timing import upcoming_days
from storage import appointments as stored_appointments
from storage import people, timers
from storage.appointments import AppointmentLine
from storage.db import Conn
from storage.people import Person, Role, Status

AWAY_DAYS = 30
PROPOSALS = 3


@dataclass(frozen=True)
class Ask:
    conn: Conn
    deps: Deps
    person: Person
    known: Mapping[str, Any]  # run vars, with "answers"

    @property
    def answers(self) -> Mapping[str, Any]:
        return self.known.get("answers") or {}

    @property
    def locale(self) -> str:
        catalogs = self.deps.content.catalogs
        return catalogs.by_code[catalogs.pick(self.person.language)].locale

    def day_label(self, when: Any) -> str:
        return format_date(when, date_pattern("EEE d MMM", self.locale), locale=self.locale)

    def when_label(self, when: datetime) -> str:
        return format_datetime(
            when,
            date_pattern(f"EEE d MMM {CLOCK}", self.locale),
            tzinfo=self.deps.content.tz,
            locale=self.locale,
        )


Source = Callable[[Ask], Awaitable[Sequence[Option]]]


async def languages(a: Ask) -> Sequence[Option]:
    return [Option(c, text=cat.name) for c, cat in a.deps.content.catalogs.by_code.items()]


async def participants(a: Ask) -> Sequence[Option]:
    coach_id: Any = a.person.id
    if a.person.role == Role.COORDINATOR:
        coach_id = a.answers.get("from")
    elif a.person.role != Role.COACH:
        return []
    try:
        found = await people.caseload(a.conn, int(coach_id))
    except (TypeError, ValueError):
        return []
    return [Option(str(p.id), text=p.name) for p in found]


async def caseload(a: Ask) -> Sequence[Option]:
    """The people of the /caseload overview in its order: the run's `rows`, taken once when
    the overview opened, so that the lines and the buttons of a page name the same people
    on every page turn."""
    rows = a.known.get("rows") or []
    return [Option(str(r["id"]), text=str(r["name"])) for r in rows]


async def days(a: Ask) -> Sequence[Option]:
    content = a.deps.content
    found = upcoming_days(a.deps.clock.now(), content.schedules.appointment_days_ahead, content.tz)
    return [Option(d.isoformat(), text=a.day_label(d)) for d in found]


async def away_days(a: Ask) -> Sequence[Option]:
    found = upcoming_days(a.deps.clock.now(), AWAY_DAYS + 1, a.deps.content.tz)[1:]
    return [Option(d.isoformat(), text=a.day_label(d)) for d in found]


async def times(a: Ask) -> Sequence[Option]:
    slots = a.deps.content.schedules.appointment_times
    return [Option(t.strftime("%H:%M"), text=t.strftime("%H:%M")) for t in slots]


async def places(a: Ask) -> Sequence[Option]:
    return [Option(p.id, text=p.name) for p in a.deps.content.places]


def _appointment_options(a: Ask, lines: Sequence[AppointmentLine]) -> Sequence[Option]:
    return [Option(str(x.id), text=f"{x.participant} · {a.when_label(x.starts_at)}") for x in lines]


async def appointments(a: Ask) -> Sequence[Option]:
    if a.person.role != Role.COACH:
        return []
    found = await stored_appointments.upcoming_of_coach(a.conn, a.person.id, a.deps.clock.now())
    return _appointment_options(a, found)


async def past_appointments(a: Ask) -> Sequence[Option]:
    if a.person.role != Role.COACH:
        return []
    try:
        participant_id = int(a.answers["who"])
    except (KeyError, TypeError, ValueError):
        return []
    now = a.deps.clock.now()
    found = await stored_appointments.recent_of_participant(
        a.conn, a.person.id, participant_id, now - timedelta(days=30), now
    )
    return _appointment_options(a, found)


async def scheduled_nudges(a: Ask) -> Sequence[Option]:
    found = await timers.pending_nudges(a.conn, a.person.id)
    return [Option(str(n.id), text=f"{n.participant} · {a.when_label(n.due_at)}") for n in found]


async def proposed_times(a: Ask) -> Sequence[Option]:
    """The same time of day on the next working days after the missed appointment."""
    try:
        original = datetime.fromisoformat(str(a.known["when"])).astimezone(a.deps.content.tz)
    except (KeyError, ValueError):
        return []
    now = a.deps.clock.now()
    found: list[Option] = []
    day = original.date()
    while len(found) < PROPOSALS:
        day += timedelta(days=1)
        if day.weekday() >= 5:
            continue
        when = datetime.combine(day, original.timetz().replace(tzinfo=None), a.deps.content.tz)
        if when > now:
            found.append(Option(when.isoformat(), text=a.when_label(when)))
    return found


async def colleagues(a: Ask) -> Sequence[Option]:
    return [Option(str(p.id), text=p.name) for p in await people.colleagues(a.conn, a.person.id)]


async def coaches(a: Ask) -> Sequence[Option]:
    if a.person.role != Role.COORDINATOR:
        return []
    return [
        Option(str(p.id), text=p.name + (" ⛔" if p.status == Status.DEACTIVATED else ""))
        for p in await people.coaches(a.conn)
    ]


SOURCES: dict[str, Source] = {
    "languages": languages,
    "participants": participants,
    "caseload": caseload,
    "days": days,
    "away_days": away_days,
    "times": times,
    "places": places,
    "appointments": appointments,
    "past_appointments": past_appointments,
    "scheduled_nudges": scheduled_nudges,
    "proposed_times": proposed_times,
    "colleagues": colleagues,
    "coaches": coaches,
}
# Sources whose options depend on an earlier answer in the same run.
ANSWER_DEPENDENT = frozenset({"participants", "past_appointments"})


async def compute(
    conn: Conn,
    deps: Deps,
    person: Person,
    names: Sequence[str],
    known: Mapping[str, Any],
) -> dict[str, Sequence[Option]]:
    ask = Ask(conn, deps, person, known)
    return {name: await SOURCES[name](ask) for name in names}
