"""Per coach: caseload now (participants in trajectory), and activity in the period."""

from __future__ import annotations

from dataclasses import dataclass

from bot.research.attendance import no_show_rate, visits
from bot.research.engagement import people_engaged, responses
from bot.research.rows import PersonRow, Scope, Snapshot
from bot.research.suppress import Count, Share

TAKING_PART = frozenset({"active", "paused"})


def in_trajectory(p: PersonRow) -> bool:
    """In trajectory now: said yes (consent starts the trajectory), the coach has not ended
    it, and still taking part (active or paused; not stopped, declined or unreachable).

    Example: invited but not yet said yes → no; said yes, paused → yes; the coach ended the
    trajectory (volunteering found), still active for the follow-ups → no.
    """
    started = p.trajectory_start is not None or p.consent_at is not None
    return started and p.trajectory_end is None and p.status in TAKING_PART


@dataclass(frozen=True)
class CoachRow:
    name: str
    caseload: Count  # participants in trajectory now (`in_trajectory`)
    all_time: Count  # every participant who has this coach
    engaged: Count  # answered a question or wrote in the period
    appointments: Count  # appointments planned in the period (about distinct participants)
    relayed: Count  # messages from participants passed on in the period
    checkin_rate: Share
    no_show_rate: Share


def coaches(snapshot: Snapshot, scope: Scope) -> tuple[CoachRow, ...]:
    rows = []
    for coach in snapshot.coaches():
        if scope.coach_ids is not None and coach.id not in scope.coach_ids:
            continue
        mine = [p for p in snapshot.participants() if p.coach_id == coach.id]
        ids = {p.id for p in mine}
        if not ids and coach.status == "deactivated":
            continue
        events = [e for e in snapshot.events if e.person_id in ids]
        planned = [e for e in events if e.type == "appointment_planned" and scope.in_period(e.at)]
        relayed = [e for e in events if e.type == "message_relayed" and scope.in_period(e.at)]
        checkins = next(r for r in responses(snapshot, scope, ids) if r.label == "Check-ins")
        rows.append(
            CoachRow(
                name=coach.staff_name or f"coach {coach.id}",
                caseload=Count.of({p.id for p in mine if in_trajectory(p)}),
                all_time=Count.of(ids),
                engaged=Count.of(people_engaged(events, scope)),
                appointments=Count(len(planned), len({e.person_id for e in planned})),
                relayed=Count(len(relayed), len({e.person_id for e in relayed})),
                checkin_rate=checkins.rate,
                no_show_rate=no_show_rate(visits(snapshot, scope, ids)),
            )
        )
    return tuple(rows)
