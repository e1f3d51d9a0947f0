"""The pure flow engine: (flow, run state, event) → (new run state, actions).

No I/O, no clock, no randomness. The host turns actions into outbox rows, timers
and database writes inside one transaction.

Example: a check-in asks "How are you?" (seq 1). Pressing "bad" yields
``Answer(seq=1, value="bad")`` → the engine records the answer, follows
``next.bad`` to the yes/no question and emits ``Ask`` with seq 2.
A late press of an old button carries seq 1 and yields ``Stale``.

``vars["prefill"]`` maps question ids to answers known before the flow starts; those
questions are skipped as if answered.

A question with ``page: 10`` shows its dynamic options ten at a time, with "previous" and
"next" buttons (``PREVIOUS_PAGE``, ``NEXT_PAGE``). Turning a page is not an answer: the
same question is shown again with the next seq, so a button of the old page can never
stand for a person on the new one. Example: 25 names, page 2 shows names 11–20 with
both buttons (seq 2); "next" shows names 21–25 and "previous" (seq 3); a press of seq 2
is then stale, and ``asked`` (1) tells the host it came from an older page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from bot.engine.model import (
    END,
    NEXT_PAGE,
    PAGE_LABELS,
    PREVIOUS_PAGE,
    SCALE_OPTIONS,
    YES_NO_OPTIONS,
    AnswerType,
    Flow,
    Option,
    Step,
    StepKind,
)
from bot.engine.numbers import read_integer

MAX_STEPS_PER_EVENT = 100  # a guard against say/do cycles in a broken flow


@dataclass(frozen=True)
class RunState:
    """Serialisable state of one flow run."""

    flow_id: str
    step: str
    seq: int = 0  # bumps with each question; buttons carry it to detect stale presses
    invalid: int = 0  # invalid answers to the current question
    answers: Mapping[str, Any] = field(default_factory=dict)
    vars: Mapping[str, Any] = field(default_factory=dict)
    options: tuple[Option, ...] = ()  # the options shown for the current question
    finished: bool = False
    page: int = 0  # the page of a paged question shown now (0: the first)
    asked: int = 0  # the seq the waiting question was first shown with (pages come after)

    def to_json(self) -> dict[str, Any]:
        return {
            "flow_id": self.flow_id,
            "step": self.step,
            "seq": self.seq,
            "invalid": self.invalid,
            "answers": dict(self.answers),
            "vars": dict(self.vars),
            "options": [[o.value, o.label, o.text] for o in self.options],
            "finished": self.finished,
            "page": self.page,
            "asked": self.asked,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunState:
        return cls(
            flow_id=data["flow_id"],
            step=data["step"],
            seq=data["seq"],
            invalid=data["invalid"],
            answers=dict(data["answers"]),
            vars=dict(data["vars"]),
            options=tuple(Option(v, lbl, txt) for v, lbl, txt in data["options"]),
            finished=data["finished"],
            # States saved before pages existed: page one, and no older pages to tell apart.
            page=data.get("page", 0),
            asked=data.get("asked", data["seq"]),
        )


# --- events -----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A button press (value) or typed text for the question with this seq."""

    seq: int
    value: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Timeout:
    seq: int


@dataclass(frozen=True)
class Resume:
    """Ask the current question again (after an interruption)."""


Event = Answer | Timeout | Resume


# --- actions ----------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    key: str
    vars: Mapping[str, Any]


@dataclass(frozen=True)
class Ask:
    key: str
    vars: Mapping[str, Any]
    seq: int
    answer: AnswerType
    options: tuple[Option, ...]
    reask: bool = False


@dataclass(frozen=True)
class Invalid:
    """The answer did not fit; the host says so kindly before the re-ask."""

    answer: AnswerType
    step: str


@dataclass(frozen=True)
class StartTimer:
    seq: int
    after: timedelta


@dataclass(frozen=True)
class Perform:
    """A host action (`do:`), e.g. notify_coach, set_field, create_appointment."""

    action: str
    params: Mapping[str, Any]
    vars: Mapping[str, Any]
    message: str | None = None


@dataclass(frozen=True)
class Recorded:
    """An answer was accepted: the host logs it (never with free text in the log)."""

    step: str
    value: Any
    answer: AnswerType


