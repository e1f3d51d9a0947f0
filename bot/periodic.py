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

import aiosqlite

from bot.deps import Deps
from bot.privacy import RETENTION_CANDIDATES, retain, retention_cutoffs
from bot.survey import LADDER_CANDIDATES, ask_ladder
from bot.timing import add_months, local
from storage.events import log_event
from storage.people import Person
from storage.times import from_db, to_db

if TYPE_CHECKING:
    from bot.flowhost import FlowHost


def daily_day(deps: Deps) -> date | None:
    """Today's local date once `daily_at` has passed, else None (nothing can be due yet)."""
    now = deps.clock.now()
    today = now.astimezone(deps.content.tz).date()
    return today if now >= local(today, deps.content.schedules.daily_at, deps.content.tz) else None


CHUNK = 200  # participants per write transaction

Step = Callable[[aiosqlite.Connection, Deps, "FlowHost", Any], Awaitable[bool]]


async def in_chunks(
    deps: Deps, select: str, params: tuple[Any, ...], step: Step, host: FlowHost
) -> int:
    """Run `step` for each row of `select` (people, `WHERE …` last), CHUNK rows per write
    transaction, rows read fresh in each; returns how many steps did something."""
    done, after = 0, 0
    while True:
        async with deps.db.transaction() as conn:
            rows = await conn.execute_fetchall(
                f"{select} AND id > ? ORDER BY id LIMIT ?", (*params, after, CHUNK)
            )
            for row in rows:
                done += bool(await step(conn, deps, host, row))
        if len(rows) < CHUNK:
            return done
        after = rows[-1]["id"]
        await asyncio.sleep(0)  # let updates and sends in between chunks


async def ran_today(conn: aiosqlite.Connection, job: str, today: date) -> bool:
    rows = await conn.execute_fetchall("SELECT last_day FROM periodic WHERE job = ?", (job,))
    return bool(rows) and rows[0]["last_day"] >= today.isoformat()


async def mark_ran(conn: aiosqlite.Connection, job: str, today: date) -> None:
    await conn.execute(
        "INSERT INTO periodic (job, last_day) VALUES (?, ?)"
        " ON CONFLICT(job) DO UPDATE SET last_day = excluded.last_day",
        (job, today.isoformat()),
    )


SILENT_CANDIDATES = (
    "SELECT * FROM people WHERE role = 'participant' AND status = 'active'"
    " AND silent_since IS NULL"
)


async def flag_if_silent(
    conn: aiosqlite.Connection, deps: Deps, host: FlowHost, row: Any
) -> bool:
    """Flag a participant who went silent and tell the coach once per silent spell.

    Silent: the last N unasked messages got no reaction, or no contact for D days
    (since the last contact, or since they joined). A reaction ends the spell (inbound).
    """
    silence = deps.content.schedules.silence
    now = deps.clock.now()
    person = Person.from_row(row)
    since = person.last_contact_at or row["consent_at"] or row["created_at"]
    unanswered = await conn.execute_fetchall(
        "SELECT COUNT(*) AS n FROM outbox WHERE person_id = ? AND unsolicited = 1"
        " AND status = 'sent' AND kind = 'message' AND sent_at > ?",
        (person.id, since),
    )
    days = (now - from_db(since)).days
    reason = None
    if unanswered[0]["n"] >= silence.after_messages:
        reason = "messages"
    elif days >= silence.after_days:
        reason = "days"
    if reason is None:
        return False
    await conn.execute("UPDATE people SET silent_since = ? WHERE id = ?", (to_db(now), person.id))
    await log_event(conn, now, "silent_flagged", person.id, person.coach_id, value=reason)
    await host.actions.notify_coach(
        conn, person, "coach.silent", {"count": unanswered[0]["n"], "days": days, "reason": reason}
    )
    return True


TRAJECTORY_CANDIDATES = (
    "SELECT * FROM people WHERE role = 'participant' AND trajectory_start IS NOT NULL"
    " AND trajectory_end IS NULL AND five_month_notified_at IS NULL"
    " AND status IN ('active', 'paused')"
)


async def remind_trajectory_length(
    conn: aiosqlite.Connection, deps: Deps, host: FlowHost, row: Any
) -> bool:
    """Tell the coach once when a trajectory reaches `remind_at_months`."""
    rules = deps.content.schedules.trajectory
    now = deps.clock.now()
    tz = deps.content.tz
    start: datetime = from_db(row["trajectory_start"])
    start_day = start.astimezone(tz).date()
    if now.astimezone(tz).date() < add_months(start_day, rules.remind_at_months):
        return False
    person = Person.from_row(row)
    end = local(add_months(start_day, rules.max_months), deps.content.schedules.daily_at, tz)
    await conn.execute(
        "UPDATE people SET five_month_notified_at = ? WHERE id = ?", (to_db(now), person.id)
    )
    await log_event(conn, now, "trajectory_nearing_end", person.id, person.coach_id)
    await host.actions.notify_coach(
        conn,
        person,
        "coach.trajectory_nearing_end",
        {"months": rules.remind_at_months, "end": end.isoformat()},
    )
    return True


async def _retain(conn: aiosqlite.Connection, deps: Deps, host: FlowHost, row: Any) -> bool:
    await retain(conn, deps, row)
    return True


# name → (the people it looks at, their parameters, the step per person); the names are
# the `periodic` table's keys.
DAILY_JOBS: dict[str, tuple[str, Callable[[Deps], tuple[Any, ...]], Step]] = {
    "silent_scan": (SILENT_CANDIDATES, lambda deps: (), flag_if_silent),
    "trajectory_length": (TRAJECTORY_CANDIDATES, lambda deps: (), remind_trajectory_length),
    "ladder_monthly": (LADDER_CANDIDATES, lambda deps: (), ask_ladder),
    "retention": (RETENTION_CANDIDATES, retention_cutoffs, _retain),
}


async def run_daily(deps: Deps, host: FlowHost, today: date) -> dict[str, int]:
    """The jobs not yet run on `today`; returns how many people each one acted on."""
    counts: dict[str, int] = {}
    for job, (select, params, step) in DAILY_JOBS.items():
        async with deps.db.transaction() as conn:
            if await ran_today(conn, job, today):
                continue
        counts[job] = await in_chunks(deps, select, params(deps), step, host)
        async with deps.db.transaction() as conn:
            await mark_ran(conn, job, today)
    return counts
