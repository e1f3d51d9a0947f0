"""Daily work driven by the injected clock (so the sandbox's time travel runs it too):
the silent scan, the trajectory-length reminder, the monthly ladder question and
retention. Each job runs once per local day, at or after `daily_at`; the `periodic` table
remembers the last day it ran.

A job goes through its participants in chunks, one short write transaction each, so
replies and sends go on meanwhile (finding 7 in docs/benchmarks.md). Each step is
idempotent by the state it writes (e.g. `silent_since`), and the job is marked as run only
after its last chunk: a crash half-way runs the rest after the restart."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.deps import Deps
from bot.host.actions.questionnaire import ask_ladder, ladder_cutoff
from bot.host.privacy import retain, retention_cutoffs
from bot.schedule.timing import add_months, local
from storage import erasure, outbox, people
from storage import periodic as stored_periodic
from storage.db import Conn
from storage.events import log_event
from storage.people import Person
from storage.times import from_db, to_db

if TYPE_CHECKING:
    from bot.host.flows import FlowHost


def daily_day(deps: Deps) -> date | None:
    """Today's local date once `daily_at` has passed, else None (nothing can be due yet)."""
    now = deps.clock.now()
    today = now.astimezone(deps.content.tz).date()
    return today if now >= local(today, deps.content.schedules.daily_at, deps.content.tz) else None


CHUNK = 200  # participants per write transaction

# The people a job looks at: (conn, *its parameters, after=id, limit=n) -> a page of them,
# ids above `after` in id order (storage.people / storage.erasure).
Candidates = Callable[..., Awaitable[list[Person]]]
Step = Callable[[Conn, Deps, "FlowHost", Person], Awaitable[bool]]


async def in_chunks(
    deps: Deps, candidates: Candidates, params: tuple[Any, ...], step: Step, host: FlowHost
) -> int:
    """Run `step` for each person `candidates` finds, CHUNK people per write transaction,
    read fresh in each; returns how many steps did something."""
    done, after = 0, 0
    while True:
        async with deps.db.transaction() as conn:
            found = await candidates(conn, *params, after=after, limit=CHUNK)
            for person in found:
                done += bool(await step(conn, deps, host, person))
        if len(found) < CHUNK:
            return done
        after = found[-1].id
        await asyncio.sleep(0)  # let updates and sends in between chunks


async def flag_if_silent(conn: Conn, deps: Deps, host: FlowHost, person: Person) -> bool:
    """Flag a participant who went silent and tell the coach once per silent spell.

    Silent: the last N unasked messages got no reaction, or no contact for D days
    (since the last contact, or since they joined). A reaction ends the spell (inbound).
    """
    silence = deps.content.schedules.silence
    now = deps.clock.now()
    stored = person.last_contact_at or person.consent_at or person.created_at
    if stored is None:  # created_at is never empty in the database
        return False
    since = from_db(stored)
    unanswered = await outbox.unanswered_since(conn, person.id, since)
    days = (now - since).days
    reason = None
    if unanswered >= silence.after_messages:
        reason = "messages"
    elif days >= silence.after_days:
        reason = "days"
    if reason is None:
        return False
    await people.update(conn, person.id, silent_since=to_db(now))
    await log_event(conn, now, "silent_flagged", person.id, person.coach_id, value=reason)
    await host.tools.notify_coach(
        conn, person, "coach.silent", {"count": unanswered, "days": days, "reason": reason}
    )
    return True


async def remind_trajectory_length(conn: Conn, deps: Deps, host: FlowHost, person: Person) -> bool:
    """Tell the coach once when a trajectory reaches `remind_at_months`."""
    rules = deps.content.schedules.trajectory
    now = deps.clock.now()
    tz = deps.content.tz
    if person.trajectory_start is None:  # never: the candidates have a start
        return False
    start: datetime = from_db(person.trajectory_start)
    start_day = start.astimezone(tz).date()
    if now.astimezone(tz).date() < add_months(start_day, rules.remind_at_months):
        return False
    end = local(add_months(start_day, rules.max_months), deps.content.schedules.daily_at, tz)
    await people.update(conn, person.id, five_month_notified_at=to_db(now))
    await log_event(conn, now, "trajectory_nearing_end", person.id, person.coach_id)
    await host.tools.notify_coach(
        conn,
        person,
        "coach.trajectory_nearing_end",
        {"months": rules.remind_at_months, "end": end.isoformat()},
    )
    return True


async def _retain(conn: Conn, deps: Deps, host: FlowHost, person: Person) -> bool:
    await retain(conn, deps, person)
    return True


# name → (the people it looks at, their parameters, the step per person); the names are
# the `periodic` table's keys.
DAILY_JOBS: dict[str, tuple[Candidates, Callable[[Deps], tuple[Any, ...]], Step]] = {
    "silent_scan": (people.silent_candidates, lambda deps: (), flag_if_silent),
    "trajectory_length": (
        people.open_trajectories_unnotified,
        lambda deps: (),
        remind_trajectory_length,
    ),
    "ladder_monthly": (people.ladder_due, ladder_cutoff, ask_ladder),
    "retention": (erasure.due_for_retention, retention_cutoffs, _retain),
}


async def run_daily(deps: Deps, host: FlowHost, today: date) -> dict[str, int]:
    """The jobs not yet run on `today`; returns how many people each one acted on."""
    counts: dict[str, int] = {}
    for job, (candidates, params, step) in DAILY_JOBS.items():
        async with deps.db.transaction() as conn:
            last = await stored_periodic.last_day(conn, job)
            if last is not None and last >= today:
                continue
        counts[job] = await in_chunks(deps, candidates, params(deps), step, host)
        async with deps.db.transaction() as conn:
            await stored_periodic.mark_ran(conn, job, today)
    return counts