@dataclass(frozen=True)
class Stale:
    """A press or timeout for a question that already moved on."""


@dataclass(frozen=True)
class Finished:
    reason: str  # done | timeout | invalid


Action = Say | Ask | Invalid | StartTimer | Perform | Recorded | Stale | Finished


@dataclass(frozen=True)
class Result:
    state: RunState
    actions: tuple[Action, ...]


Sources = Mapping[str, Sequence[Option]]


class FlowError(Exception):
    """The flow itself is broken (should have been caught by `coachbot check`)."""


def start(
    flow: Flow, vars: Mapping[str, Any] | None = None, sources: Sources | None = None
) -> Result:
    """Begin a run at the flow's start step."""
    state = RunState(flow_id=flow.id, step=flow.start, vars=dict(vars or {}))
    return _run(flow, state, [], sources or {})


def advance(flow: Flow, state: RunState, event: Event, sources: Sources | None = None) -> Result:
    """Apply one event to a waiting run."""
    if state.finished or flow.id != state.flow_id:
        return Result(state, (Stale(),))
    step = flow.steps[state.step]
    if isinstance(event, Resume):
        if step.kind == StepKind.ASK:
            return _ask(step, state, [], sources or {}, reask=True)
        return _run(flow, state, [], sources or {})
    if event.seq != state.seq:
        return Result(state, (Stale(),))
    if isinstance(event, Timeout):
        if step.on_timeout is None or step.on_timeout == END:
            return Result(replace(state, finished=True), (Finished("timeout"),))
        return _run(flow, replace(state, step=step.on_timeout, invalid=0), [], sources or {})
    if _turns_page(step, state, event):
        page = state.page + (1 if event.value == NEXT_PAGE else -1)
        return _ask(step, replace(state, page=page, invalid=0), [], sources or {}, turn=True)
    value = parse_answer(step, state.options, event)
    if value is None:
        return _invalid(flow, state, step, sources or {})
    answers = {**state.answers, step.id: value}
    actions: list[Action] = [Recorded(step.id, value, step.answer or AnswerType.TEXT)]
    branch = value if step.answer != AnswerType.TEXT else None
    target = step.target(None if branch is None else str(branch))
    new = replace(state, answers=answers, invalid=0, options=())
    return _go(flow, new, target, actions, sources or {})


def parse_answer(step: Step, shown: Sequence[Option], event: Answer) -> Any:
    """The accepted value for this question, or None when it does not fit."""
    kind = step.answer
    values = [o.value for o in shown]
    if kind in (AnswerType.CHOICE, AnswerType.YES_NO, AnswerType.SCALE):
        if event.value is not None:
            return event.value if event.value in values else None
        if event.text is not None and kind == AnswerType.SCALE:
            # A typed "7", "۷" (Persian) or "٧" (Arabic) is the button 7.
            typed = read_integer(event.text)
            return str(typed) if typed is not None and str(typed) in SCALE_OPTIONS else None
        return None
    if kind == AnswerType.NUMBER:
        number = read_integer(event.text or event.value or "")
        if number is None:
            return None
        if step.minimum is not None and number < step.minimum:
            return None
        if step.maximum is not None and number > step.maximum:
            return None
        return number
    text = (event.text or "").strip()
    if not text:
        return None
    limit = step.maximum
    return text[:limit] if limit else text


def _invalid(flow: Flow, state: RunState, step: Step, sources: Sources) -> Result:
    invalid = state.invalid + 1
    if invalid > step.retries:
        if step.on_invalid and step.on_invalid != END:
            return _run(flow, replace(state, step=step.on_invalid, invalid=0), [], sources)
        done = replace(state, finished=True, invalid=invalid)
        return Result(done, (Invalid(step.answer or AnswerType.TEXT, step.id), Finished("invalid")))
    again = replace(state, invalid=invalid)
    actions: list[Action] = [Invalid(step.answer or AnswerType.TEXT, step.id)]
    return _ask(step, again, actions, sources, reask=True)


def _go(
    flow: Flow, state: RunState, target: str | None, actions: list[Action], sources: Sources
) -> Result:
    if target is None or target == END:
        return Result(replace(state, finished=True), (*actions, Finished("done")))
    return _run(flow, replace(state, step=target), actions, sources)


