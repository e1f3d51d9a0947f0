"""Daily work driven by the injected clock (so the sandbox's time travel runs it too):
the silent scan and the trajectory-length reminder. Each job runs once per local day,
at or after `daily_at`; the `periodic` table remembers the last day it ran."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import aiosqlite

from bot.clock import from_db, to_db
from bot.deps import Deps
from bot.events import log_event
from bot.people import Person
from bot.privacy import retention
from bot.survey import ask_ladder_monthly
from bot.timing import add_months, local

if TYPE_CHECKING:
    from bot.flowhost import FlowHost


def daily_day(deps: Deps) -> date | None:
    """Today's local date once `daily_at` has passed, else None (nothing can be due yet)."""
    now = deps.clock.now()
    today = now.astimezone(deps.content.tz).date()
    return today if now >= local(today, deps.content.schedules.daily_at, deps.content.tz) else None


async def due_today(conn: aiosqlite.Connection, deps: Deps, job: str) -> bool:
    """True once per local day after `daily_at`; marks the job as run."""
    now = deps.clock.now()
    tz = deps.content.tz
    today = now.astimezone(tz).date()
    if now < local(today, deps.content.schedules.daily_at, tz):
        return False
    rows = await conn.execute_fetchall("SELECT last_day FROM periodic WHERE job = ?", (job,))
    if rows and rows[0]["last_day"] >= today.isoformat():
        return False
    await conn.execute(
        "INSERT INTO periodic (job, last_day) VALUES (?, ?)"
        " ON CONFLICT(job) DO UPDATE SET last_day = excluded.last_day",
        (job, today.isoformat()),
    )
    return True


async def scan_silent(conn: aiosqlite.Connection, deps: Deps, notify: object) -> int:
    """Flag participants who went silent and tell their coach once per silent spell.

    Silent: the last N unasked messages got no reaction, or no contact for D days
    (since the last contact, or since they joined). A reaction ends the spell (inbound).
    """
    silence = deps.content.schedules.silence
    now = deps.clock.now()
    rows = await conn.execute_fetchall(
        "SELECT * FROM people WHERE role = 'participant' AND status = 'active'"
        " AND silent_since IS NULL"
    )
    flagged = 0
    for row in rows:
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
            continue
        await conn.execute(
            "UPDATE people SET silent_since = ? WHERE id = ?", (to_db(now), person.id)
        )
        await log_event(conn, now, "silent_flagged", person.id, person.coach_id, value=reason)
        await notify(  # type: ignore[operator]
            conn,
            person,
            "coach.silent",
            {"count": unanswered[0]["n"], "days": days, "reason": reason},
        )
        flagged += 1
    return flagged


async def remind_trajectory_length(conn: aiosqlite.Connection, deps: Deps, notify: object) -> int:
    """Tell the coach once when a trajectory reaches `remind_at_months`."""
    rules = deps.content.schedules.trajectory
    now = deps.clock.now()
    tz = deps.content.tz
    rows = await conn.execute_fetchall(
        "SELECT * FROM people WHERE role = 'participant' AND trajectory_start IS NOT NULL"
        " AND trajectory_end IS NULL AND five_month_notified_at IS NULL"
        " AND status IN ('active', 'paused')"
    )
    told = 0
    for row in rows:
        start: datetime = from_db(row["trajectory_start"])
        start_day = start.astimezone(tz).date()
        if now.astimezone(tz).date() < add_months(start_day, rules.remind_at_months):
            continue
        person = Person.from_row(row)
        end = local(add_months(start_day, rules.max_months), deps.content.schedules.daily_at, tz)
        await conn.execute(
            "UPDATE people SET five_month_notified_at = ? WHERE id = ?", (to_db(now), person.id)
        )
        await log_event(conn, now, "trajectory_nearing_end", person.id, person.coach_id)
        await notify(  # type: ignore[operator]
            conn,
            person,
            "coach.trajectory_nearing_end",
            {"months": rules.remind_at_months, "end": end.isoformat()},
        )
        told += 1
    return told


async def run_daily(conn: aiosqlite.Connection, deps: Deps, host: FlowHost) -> None:
    notify = host.actions.notify_coach
    if await due_today(conn, deps, "silent_scan"):
        await scan_silent(conn, deps, notify)
    if await due_today(conn, deps, "trajectory_length"):
        await remind_trajectory_length(conn, deps, notify)
    if await due_today(conn, deps, "ladder_monthly"):
        await ask_ladder_monthly(conn, deps, host)
    if await due_today(conn, deps, "retention"):
        await retention(conn, deps)
