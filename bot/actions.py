"""Host actions that flow files name with `do:` (see bot.content.vocabulary.ACTIONS).

Each runs inside the caller's transaction. Ownership is checked again here even
though the options shown were already limited: callback data can be forged.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from bot import outbox, planner
from bot.coach_actions import PAUSE_WEEKS, CoachActions, _enum, _int
from bot.content.vocabulary import ACTIONS, FIELDS
from bot.deps import Deps
from bot.engine.runner import Perform
from bot.invites import create_person, deep_link, new_invite
from bot.privacy import forget
from bot.survey import SurveyActions
from bot.timing import local
from storage import appointments, people, runs, timers
from storage.appointments import Appointment, AppointmentStatus
from storage.db import Conn
from storage.events import log_event
from storage.people import Person, Role, Status, update
from storage.people import by_id as person_by_id
from storage.times import from_db, to_db

if TYPE_CHECKING:
    from bot.flowhost import FlowHost


class Actions(CoachActions, SurveyActions):
    def __init__(self, deps: Deps, host: FlowHost) -> None:
        self.deps = deps
        self.host = host

    @classmethod
    def names(cls) -> set[str]:
        return {n.removeprefix("_do_") for n in dir(cls) if n.startswith("_do_")}

    async def perform(
        self,
        conn: Conn,
        person: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        if action.action not in ACTIONS:
            raise ValueError(f"unknown action {action.action!r}")
        handler = getattr(self, f"_do_{action.action}")
        await handler(conn, person, run_id, action, context)

    # --- participant side -----------------------------------------------------

    async def _do_notify_coach(
        self,
        conn: Conn,
        person: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        await self.notify_coach(conn, person, action.message or "", dict(action.vars))

    async def recipient(
        self, conn: Conn, participant: Person
    ) -> tuple[Person | None, Person | None]:
        """Who gets a participant's alerts: their coach; the backup while the coach is away;
        a coordinator when the coach was stopped. Returns (recipient, the absent coach)."""
        coach = await person_by_id(conn, participant.coach_id)
        if coach is not None and coach.status == Status.ACTIVE:
            if coach.away_until and from_db(coach.away_until) > self.deps.clock.now():
                backup = await person_by_id(conn, coach.backup_id)
                if backup is not None and backup.status == Status.ACTIVE:
                    return backup, coach
            return coach, None
        return await people.first_reachable_coordinator(conn), coach

    def absent_note(self, reader: Person, absent: Person) -> str:
        key = "coach.for_colleague" if absent.status == Status.ACTIVE else "coach.for_former"
        return outbox.render(self.deps, reader, key, {"coach": absent.name})

    def describe(self, reader: Person, participant: Person) -> dict[str, Any]:
        """Variables about a participant for a message to a coach."""
        catalogs = self.deps.content.catalogs
        day = participant.checkin_day
        checkin = outbox.render(
            self.deps,
            reader,
            f"onboarding.checkin_day.{day}" if day and day != "none" else "coach.checkin_none",
            {},
        )
        return {
            "participant": participant.name,
            "checkin": checkin,
            "language": catalogs.by_code[catalogs.pick(participant.language)].name,
        }

    async def notify_coach(
        self,
        conn: Conn,
        person: Person,
        key: str,
        vars: dict[str, Any] | None = None,
    ) -> None:
        reader, away = await self.recipient(conn, person)
        if reader is None or reader.telegram_id is None:
            return
        merged = {**(vars or {}), **self.describe(reader, person)}
        text = outbox.render(self.deps, reader, key, {"name": reader.name, **merged})
        if away is not None:
            note = self.absent_note(reader, away)
            text = f"{note}\n{text}"
        await outbox.message(
            conn, self.deps, reader, reader.telegram_id, text, unsolicited=True, about=person.id
        )
        await log_event(
            conn, self.deps.clock.now(), "coach_notified", person.id, reader.id, value=key
        )

    async def relay(
        self,
        conn: Conn,
        person: Person,
        chat_id: int,
        message_id: int,
        kind: str = "text",
    ) -> bool:
        """Pass a participant's own message to their coach: a header, then a copy."""
        reader, away = await self.recipient(conn, person)
        if reader is None or reader.telegram_id is None:
            return False
        header = outbox.render(
            self.deps, reader, f"coach.relay_header.{kind}", self.describe(reader, person)
        )
        if away is not None:
            note = self.absent_note(reader, away)
            header = f"{note}\n{header}"
        await outbox.message(conn, self.deps, reader, reader.telegram_id, header, about=person.id)
        await outbox.copy(conn, self.deps, reader, chat_id, message_id, about=person.id)
        await log_event(
            conn, self.deps.clock.now(), "message_relayed", person.id, reader.id, value=kind
        )
        return True

    async def _do_set_field(
        self,
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
        now = self.deps.clock.now()
        if field == "language":
            value = self.deps.content.catalogs.pick(str(value))
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
        else:
            await update(conn, person.id, **{field: None if value is None else str(value)})
        if field in ("checkin_day", "checkin_time"):
            fresh = await person_by_id(conn, person.id)
            if fresh is not None:
                await planner.plan_checkin(conn, self.deps, fresh)

    async def _do_end(
        self,
        conn: Conn,
        person: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        """Nothing to do: the flow's `next` ends it; kept so flows can say so plainly."""

    async def _do_decline_consent(
        self,
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
        await log_event(conn, self.deps.clock.now(), "consent_declined", person.id, person.coach_id)
        await self.notify_coach(conn, person, "coach.participant_declined")

    async def _do_contact_request(
        self,
        conn: Conn,
        person: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        await log_event(
            conn, self.deps.clock.now(), "contact_requested", person.id, person.coach_id
        )

    async def _do_pause(
        self,
        conn: Conn,
        person: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        choice = action.vars.get("answers", {}).get(str(action.params.get("from")))
        await self.pause_person(conn, person, PAUSE_WEEKS.get(str(choice), 2))

    async def _do_resume(
        self,
        conn: Conn,
        person: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        await self.resume(conn, person)

    async def resume(self, conn: Conn, person: Person) -> None:
        if person.status not in (Status.PAUSED, Status.STOPPED, Status.UNREACHABLE):
            return
        await update(conn, person.id, status=Status.ACTIVE.value, paused_until=None)
        await timers.cancel(conn, person.id, kind="resume")
        await log_event(conn, self.deps.clock.now(), "resumed", person.id, person.coach_id)
        fresh = await person_by_id(conn, person.id)
        if fresh is not None:
            await planner.plan_checkin(conn, self.deps, fresh)

    async def _do_forget(
        self,
        conn: Conn,
        actor: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        """Erase a participant: themselves, or on request by a coordinator."""
        target: Person | None = actor
        if actor.role == Role.COORDINATOR:
            target = await person_by_id(conn, _int(action.vars.get("answers", {}).get("who")))
        if target is None or target.role != Role.PARTICIPANT:
            await self.refuse(conn, actor, "invalid_action")
            return
        await self.notify_coach(conn, target, "coach.participant_forgotten")
        if target.telegram_id is not None:
            text = outbox.render(self.deps, target, "privacy.forgotten", {"name": target.name})
            await outbox.message(conn, self.deps, None, target.telegram_id, text)
        await runs.cancel_open(conn, target.id)
        await forget(conn, self.deps, target, "participant" if actor is target else "coordinator")
        if actor is not target:
            await outbox.say(conn, self.deps, actor, "privacy.forgotten_by_coordinator")

    async def _do_stop(
        self,
        conn: Conn,
        person: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        await update(conn, person.id, status=Status.STOPPED.value)
        await outbox.cancel_unsolicited(conn, person.id)
        await timers.cancel(conn, person.id)
        await runs.cancel_queued(conn, person.id)
        await log_event(conn, self.deps.clock.now(), "stopped", person.id, person.coach_id)

    async def _do_appointment_answer(
        self,
        conn: Conn,
        person: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        status = _enum(AppointmentStatus, action.params.get("value"))
        appointment_id = _int(action.vars.get("appointment_id"))
        if status is None or appointment_id is None:
            return
        if status not in (AppointmentStatus.CONFIRMED, AppointmentStatus.DECLINED):
            return
        now = self.deps.clock.now()
        await appointments.answer(conn, now, appointment_id, person.id, status)
        await log_event(
            conn,
            now,
            f"appointment_{status.value}",
            person.id,
            person.coach_id,
            ref=f"appointment:{appointment_id}",
        )

    # --- coach side -----------------------------------------------------------

    async def _do_create_invite(
        self,
        conn: Conn,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        if coach.role != Role.COACH:
            return
        answers = action.vars.get("answers", {})
        name = str(answers.get("name", "")).strip()[:40]
        language = answers.get("language")
        codes = self.deps.content.catalogs.codes
        now = self.deps.clock.now()
        person_id = await create_person(
            conn,
            now,
            Role.PARTICIPANT,
            name,
            coach_id=coach.id,
            language=language if language in codes else None,
        )
        token, expires = await new_invite(conn, self.deps, person_id)
        await log_event(conn, now, "invited", person_id, coach.id)
        link = deep_link(self.deps.settings.bot_username, token)
        await outbox.say(
            conn,
            self.deps,
            coach,
            "coach.invite_link",
            {"participant": name, "link": link, "expires": expires.isoformat()},
        )

    async def _appointment(
        self, conn: Conn, coach: Person, appointment_id: Any
    ) -> Appointment | None:
        return await appointments.of_coach(conn, coach.id, _int(appointment_id))

    def _starts_at(self, answers: dict[str, Any]) -> datetime | None:
        try:
            day = date.fromisoformat(str(answers["day"]))
            hours, minutes = str(answers["time"]).split(":")
            return local(day, time(int(hours), int(minutes)), self.deps.content.tz)
        except (KeyError, ValueError):
            return None

    async def _do_create_appointment(
        self,
        conn: Conn,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        answers = action.vars.get("answers", {})
        participant = await self.owned(conn, coach, answers.get("who"))
        if participant is None:
            return  # refused and logged by owned()
        starts_at = self._starts_at(answers)
        if starts_at is None:
            await self.refuse(conn, coach, "invalid_action")
            return
        place = self.deps.content.place(str(answers.get("place")))
        place_name = place.name if place else str(answers.get("place_text", ""))[:120]
        address = place.address if place else None
        now = self.deps.clock.now()
        appointment_id = await appointments.add(
            conn, now, participant.id, coach.id, starts_at, place_name, address
        )
        await planner.schedule_reminders(
            conn,
            self.deps,
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
            await outbox.say(
                conn,
                self.deps,
                participant,
                "appointment.new",
                vars,
                unsolicited=True,
                expires=starts_at,
            )
        await outbox.say(conn, self.deps, coach, "coach.appointment_created", vars)

    async def _do_move_appointment(
        self,
        conn: Conn,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        answers = action.vars.get("answers", {})
        appointment = await self._appointment(conn, coach, answers.get("which"))
        starts_at = self._starts_at(answers)
        if appointment is None or starts_at is None:
            await self.refuse(conn, coach, "invalid_action")
            return
        participant = await person_by_id(conn, appointment.participant_id)
        if participant is None:
            return
        now = self.deps.clock.now()
        await planner.move_appointment(conn, self.deps, appointment, starts_at)
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
            await outbox.say(
                conn,
                self.deps,
                participant,
                "appointment.moved",
                vars,
                unsolicited=True,
                expires=starts_at,
            )
        await outbox.say(conn, self.deps, coach, "coach.appointment_moved", vars)

    async def _do_cancel_appointment(
        self,
        conn: Conn,
        coach: Person,
        run_id: int,
        action: Perform,
        context: dict[str, Any],
    ) -> None:
        answers = action.vars.get("answers", {})
        appointment = await self._appointment(conn, coach, answers.get("which"))
        if appointment is None:
            await self.refuse(conn, coach, "invalid_action")
            return
        participant = await person_by_id(conn, appointment.participant_id)
        if participant is None:
            return
        now = self.deps.clock.now()
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
                self.deps,
                participant,
                "appointment.cancelled",
                vars,
                unsolicited=True,
                expires=starts_at,
            )
        await outbox.say(conn, self.deps, coach, "coach.appointment_cancelled", vars)
