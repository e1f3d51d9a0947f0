"""The host side of the engine: runs flows for a person inside one transaction.

It loads and saves run state, supplies dynamic options, turns engine actions into
outbox rows, timers, log events and host actions, and keeps one question at a time:
a command interrupts (the old run is suspended, then resumed), a scheduled flow waits
in a queue until the person is free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot import outbox
from bot.content.schedules import Schedules
from bot.deps import Deps
from bot.engine import runner
from bot.engine.model import PAGE_LABELS, AnswerType, Flow, Option, StepKind
from bot.host import sources
from bot.host.actions import perform
from bot.host.actions.questionnaire import NAVIGATION
from bot.host.privacy import privacy_terms
from bot.host.tools import Tools
from bot.schedule import policy
from storage import appointments, runs, timers
from storage import outbox as storage_outbox
from storage.appointments import AppointmentStatus
from storage.events import log_event
from storage.outbox import Button, Press
from storage.people import Person, Role
from storage.people import by_id as person_by_id
from storage.runs import Run, RunStatus
from storage.times import from_db

STALE = "stale"  # a press on a question that was answered
CLOSED = "closed"  # a press on a question that expired, was closed or set aside
# A press on an older page of the question still waiting (or on an older showing of it with
# other buttons): it stands for nothing now, and the newest message is the one to use.
OUTDATED = "outdated"
# A question the person started (a command, a menu) and left this long is stale: a new
# message is not read as its answer, and it is not asked again by itself.
STALE_AFTER = timedelta(hours=12)


class FlowHost:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.tools = Tools(deps, self)

    # --- starting -------------------------------------------------------------

    async def start(
        self,
        conn: aiosqlite.Connection,
        person: Person,
        flow_id: str,
        vars: Mapping[str, Any] | None = None,
        *,
        scheduled: bool = False,
        expires: datetime | None = None,
    ) -> None:
        """Start a flow now. Nothing waits behind an open question (docs/architecture.md,
        "When flows meet"): a scheduled question sets the open one aside; a command
        interrupts it (suspended, asked again when the command's flow is done)."""
        now = self.deps.clock.now()
        flow = self.deps.content.flows[flow_id]
        active = await runs.latest(conn, person.id, RunStatus.ACTIVE)
        if active is not None and active.expires_at and active.expires_at <= now:
            await self._expire(conn, person, active)
            active = None
        if active is not None and scheduled and not _asks(flow):
            active = None  # a flow that asks nothing cannot get in the way of a question
        if scheduled:
            await self._close_replaced(conn, person, flow_id, vars or {})
        if active is not None:
            if scheduled:
                await self._set_aside(conn, person, active, flow_id, vars or {})
            else:
                # The same command again restarts it; another one suspends the question.
                same = active.flow_id == flow_id
                status = RunStatus.CANCELLED if same else RunStatus.SUSPENDED
                await runs.set_status(conn, now, active.id, status)
                if same:
                    await self._close_keyboard(conn, person, active)
        await self._begin(
            conn, person, flow, dict(vars or {}), scheduled=scheduled, expires=expires
        )

    async def _set_aside(
        self,
        conn: aiosqlite.Connection,
        person: Person,
        run: Run,
        flow_id: str,
        vars: Mapping[str, Any],
    ) -> None:
        """A scheduled question came due while `run` waited for an answer. A scheduled
        run, or one the person had got some way into, is suspended and asked again after
        the new one; a menu or a question nobody started answering is closed, and so is
        one the new question replaces (`_subject`: another question about the same
        appointment, as the two-hours reminder replaces the day-before one; a newer
        check-in or nudge). Either way its buttons go: they must not look alive."""
        now = self.deps.clock.now()
        state = runner.RunState.from_json(run.state) if run.state else None
        prefill = dict((state.vars.get("prefill") or {}) if state else {})
        started = state is not None and any(k not in prefill for k in state.answers)
        schedules = self.deps.content.schedules
        old = _subject(schedules, run.flow_id, state.vars if state else {})
        replaced = old is not None and old == _subject(schedules, flow_id, vars)
        keep = (run.scheduled or started) and not replaced
        if keep:
            await runs.set_status(conn, now, run.id, RunStatus.SUSPENDED)
        else:
            await runs.finish(conn, now, run.id, RunStatus.CANCELLED)
        await self._close_keyboard(conn, person, run)
        await self._log_set_aside(conn, person, run, "suspended" if keep else "closed")

    async def _close_replaced(
        self, conn: aiosqlite.Connection, person: Person, flow_id: str, vars: Mapping[str, Any]
    ) -> None:
        """Questions set aside earlier that the new one replaces (`_subject`) are closed,
        not asked again: the day-before reminder after the announcement of the same
        appointment, a newer nudge after an older one."""
        schedules = self.deps.content.schedules
        new = _subject(schedules, flow_id, vars)
        if new is None:
            return
        now = self.deps.clock.now()
        for run in await runs.suspended(conn, person.id):
            state = runner.RunState.from_json(run.state) if run.state else None
            if _subject(schedules, run.flow_id, state.vars if state else {}) == new:
                await runs.finish(conn, now, run.id, RunStatus.CANCELLED)
                await self._log_set_aside(conn, person, run, "closed")

    async def _log_set_aside(
        self, conn: aiosqlite.Connection, person: Person, run: Run, how: str
    ) -> None:
        now = self.deps.clock.now()
        await log_event(
            conn,
            now,
            "question_set_aside",
            person.id,
            person.coach_id,
            flow_id=run.flow_id,
            value=how,
            ref=f"run:{run.id}",
        )

    async def _expire(self, conn: aiosqlite.Connection, person: Person, run: Run) -> None:
        """A scheduled question nobody answered in time: closed (its state, which may hold
        a coach's words, goes with it), its buttons removed."""
        now = self.deps.clock.now()
        await runs.finish(conn, now, run.id, RunStatus.EXPIRED)
        await self._close_keyboard(conn, person, run)
        await log_event(
            conn,
            now,
            "flow_expired",
            person.id,
            person.coach_id,
            flow_id=run.flow_id,
            ref=f"run:{run.id}",
        )

    async def _close_keyboard(self, conn: aiosqlite.Connection, person: Person, run: Run) -> None:
        if run.question_message_id:
            await outbox.edit_buttons(conn, self.deps, person, run.question_message_id, [])

    async def _begin(
        self,
        conn: aiosqlite.Connection,
        person: Person,
        flow: Flow,
        vars: dict[str, Any],
        *,
        scheduled: bool,
        expires: datetime | None,
        run_id: int | None = None,
    ) -> None:
        now = self.deps.clock.now()
        if run_id is None:
            run_id = await runs.add(
                conn, now, person.id, flow.id, RunStatus.ACTIVE, {}, expires, scheduled=scheduled
            )
        await log_event(
            conn,
            now,
            "flow_started",
            person.id,
            person.coach_id,
            flow_id=flow.id,
            ref=f"run:{run_id}",
        )
        prefill = dict(vars.get("prefill") or {})
        result = runner.start(flow, vars, await self.sources(conn, person, flow, prefill, vars))
        if result.state.answers != prefill and _answer_sources(flow):
            options = await self.sources(conn, person, flow, result.state.answers, vars)
            result = runner.start(flow, vars, options)
        await self.apply(conn, person, run_id, flow, result, scheduled=scheduled, expires=expires)

    # --- answering ------------------------------------------------------------

    async def press(
        self,
        conn: aiosqlite.Connection,
        person: Person,
        run_id: int,
        seq: int,
        index: int,
        message_id: int | None = None,
    ) -> str | None:
        """A button press (on the message `message_id`, when known); STALE when its question
        was answered (or it is not theirs), CLOSED when its question expired, was closed or
        set aside, OUTDATED when it is from an older page of the question still waiting."""
        run = await runs.get(conn, run_id)
        if run is None or run.person_id != person.id:
            return STALE
        if run.status in (RunStatus.EXPIRED, RunStatus.CANCELLED, RunStatus.SUSPENDED):
            return CLOSED
        if run.status == RunStatus.ACTIVE and _past(run, self.deps.clock.now()):
            # Its moment passed (a reminder after the appointment began): closed, honestly.
            await self._expire(conn, person, run)
            await self.next_run(conn, person)
            return CLOSED
        flow = self.deps.content.flows.get(run.flow_id)
        if run.status != RunStatus.ACTIVE or flow is None:
            return STALE
        state = runner.RunState.from_json(run.state)
        if state.asked <= seq < state.seq:
            return OUTDATED
        if seq != state.seq or not 0 <= index < len(state.options):
            return STALE
        if not await self.still_matters(conn, run.flow_id, state.vars):
            # About an appointment the coach cancelled meanwhile: closed, not answered.
            await runs.finish(conn, self.deps.clock.now(), run.id, RunStatus.CANCELLED)
            await self.next_run(conn, person)
            return CLOSED
        option = state.options[index]
        event = runner.Answer(seq=seq, value=option.value)
        return await self._answer(conn, person, flow, state, run, event, option, message_id)

    async def text(
        self, conn: aiosqlite.Connection, person: Person, text: str, chat_id: int, message_id: int
    ) -> bool:
        """Typed text while a question waits; False when no question is waiting."""
        run = await runs.latest(conn, person.id, RunStatus.ACTIVE)
        if run is None:
            return False
        now = self.deps.clock.now()
        if _past(run, now):
            await self._expire(conn, person, run)  # too late to be its answer
            await self.next_run(conn, person)
            return False
        if not run.scheduled and now - (run.updated_at or run.created_at) > STALE_AFTER:
            # A menu or command left open for long: this message is not its answer.
            await runs.set_status(conn, now, run.id, RunStatus.CANCELLED)
            await self._close_keyboard(conn, person, run)
            await self._log_set_aside(conn, person, run, "stale")
            return False
        flow = self.deps.content.flows.get(run.flow_id)
        if flow is None:
            return False
        state = runner.RunState.from_json(run.state)
        step = flow.steps[state.step]
        option = self._match(person, state.options, text)
        if option is not None:
            event = runner.Answer(seq=state.seq, value=option.value)
        else:
            event = runner.Answer(seq=state.seq, text=text)
            if step.answer in (AnswerType.CHOICE, AnswerType.YES_NO) and person.coach_id:
                # Words typed instead of a button may be meant for the coach: pass them on.
                await self.tools.relay(conn, person, chat_id, message_id)
        await self._answer(conn, person, flow, state, run, event, option)
        return True

    async def timeout(
        self, conn: aiosqlite.Connection, person: Person, run_id: int, seq: int
    ) -> None:
        loaded = await self._load(conn, person, run_id)
        if loaded is None:
            return
        flow, state, run = loaded
        result = await self._advance(conn, person, flow, state, runner.Timeout(seq))
        if any(isinstance(a, runner.Stale) for a in result.actions):
            return
        await self._close_keyboard(conn, person, run)  # a question that timed out is closed
        await self.apply(conn, person, run_id, flow, result, scheduled=False, expires=None)

    async def _answer(
        self,
        conn: aiosqlite.Connection,
        person: Person,
        flow: Flow,
        state: runner.RunState,
        run: Run,
        event: runner.Answer,
        option: Option | None,
        pressed: int | None = None,
    ) -> str | None:
        result = await self._advance(conn, person, flow, state, event)
        if any(isinstance(a, runner.Stale) for a in result.actions):
            return STALE
        accepted = any(isinstance(a, runner.Recorded) for a in result.actions)
        # The message the question is on: the one pressed, when it was a press. (The run's
        # question_message_id is recorded after sending, and a quick press can come first.)
        shown_on = pressed if pressed is not None else run.question_message_id
        if accepted and shown_on and state.options:
            label = self._label(person, option) if option else None
            buttons = [Button(chosen(label))] if label else []
            await outbox.edit_buttons(conn, self.deps, person, shown_on, buttons)
        elif shown_on and _shown_anew(result, state):
            await outbox.edit_buttons(conn, self.deps, person, shown_on, [])  # a page turned
        await self.apply(conn, person, run.id, flow, result, scheduled=False, expires=None)
        return None

    async def _advance(
        self,
        conn: aiosqlite.Connection,
        person: Person,
        flow: Flow,
        state: runner.RunState,
        event: runner.Event,
    ) -> runner.Result:
        """Advance; when the answer changes what the next question offers, ask again with
        options computed from the new answers (the engine is pure, so this is safe)."""
        result = runner.advance(
            flow, state, event, await self.sources(conn, person, flow, state.answers, state.vars)
        )
        if result.state.answers != state.answers and _answer_sources(flow):
            options = await self.sources(conn, person, flow, result.state.answers, state.vars)
            result = runner.advance(flow, state, event, options)
        return result

    # --- applying engine actions ----------------------------------------------

    async def apply(
        self,
        conn: aiosqlite.Connection,
        person: Person,
        run_id: int,
        flow: Flow,
        result: runner.Result,
        *,
        scheduled: bool,
        expires: datetime | None,
    ) -> None:
        now = self.deps.clock.now()
        state = result.state
        await runs.save_state(conn, now, run_id, state.to_json())
        if any(isinstance(a, runner.Ask) for a in result.actions):
            # The message of the question asked now is not sent yet: until it is, no edit
            # must reach the previous question's message.
            await runs.set_question_message(conn, run_id, None)
        context = await self.context(conn, person)
        context.update(await self._about(conn, person, state.answers))
        finished: runner.Finished | None = None
        then: tuple[str, dict[str, Any]] | None = None
        for action in result.actions:
            match action:
                case runner.Say(key=key, vars=vars):
                    await outbox.say(
                        conn,
                        self.deps,
                        person,
                        key,
                        {**vars, **context},
                        unsolicited=scheduled,
                        expires=expires,
                    )
                case runner.Ask():
                    await self._ask(conn, person, run_id, action, context, scheduled, expires)
                case runner.Invalid(answer=answer):
                    await outbox.say(conn, self.deps, person, f"invalid.{answer.value}", context)
                case runner.StartTimer(seq=seq, after=after):
                    await timers.add(
                        conn,
                        now,
                        person.id,
                        "timeout",
                        {"run_id": run_id, "seq": seq},
                        now + after,
                        ref=f"run:{run_id}:timeout",
                    )
                case runner.Perform(action="start_flow", params=params, vars=vars):
                    # Chained flows start once this run is finished (one question at a time).
                    answers = vars.get("answers", {})
                    then = (str(params["flow"]), {"prefill": {"who": answers.get(params["from"])}})
                case runner.Perform():
                    await perform(self.tools, conn, person, run_id, action, context)
                    person = await person_by_id(conn, person.id) or person
                    context = await self.context(conn, person)
                    context.update(await self._about(conn, person, state.answers))
                case runner.Recorded(step=step, value=value, answer=answer):
                    # The question was answered: its timeout has nothing left to do.
                    await timers.cancel(conn, person.id, f"run:{run_id}:timeout")
                    await self._log_answer(
                        conn, person, run_id, flow, step, value, answer, state.seq
                    )
                case runner.Finished():
                    finished = action
        if finished is not None:
            status = RunStatus.EXPIRED if finished.reason == "timeout" else RunStatus.DONE
            await runs.finish(conn, now, run_id, status)
            kind = {"timeout": "flow_timed_out", "invalid": "flow_gave_up"}.get(
                finished.reason, "flow_finished"
            )
            await log_event(
                conn, now, kind, person.id, person.coach_id, flow_id=flow.id, ref=f"run:{run_id}"
            )
            if finished.reason == "invalid":
                await outbox.say(conn, self.deps, person, "invalid.gave_up", context)
            if then is not None and then[0] in self.deps.content.flows:
                await self.start(conn, person, then[0], then[1])
            else:
                await self.next_run(conn, person)

    async def _ask(
        self,
        conn: aiosqlite.Connection,
        person: Person,
        run_id: int,
        ask: runner.Ask,
        context: Mapping[str, Any],
        scheduled: bool,
        expires: datetime | None,
    ) -> None:
        if person.address is None:
            return
        text = outbox.render(self.deps, person, ask.key, {**ask.vars, **context})
        buttons = [
            Button(self._label(person, o), Press(run_id, ask.seq, i))
            for i, o in enumerate(ask.options)
        ]
        turns = [o.value in PAGE_LABELS for o in ask.options]
        await outbox.message(
            conn,
            self.deps,
            person,
            person.address.id,
            text,
            buttons=[b for b, turn in zip(buttons, turns, strict=True) if not turn],
            last_row=[b for b, turn in zip(buttons, turns, strict=True) if turn],
            unsolicited=scheduled,
            expires=expires,
            run_id=run_id,
            seq=ask.seq,
        )

    async def next_run(self, conn: aiosqlite.Connection, person: Person) -> None:
        """After a run ends: resume an interrupted question, else start a queued flow."""
        now = self.deps.clock.now()
        if await runs.latest(conn, person.id, RunStatus.ACTIVE) is not None:
            return
        for suspended in await runs.suspended(conn, person.id):
            if suspended.expires_at is not None and suspended.expires_at <= now:
                await self._expire(conn, person, suspended)
                continue
            state = runner.RunState.from_json(suspended.state)
            if not await self.still_matters(conn, suspended.flow_id, state.vars):
                await runs.set_status(conn, now, suspended.id, RunStatus.CANCELLED)
                continue
            idle = now - (suspended.updated_at or suspended.created_at)
            if not suspended.scheduled and idle > STALE_AFTER:
                # Too long ago to pick up by itself: closed, and the person told so once.
                await runs.set_status(conn, now, suspended.id, RunStatus.CANCELLED)
                await outbox.say(conn, self.deps, person, "question.closed_unfinished")
                continue
            await runs.set_status(conn, now, suspended.id, RunStatus.ACTIVE)
            flow = self.deps.content.flows[suspended.flow_id]
            result = await self._advance(conn, person, flow, state, runner.Resume())
            run_id = suspended.id
            if _shown_anew(result, state):  # its buttons changed while it waited
                await self._close_keyboard(conn, person, suspended)
            await self.apply(conn, person, run_id, flow, result, scheduled=False, expires=None)
            return
        for run in await runs.queued(conn, person.id):
            if run.expires_at is not None and run.expires_at <= now:
                await runs.set_status(conn, now, run.id, RunStatus.EXPIRED)
                await log_event(
                    conn,
                    now,
                    "flow_expired",
                    person.id,
                    person.coach_id,
                    flow_id=run.flow_id,
                    ref=f"run:{run.id}",
                )
                continue
            await runs.set_status(conn, now, run.id, RunStatus.ACTIVE)
            await self._begin(
                conn,
                person,
                self.deps.content.flows[run.flow_id],
                run.state.get("vars", {}),
                scheduled=True,
                expires=run.expires_at,
                run_id=run.id,
            )
            return

    # --- helpers --------------------------------------------------------------

    async def still_matters(
        self, conn: aiosqlite.Connection, flow_id: str, vars: Mapping[str, Any]
    ) -> bool:
        """Whether a scheduled or set-aside question is still worth asking (or answering):
        an appointment's attendance question is not, once its attendance is recorded; a
        question about an appointment is not, once the coach cancelled it."""
        if flow_id != "attendance":
            about = vars.get("appointment_id")
            if about is None:
                return True
            try:
                appointment = await appointments.get(conn, int(str(about)))
            except ValueError:
                return True
            return appointment is None or appointment.status != AppointmentStatus.CANCELLED
        try:
            which = int(str((vars.get("prefill") or {})["which"]))
        except (KeyError, TypeError, ValueError):
            return True
        appointment = await appointments.get(conn, which)
        return appointment is None or appointment.attendance is None

    async def context(self, conn: aiosqlite.Connection, person: Person) -> dict[str, Any]:
        """Variables every message may use: name, coach, language (own name), and the
        retention terms the privacy texts state (`followup_months`, `retention_months`)."""
        coach = await person_by_id(conn, person.coach_id)
        catalogs = self.deps.content.catalogs
        context: dict[str, Any] = {
            "name": person.name,
            "coach": coach.name if coach else "",
            "language": catalogs.by_code[catalogs.pick(person.language)].name,
            **privacy_terms(self.deps.content.schedules),
        }
        if person.paused_until:
            context["until"] = from_db(person.paused_until).isoformat()
        return context

    async def sources(
        self,
        conn: aiosqlite.Connection,
        person: Person,
        flow: Flow,
        answers: Mapping[str, Any] | None = None,
        vars: Mapping[str, Any] | None = None,
    ) -> dict[str, Sequence[Option]]:
        known = {**(vars or {}), "answers": dict(answers or {})}
        return await sources.compute(conn, self.deps, person, flow.sources, known)

    async def _about(
        self, conn: aiosqlite.Connection, person: Person, answers: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Names a coach's or coordinator's question may show: the participant picked
        earlier in this run, and the coaches of a handover."""
        if person.role == Role.PARTICIPANT:
            return {}
        # A name that can no longer be shown (e.g. moved to another coach) renders as "—",
        # never as a broken message.
        found: dict[str, Any] = {"participant": "—"} if {"who", "pick"} & set(answers) else {}
        for key, name in (
            ("who", "participant"),
            ("pick", "participant"),
            ("from", "from_coach"),
            ("to", "to_coach"),
        ):
            try:
                other = await person_by_id(conn, int(answers[key]))
            except (KeyError, TypeError, ValueError):
                continue
            if other is not None and (
                person.role == Role.COORDINATOR or other.coach_id == person.id
            ):
                found[name] = other.name
        return found

    def _label(self, person: Person, option: Option) -> str:
        if option.text is not None:
            return option.text
        return outbox.render(self.deps, person, option.label or option.value, {})

    def _match(self, person: Person, options: Sequence[Option], text: str) -> Option | None:
        """A typed answer that equals a button's label (emoji and case ignored)."""
        wanted = _plain(text)
        if not wanted:
            return None
        for option in options:
            if wanted in (_plain(self._label(person, option)), _plain(option.value)):
                return option
        return None

    async def _log_answer(
        self,
        conn: aiosqlite.Connection,
        person: Person,
        run_id: int,
        flow: Flow,
        step: str,
        value: Any,
        answer: AnswerType,
        seq: int,
    ) -> None:
        if str(value) in NAVIGATION:
            return
        now = self.deps.clock.now()
        sent_at = await storage_outbox.first_sent_at(conn, run_id)
        latency = (now - sent_at).total_seconds() if sent_at else None
        # Free text never enters the log; only that an answer came.
        logged = None if answer == AnswerType.TEXT else str(value)
        await log_event(
            conn,
            now,
            "answer",
            person.id,
            person.coach_id,
            flow_id=flow.id,
            step=step,
            value=logged,
            ref=f"run:{run_id}",
            latency_s=latency,
        )

    async def _load(
        self, conn: aiosqlite.Connection, person: Person, run_id: int
    ) -> tuple[Flow, runner.RunState, Run] | None:
        run = await runs.get(conn, run_id)
        if run is None or run.person_id != person.id or run.status != RunStatus.ACTIVE:
            return None
        flow = self.deps.content.flows.get(run.flow_id)
        if flow is None:
            return None
        return flow, runner.RunState.from_json(run.state), run


def _subject(schedules: Schedules, flow_id: str, vars: Mapping[str, Any]) -> str | None:
    """What a scheduled question is about, for replacing an older one: its appointment;
    for a check-in, follow-up or nudge the flow itself; else None (never replaced: each
    attendance question, questionnaire or campaign is asked again after being set aside)."""
    appointment = vars.get("appointment_id")
    if appointment is not None:
        return f"appointment:{appointment}"
    return f"flow:{flow_id}" if policy.kind_of(schedules, flow_id) is not None else None


def _past(run: Run, now: datetime) -> bool:
    """Whether a run's question is past its expiry (scheduled questions have one)."""
    return run.expires_at is not None and run.expires_at <= now


def _shown_anew(result: runner.Result, state: runner.RunState) -> bool:
    """The waiting question is shown again with a new seq, unanswered: a page turn, or a
    re-ask whose options changed. The old message's buttons then stand for nothing."""
    return any(isinstance(a, runner.Ask) and a.seq != state.seq for a in result.actions) and (
        not any(isinstance(a, runner.Recorded) for a in result.actions)
    )


def _answer_sources(flow: Flow) -> bool:
    return bool(sources.ANSWER_DEPENDENT & set(flow.sources))


def _asks(flow: Flow) -> bool:
    return any(step.kind == StepKind.ASK for step in flow.steps.values())


def _plain(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum() or ch == " ").strip()


def chosen(label: str) -> str:
    """The button left on an answered question: the choice with one ✅ before it."""
    return label if label.startswith("✅") else f"✅ {label}"
