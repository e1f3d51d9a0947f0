"""Host actions for coaches and coordinators: caseload, nudges, attendance, trajectory end,
away and handover. Every action re-checks that the participant is in the actor's caseload
(callback data can be forged); a refusal is logged and answered politely.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from bot import outbox, planner
from bot.engine.runner import Perform
from bot.invites import create_person, deep_link, new_invite
from bot.survey import record_ladder
from bot.timing import local
from storage import appointments, people, runs, timers
from storage import outbox as stored_outbox
from storage.appointments import Attendance
from storage.db import Conn
from storage.events import log_event
from storage.people import Person, Role, Status, update
from storage.people import by_id as person_by_id
from storage.times import to_db

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.flowhost import FlowHost

PAUSE_WEEKS = {"1w": 1, "2w": 2, "4w": 4}

E = TypeVar("E", bound=StrEnum)


def _answers(action: Perform) -> dict[str, Any]:
    return dict(action.vars.get("answers", {}))


class CoachActions:
    deps: Deps
    host: FlowHost

    # --- shared helpers -------------------------------------------------------

    async def owned(self, conn: Conn, actor: Person, pid: Any) -> Person | None:
        """The participant if `actor` is their coach; None (and a logged refusal) otherwise."""
        try:
            participant = await person_by_id(conn, int(pid))
        except (TypeError, ValueError):
            participant = None
        if participant is None or participant.coach_id != actor.id or actor.role != Role.COACH:
            await self.refuse(conn, actor, "not_caseload")
            return None
        return participant

    async def refuse(self, conn: Conn, actor: Person, why: str) -> None:
        """A polite "not possible" and an audit event."""
        await log_event(conn, self.deps.clock.now(), "refused", actor.id, value=why)
        await outbox.say(conn, self.deps, actor, "not_allowed")

    async def pause_person(self, conn: Conn, person: Person, weeks: int) -> datetime:
        now = self.deps.clock.now()
        until = now + timedelta(weeks=weeks)
        await update(conn, person.id, status=Status.PAUSED.value, paused_until=to_db(until))
        await outbox.cancel_unsolicited(conn, person.id)
        await runs.cancel_queued(conn, person.id)
        await timers.cancel(conn, person.id, kind="resume")
        await timers.add(conn, now, person.id, "resume", {}, until, ref="resume")
        await log_event(conn, now, "paused", person.id, person.coach_id, value=f"{weeks}w")
        return until

    # --- caseload -------------------------------------------------------------

    async def _do_ask_reply(
        self,
        conn: Conn,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        participant = await self.owned(conn, coach, _answers(action).get(action.params["from"]))
        if participant is not None:
            await outbox.say(
                conn,
                self.deps,
                coach,
                "caseload.write_reply",
                {"participant": participant.name},
                about=participant.id,
            )

    async def _do_show_invite(
        self,
        conn: Conn,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        participant = await self.owned(conn, coach, _answers(action).get(action.params["from"]))
        if participant is None or coach.telegram_id is None:
            return
        if participant.telegram_id is not None:
            await outbox.say(
                conn, self.deps, coach, "caseload.already_linked", {"participant": participant.name}
            )
            return
        token, expires = await new_invite(conn, self.deps, participant.id)
        link = deep_link(self.deps.settings.bot_username, token)
        text = outbox.render(
            self.deps,
            coach,
            "coach.invite_link",
            {"participant": participant.name, "link": link, "expires": expires.isoformat()},
        )
        await outbox.message(conn, self.deps, coach, coach.telegram_id, text, qr=link)
        await log_event(conn, self.deps.clock.now(), "invited", participant.id, coach.id)

    # --- nudges ---------------------------------------------------------------

    async def _do_send_nudge(
        self,
        conn: Conn,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        answers = _answers(action)
        participant = await self.owned(conn, coach, answers.get("who"))
        if participant is None:
            return
        now = self.deps.clock.now()
        due = now
        if answers.get("when") == "later":
            try:
                day = date.fromisoformat(str(answers["day"]))
                hours, minutes = str(answers["time"]).split(":")
                due = local(day, time(int(hours), int(minutes)), self.deps.content.tz)
            except (KeyError, ValueError):
                await self.refuse(conn, coach, "invalid_action")
                return
        which = str(answers.get("which"))
        if participant.status != Status.ACTIVE or participant.telegram_id is None:
            await outbox.say(
                conn, self.deps, coach, "nudge.not_now", {"participant": participant.name}
            )
            return
        vars = {
            "name": participant.name,
            "coach": coach.name,
            "text": str(answers.get("own_text", "")),
        }
        key = "nudge.own" if which == "own" else f"nudge.{which}"
        text = outbox.render(self.deps, participant, key, vars)
        await outbox.message(
            conn,
            self.deps,
            participant,
            participant.telegram_id,
            text,
            unsolicited=True,
            due=max(due, now),
            tag="nudge",
        )
        await log_event(conn, now, "nudge_planned", participant.id, coach.id, value=which)
        key = "nudge.sent" if due <= now else "nudge.planned"
        await outbox.say(
            conn, self.deps, coach, key, {"participant": participant.name, "when": due.isoformat()}
        )

    async def _do_cancel_nudge(
        self,
        conn: Conn,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        name = await stored_outbox.cancel_nudge(conn, coach.id, _answers(action).get("which"))
        if name is None:
            await outbox.say(conn, self.deps, coach, "nudge.already_gone")
            return
        await outbox.say(conn, self.deps, coach, "nudge.cancelled", {"participant": name})

    # --- attendance and new times ---------------------------------------------

    async def _do_record_attendance(
        self,
        conn: Conn,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        answers = _answers(action)
        attendance = _enum(Attendance, answers.get(action.params["from"]))
        appointment = await appointments.of_coach(conn, coach.id, _int(answers.get("which")))
        if appointment is None or attendance is None:
            await self.refuse(conn, coach, "invalid_action")
            return
        now = self.deps.clock.now()
        await appointments.set_attendance(conn, now, appointment.id, attendance)
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
            await self.host.start(
                conn,
                participant,
                "missed",
                {"appointment_id": appointment.id, "when": appointment.starts_at.isoformat()},
                scheduled=True,
                expires=now + timedelta(days=7),
            )

    async def _do_reschedule(
        self,
        conn: Conn,
        participant: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        """The participant picked one of the proposed new times: the appointment moves."""
        picked = _answers(action).get(action.params["from"])
        appointment = await appointments.of_participant(
            conn, participant.id, _int(action.vars.get("appointment_id"))
        )
        try:
            starts_at = datetime.fromisoformat(str(picked))
        except ValueError:
            return
        if appointment is None or starts_at <= self.deps.clock.now():
            return
        now = self.deps.clock.now()
        await planner.move_appointment(conn, self.deps, appointment, starts_at)
        await log_event(
            conn,
            now,
            "appointment_rescheduled",
            participant.id,
            appointment.coach_id,
            ref=f"appointment:{appointment.id}",
        )
        await self.notify_coach(  # type: ignore[attr-defined]
            conn, participant, "coach.participant_picked_time", {"when": starts_at.isoformat()}
        )

    # --- pause, end of trajectory -----------------------------------------------

    async def _do_pause_participant(
        self,
        conn: Conn,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        answers = _answers(action)
        participant = await self.owned(conn, coach, answers.get("who"))
        if participant is None:
            return
        choice = str(answers.get(action.params["from"]))
        if choice == "resume":
            await self.resume(conn, participant)  # type: ignore[attr-defined]
            await outbox.say(conn, self.deps, participant, "pause.resumed", {"coach": coach.name})
            await outbox.say(
                conn, self.deps, coach, "coach.resumed", {"participant": participant.name}
            )
            return
        if participant.status not in (Status.ACTIVE, Status.PAUSED):
            await outbox.say(
                conn, self.deps, coach, "nudge.not_now", {"participant": participant.name}
            )
            return
        until = await self.pause_person(conn, participant, PAUSE_WEEKS.get(choice, 2))
        vars = {"until": until.isoformat(), "coach": coach.name, "participant": participant.name}
        await outbox.say(conn, self.deps, participant, "pause.by_coach", vars)
        await outbox.say(conn, self.deps, coach, "coach.paused", vars)

    async def _do_end_trajectory(
        self,
        conn: Conn,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        answers = _answers(action)
        participant = await self.owned(conn, coach, answers.get("who"))
        if participant is None:
            return
        now = self.deps.clock.now()
        reason = str(answers.get("reason", "other"))
        await update(conn, participant.id, trajectory_end=to_db(now), end_reason=reason)
        await timers.cancel(conn, participant.id, "checkin:")
        first = await planner.schedule_followups(conn, self.deps, participant.id, now)
        await log_event(conn, now, "trajectory_ended", participant.id, coach.id, value=reason)
        if str(answers.get("rung")) in {"1", "2", "3", "4", "5", "6"}:
            await record_ladder(conn, self.deps, participant, coach, str(answers["rung"]), "end")
        if participant.status == Status.ACTIVE:
            await outbox.say(
                conn, self.deps, participant, "trajectory.ended", {"coach": coach.name}
            )
        reason_label = outbox.render(self.deps, coach, f"end.reason.{reason}", {})
        await outbox.say(
            conn,
            self.deps,
            coach,
            "coach.trajectory_ended",
            {
                "participant": participant.name,
                "reason": reason_label,
                "first": first.isoformat() if first else now.isoformat(),
            },
        )

    # --- away and handover ----------------------------------------------------

    async def _do_set_away(
        self,
        conn: Conn,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        answers = _answers(action)
        backup = await person_by_id(conn, _int(answers.get("backup")))
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
            await self.refuse(conn, coach, "invalid_action")
            return
        until = local(back_on, time(0, 0), self.deps.content.tz)
        await update(conn, coach.id, away_until=to_db(until), backup_id=backup.id)
        await log_event(conn, self.deps.clock.now(), "coach_away", coach.id, backup.id)
        vars = {"until": until.isoformat(), "backup": backup.name, "coach": coach.name}
        await outbox.say(conn, self.deps, coach, "away.set", vars)
        await outbox.say(conn, self.deps, backup, "away.you_are_backup", vars)

    async def _do_coach_back(
        self,
        conn: Conn,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        await update(conn, coach.id, away_until=None, backup_id=None)
        await log_event(conn, self.deps.clock.now(), "coach_back", coach.id)
        await outbox.say(conn, self.deps, coach, "away.back")

    async def _do_handover(
        self,
        conn: Conn,
        coordinator: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        answers = _answers(action)
        old = await person_by_id(conn, _int(answers.get("from")))
        new = await person_by_id(conn, _int(answers.get("to")))
        if (
            coordinator.role != Role.COORDINATOR
            or old is None
            or new is None
            or old.role != Role.COACH
            or new.role != Role.COACH
            or new.status != Status.ACTIVE
            or old.id == new.id
        ):
            await log_event(
                conn, self.deps.clock.now(), "refused", coordinator.id, value="handover"
            )
            await self.refuse(conn, coordinator, "invalid_action")
            return
        who = answers.get("who")
        one = None if who == "all" else _int(who)
        moved = [
            p for p in await people.participants_of(conn, old.id) if who == "all" or p.id == one
        ]
        now = self.deps.clock.now()
        for participant in moved:
            await update(conn, participant.id, coach_id=new.id)
            await appointments.hand_over_upcoming(conn, now, participant.id, new.id)
            await log_event(conn, now, "handed_over", participant.id, new.id, ref=f"from:{old.id}")
            if participant.status in (Status.ACTIVE, Status.PAUSED):
                await outbox.say(
                    conn,
                    self.deps,
                    participant,
                    "handover.new_coach",
                    {"coach": new.name, "old_coach": old.name},
                )
        names = ", ".join(p.name for p in moved)
        vars = {"count": len(moved), "names": names, "from_coach": old.name, "to_coach": new.name}
        if moved:
            await outbox.say(conn, self.deps, new, "coach.handover_received", vars)
        await outbox.say(conn, self.deps, coordinator, "handover.done", vars)

    # --- coaches (coordinator) ------------------------------------------------

    async def _do_create_coach_invite(
        self,
        conn: Conn,
        coordinator: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        if coordinator.role != Role.COORDINATOR:
            await self.refuse(conn, coordinator, "invalid_action")
            return
        name = str(_answers(action).get("name", "")).strip()[:40]
        now = self.deps.clock.now()
        person_id = await create_person(conn, now, Role.COACH, name)
        token, expires = await new_invite(conn, self.deps, person_id)
        link = deep_link(self.deps.settings.bot_username, token)
        await outbox.say(
            conn,
            self.deps,
            coordinator,
            "coaches.invite_link",
            {"coach": name, "link": link, "expires": expires.isoformat()},
        )

    async def _do_set_coach_active(
        self,
        conn: Conn,
        coordinator: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        coach = await person_by_id(conn, _int(_answers(action).get("which")))
        if coordinator.role != Role.COORDINATOR or coach is None or coach.role != Role.COACH:
            await self.refuse(conn, coordinator, "invalid_action")
            return
        active = action.params.get("value") == "yes"
        status = Status.ACTIVE if active else Status.DEACTIVATED
        await update(conn, coach.id, status=status.value)
        await log_event(
            conn,
            self.deps.clock.now(),
            "coach_activated" if active else "coach_deactivated",
            coach.id,
            value=str(coordinator.id),
        )
        key = "coaches.reactivated" if active else "coaches.deactivated"
        await outbox.say(conn, self.deps, coordinator, key, {"coach": coach.name})


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _enum(kind: type[E], value: Any) -> E | None:
    """The member of `kind` whose value is `value`, or None (callback data can be forged)."""
    try:
        return kind(str(value))
    except ValueError:
        return None
