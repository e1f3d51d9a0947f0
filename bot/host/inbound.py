"""One inbound Telegram update → one transaction: route, run flows, queue replies.

Callers hand in an `Inbound` (plain data, no telegram types) so this module has no
Telegram import; the adapter converts Updates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot import outbox
from bot.deps import Deps
from bot.host.actions.questionnaire import open_survey
from bot.host.caseload import caseload_rows
from bot.host.flows import CLOSED, OUTDATED, STALE, FlowHost
from bot.host.invites import redeem
from storage import inbound, runs, timers
from storage import outbox as storage_outbox
from storage.events import log_event
from storage.outbox import Press
from storage.people import (
    TELEGRAM,
    Address,
    Person,
    Role,
    Status,
    by_address,
    by_id,
    set_address,
    update,
)
from storage.times import from_db, to_db

log = logging.getLogger(__name__)

PARTICIPANT_COMMANDS = {
    "forget": "forget",
    "language": "language",
    "pause": "pause",
    "stop": "stop",
    "coach": "contact_coach",
}
COACH_COMMANDS = {
    "caseload": "caseload",
    "nudges": "cancel_nudge",
    "away": "away",
    "language": "language",
    "newparticipant": "new_participant",
    "appointment": "new_appointment",
    "appointments": "change_appointment",
    "nudge": "nudge",
}
COORDINATOR_COMMANDS = {
    "language": "language",
    "handover": "handover",
    "coaches": "coaches",
    "forget": "forget_participant",
}

RELAYED = frozenset({"text", "photo", "voice", "document", "media"})
MAX_WRONG_TOKENS = 5
GUESS_WINDOW = timedelta(minutes=15)

# Commands handled in code rather than by a flow.
DIRECT_COMMANDS = frozenset({"start", "help", "mydata", "report", "survey"})
ALL_COMMANDS = frozenset(
    {*PARTICIPANT_COMMANDS, *COACH_COMMANDS, *COORDINATOR_COMMANDS, *DIRECT_COMMANDS}
)


@dataclass(frozen=True)
class Inbound:
    update_id: int
    kind: str  # text | command | callback | photo | voice | document | other
    user_id: int
    chat_id: int
    chat_type: str = "private"
    message_id: int | None = None
    text: str | None = None
    command: str | None = None
    args: str | None = None
    press: Press | None = None  # a button pressed (None: stale, forged or inert)
    language_code: str | None = None
    reply_to_message_id: int | None = None
    channel: str = TELEGRAM  # the messenger the event came from

    @property
    def address(self) -> Address:
        """Where the sender is reached."""
        return Address(self.channel, self.user_id)


@dataclass(frozen=True)
class Outcome:
    """What the adapter does right away (not durable): the callback toast, if any."""

    callback_text: str | None = None
    handled: bool = True
    leave_chat: int | None = None  # a group or channel the bot was added to: leave it


class InboundService:
    def __init__(self, deps: Deps, host: FlowHost | None = None) -> None:
        self.deps = deps
        self.host = host or FlowHost(deps)
        # Wrong invite tokens per Telegram user; guessing is slowed down, not answered.
        self._wrong_tokens: dict[int, list[datetime]] = {}

    async def handle(self, event: Inbound) -> Outcome:
        if event.chat_type != "private":
            # Never answer in groups or channels; leave them when added.
            joined = event.kind == "membership" and event.text in ("member", "administrator")
            log.info("ignored a %s update from a %s chat", event.kind, event.chat_type)
            return Outcome(handled=False, leave_chat=event.chat_id if joined else None)
        async with self.deps.db.transaction() as conn:
            if not await inbound.first_time(conn, self.deps.clock.now(), event.update_id):
                return Outcome(handled=False)  # seen before: Telegram delivered it twice
            person = await by_address(conn, event.address)
            return await self._route(conn, person, event)

    async def _route(
        self, conn: aiosqlite.Connection, person: Person | None, event: Inbound
    ) -> Outcome:
        if event.kind == "membership":
            if person is not None and event.text == "kicked":
                await self._blocked(conn, person)
            return Outcome(handled=False)
        if person is not None and person.status == Status.DEACTIVATED:
            await log_event(conn, self.deps.clock.now(), "refused", person.id, value="inactive")
            await self._reply(conn, person, event, "not_allowed")
            return Outcome(self._text(person, "not_allowed", event))
        if person is not None and person.status == Status.UNREACHABLE:
            person = await self._reachable_again(conn, person)
        if person is not None and person.role == Role.PARTICIPANT:
            await self._contact(conn, person)  # anything a person sends, /start included
        if event.kind == "command" and event.command == "start":
            return await self._start(conn, person, event)
        if person is None:
            if event.kind == "command" and event.command in ALL_COMMANDS - {"help"}:
                await log_event(conn, self.deps.clock.now(), "refused", value=event.command)
            await self._reply(conn, None, event, "help.unknown")
            return Outcome(self._text(None, "help.unknown", event))
        if event.kind == "callback":
            return await self._callback(conn, person, event)
        if event.kind == "command":
            return await self._command(conn, person, event)
        return await self._message(conn, person, event)

    async def _blocked(self, conn: aiosqlite.Connection, person: Person) -> None:
        """The person blocked the bot: stop, drop what waits, tell the coach."""
        now = self.deps.clock.now()
        await log_event(conn, now, "blocked", person.id, person.coach_id)
        if person.role != Role.PARTICIPANT or person.status == Status.STOPPED:
            return
        await update(conn, person.id, status=Status.STOPPED.value)
        await storage_outbox.cancel_unsolicited(conn, person.id)
        await timers.cancel(conn, person.id)
        await runs.cancel_open(conn, person.id)
        await self.host.tools.notify_coach(conn, person, "coach.participant_blocked")

    async def _reachable_again(self, conn: aiosqlite.Connection, person: Person) -> Person:
        """Whoever writes can be reached: what waited for them goes out now."""
        now = self.deps.clock.now()
        if person.role == Role.PARTICIPANT:
            await self.host.tools.resume(conn, person)
        else:
            await update(conn, person.id, status=Status.ACTIVE.value)
            await log_event(conn, now, "reachable_again", person.id, person.coach_id)
        await storage_outbox.release_held(conn, now, person.id)
        return await self._fresh(conn, person)

    async def _contact(self, conn: aiosqlite.Connection, person: Person) -> None:
        """Any sign of life ends a silent spell."""
        now = self.deps.clock.now()
        await update(conn, person.id, last_contact_at=to_db(now), silent_since=None)
        if person.silent_since is not None:
            await log_event(conn, now, "silent_ended", person.id, person.coach_id)

    async def _start(
        self, conn: aiosqlite.Connection, person: Person | None, event: Inbound
    ) -> Outcome:
        token = (event.args or "").strip()
        if token:
            now = self.deps.clock.now()
            recent = [
                t for t in self._wrong_tokens.get(event.user_id, []) if now - t < GUESS_WINDOW
            ]
            self._wrong_tokens[event.user_id] = recent
            if len(recent) >= MAX_WRONG_TOKENS:
                # Same answer as any bad link, without even looking the token up.
                await log_event(conn, now, "invite_throttled", person.id if person else None)
                await self._reply(conn, person, event, "start.invalid_token")
                return Outcome()
            invited = await redeem(conn, self.deps, token, event.address)
            if invited is None:
                recent.append(now)
            if (
                invited is None
                or invited.address is not None
                or (person is not None and person.id != invited.id)
            ):
                await log_event(
                    conn, self.deps.clock.now(), "invite_refused", person.id if person else None
                )
                await self._reply(conn, person, event, "start.invalid_token")
                return Outcome()
            return await self._link(conn, invited, event)
        if person is None:
            await self._reply(conn, None, event, "help.unknown")
            return Outcome()
        if person.role == Role.PARTICIPANT and person.status in (
            Status.STOPPED,
            Status.PAUSED,
            Status.UNREACHABLE,
        ):
            await self.host.tools.resume(conn, person)
        elif person.role == Role.PARTICIPANT and person.status == Status.DECLINED:
            await update(conn, person.id, status=Status.INVITED.value)
            fresh = await self._fresh(conn, person)
            await self.host.start(conn, fresh, "onboarding")
            return Outcome()
        # /start is also how kinds of messages stopped one by one come back.
        restarted = []
        if person.role == Role.PARTICIPANT:
            restarted = await self.host.tools.restart_kinds(conn, person)
        fresh = await self._fresh(conn, person)
        await self._reply(conn, fresh, event, "start.welcome_back")
        if restarted:
            lines = [
                outbox.render(self.deps, fresh, f"decline.restarted.{kind.value}", {})
                for kind in restarted
            ]
            await outbox.message(conn, self.deps, fresh, event.chat_id, "\n".join(lines))
        return Outcome()

    async def _link(self, conn: aiosqlite.Connection, invited: Person, event: Inbound) -> Outcome:
        now = self.deps.clock.now()
        language = invited.language or self.deps.content.catalogs.pick(event.language_code)
        status = Status.INVITED if invited.role == Role.PARTICIPANT else Status.ACTIVE
        await set_address(conn, invited.id, event.address)
        await update(conn, invited.id, language=language, status=status.value)
        await log_event(conn, now, "linked", invited.id, invited.coach_id)
        person = await self._fresh(conn, invited)
        if person.role == Role.PARTICIPANT:
            await self.host.start(conn, person, "onboarding")
        elif person.role == Role.COACH:
            await outbox.say(conn, self.deps, person, "start.coach_welcome")
        else:
            await outbox.say(conn, self.deps, person, "start.coordinator_welcome")
        return Outcome()

    async def _command(self, conn: aiosqlite.Connection, person: Person, event: Inbound) -> Outcome:
        command = event.command or ""
        if command == "help":
            await self._reply(conn, person, event, f"help.{person.role.value}")
            return Outcome()
        if command in DIRECT_COMMANDS - {"start", "help"} and not _direct_allowed(
            command, person.role
        ):
            await log_event(conn, self.deps.clock.now(), "refused", person.id, value=command)
            await self._reply(conn, person, event, "not_allowed")
            return Outcome()
        if command == "mydata" and person.role == Role.PARTICIPANT:
            text = outbox.render(self.deps, person, "privacy.mydata", {})
            await outbox.message(
                conn,
                self.deps,
                person,
                event.chat_id,
                text,
                document={"kind": "mydata", "person_id": person.id},
            )
            return Outcome()
        if command == "report" and person.role == Role.COORDINATOR:
            text = outbox.render(self.deps, person, "report.caption", {})
            await outbox.message(
                conn,
                self.deps,
                person,
                event.chat_id,
                text,
                document={"kind": "report", "language": person.language},
            )
            return Outcome()
        if command == "survey" and person.role == Role.PARTICIPANT:
            found = await open_survey(conn, person)
            if found is None:
                await self._reply(conn, person, event, "survey.none")
            else:
                await self.host.start(conn, person, found[0], found[1])
            return Outcome()
        table = {
            Role.PARTICIPANT: PARTICIPANT_COMMANDS,
            Role.COACH: COACH_COMMANDS,
            Role.COORDINATOR: COORDINATOR_COMMANDS,
        }[person.role]
        flow_id = table.get(command)
        if flow_id is None:
            known = command in ALL_COMMANDS
            key = "not_allowed" if known else "unknown_command"
            if known:
                await log_event(conn, self.deps.clock.now(), "refused", person.id, value=command)
            await self._reply(conn, person, event, key)
            return Outcome()
        if person.role == Role.PARTICIPANT and person.status in (Status.DECLINED,):
            await self._reply(conn, person, event, "not_allowed")
            return Outcome()
        vars: dict[str, Any] = {}
        if flow_id == "caseload":
            vars = {"rows": await caseload_rows(conn, self.deps, person)}
        empty = await self._empty_source(conn, person, flow_id, vars)
        if empty:
            await self._reply(conn, person, event, empty)
            return Outcome()
        await self.host.start(conn, person, flow_id, vars)
        return Outcome()

    async def _empty_source(
        self, conn: aiosqlite.Connection, person: Person, flow_id: str, vars: dict[str, Any]
    ) -> str | None:
        """A coach flow that would offer nothing to pick says so instead of starting."""
        flow = self.deps.content.flows[flow_id]
        sources = await self.host.sources(conn, person, flow, vars=vars)
        if person.role == Role.COACH and any(
            name in flow.sources and not sources.get(name) for name in ("participants", "caseload")
        ):
            return "coach.no_participants"
        if "appointments" in flow.sources and not sources.get("appointments"):
            return "coach.no_appointments"
        if "scheduled_nudges" in flow.sources and not sources.get("scheduled_nudges"):
            return "nudge.none_scheduled"
        return None

    async def _callback(
        self, conn: aiosqlite.Connection, person: Person, event: Inbound
    ) -> Outcome:
        stale = Outcome(self._text(person, "stale.answered", event))
        if event.press is None:
            return stale
        run_id, seq, index = event.press.run_id, event.press.seq, event.press.option
        result = await self.host.press(conn, person, run_id, seq, index, event.message_id)
        if result in (CLOSED, OUTDATED):
            await log_event(
                conn,
                self.deps.clock.now(),
                "stale_press",
                person.id,
                person.coach_id,
                value=result,
                ref=f"run:{run_id}",
            )
            if event.message_id is not None:  # its buttons must not look alive
                await outbox.edit_buttons(conn, self.deps, person, event.message_id, [])
            key = "stale.closed" if result == CLOSED else "stale.outdated"
            return Outcome(self._text(person, key, event))
        if result == STALE:
            await log_event(
                conn,
                self.deps.clock.now(),
                "stale_press",
                person.id,
                person.coach_id,
                ref=f"run:{run_id}",
            )
            return stale
        return Outcome()

    async def _message(self, conn: aiosqlite.Connection, person: Person, event: Inbound) -> Outcome:
        if person.role != Role.PARTICIPANT and event.reply_to_message_id is not None:
            return await self._coach_reply(conn, person, event)
        if (
            event.kind == "text"
            and event.text
            and event.message_id is not None
            and await self.host.text(conn, person, event.text, event.chat_id, event.message_id)
        ):
            return Outcome()
        if person.role != Role.PARTICIPANT:
            await self._reply(conn, person, event, f"help.{person.role.value}")
            return Outcome()
        if person.status in (Status.STOPPED, Status.DECLINED):
            await self._reply(conn, person, event, "stopped.notice")
            return Outcome()
        if event.message_id is not None and event.kind in RELAYED:
            passed = await self.host.tools.relay(
                conn, person, event.chat_id, event.message_id, event.kind
            )
            if passed:
                await self._ack_relay(conn, person, event)
            else:
                await self._reply(conn, person, event, "relay.not_passed")
            return Outcome()
        await self._reply(conn, person, event, f"help.{person.role.value}")
        return Outcome()

    async def _ack_relay(self, conn: aiosqlite.Connection, person: Person, event: Inbound) -> None:
        """Thank the participant; say so kindly when their coach is away."""
        coach = await by_id(conn, person.coach_id)
        if coach is not None and coach.status == Status.UNREACHABLE:
            vars = {**await self.host.context(conn, person)}
            await outbox.say(conn, self.deps, person, "relay.ack_later", vars)
            return
        reader, away = await self.host.tools.recipient(conn, person)
        if reader is not None and away is not None and away.status != Status.ACTIVE:
            # The coach was stopped: say truthfully who has the message now.
            vars = {**await self.host.context(conn, person), "coach": reader.name}
            await outbox.say(conn, self.deps, person, "relay.ack", vars)
            return
        if away is None or reader is None or away.away_until is None:
            await self._reply(conn, person, event, "relay.ack")
            return
        vars = {
            **await self.host.context(conn, person),
            "until": from_db(away.away_until).isoformat(),
            "backup": reader.name,
        }
        await outbox.say(conn, self.deps, person, "relay.coach_away", vars)

    async def _coach_reply(
        self, conn: aiosqlite.Connection, coach: Person, event: Inbound
    ) -> Outcome:
        """A coach answers by replying to a message about a participant: it is passed on."""
        about = None
        if event.reply_to_message_id is not None:
            about = await storage_outbox.about_of_reply(
                conn, event.chat_id, event.reply_to_message_id
            )
        participant = await by_id(conn, about)
        if participant is None:
            await self._reply(conn, coach, event, "relay.reply_unknown")
            return Outcome()
        owner = await by_id(conn, participant.coach_id)
        allowed = participant.coach_id == coach.id or (
            owner is not None and owner.backup_id == coach.id and owner.away_until is not None
        )
        if not allowed:
            await log_event(conn, self.deps.clock.now(), "refused", coach.id, value="relay")
            await self._reply(conn, coach, event, "not_allowed")
            return Outcome()
        if participant.status != Status.ACTIVE or participant.address is None:
            await outbox.say(
                conn, self.deps, coach, "relay.not_delivered", {"participant": participant.name}
            )
            return Outcome()
        await outbox.say(
            conn,
            self.deps,
            participant,
            "relay.from_coach",
            {"coach": coach.name},
            unsolicited=True,
        )
        if event.message_id is not None:
            await outbox.copy(
                conn, self.deps, participant, event.chat_id, event.message_id, unsolicited=True
            )
        await log_event(
            conn,
            self.deps.clock.now(),
            "coach_replied",
            participant.id,
            coach.id,
            value=event.kind,
        )
        return Outcome()

    async def _reply(
        self, conn: aiosqlite.Connection, person: Person | None, event: Inbound, key: str
    ) -> None:
        context = await self.host.context(conn, person) if person else {}
        text = self._text(person, key, event, context)
        await outbox.message(conn, self.deps, person, event.chat_id, text)

    def _text(
        self, person: Person | None, key: str, event: Inbound, context: dict[str, Any] | None = None
    ) -> str:
        language = person.language if person and person.language else event.language_code
        return outbox.render(
            self.deps,
            person,
            key,
            context or {"coach": "", "name": ""},
            language=self.deps.content.catalogs.pick(language),
        )

    async def _fresh(self, conn: aiosqlite.Connection, person: Person) -> Person:
        return await by_id(conn, person.id) or person


def _direct_allowed(command: str, role: Role) -> bool:
    allowed = {"mydata": Role.PARTICIPANT, "survey": Role.PARTICIPANT, "report": Role.COORDINATOR}
    return allowed.get(command) == role
