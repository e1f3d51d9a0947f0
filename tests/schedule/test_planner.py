"""The planner and the timers honour a kind a participant stopped (storage.preferences):
no check-in for who said "don't ask again", reminders still; no reminder for who said "no
reminders", check-ins still; /start brings them back."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import ManualClock
from bot.deps import Deps
from bot.host.flows import FlowHost
from bot.host.timers import fire_due
from bot.schedule import planner
from bot.schedule.policy import kind_of
from storage import people, preferences
from storage.people import TELEGRAM, Address, Role, Status
from storage.preferences import Kind
from tests.e2e.harness import AMS

APPOINTMENT = datetime(2026, 10, 28, 14, 0, tzinfo=AMS)  # a Wednesday


async def participant(deps: Deps, name: str, chat: int) -> int:
    """An active participant with a weekly check-in on Tuesday morning (10:00)."""
    async with deps.db.transaction() as conn:
        coach = await people.add(conn, deps.clock.now(), Role.COACH, "Sanne")
        pid = await people.add(conn, deps.clock.now(), Role.PARTICIPANT, name, coach_id=coach)
        await people.update(
            conn,
            pid,
            status=Status.ACTIVE.value,
            language="en",
            checkin_day="tue",
            checkin_time="morning",
        )
        await people.set_address(conn, pid, Address(TELEGRAM, chat))
    return pid


async def with_appointment(deps: Deps, pid: int) -> None:
    async with deps.db.transaction() as conn:
        person = await people.by_id(conn, pid)
        assert person is not None
        await planner.schedule_reminders(conn, deps, 1, pid, APPOINTMENT, "Hatert", None)


async def stop(deps: Deps, pid: int, kind: Kind) -> None:
    async with deps.db.transaction() as conn:
        await preferences.stop(conn, deps.clock.now(), pid, kind)


async def plan_checkins(deps: Deps) -> None:
    async with deps.db.transaction() as conn:
        await planner.plan_all_checkins(conn, deps)


async def pending(deps: Deps, pid: int) -> list[str]:
    rows = await deps.db.fetchall(
        "SELECT ref FROM timers WHERE person_id = ? AND status = 'pending' AND kind = 'flow'"
        " ORDER BY due_at",
        (pid,),
    )
    return [r["ref"] for r in rows]


async def started(deps: Deps, pid: int) -> list[str]:
    rows = await deps.db.fetchall(
        "SELECT flow_id FROM runs WHERE person_id = ? ORDER BY id", (pid,)
    )
    return [r["flow_id"] for r in rows]


async def walk(deps: Deps, host: FlowHost, until: datetime) -> None:
    """Time passes an hour at a time, the timers firing as the dispatcher fires them."""
    clock = deps.clock
    assert isinstance(clock, ManualClock)
    while clock.now() < until:
        clock.set(min(until, clock.now() + timedelta(hours=1)))
        await fire_due(deps, host, 100)


async def test_who_stopped_check_ins_gets_none_planned_and_reminders_still_come(
    deps: Deps, host: FlowHost
) -> None:
    ada = await participant(deps, "Ada", 501)
    bo = await participant(deps, "Bo", 502)
    await stop(deps, ada, Kind.CHECKIN)
    await plan_checkins(deps)
    await with_appointment(deps, ada)
    assert await pending(deps, bo) == ["checkin:2026-10-20"]
    assert await pending(deps, ada) == [
        "appointment:1:day_before",
        "appointment:1:two_hours_before",
    ]
    # Two weeks pass: Bo is asked twice; Ada never, and both of her reminders start.
    await walk(deps, host, APPOINTMENT)
    assert await started(deps, bo) == ["checkin", "checkin"]
    assert await started(deps, ada) == ["reminder_day_before", "reminder_soon"]
    assert await pending(deps, ada) == []


async def test_who_stopped_reminders_still_gets_check_ins_and_the_reminders_are_logged_skipped(
    deps: Deps, host: FlowHost
) -> None:
    ada = await participant(deps, "Ada", 501)
    await plan_checkins(deps)
    await with_appointment(deps, ada)
    await stop(deps, ada, Kind.REMINDER)
    await walk(deps, host, APPOINTMENT)
    assert await started(deps, ada) == ["checkin", "checkin"]
    skipped = await deps.db.fetchall(
        "SELECT flow_id, value, ref FROM events WHERE type = 'skipped_by_choice' ORDER BY id"
    )
    assert [(r["flow_id"], r["value"], r["ref"]) for r in skipped] == [
        ("reminder_day_before", "reminder", "appointment:1:day_before"),
        ("reminder_soon", "reminder", "appointment:1:two_hours_before"),
    ]


async def test_start_plans_the_check_in_again_and_later_reminders_come(
    deps: Deps, host: FlowHost
) -> None:
    ada = await participant(deps, "Ada", 501)
    await stop(deps, ada, Kind.CHECKIN)
    await stop(deps, ada, Kind.REMINDER)
    await plan_checkins(deps)
    await with_appointment(deps, ada)
    assert "checkin:2026-10-20" not in await pending(deps, ada)
    async with deps.db.transaction() as conn:
        person = await people.by_id(conn, ada)
        assert person is not None
        assert await host.tools.restart_kinds(conn, person) == [Kind.CHECKIN, Kind.REMINDER]
    assert await pending(deps, ada) == [
        "checkin:2026-10-20",
        "appointment:1:day_before",
        "appointment:1:two_hours_before",
    ]
    restarted = await deps.db.scalar("SELECT value FROM events WHERE type = 'kinds_restarted'")
    assert restarted == "checkin,reminder"


async def test_a_stopped_check_in_survives_the_daily_replanning(deps: Deps) -> None:
    ada = await participant(deps, "Ada", 501)
    await stop(deps, ada, Kind.CHECKIN)
    for _ in range(3):
        await plan_checkins(deps)
    async with deps.db.transaction() as conn:  # as after a choice of day, or a fired timer
        person = await people.by_id(conn, ada)
        assert person is not None
        await planner.plan_checkin(conn, deps, person)
    assert await pending(deps, ada) == []
    async with deps.db.transaction() as conn:
        assert await people.active_without_pending_checkin(conn) == []


def test_the_shipped_schedules_name_each_kind(deps: Deps) -> None:
    schedules = deps.content.schedules
    found = {flow: kind_of(schedules, flow) for flow in sorted(deps.content.flows)}
    assert {flow for flow, kind in found.items() if kind == Kind.CHECKIN} == {
        "checkin",
        "followup",
    }
    assert {flow for flow, kind in found.items() if kind == Kind.REMINDER} == {
        "reminder_day_before",
        "reminder_soon",
    }
    assert {flow for flow, kind in found.items() if kind == Kind.NUDGE} == {"nudge_message"}
    # An appointment's announcement, attendance, surveys: never stoppable by kind.
    assert found["appointment_new"] is None and found["attendance"] is None
