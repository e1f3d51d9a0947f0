"""Host actions of coordinators: handover, coach invites, (de)activating coaches."""

from __future__ import annotations

from typing import Any

from bot import outbox
from bot.engine.runner import Perform
from bot.host.actions.registry import action
from bot.host.invites import create_person, new_invite
from bot.host.names import stored_name
from bot.host.tools import Tools, answers_of, as_int
from storage import appointments, people
from storage.db import Conn
from storage.events import log_event
from storage.people import Person, Role, Status, update
from storage.people import by_id as person_by_id


@action("handover")
async def handover(
    tools: Tools,
    conn: Conn,
    coordinator: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    answers = answers_of(action)
    old = await person_by_id(conn, as_int(answers.get("from")))
    new = await person_by_id(conn, as_int(answers.get("to")))
    if (
        coordinator.role != Role.COORDINATOR
        or old is None
        or new is None
        or old.role != Role.COACH
        or new.role != Role.COACH
        or new.status != Status.ACTIVE
        or old.id == new.id
    ):
        await log_event(conn, tools.deps.clock.now(), "refused", coordinator.id, value="handover")
        await tools.refuse(conn, coordinator, "invalid_action")
        return
    who = answers.get("who")
    one = None if who == "all" else as_int(who)
    moved = [p for p in await people.participants_of(conn, old.id) if who == "all" or p.id == one]
    now = tools.deps.clock.now()
    for participant in moved:
        await update(conn, participant.id, coach_id=new.id)
        await appointments.hand_over_upcoming(conn, now, participant.id, new.id)
        await log_event(conn, now, "handed_over", participant.id, new.id, ref=f"from:{old.id}")
        if participant.status in (Status.ACTIVE, Status.PAUSED):
            await outbox.say(
                conn,
                tools.deps,
                participant,
                "handover.new_coach",
                {"coach": new.name, "old_coach": old.name},
            )
    names = ", ".join(p.name for p in moved)
    vars = {"count": len(moved), "names": names, "from_coach": old.name, "to_coach": new.name}
    if moved:
        await outbox.say(conn, tools.deps, new, "coach.handover_received", vars)
    await outbox.say(conn, tools.deps, coordinator, "handover.done", vars)


@action("create_coach_invite")
async def create_coach_invite(
    tools: Tools,
    conn: Conn,
    coordinator: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    if coordinator.role != Role.COORDINATOR:
        await tools.refuse(conn, coordinator, "invalid_action")
        return
    typed = str(answers_of(action).get("name", ""))
    name = await stored_name(conn, tools.deps, coordinator, typed)
    if name is None:
        return
    now = tools.deps.clock.now()
    person_id = await create_person(conn, now, Role.COACH, name)
    token, expires = await new_invite(conn, tools.deps, person_id)
    link = tools.deps.invite_link(token)
    await outbox.say(
        conn,
        tools.deps,
        coordinator,
        "coaches.invite_link",
        {"coach": name, "link": link, "expires": expires.isoformat()},
    )


@action("set_coach_active")
async def set_coach_active(
    tools: Tools,
    conn: Conn,
    coordinator: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    coach = await person_by_id(conn, as_int(answers_of(action).get("which")))
    if coordinator.role != Role.COORDINATOR or coach is None or coach.role != Role.COACH:
        await tools.refuse(conn, coordinator, "invalid_action")
        return
    active = action.params.get("value") == "yes"
    status = Status.ACTIVE if active else Status.DEACTIVATED
    await update(conn, coach.id, status=status.value)
    await log_event(
        conn,
        tools.deps.clock.now(),
        "coach_activated" if active else "coach_deactivated",
        coach.id,
        value=str(coordinator.id),
    )
    key = "coaches.reactivated" if active else "coaches.deactivated"
    await outbox.say(conn, tools.deps, coordinator, key, {"coach": coach.name})
