"""Host actions of a coach's caseload: invites, nudges, replies, pause, end of a
trajectory, away."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from bot import outbox
from bot.engine.runner import Perform
from bot.host.actions.questionnaire import record_ladder
from bot.host.actions.registry import action
from bot.host.invites import create_person, new_invite
from bot.host.names import stored_name
from bot.host.tools import PAUSE_WEEKS, Tools, answers_of, as_int
from bot.schedule import planner, policy
from bot.schedule.timing import local
from storage import preferences, timers
from storage.db import Conn
from storage.events import log_event
from storage.people import Person, Role, Status, update
from storage.people import by_id as person_by_id
from storage.preferences import Kind
from storage.times import to_db

# How long a nudge's buttons stay live (flows/nudge_message.yaml times out after as long).
NUDGE_ANSWER_WINDOW = timedelta(days=1)


@action("create_invite")
async def create_invite(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    if coach.role != Role.COACH:
        return
    answers = action.vars.get("answers", {})
    name = await stored_name(conn, tools.deps, coach, str(answers.get("name", "")))
    if name is None:
        return
    language = answers.get("language")
    codes = tools.deps.content.catalogs.codes
    now = tools.deps.clock.now()
    person_id = await create_person(
        conn,
        now,
        Role.PARTICIPANT,
        name,
        coach_id=coach.id,
        language=language if language in codes else None,
    )
    token, expires = await new_invite(conn, tools.deps, person_id)
    await log_event(conn, now, "invited", person_id, coach.id)
    link = tools.deps.invite_link(token)
    await outbox.say(
        conn,
        tools.deps,
        coach,
        "coach.invite_link",
        {"participant": name, "link": link, "expires": expires.isoformat()},
    )


@action("ask_reply")
async def ask_reply(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    participant = await tools.owned(conn, coach, answers_of(action).get(action.params["from"]))
    if participant is not None:
        await outbox.say(
            conn,
            tools.deps,
            coach,
            "caseload.write_reply",
            {"participant": participant.name},
            about=participant.id,
        )


@action("show_invite")
async def show_invite(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    participant = await tools.owned(conn, coach, answers_of(action).get(action.params["from"]))
    if participant is None or coach.address is None:
        return
    if participant.address is not None:
        await outbox.say(
            conn, tools.deps, coach, "caseload.already_linked", {"participant": participant.name}
        )
        return
    token, expires = await new_invite(conn, tools.deps, participant.id)
    link = tools.deps.invite_link(token)
    text = outbox.render(
        tools.deps,
        coach,
        "coach.invite_link",
        {"participant": participant.name, "link": link, "expires": expires.isoformat()},
    )
    await outbox.message(conn, tools.deps, coach, coach.address.id, text, qr=link)
    await log_event(conn, tools.deps.clock.now(), "invited", participant.id, coach.id)


@action("send_nudge")
async def send_nudge(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    answers = answers_of(action)
    participant = await tools.owned(conn, coach, answers.get("who"))
    if participant is None:
        return
    now = tools.deps.clock.now()
    due = now
    if answers.get("when") == "later":
        try:
            day = date.fromisoformat(str(answers["day"]))
            hours, minutes = str(answers["time"]).split(":")
            due = local(day, time(int(hours), int(minutes)), tools.deps.content.tz)
        except (KeyError, ValueError):
            await tools.refuse(conn, coach, "invalid_action")
            return
    which = str(answers.get("which"))
    if participant.status != Status.ACTIVE or participant.address is None:
        await outbox.say(
            conn, tools.deps, coach, "nudge.not_now", {"participant": participant.name}
        )
        return
    if Kind.NUDGE in await preferences.stopped(conn, participant.id):
        # Their own choice ("no more of these"): said plainly, not as a problem.
        await outbox.say(
            conn, tools.deps, coach, "coach.nudges_stopped", {"participant": participant.name}
        )
        return
    vars = {
        "name": participant.name,
        "coach": coach.name,
        "text": str(answers.get("own_text", "")),
    }
    key = "nudge.own" if which == "own" else f"nudge.{which}"
    # Rendered now, in the participant's language; the question shows it with its buttons.
    question = {"text": outbox.render(tools.deps, participant, key, vars)}
    if due <= now:
        await tools.host.start(
            conn,
            participant,
            policy.NUDGE_FLOW,
            question,
            scheduled=True,
            expires=now + NUDGE_ANSWER_WINDOW,
        )
    else:
        due = policy.earliest(due, policy.window(tools.deps))
        await timers.add(
            conn,
            now,
            participant.id,
            "flow",
            {"flow": policy.NUDGE_FLOW, "vars": question},
            due,
            expires=due + NUDGE_ANSWER_WINDOW,
            ref=f"{timers.NUDGE}{run_id}",
        )
    await log_event(conn, now, "nudge_planned", participant.id, coach.id, value=which)
    key = "nudge.sent" if due <= now else "nudge.planned"
    await outbox.say(
        conn, tools.deps, coach, key, {"participant": participant.name, "when": due.isoformat()}
    )


@action("cancel_nudge")
async def cancel_nudge(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    name = await timers.cancel_nudge(conn, coach.id, answers_of(action).get("which"))
    if name is None:
        await outbox.say(conn, tools.deps, coach, "nudge.already_gone")
        return
    await outbox.say(conn, tools.deps, coach, "nudge.cancelled", {"participant": name})


@action("pause_participant")
async def pause_participant(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    answers = answers_of(action)
    participant = await tools.owned(conn, coach, answers.get("who"))
    if participant is None:
        return
    choice = str(answers.get(action.params["from"]))
    if choice == "resume":
        await tools.resume(conn, participant)
        await outbox.say(conn, tools.deps, participant, "pause.resumed", {"coach": coach.name})
        await outbox.say(
            conn, tools.deps, coach, "coach.resumed", {"participant": participant.name}
        )
        return
    if participant.status not in (Status.ACTIVE, Status.PAUSED):
        await outbox.say(
            conn, tools.deps, coach, "nudge.not_now", {"participant": participant.name}
        )
        return
    until = await tools.pause_person(conn, participant, PAUSE_WEEKS.get(choice, 2))
    vars = {"until": until.isoformat(), "coach": coach.name, "participant": participant.name}
    await outbox.say(conn, tools.deps, participant, "pause.by_coach", vars)
    await outbox.say(conn, tools.deps, coach, "coach.paused", vars)


@action("end_trajectory")
async def end_trajectory(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    answers = answers_of(action)
    participant = await tools.owned(conn, coach, answers.get("who"))
    if participant is None:
        return
    now = tools.deps.clock.now()
    reason = str(answers.get("reason", "other"))
    await update(conn, participant.id, trajectory_end=to_db(now), end_reason=reason)
    await timers.cancel(conn, participant.id, "checkin:")
    first = await planner.schedule_followups(conn, tools.deps, participant.id, now)
    await log_event(conn, now, "trajectory_ended", participant.id, coach.id, value=reason)
    if str(answers.get("rung")) in {"1", "2", "3", "4", "5", "6"}:
        await record_ladder(conn, tools.deps, participant, coach, str(answers["rung"]), "end")
    if participant.status == Status.ACTIVE:
        # Worded for the reason: no "well done" for someone who stopped.
        await outbox.say(
            conn, tools.deps, participant, f"trajectory.ended.{reason}", {"coach": coach.name}
        )
    reason_label = outbox.render(tools.deps, coach, f"end.reason.{reason}", {})
    await outbox.say(
        conn,
        tools.deps,
        coach,
        "coach.trajectory_ended",
        {
            "participant": participant.name,
            "reason": reason_label,
            "first": first.isoformat() if first else now.isoformat(),
        },
    )


@action("set_away")
async def set_away(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    answers = answers_of(action)
    backup = await person_by_id(conn, as_int(answers.get("backup")))
    try:
        back_on = date.fromisoformat(str(answers.get("until")))
    except ValueError:
        back_on = None
    if (
        backup is None
        or backup.id == coach.id
        or backup.status != Status.ACTIVE
        or backup.role == Role.PARTICIPANT
        or back_on is None
    ):
        await tools.refuse(conn, coach, "invalid_action")
        return
    until = local(back_on, time(0, 0), tools.deps.content.tz)
    await update(conn, coach.id, away_until=to_db(until), backup_id=backup.id)
    await log_event(conn, tools.deps.clock.now(), "coach_away", coach.id, backup.id)
    vars = {"until": until.isoformat(), "backup": backup.name, "coach": coach.name}
    await outbox.say(conn, tools.deps, coach, "away.set", vars)
    await outbox.say(conn, tools.deps, backup, "away.you_are_backup", vars)


@action("coach_back")
async def coach_back(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    await update(conn, coach.id, away_until=None, backup_id=None)
    await log_event(conn, tools.deps.clock.now(), "coach_back", coach.id)
    await outbox.say(conn, tools.deps, coach, "away.back")
