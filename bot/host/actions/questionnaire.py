"""The short questionnaire (T0 at intake, T1 at the end) and the participation ladder."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot import outbox
from bot.deps import Deps
from bot.engine.runner import Perform
from bot.host.actions.registry import action
from bot.host.port import HostPort
from bot.host.tools import Tools
from storage import events
from storage.db import Conn
from storage.events import log_event
from storage.people import Person, Role, Status
from storage.people import by_id as person_by_id
from storage.research import LanguageMoment, record_survey_language

SURVEY_FLOWS = {"T0": "intake_survey", "T1": "evaluation_survey"}


NAVIGATION = frozenset({"later"})  # buttons that steer, not answers: never logged


LADDER_EVERY = timedelta(days=30)


async def open_survey(conn: Conn, person: Person) -> tuple[str, dict[str, Any]] | None:
    """The survey the coach asked for and the participant has not finished, with the
    answers given so far (to prefill), or None."""
    requested = await events.latest(conn, person.id, "survey_requested")
    if requested is None:
        return None
    wave = requested.value
    flow_id = SURVEY_FLOWS.get(wave or "")
    if flow_id is None or await events.exists(
        conn, person.id, "survey_completed", value=wave, since=requested.at
    ):
        return None
    given = await events.answers(conn, person.id, flow_id, requested.at)
    return flow_id, {"prefill": given}


async def survey_status(conn: Conn, person_id: int) -> dict[str, str]:
    """Per wave: "done", "open" (sent, not finished) or absent. Never the answers."""
    status: dict[str, str] = {}
    for event in await events.of_types(conn, person_id, ("survey_requested", "survey_completed")):
        status[event.value or ""] = "done" if event.type == "survey_completed" else "open"
    return status


async def record_ladder(
    conn: Conn,
    deps: Deps,
    participant: Person,
    coach: Person,
    rung: str,
    moment: str | None = None,
) -> None:
    """Log a ladder rung: `intake` the first time, `end` after the trajectory, else `monthly`."""
    if moment is None:
        earlier = await events.exists(conn, participant.id, "ladder_recorded")
        moment = "end" if participant.trajectory_end else "monthly" if earlier else "intake"
    await log_event(
        conn,
        deps.clock.now(),
        "ladder_recorded",
        participant.id,
        coach.id,
        value=rung,
        ref=moment,
    )


def ladder_cutoff(deps: Deps) -> tuple[datetime]:
    """The parameter of `people.ladder_due`: rungs last recorded (or asked) this long ago."""
    return (deps.clock.now() - LADDER_EVERY,)


async def ask_ladder(conn: Conn, deps: Deps, host: HostPort, participant: Person) -> bool:
    """Ask the coach about a participant whose rung was last recorded (or asked) a month
    ago (`people.ladder_due` picks them)."""
    now = deps.clock.now()
    coach = await person_by_id(conn, participant.coach_id)
    if coach is None or coach.status != Status.ACTIVE or coach.role != Role.COACH:
        return False
    await log_event(conn, now, "ladder_asked", participant.id, coach.id)
    await host.start(
        conn,
        coach,
        "ladder",
        {"prefill": {"who": str(participant.id)}},
        scheduled=True,
        expires=now + timedelta(days=7),
    )
    return True


async def _note_language(
    tools: Tools, conn: Conn, participant: Person, wave: str, moment: LanguageMoment
) -> None:
    """Note the language the questions are shown in now (the catalog the participant gets:
    their language, or Dutch when it has none), for the research export."""
    if wave not in SURVEY_FLOWS:
        return
    shown = tools.deps.content.catalogs.pick(participant.language)
    await record_survey_language(conn, tools.deps.clock.now(), participant.id, wave, moment, shown)


@action("request_survey")
async def request_survey(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    answers = dict(action.vars.get("answers", {}))
    participant = await tools.owned(conn, coach, answers.get("who"))
    wave = str(answers.get(action.params["from"]))
    if participant is None or wave not in SURVEY_FLOWS:
        return
    if participant.status != Status.ACTIVE:
        await outbox.say(
            conn, tools.deps, coach, "nudge.not_now", {"participant": participant.name}
        )
        return
    now = tools.deps.clock.now()
    await log_event(conn, now, "survey_requested", participant.id, coach.id, value=wave)
    await _note_language(tools, conn, participant, wave, LanguageMoment.SENT)
    await tools.host.start(
        conn,
        participant,
        SURVEY_FLOWS[wave],
        {},
        scheduled=True,
        expires=now + timedelta(days=14),
    )
    await outbox.say(
        conn, tools.deps, coach, "survey.sent", {"participant": participant.name, "wave": wave}
    )


@action("survey_done")
async def survey_done(
    tools: Tools,
    conn: Conn,
    participant: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    wave = str(action.params.get("value"))
    await log_event(
        conn,
        tools.deps.clock.now(),
        "survey_completed",
        participant.id,
        participant.coach_id,
        value=wave,
    )
    await _note_language(tools, conn, participant, wave, LanguageMoment.COMPLETED)
    await tools.notify_coach(conn, participant, "coach.survey_done", {"wave": wave})


@action("record_ladder")
async def ladder_answer(
    tools: Tools,
    conn: Conn,
    coach: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    answers = dict(action.vars.get("answers", {}))
    participant = await tools.owned(conn, coach, answers.get("who"))
    rung = str(answers.get(action.params["from"]))
    if participant is None or rung not in {"1", "2", "3", "4", "5", "6"}:
        return
    await record_ladder(conn, tools.deps, participant, coach, rung)
