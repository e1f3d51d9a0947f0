"""Timers into flows: a due timer starts its flow, ends a question, or ends a pause.

A scheduled flow of a kind the participant stopped (no reminders, say) is skipped and
logged (`skipped_by_choice`); it is not moved or re-planned.

A timer that fails is dropped and logged (`timer_failed`), never retried forever: one broken
flow must not block everyone's reminders.
"""

from __future__ import annotations

import logging

from bot.deps import Deps
from bot.host.flows import FlowHost
from bot.schedule import planner, policy
from storage import preferences, timers
from storage.db import Conn
from storage.events import log_event
from storage.people import Status, by_id
from storage.timers import Timer, TimerKind, TimerStatus

log = logging.getLogger(__name__)


async def fire_due(deps: Deps, host: FlowHost, limit: int) -> int:
    """Fire the timers due now, each in its own transaction; how many were due."""
    now = deps.clock.now()
    # A read outside a write transaction, as before: no write lock taken for a look.
    due = await timers.due(deps.db.conn, now, limit)
    for timer in due:
        try:
            async with deps.db.transaction() as conn:
                await fire(conn, deps, host, timer)
        except Exception:
            log.exception("timer %s failed; it is dropped", timer.id)
            async with deps.db.transaction() as conn:
                await timers.set_status(conn, timer.id, TimerStatus.CANCELLED)
                await log_event(conn, now, "timer_failed", timer.person_id, ref=timer.ref)
    return len(due)


async def fire(conn: Conn, deps: Deps, host: FlowHost, timer: Timer) -> None:
    """One timer: a question's timeout, the end of a pause, or a scheduled flow."""
    now = deps.clock.now()
    if not await timers.claim(conn, timer.id):
        return
    person = await by_id(conn, timer.person_id)
    if person is None:
        return
    payload, expires = timer.payload, timer.expires_at
    if timer.kind == TimerKind.TIMEOUT:
        await host.timeout(conn, person, payload["run_id"], payload["seq"])
    elif timer.kind == TimerKind.RESUME:
        if person.status == Status.PAUSED:
            await host.tools.resume(conn, person)
    elif expires is not None and expires <= now:
        await timers.set_status(conn, timer.id, TimerStatus.EXPIRED)
        await log_event(
            conn,
            now,
            "flow_expired",
            person.id,
            person.coach_id,
            flow_id=payload["flow"],
            ref=timer.ref,
        )
    elif (
        not await host.still_matters(conn, payload["flow"], payload.get("vars") or {})
        or person.status != Status.ACTIVE
    ):
        await timers.set_status(conn, timer.id, TimerStatus.SKIPPED)
    elif not policy.wanted(
        deps.content.schedules, payload["flow"], await preferences.stopped(conn, person.id)
    ):
        await timers.set_status(conn, timer.id, TimerStatus.SKIPPED)
        kind = policy.kind_of(deps.content.schedules, payload["flow"])
        await log_event(
            conn,
            now,
            "skipped_by_choice",
            person.id,
            person.coach_id,
            flow_id=payload["flow"],
            value=kind.value if kind else None,
            ref=timer.ref,
        )
    else:
        await host.start(
            conn, person, payload["flow"], payload.get("vars"), scheduled=True, expires=expires
        )
    if (timer.ref or "").startswith("campaign:"):
        fresh = await by_id(conn, person.id)
        if fresh is not None:
            await planner.plan_campaigns(conn, deps, fresh)
    if (timer.ref or "").startswith("checkin:"):
        fresh = await by_id(conn, person.id)
        if fresh is not None:
            await planner.plan_checkin(conn, deps, fresh)
