"""What host actions share: who gets a participant's alerts, relaying, refusing, ownership,
pausing and resuming. A plain object built once per flow host, not a mixin."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from bot import outbox
from bot.deps import Deps
from bot.engine.runner import Perform
from bot.host.port import HostPort
from bot.schedule import planner
from bot.schedule.timing import local
from storage import appointments, people, preferences, runs, timers
from storage import outbox as stored_outbox
from storage.appointments import Appointment
from storage.db import Conn
from storage.events import log_event
from storage.people import Person, Role, Status, update
from storage.people import by_id as person_by_id
from storage.preferences import Kind
from storage.times import from_db, to_db

PAUSE_WEEKS = {"1w": 1, "2w": 2, "4w": 4}


E = TypeVar("E", bound=StrEnum)


def answers_of(action: Perform) -> dict[str, Any]:
    return dict(action.vars.get("answers", {}))


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def as_enum(kind: type[E], value: Any) -> E | None:
    """The member of `kind` whose value is `value`, or None (callback data can be forged)."""
    try:
        return kind(str(value))
    except ValueError:
        return None


class Tools:
    def __init__(self, deps: Deps, host: HostPort) -> None:
        self.deps = deps
        self.host = host

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
        if coach is not None and coach.status == Status.UNREACHABLE:
            # The coach blocked the bot (or deleted the chat): alerts go to their colleague.
            backup = await person_by_id(conn, coach.backup_id)
            if backup is not None and backup.status == Status.ACTIVE:
                return backup, coach
        return await people.first_reachable_coordinator(conn), coach

    def absent_note(self, reader: Person, absent: Person) -> str:
        key = {
            Status.ACTIVE: "coach.for_colleague",
            Status.UNREACHABLE: "coach.for_unreachable",
        }.get(absent.status, "coach.for_former")
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
        if reader is None or reader.address is None:
            return
        merged = {**(vars or {}), **self.describe(reader, person)}
        text = outbox.render(self.deps, reader, key, {"name": reader.name, **merged})
        if away is not None:
            note = self.absent_note(reader, away)
            text = f"{note}\n{text}"
        await outbox.message(
            conn, self.deps, reader, reader.address.id, text, unsolicited=True, about=person.id
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
        """Pass a participant's own message to their coach: a header, then a copy. While
        the coach cannot be reached, both wait for them (held rows)."""
        coach = await person_by_id(conn, person.coach_id)
        if coach is not None and coach.status == Status.UNREACHABLE and coach.address:
            header = outbox.render(
                self.deps, coach, f"coach.relay_header.{kind}", self.describe(coach, person)
            )
            for row_id in (
                await outbox.message(
                    conn, self.deps, coach, coach.address.id, header, about=person.id
                ),
                await outbox.copy(conn, self.deps, coach, chat_id, message_id, about=person.id),
            ):
                if row_id is not None:
                    await stored_outbox.hold(conn, row_id)
            await log_event(
                conn, self.deps.clock.now(), "message_relayed", person.id, coach.id, value=kind
            )
            return True
        reader, away = await self.recipient(conn, person)
        if reader is None or reader.address is None:
            return False
        header = outbox.render(
            self.deps, reader, f"coach.relay_header.{kind}", self.describe(reader, person)
        )
        if away is not None:
            note = self.absent_note(reader, away)
            header = f"{note}\n{header}"
        await outbox.message(conn, self.deps, reader, reader.address.id, header, about=person.id)
        await outbox.copy(conn, self.deps, reader, chat_id, message_id, about=person.id)
        await log_event(
            conn, self.deps.clock.now(), "message_relayed", person.id, reader.id, value=kind
        )
        return True

    async def resume(self, conn: Conn, person: Person) -> None:
        if person.status not in (Status.PAUSED, Status.STOPPED, Status.UNREACHABLE):
            return
        await update(conn, person.id, status=Status.ACTIVE.value, paused_until=None)
        await timers.cancel(conn, person.id, kind="resume")
        await log_event(conn, self.deps.clock.now(), "resumed", person.id, person.coach_id)
        fresh = await person_by_id(conn, person.id)
        if fresh is not None:
            await planner.plan_checkin(conn, self.deps, fresh)

    async def restart_kinds(self, conn: Conn, person: Person) -> list[Kind]:
        """Bring back every kind of message the participant stopped (their /start); the
        kinds that were stopped. The weekly check-in is planned again."""
        kinds = await preferences.restart_all(conn, person.id)
        if not kinds:
            return kinds
        await log_event(
            conn,
            self.deps.clock.now(),
            "kinds_restarted",
            person.id,
            person.coach_id,
            value=",".join(k.value for k in kinds),
        )
        fresh = await person_by_id(conn, person.id)
        if fresh is not None:
            await planner.plan_checkin(conn, self.deps, fresh)
        return kinds

    async def appointment(
        self, conn: Conn, coach: Person, appointment_id: Any
    ) -> Appointment | None:
        return await appointments.of_coach(conn, coach.id, as_int(appointment_id))

    def starts_at(self, answers: dict[str, Any]) -> datetime | None:
        try:
            day = date.fromisoformat(str(answers["day"]))
            hours, minutes = str(answers["time"]).split(":")
            return local(day, time(int(hours), int(minutes)), self.deps.content.tz)
        except (KeyError, ValueError):
            return None

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
        await stored_outbox.cancel_unsolicited(conn, person.id)
        await runs.cancel_queued(conn, person.id)
        await timers.cancel(conn, person.id, kind="resume")
        await timers.add(conn, now, person.id, "resume", {}, until, ref="resume")
        await log_event(conn, now, "paused", person.id, person.coach_id, value=f"{weeks}w")
        return until
