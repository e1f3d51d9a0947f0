"""Reminder answers against attendance, and the no-show rate per month.

Attendance is recorded by the coach as events `attendance_came`, `attendance_no_show` or
`attendance_cancelled` with `ref` "appointment:<id>"; the last record of an appointment
counts, and `attendance_corrected` (value: came, no_show or cancelled) replaces it. The
reminder answer of that appointment is its last `appointment_confirmed`
("coming") or `appointment_declined` ("can't come") event; none means no answer.
The month is the appointment's local start month (the record's time when unknown).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from bot.research.engagement import in_scope
from bot.research.rows import Scope, Snapshot, month_of, ref_id
from bot.research.suppress import Count, Share, protect_table

OUTCOMES = {
    "attendance_came": "came",
    "attendance_no_show": "no_show",
    "attendance_cancelled": "cancelled",
}
CORRECTED = "attendance_corrected"  # value: the outcome that replaces the earlier record
OUTCOME_LABELS = {"came": "came", "no_show": "did not come", "cancelled": "cancelled earlier"}
OUTCOMES_ = tuple(OUTCOME_LABELS)
ANSWERS = {"appointment_confirmed": "coming", "appointment_declined": "cannot"}
ANSWER_LABELS = {
    "coming": "said “I'm coming”",
    "cannot": "said “I can't come”",
    "none": "no answer to the reminder",
}


@dataclass(frozen=True)
class Visit:
    """One appointment with a recorded outcome."""

    appointment_id: int
    person_id: int
    when: datetime
    outcome: str  # came | no_show | cancelled
    answer: str  # coming | cannot | none


@dataclass(frozen=True)
class AttendanceMonth:
    """Per month only the number recorded and the share missed: with counts per outcome
    as well, a hidden cell of the table above could be worked out from column totals."""

    month: date
    recorded: Count
    no_show_rate: Share  # didn't come / (came + didn't come)


@dataclass(frozen=True)
class Attendance:
    has_data: bool
    table: tuple[tuple[str, tuple[Count, ...]], ...]  # answer → counts per outcome
    months: tuple[AttendanceMonth, ...]
    no_show_rate: Share


def visits(snapshot: Snapshot, scope: Scope, ids: set[int] | None = None) -> list[Visit]:
    """Appointments in the period with a recorded outcome, for the participants in scope."""
    if ids is None:
        ids, events = in_scope(snapshot, scope)
    else:
        events = [e for e in snapshot.events if e.person_id in ids]
    starts = {a.id: a.starts_at for a in snapshot.appointments}
    outcome: dict[int, tuple[str, int, datetime]] = {}
    answer: dict[int, str] = {}
    for e in events:
        appointment = ref_id(e.ref, "appointment")
        if appointment is None or e.person_id is None:
            continue
        if e.type in OUTCOMES:
            outcome[appointment] = (OUTCOMES[e.type], e.person_id, e.at)
        elif e.type == CORRECTED and e.value in OUTCOME_LABELS:
            outcome[appointment] = (e.value, e.person_id, e.at)
        elif e.type in ANSWERS:
            answer[appointment] = ANSWERS[e.type]
    result = []
    for appointment, (kind, person, at) in sorted(outcome.items()):
        when = starts.get(appointment, at)
        if scope.in_period(when):
            result.append(Visit(appointment, person, when, kind, answer.get(appointment, "none")))
    return result


def _count(found: list[Visit]) -> Count:
    return Count(len(found), len({v.person_id for v in found}))


def no_show_rate(found: list[Visit]) -> Share:
    counted = [v for v in found if v.outcome in ("came", "no_show")]
    missed = [v for v in counted if v.outcome == "no_show"]
    return Share(
        len(missed),
        len(counted),
        len({v.person_id for v in counted}),
        len({v.person_id for v in missed}),
    )


def attendance(snapshot: Snapshot, scope: Scope) -> Attendance:
    found = visits(snapshot, scope)
    cells = protect_table(
        [
            [_count([v for v in found if v.answer == answer and v.outcome == o]) for o in OUTCOMES_]
            for answer in ANSWER_LABELS
        ]
    )
    table = tuple((answer, tuple(row)) for answer, row in zip(ANSWER_LABELS, cells, strict=True))
    by_month: dict[date, list[Visit]] = defaultdict(list)
    for v in found:
        by_month[month_of(scope.local(v.when).date())].append(v)
    months = tuple(
        AttendanceMonth(month, _count(visits_), no_show_rate(visits_))
        for month, visits_ in sorted(by_month.items())
    )
    return Attendance(bool(found), table, months, no_show_rate(found))
