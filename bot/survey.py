"""The short questionnaire (T0 at intake, T1 at the end) and the participation ladder.

The coach sends the questionnaire and sees only whether it is done. A participant can
skip any question, or stop ("later") and continue with /survey where they left off:
answers given since the coach's request are prefilled, so those questions are skipped.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot import outbox
from bot.engine.runner import Perform
from storage.events import log_event
from storage.people import Person, Role, Status
from storage.people import by_id as person_by_id
from storage.times import from_db

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.flowhost import FlowHost

SURVEY_FLOWS = {"T0": "intake_survey", "T1": "evaluation_survey"}
NAVIGATION = frozenset({"later"})  # buttons that steer, not answers: never logged
LADDER_EVERY = timedelta(days=30)


async def open_survey(
    conn: aiosqlite.Connection, person: Person
) -> tuple[str, dict[str, Any]] | None:
    """The survey the coach asked for and the participant has not finished, with the
    answers given so far (to prefill), or None."""
    rows = await conn.execute_fetchall(
        "SELECT at, value FROM events WHERE person_id = ? AND type = 'survey_requested'"
        " ORDER BY id DESC LIMIT 1",
        (person.id,),
    )
    if not rows:
        return None
    requested_at, wave = rows[0]["at"], rows[0]["value"]
    flow_id = SURVEY_FLOWS.get(wave)
    done = await conn.execute_fetchall(
        "SELECT 1 FROM events WHERE person_id = ? AND type = 'survey_completed' AND value = ?"
        " AND at >= ?",
        (person.id, wave, requested_at),
    )
    if flow_id is None or done:
        return None
    answers = await conn.execute_fetchall(
        "SELECT step, value FROM events WHERE person_id = ? AND type = 'answer' AND flow_id = ?"
        " AND at >= ? ORDER BY id",
        (person.id, flow_id, requested_at),
    )
    return flow_id, {"prefill": {r["step"]: r["value"] for r in answers}}


async def survey_status(conn: aiosqlite.Connection, person_id: int) -> dict[str, str]:
    """Per wave: "done", "open" (sent, not finished) or absent. Never the answers."""
    rows = await conn.execute_fetchall(
        "SELECT type, value FROM events WHERE person_id = ? AND type IN"
        " ('survey_requested', 'survey_completed') ORDER BY id",
        (person_id,),
    )
    status: dict[str, str] = {}
    for row in rows:
        status[row["value"]] = "done" if row["type"] == "survey_completed" else "open"
    return status


class SurveyActions:
    deps: Deps
    host: FlowHost

    async def _do_request_survey(
        self,
        conn: aiosqlite.Connection,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        answers = dict(action.vars.get("answers", {}))
        participant = await self.owned(conn, coach, answers.get("who"))  # type: ignore[attr-defined]
        wave = str(answers.get(action.params["from"]))
        if participant is None or wave not in SURVEY_FLOWS:
            return
        if participant.status != Status.ACTIVE:
            await outbox.say(
                conn, self.deps, coach, "nudge.not_now", {"participant": participant.name}
            )
            return
        now = self.deps.clock.now()
        await log_event(conn, now, "survey_requested", participant.id, coach.id, value=wave)
        await self.host.start(
            conn, participant, SURVEY_FLOWS[wave], {}, scheduled=True,
            expires=now + timedelta(days=14),
        )
        await outbox.say(
            conn, self.deps, coach, "survey.sent", {"participant": participant.name, "wave": wave}
        )

    async def _do_survey_done(
        self,
        conn: aiosqlite.Connection,
        participant: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        wave = str(action.params.get("value"))
        await log_event(
            conn, self.deps.clock.now(), "survey_completed", participant.id, participant.coach_id,
            value=wave,
        )
        await self.notify_coach(  # type: ignore[attr-defined]
            conn, participant, "coach.survey_done", {"wave": wave}
        )

    async def _do_record_ladder(
        self,
        conn: aiosqlite.Connection,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        answers = dict(action.vars.get("answers", {}))
        participant = await self.owned(conn, coach, answers.get("who"))  # type: ignore[attr-defined]
        rung = str(answers.get(action.params["from"]))
        if participant is None or rung not in {"1", "2", "3", "4", "5", "6"}:
            return
        await record_ladder(conn, self.deps, participant, coach, rung)


async def record_ladder(
    conn: aiosqlite.Connection, deps: Deps, participant: Person, coach: Person, rung: str,
    moment: str | None = None,
) -> None:
    """Log a ladder rung: `intake` the first time, `end` after the trajectory, else `monthly`."""
    if moment is None:
        earlier = await conn.execute_fetchall(
            "SELECT 1 FROM events WHERE person_id = ? AND type = 'ladder_recorded' LIMIT 1",
            (participant.id,),
        )
        moment = "end" if participant.trajectory_end else "monthly" if earlier else "intake"
    await log_event(
        conn, deps.clock.now(), "ladder_recorded", participant.id, coach.id, value=rung,
        ref=moment,
    )


LADDER_CANDIDATES = (
    "SELECT p.*, (SELECT MAX(e.at) FROM events e WHERE e.person_id = p.id AND e.type IN"
    " ('ladder_recorded', 'ladder_asked')) AS last_at FROM people p"
    " WHERE p.role = 'participant' AND p.status IN ('active', 'paused')"
    " AND p.trajectory_start IS NOT NULL AND p.trajectory_end IS NULL"
)


async def ask_ladder(conn: aiosqlite.Connection, deps: Deps, host: FlowHost, row: Any) -> bool:
    """Ask the coach about a participant whose rung was last recorded (or asked) a month ago."""
    now = deps.clock.now()
    last = from_db(row["last_at"]) if row["last_at"] else from_db(row["trajectory_start"])
    if now - last < LADDER_EVERY:
        return False
    participant = Person.from_row(row)
    coach = await person_by_id(conn, participant.coach_id)
    if coach is None or coach.status != Status.ACTIVE or coach.role != Role.COACH:
        return False
    await log_event(conn, now, "ladder_asked", participant.id, coach.id)
    await host.start(
        conn, coach, "ladder", {"prefill": {"who": str(participant.id)}}, scheduled=True,
        expires=now + timedelta(days=7),
    )
    return True



