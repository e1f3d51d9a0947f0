"""Host actions a participant's flows perform: consent, fields, pause, stop, forget,
answers to appointments, and saying no to unasked questions ("not now", "don't ask again")."""

from __future__ import annotations

from typing import Any

from bot import outbox
from bot.content.vocabulary import FIELDS
from bot.engine.runner import Perform
from bot.host.actions.registry import action
from bot.host.privacy import forget
from bot.host.tools import PAUSE_WEEKS, Tools, as_enum, as_int
from bot.schedule import planner, policy
from storage import appointments, erasure, preferences, runs, timers
from storage import outbox as stored_outbox
from storage.appointments import AppointmentStatus
from storage.db import Conn
from storage.events import log_event
from storage.people import Person, Role, Status, update
from storage.people import by_id as person_by_id
from storage.preferences import Kind
from storage.times import to_db


@action("notify_coach")
async def notify_coach(
    tools: Tools,
    conn: Conn,
    person: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    await tools.notify_coach(conn, person, action.message or "", dict(action.vars))


@action("set_field")
async def set_field(
    tools: Tools,
    conn: Conn,
    person: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    field = str(action.params.get("field"))
    if field not in FIELDS:
        raise ValueError(f"set_field: field {field!r} may not be set")
    if "from" in action.params:
        value = action.vars.get("answers", {}).get(str(action.params["from"]))
    else:
        value = action.params.get("value")
    now = tools.deps.clock.now()
    if field == "language":
        value = tools.deps.content.catalogs.pick(str(value))
        await update(conn, person.id, language=value)
    elif field == "consent":
        status = Status.ACTIVE if person.status == Status.INVITED else person.status
        await update(
            conn,
            person.id,
            consent_at=to_db(now),
            status=status.value,
            trajectory_start=to_db(now),
        )
        await log_event(conn, now, "consented", person.id, person.coach_id)
        fresh = await person_by_id(conn, person.id)
        if fresh is not None:
            await planner.plan_campaigns(conn, tools.deps, fresh)
    else:
        await update(conn, person.id, **{field: None if value is None else str(value)})
    if field in ("checkin_day", "checkin_time"):
        fresh = await person_by_id(conn, person.id)
        if fresh is not None:
            await planner.plan_checkin(conn, tools.deps, fresh)


@action("end")
async def end(
    tools: Tools,
    conn: Conn,
    person: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    """Nothing to do: the flow's `next` ends it; kept so flows can say so plainly."""


@action("decline_consent")
async def decline_consent(
    tools: Tools,
    conn: Conn,
    person: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    # Keep only the refusal: no language, no preferences.
    await update(
        conn,
        person.id,
        status=Status.DECLINED.value,
        language=None,
        checkin_day=None,
        checkin_time=None,
        last_mood=None,
    )
    await log_event(conn, tools.deps.clock.now(), "consent_declined", person.id, person.coach_id)
    await tools.notify_coach(conn, person, "coach.participant_declined")


@action("contact_request")
async def contact_request(
    tools: Tools,
    conn: Conn,
    person: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    await log_event(conn, tools.deps.clock.now(), "contact_requested", person.id, person.coach_id)


@action("pause")
async def pause(
    tools: Tools,
    conn: Conn,
    person: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    choice = action.vars.get("answers", {}).get(str(action.params.get("from")))
    await tools.pause_person(conn, person, PAUSE_WEEKS.get(str(choice), 2))


@action("resume")
async def resume(
    tools: Tools,
    conn: Conn,
    person: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    await tools.resume(conn, person)


@action("forget")
async def forget_participant(
    tools: Tools,
    conn: Conn,
    actor: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    """Erase a participant: themselves, or on request by a coordinator.

    First the erasure, then the goodbye and the coach's note (from what was read before):
    those are the only rows that still carry the name or the chat id, tagged so that the
    erasure is settled once they are out (bot.host.privacy.settle_erasures)."""
    target: Person | None = actor
    if actor.role == Role.COORDINATOR:
        target = await person_by_id(conn, as_int(action.vars.get("answers", {}).get("who")))
    if target is None or target.role != Role.PARTICIPANT:
        await tools.refuse(conn, actor, "invalid_action")
        return
    await runs.cancel_open(conn, target.id)
    await forget(conn, tools.deps, target, "participant" if actor is target else "coordinator")
    written = await erasure.last_message_id(conn)  # after: erasing frees ids for reuse
    await tools.notify_coach(conn, target, "coach.participant_forgotten")
    if target.address is not None:
        text = outbox.render(tools.deps, target, "privacy.forgotten", {"name": target.name})
        await outbox.message(conn, tools.deps, None, target.address.id, text)
    if actor is not target:
        await outbox.say(conn, tools.deps, actor, "privacy.forgotten_by_coordinator")
    await erasure.mark_farewells(conn, written, target.id)


@action("stop")
async def stop(
    tools: Tools,
    conn: Conn,
    person: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    await update(conn, person.id, status=Status.STOPPED.value)
    await stored_outbox.cancel_unsolicited(conn, person.id)
    await timers.cancel(conn, person.id)
    await runs.cancel_queued(conn, person.id)
    await log_event(conn, tools.deps.clock.now(), "stopped", person.id, person.coach_id)


@action("appointment_answer")
async def appointment_answer(
    tools: Tools,
    conn: Conn,
    person: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    status = as_enum(AppointmentStatus, action.params.get("value"))
    appointment_id = as_int(action.vars.get("appointment_id"))
    if status is None or appointment_id is None:
        return
    if status not in (AppointmentStatus.CONFIRMED, AppointmentStatus.DECLINED):
        return
    now = tools.deps.clock.now()
    await appointments.answer(conn, now, appointment_id, person.id, status)
    await log_event(
        conn,
        now,
        f"appointment_{status.value}",
        person.id,
        person.coach_id,
        ref=f"appointment:{appointment_id}",
    )


@action("not_now")
async def not_now(
    tools: Tools,
    conn: Conn,
    person: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    """ "Not now" to an unasked question: nothing changes and nobody is alerted; the log
    keeps a neutral event (value: the kind of question)."""
    kind = as_enum(Kind, action.params.get("value"))
    run = await runs.get(conn, run_id)
    await log_event(
        conn,
        tools.deps.clock.now(),
        "question_not_now",
        person.id,
        person.coach_id,
        flow_id=run.flow_id if run else None,
        value=kind.value if kind else None,
        ref=f"run:{run_id}",
    )


@action("stop_kind")
async def stop_kind(
    tools: Tools,
    conn: Conn,
    person: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    """No more of one kind of unasked message (`value`: checkin, reminder or nudge) until
    the participant sends /start. Waiting questions of that kind are closed; the weekly
    check-in is no longer planned; other kinds, pause and stop are untouched."""
    kind = as_enum(Kind, action.params.get("value"))
    if kind is None:
        return
    deps = tools.deps
    now = deps.clock.now()
    await preferences.stop(conn, now, person.id, kind)
    same = [f for f in deps.content.flows if policy.kind_of(deps.content.schedules, f) == kind]
    await runs.cancel_waiting(conn, person.id, same)
    if kind == Kind.CHECKIN:
        await planner.plan_checkin(conn, deps, person)
    run = await runs.get(conn, run_id)
    await log_event(
        conn,
        now,
        "kind_stopped",
        person.id,
        person.coach_id,
        flow_id=run.flow_id if run else None,
        value=kind.value,
        ref=f"run:{run_id}",
    )
