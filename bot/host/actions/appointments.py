"""Host actions on appointments: plan, move, cancel, attendance, a new time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot import outbox
from bot.engine.runner import Perform
from bot.host.actions.registry import action
from bot.host.tools import Tools, answers_of, as_enum, as_int
from bot.schedule import planner
from storage import appointments
from storage.appointments import Attendance
from storage.db import Conn
from storage.events import log_event
from storage.people import Person, Status
from storage.people import by_id as person_by_id

# How long the buttons of an appointment's announcement stay live (the flows time out
# after as long); the reminders ask again closer to the day.
ANNOUNCEMENT_WINDOW = timedelta(days=1)


@action("create_appointment")
async def create_appointment(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    answers = action.vars.get("answers", {})
    participant = await tools.owned(conn, coach, answers.get("who"))
    if participant is None:
        return  # refused and logged by owned()
    starts_at = tools.starts_at(answers)
    if starts_at is None:
        await tools.refuse(conn, coach, "invalid_action")
        return
    place = tools.deps.content.place(str(answers.get("place")))
    place_name = place.name if place else str(answers.get("place_text", ""))[:120]
    address = place.address if place else None
    now = tools.deps.clock.now()
    appointment_id = await appointments.add(
        conn, now, participant.id, coach.id, starts_at, place_name, address
    )
    await planner.schedule_reminders(
        conn,
        tools.deps,
        appointment_id,
        participant.id,
        starts_at,
        place_name,
        address,
        coach_id=coach.id,
    )
    await log_event(
        conn,
        now,
        "appointment_planned",
        participant.id,
        coach.id,
        ref=f"appointment:{appointment_id}",
    )
    vars = {
        "when": starts_at.isoformat(),
        "place": place_name,
        "address": address or "",
        "participant": participant.name,
        "coach": coach.name,
        "name": participant.name,
    }
    if participant.status == Status.ACTIVE:
        await announce(tools, conn, participant, "appointment_new", appointment_id, vars)
    await outbox.say(conn, tools.deps, coach, "coach.appointment_created", vars)


async def announce(
    tools: Tools,
    conn: Conn,
    participant: Person,
    flow_id: str,
    appointment_id: int,
    vars: dict[str, Any],
) -> None:
    """Tell the participant about a new or moved appointment, with "I'll be there" and
    "I can't come" (flows/appointment_new.yaml, appointment_moved.yaml). The question
    lasts a day (the reminders ask again) and never past the appointment's start."""
    starts_at = datetime.fromisoformat(vars["when"])
    await tools.host.start(
        conn,
        participant,
        flow_id,
        {
            "appointment_id": appointment_id,
            "when": vars["when"],
            "place": vars["place"],
            "address": vars["address"],
        },
        scheduled=True,
        expires=min(starts_at, tools.deps.clock.now() + ANNOUNCEMENT_WINDOW),
    )


@action("move_appointment")
async def move_appointment(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    answers = action.vars.get("answers", {})
    appointment = await tools.appointment(conn, coach, answers.get("which"))
    starts_at = tools.starts_at(answers)
    if appointment is None or starts_at is None:
        await tools.refuse(conn, coach, "invalid_action")
        return
    participant = await person_by_id(conn, appointment.participant_id)
    if participant is None:
        return
    now = tools.deps.clock.now()
    await planner.move_appointment(conn, tools.deps, appointment, starts_at)
    await log_event(
        conn,
        now,
        "appointment_moved",
        participant.id,
        coach.id,
        ref=f"appointment:{appointment.id}",
    )
    vars = {
        "when": starts_at.isoformat(),
        "place": appointment.place,
        "address": appointment.address or "",
        "participant": participant.name,
    }
    if participant.status == Status.ACTIVE:
        await announce(tools, conn, participant, "appointment_moved", appointment.id, vars)
    await outbox.say(conn, tools.deps, coach, "coach.appointment_moved", vars)


@action("cancel_appointment")
async def cancel_appointment(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    answers = action.vars.get("answers", {})
    appointment = await tools.appointment(conn, coach, answers.get("which"))
    if appointment is None:
        await tools.refuse(conn, coach, "invalid_action")
        return
    participant = await person_by_id(conn, appointment.participant_id)
    if participant is None:
        return
    now = tools.deps.clock.now()
    starts_at = appointment.starts_at
    await appointments.cancel(conn, now, appointment.id)
    await planner.cancel_reminders(conn, participant.id, appointment.id, coach.id)
    await log_event(
        conn,
        now,
        "appointment_cancelled",
        participant.id,
        coach.id,
        ref=f"appointment:{appointment.id}",
    )
    vars = {"when": starts_at.isoformat(), "participant": participant.name}
    if participant.status == Status.ACTIVE:
        await outbox.say(
            conn,
            tools.deps,
            participant,
            "appointment.cancelled",
            vars,
            unsolicited=True,
            expires=starts_at,
        )
    await outbox.say(conn, tools.deps, coach, "coach.appointment_cancelled", vars)


@action("record_attendance")
async def record_attendance(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    answers = answers_of(action)
    attendance = as_enum(Attendance, answers.get(action.params["from"]))
    appointment = await appointments.of_coach(conn, coach.id, as_int(answers.get("which")))
    if appointment is None or attendance is None:
        await tools.refuse(conn, coach, "invalid_action")
        return
    now = tools.deps.clock.now()
    if appointment.attendance == attendance:
        return  # recorded once; the same answer again changes nothing
    await appointments.set_attendance(conn, now, appointment.id, attendance)
    if appointment.attendance is not None:
        # Chosen again from the menu: an explicit correction, one event that replaces the
        # first record (research reads the last one), and no second message to anyone.
        await log_event(
            conn,
            now,
            "attendance_corrected",
            appointment.participant_id,
            coach.id,
            value=attendance.value,
            ref=f"appointment:{appointment.id}",
        )
        return
    await log_event(
        conn,
        now,
        f"attendance_{attendance.value}",
        appointment.participant_id,
        coach.id,
        ref=f"appointment:{appointment.id}",
    )
    participant = await person_by_id(conn, appointment.participant_id)
    if (
        attendance == Attendance.NO_SHOW
        and participant is not None
        and participant.status == Status.ACTIVE
    ):
        await tools.host.start(
            conn,
            participant,
            "missed",
            {"appointment_id": appointment.id, "when": appointment.starts_at.isoformat()},
            scheduled=True,
            expires=now + timedelta(days=7),
        )


@action("reschedule")
async def reschedule(
    tools: Tools,
    conn: Conn,
    participant: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    """The participant picked one of the proposed new times: the appointment moves."""
    picked = answers_of(action).get(action.params["from"])
    appointment = await appointments.of_participant(
        conn, participant.id, as_int(action.vars.get("appointment_id"))
    )
    try:
        starts_at = datetime.fromisoformat(str(picked))
    except ValueError:
        return
    if appointment is None or starts_at <= tools.deps.clock.now():
        return
    now = tools.deps.clock.now()
    await planner.move_appointment(conn, tools.deps, appointment, starts_at)
    await log_event(
        conn,
        now,
        "appointment_rescheduled",
        participant.id,
        appointment.coach_id,
        ref=f"appointment:{appointment.id}",
    )
    await tools.notify_coach(
        conn, participant, "coach.participant_picked_time", {"when": starts_at.isoformat()}
    )
