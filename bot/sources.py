"""Dynamic button options (`options_from:` in flows), computed by the host per question.

Each source gets what is known so far in the run (its vars and answers), so a later
question can depend on an earlier answer (handover: first the coach, then their people).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite
from babel.dates import format_date, format_datetime

from bot.deps import Deps
from bot.engine.model import Option
from bot.timing import upcoming_days
from storage.people import Person, Role, caseload
from storage.times import from_db, to_db

AWAY_DAYS = 30
PROPOSALS = 3


@dataclass(frozen=True)
class Ask:
    conn: aiosqlite.Connection
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
        return format_date(when, "EEE d MMM", locale=self.locale)

    def when_label(self, when: datetime) -> str:
        return format_datetime(
            when, "EEE d MMM HH:mm", tzinfo=self.deps.content.tz, locale=self.locale
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
        people = await caseload(a.conn, int(coach_id))
    except (TypeError, ValueError):
        return []
    return [Option(str(p.id), text=p.name) for p in people]


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


async def _appointments(a: Ask, sql: str, params: tuple[Any, ...]) -> Sequence[Option]:
    rows = await a.conn.execute_fetchall(
        "SELECT a.id, a.starts_at, p.name FROM appointments a JOIN people p"
        " ON p.id = a.participant_id WHERE a.coach_id = ? AND a.status != 'cancelled' " + sql,
        (a.person.id, *params),
    )
    return [
        Option(str(r["id"]), text=f"{r['name']} · {a.when_label(from_db(r['starts_at']))}")
        for r in rows
    ]


async def appointments(a: Ask) -> Sequence[Option]:
    if a.person.role != Role.COACH:
        return []
    return await _appointments(
        a, "AND a.starts_at > ? ORDER BY a.starts_at LIMIT 20", (to_db(a.deps.clock.now()),)
    )


async def past_appointments(a: Ask) -> Sequence[Option]:
    if a.person.role != Role.COACH:
        return []
    now = a.deps.clock.now()
    return await _appointments(
        a,
        "AND a.participant_id = ? AND a.starts_at BETWEEN ? AND ? ORDER BY a.starts_at DESC"
        " LIMIT 10",
        (a.answers.get("who"), to_db(now - timedelta(days=30)), to_db(now)),
    )


async def scheduled_nudges(a: Ask) -> Sequence[Option]:
    rows = await a.conn.execute_fetchall(
        "SELECT o.id, o.due_at, p.name FROM outbox o JOIN people p ON p.id = o.person_id"
        " WHERE o.tag = 'nudge' AND o.status = 'pending' AND p.coach_id = ?"
        " ORDER BY o.due_at LIMIT 20",
        (a.person.id,),
    )
    return [
        Option(str(r["id"]), text=f"{r['name']} · {a.when_label(from_db(r['due_at']))}")
        for r in rows
    ]


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
    rows = await a.conn.execute_fetchall(
        "SELECT id, name, role FROM people WHERE role IN ('coach', 'coordinator')"
        " AND status = 'active' AND id != ? ORDER BY role, name COLLATE NOCASE",
        (a.person.id,),
    )
    return [Option(str(r["id"]), text=r["name"]) for r in rows]


async def coaches(a: Ask) -> Sequence[Option]:
    if a.person.role != Role.COORDINATOR:
        return []
    rows = await a.conn.execute_fetchall(
        "SELECT id, name, status FROM people WHERE role = 'coach' AND status != 'invited'"
        " ORDER BY name COLLATE NOCASE"
    )
    return [
        Option(str(r["id"]), text=r["name"] + (" ⛔" if r["status"] == "deactivated" else ""))
        for r in rows
    ]


SOURCES: dict[str, Source] = {
    "languages": languages,
    "participants": participants,
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
    conn: aiosqlite.Connection,
    deps: Deps,
    person: Person,
    names: Sequence[str],
    known: Mapping[str, Any],
) -> dict[str, Sequence[Option]]:
    ask = Ask(conn, deps, person, known)
    return {name: await SOURCES[name](ask) for name in names}
