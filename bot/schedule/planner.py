"""Campaigns from schedules.yaml turned into timers: reminders and weekly check-ins.

A participant who stopped the check-in question (`storage.preferences`) gets no check-in
planned; reminders and follow-ups are planned as always and skipped when they come due
if their kind is stopped then (bot.host.timers), so that /start brings them back as they
were."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.content.schedules import parse_offset
from bot.deps import Deps
from bot.schedule import policy
from bot.schedule.policy import window
from bot.schedule.timing import WEEKDAYS, after_offset, days_before, next_weekly
from storage import appointments, people, preferences, runs, timers
from storage.appointments import Appointment
from storage.db import Conn
from storage.people import Person, Status
from storage.preferences import Kind
from storage.times import from_db


def reminder_times(deps: Deps, starts_at: datetime) -> list[tuple[str, str, datetime]]:
    """(name, flow, due) for each reminder of an appointment, quiet hours applied."""
    schedules = deps.content.schedules
    tz = deps.content.tz
    found = []
    for reminder in schedules.appointment_reminders:
        if reminder.days_before is not None and reminder.at is not None:
            due = days_before(starts_at, reminder.days_before, reminder.at, tz)
        else:
            assert reminder.before is not None
            due = starts_at - reminder.before
        due = policy.earliest(due, window(deps))
        found.append((reminder.name, reminder.flow, due))
    return found


async def schedule_reminders(
    conn: Conn,
    deps: Deps,
    appointment_id: int,
    participant_id: int,
    starts_at: datetime,
    place: str,
    address: str | None,
    *,
    coach_id: int | None = None,
) -> None:
    """Timers for every reminder still in the future; each expires at the start."""
    now = deps.clock.now()
    vars = {
        "appointment_id": appointment_id,
        "when": starts_at.isoformat(),
        "place": place,
        "address": address or "",
    }
    for name, flow, due in reminder_times(deps, starts_at):
        if due >= starts_at or due < now:  # a reminder whose moment passed would mislead
            continue
        await timers.add(
            conn,
            now,
            participant_id,
            "flow",
            {"flow": flow, "vars": vars},
            due,
            expires=starts_at,
            ref=f"appointment:{appointment_id}:{name}",
        )
    if coach_id is not None:
        ask_at = starts_at + deps.content.schedules.attendance_after
        vars = {"prefill": {"who": str(participant_id), "which": str(appointment_id)}}
        await timers.add(
            conn,
            now,
            coach_id,
            "flow",
            {"flow": "attendance", "vars": vars},
            ask_at,
            expires=ask_at + timedelta(days=7),
            ref=f"appointment:{appointment_id}:attendance",
        )


async def cancel_reminders(
    conn: Conn, participant_id: int, appointment_id: int, coach_id: int | None
) -> None:
    await timers.cancel(conn, participant_id, f"appointment:{appointment_id}:")
    if coach_id is not None:
        await timers.cancel(conn, coach_id, f"appointment:{appointment_id}:")
    # A reminder already waiting behind another question goes too.
    await runs.cancel_queued(conn, participant_id, appointment_id)


async def schedule_followups(
    conn: Conn, deps: Deps, participant_id: int, ended: datetime
) -> datetime | None:
    """Timers for the follow-up campaign after a trajectory ends; returns the first."""
    followups = deps.content.schedules.followups
    tz = deps.content.tz
    first = None
    for index, offset in enumerate(followups.after):
        amount, unit = parse_offset(offset)
        due = after_offset(ended, amount, unit, followups.at, tz)
        first = first or due
        await timers.add(
            conn,
            deps.clock.now(),
            participant_id,
            "flow",
            {"flow": followups.flow, "vars": {"followup": index + 1}},
            due,
            expires=due + followups.answer_window,
            ref=f"followup:{index + 1}",
        )
    return first


async def plan_checkin(conn: Conn, deps: Deps, person: Person) -> None:
    """Make sure the next weekly check-in is planned (idempotent); none for someone who
    is not active, chose no day, or said "don't ask again"."""
    if (
        person.status != Status.ACTIVE
        or person.checkin_day not in WEEKDAYS
        or Kind.CHECKIN in await preferences.stopped(conn, person.id)
    ):
        await timers.cancel(conn, person.id, "checkin:")
        return
    now = deps.clock.now()
    if person.trajectory_end is not None and from_db(person.trajectory_end) <= now:
        return  # check-ins run while the trajectory is active
    weekly = deps.content.schedules.weekly_checkin
    at = weekly.times.get(person.checkin_time or "")
    if at is None:
        return
    due = next_weekly(now, person.checkin_day, at, deps.content.tz)
    # A pending one for another date goes: the chosen day or time changed.
    ref = f"checkin:{due.date().isoformat()}"
    await _plan_next(conn, now, person, "checkin:", ref, weekly.flow, due, weekly.answer_window)


async def _plan_next(
    conn: Conn,
    now: datetime,
    person: Person,
    prefix: str,
    ref: str,
    flow: str,
    due: datetime,
    window: timedelta,
) -> None:
    """The one pending timer of a recurring question: others with `prefix` go."""
    for pending in await timers.pending_refs(conn, person.id, prefix):
        if pending != ref:
            await timers.cancel_ref(conn, person.id, pending)
    vars: dict[str, object] = {"flow": flow, "vars": {}}
    await timers.add(conn, now, person.id, "flow", vars, due, expires=due + window, ref=ref)


async def plan_campaigns(conn: Conn, deps: Deps, person: Person) -> None:
    """Make sure the next occurrence of each campaign in schedules.yaml is planned for a
    participant whose trajectory is under way (idempotent: one pending timer each).

    Worked example: trajectory started Monday 19 October, `every: 1mo`, `at: "11:00"` →
    Thursday 19 November 11:00, then Saturday 19 December 11:00 (local time, also across
    the change to winter time)."""
    campaigns = deps.content.schedules.campaigns
    if not campaigns:
        return
    now = deps.clock.now()
    ended = person.trajectory_end is not None and from_db(person.trajectory_end) <= now
    if person.status != Status.ACTIVE or person.trajectory_start is None or ended:
        await timers.cancel(conn, person.id, "campaign:")
        return
    start = from_db(person.trajectory_start)
    tz = deps.content.tz
    for campaign in campaigns:
        amount, unit = parse_offset(campaign.every)
        step = 1
        due = after_offset(start, amount, unit, campaign.at, tz)
        while due <= now and step < 1000:
            step += 1
            due = after_offset(start, amount * step, unit, campaign.at, tz)
        prefix = f"campaign:{campaign.name}:"
        ref = f"{prefix}{step}"
        await _plan_next(conn, now, person, prefix, ref, campaign.flow, due, campaign.answer_window)


async def plan_all_campaigns(conn: Conn, deps: Deps) -> int:
    """Plan the campaigns of everyone whose trajectory is under way."""
    if not deps.content.schedules.campaigns:
        return 0
    found = await people.in_trajectory(conn)
    for person in found:
        await plan_campaigns(conn, deps, person)
    return len(found)


async def plan_all_checkins(conn: Conn, deps: Deps) -> int:
    """Plan the next check-in of everyone who should have one and has none pending
    (a changed day or time is planned when it changes)."""
    found = await people.active_without_pending_checkin(conn)
    for person in found:
        await plan_checkin(conn, deps, person)
    return len(found)


async def move_appointment(
    conn: Conn, deps: Deps, appointment: Appointment, starts_at: datetime
) -> None:
    """Give an appointment a new time; its reminders and attendance question follow."""
    await appointments.reschedule(conn, deps.clock.now(), appointment.id, starts_at)
    await cancel_reminders(conn, appointment.participant_id, appointment.id, appointment.coach_id)
    await schedule_reminders(
        conn,
        deps,
        appointment.id,
        appointment.participant_id,
        starts_at,
        appointment.place,
        appointment.address,
        coach_id=appointment.coach_id,
    )