def _run(flow: Flow, state: RunState, actions: list[Action], sources: Sources) -> Result:
    for _ in range(MAX_STEPS_PER_EVENT):
        step = flow.steps.get(state.step)
        if step is None:
            raise FlowError(f"flow {flow.id}: unknown step {state.step!r}")
        context = _context(state)
        prefill = state.vars.get("prefill") or {}
        if step.kind == StepKind.ASK and step.id in prefill and step.id not in state.answers:
            # Answered before the flow began (e.g. the participant picked in /caseload).
            value = prefill[step.id]
            state = replace(state, answers={**state.answers, step.id: value})
            target = step.target(str(value))
            if target is None or target == END:
                return Result(replace(state, finished=True), (*actions, Finished("done")))
            state = replace(state, step=target)
            continue
        if step.kind == StepKind.ASK:
            return _ask(step, state, actions, sources)
        if step.kind == StepKind.SAY:
            actions.append(Say(step.message or "", context))
        else:
            actions.append(Perform(step.action or "", step.params, context, step.message))
        target = step.target(None)
        if target is None or target == END:
            return Result(replace(state, finished=True), (*actions, Finished("done")))
        state = replace(state, step=target)
    raise FlowError(f"flow {flow.id}: more than {MAX_STEPS_PER_EVENT} steps without a question")


def _turns_page(step: Step, state: RunState, event: Answer) -> bool:
    """A press of "previous" or "next" that the waiting question showed."""
    return (
        bool(step.page)
        and event.value in PAGE_LABELS
        and any(o.value == event.value for o in state.options)
    )


def _ask(
    step: Step,
    state: RunState,
    actions: list[Action],
    sources: Sources,
    reask: bool = False,
    turn: bool = False,
) -> Result:
    again = reask or turn  # the waiting question once more, not a new one
    options, page, paging = _options(step, sources, state.page if again else 0)
    # A button carries only its question's seq and its place among the options. A re-ask
    # keeps the seq (old buttons and the running timer stay valid) only when it shows the
    # same options; otherwise an old button could stand for another option.
    keep = reask and options == state.options
    seq = state.seq if keep else state.seq + 1
    asked = state.asked if again else seq
    new = replace(state, seq=seq, options=options, page=page, asked=asked)
    actions.append(
        Ask(
            step.message or "",
            {**_context(new), **paging},
            seq,
            step.answer or AnswerType.TEXT,
            options,
            reask,
        )
    )
    if step.timeout is not None and not keep:
        actions.append(StartTimer(seq, step.timeout))
    return Result(new, tuple(actions))


def _options(
    step: Step, sources: Sources, page: int = 0
) -> tuple[tuple[Option, ...], int, dict[str, Any]]:
    """The buttons of a question; for a paged one also the page shown (kept in range when
    the list got shorter) and what its text may say about it: `page` and `pages` (counted
    from 1) and `on_page`, the values of the options on this page."""
    # Extra options (e.g. "rather not say") follow the built-in buttons.
    if step.answer == AnswerType.YES_NO:
        yes_no = tuple(Option(v, f"common.{v}") for v in YES_NO_OPTIONS)
        return yes_no + tuple(step.options), 0, {}
    if step.answer == AnswerType.SCALE:
        scale = tuple(Option(v, text=v) for v in SCALE_OPTIONS)
        return scale + tuple(step.options), 0, {}
    dynamic = tuple(sources.get(step.options_from, ())) if step.options_from else ()
    if not step.page:
        return dynamic + tuple(step.options), 0, {}
    size = step.page
    pages = max(1, -(-len(dynamic) // size))
    page = min(max(page, 0), pages - 1)
    shown = dynamic[page * size : (page + 1) * size]
    turns = ((PREVIOUS_PAGE, page > 0), (NEXT_PAGE, page < pages - 1))
    nav = tuple(Option(value, PAGE_LABELS[value]) for value, shows in turns if shows)
    about = {"page": page + 1, "pages": pages, "on_page": [o.value for o in shown]}
    return shown + tuple(step.options) + nav, page, about


def _context(state: RunState) -> dict[str, Any]:
    return {**state.vars, "answers": dict(state.answers)}
