"""The pure flow engine: (flow, state, event) → (state, actions), driven with plain data.

These are the runner's mechanics on small flows built in code. How each shipped flow
behaves is written as data in tests/flows/cases/ (run by tests/flows/test_flow_cases.py).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine.model import (
    END,
    NEXT_PAGE,
    PREVIOUS_PAGE,
    AnswerType,
    Flow,
    Option,
    Step,
    StepKind,
)
from bot.engine.runner import (
    Answer,
    Ask,
    Finished,
    FlowError,
    Invalid,
    Perform,
    Recorded,
    Result,
    Resume,
    RunState,
    Say,
    Stale,
    StartTimer,
    Timeout,
    advance,
    start,
)

# --- building flows in code ---------------------------------------------------


def ask(id: str, answer: AnswerType | str, next: Any = END, **kw: Any) -> Step:
    nxt = next if isinstance(next, dict) else {"default": next}
    opts = tuple(Option(v, f"{id}.{v}") for v in kw.pop("options", ()))
    return Step(
        id, StepKind.ASK, message=f"{id}.q", answer=AnswerType(answer), options=opts, next=nxt, **kw
    )


def say(id: str, next: str = END) -> Step:
    return Step(id, StepKind.SAY, message=f"{id}.text", next={"default": next})


def do(id: str, action: str, next: str = END, **kw: Any) -> Step:
    return Step(id, StepKind.DO, action=action, next={"default": next}, **kw)


def make_flow(*steps: Step, id: str = "t") -> Flow:
    return Flow(id, "participant", steps[0].id, {s.id: s for s in steps})


# --- reading results as short lines ---------------------------------------------


def trace(result: Result) -> list[str]:
    """Actions as short readable lines, e.g. `ask q.q #1`, `recorded q='a'`."""
    lines = []
    for a in result.actions:
        match a:
            case Ask():
                lines.append(f"ask {a.key} #{a.seq}" + (" again" if a.reask else ""))
            case StartTimer():
                lines.append(f"timer #{a.seq} {a.after}")
            case Say():
                lines.append(f"say {a.key}")
            case Perform():
                lines.append(f"do {a.action}")
            case Recorded():
                lines.append(f"recorded {a.step}={a.value!r}")
            case Invalid():
                lines.append(f"invalid {a.step}")
            case Stale():
                lines.append("stale")
            case Finished():
                lines.append(f"finished {a.reason}")
    return lines


def press(state: RunState, value: str) -> Answer:
    return Answer(seq=state.seq, value=value)


def typed(state: RunState, text: str) -> Answer:
    return Answer(seq=state.seq, text=text)


# --- starting -------------------------------------------------------------------


def test_start_asks_the_first_question_with_seq_1_its_options_and_a_timer():
    flow = make_flow(ask("q", "choice", options=["a", "b"], timeout=timedelta(hours=2)))
    result = start(flow, {"name": "Ada"})
    first = result.actions[0]
    assert isinstance(first, Ask)
    assert (first.key, first.seq, first.answer, first.reask) == ("q.q", 1, AnswerType.CHOICE, False)
    assert [o.value for o in first.options] == ["a", "b"]
    assert [o.label for o in first.options] == ["q.a", "q.b"]
    assert first.vars == {"name": "Ada", "answers": {}}
    assert result.actions[1:] == (StartTimer(1, timedelta(hours=2)),)
    assert (result.state.step, result.state.seq, result.state.finished) == ("q", 1, False)
    assert result.state.options == first.options


@pytest.mark.parametrize(
    ("answer", "values", "labels"),
    [
        pytest.param("yes_no", ["yes", "no"], ["common.yes", "common.no"], id="yes_no-buttons"),
        pytest.param("scale", [str(n) for n in range(11)], [None] * 11, id="scale-0-to-10"),
    ],
)
def test_built_in_answer_types_get_their_own_buttons(answer, values, labels):
    ask_action = start(make_flow(ask("q", answer))).actions[0]
    assert [o.value for o in ask_action.options] == values
    assert [o.label for o in ask_action.options] == labels


def test_say_and_do_steps_before_the_first_question_come_first():
    flow = make_flow(say("hi", "q"), ask("q", "yes_no"))
    assert trace(start(flow)) == ["say hi.text", "ask q.q #1"]


def test_a_flow_without_questions_finishes_at_once():
    flow = make_flow(say("hi", "bye"), say("bye"))
    result = start(flow)
    assert trace(result) == ["say hi.text", "say bye.text", "finished done"]
    assert result.state.finished


# --- accepting and rejecting answers ----------------------------------------------

ANSWER_CASES = [
    # id, step, event (value, text), accepted value or "invalid"
    ("choice-button", ask("q", "choice", options=["a", "b"]), ("b", None), "b"),
    ("choice-unknown-button", ask("q", "choice", options=["a", "b"]), ("c", None), "invalid"),
    ("choice-typed-text", ask("q", "choice", options=["a", "b"]), (None, "hello"), "invalid"),
    ("yes_no-yes", ask("q", "yes_no"), ("yes", None), "yes"),
    ("yes_no-no", ask("q", "yes_no"), ("no", None), "no"),
    ("yes_no-other", ask("q", "yes_no"), ("maybe", None), "invalid"),
    ("scale-button", ask("q", "scale"), ("7", None), "7"),
    ("scale-typed-0", ask("q", "scale"), (None, "0"), "0"),
    ("scale-typed-10-spaces", ask("q", "scale"), (None, " 10 "), "10"),
    ("scale-typed-11", ask("q", "scale"), (None, "11"), "invalid"),
    ("scale-typed-minus-1", ask("q", "scale"), (None, "-1"), "invalid"),
    ("scale-typed-word", ask("q", "scale"), (None, "seven"), "invalid"),
    ("number-typed", ask("q", "number", minimum=1, maximum=100), (None, " 42 "), 42),
    ("number-at-min", ask("q", "number", minimum=1, maximum=100), (None, "1"), 1),
    ("number-at-max", ask("q", "number", minimum=1, maximum=100), (None, "100"), 100),
    ("number-below-min", ask("q", "number", minimum=1, maximum=100), (None, "0"), "invalid"),
    ("number-above-max", ask("q", "number", minimum=1, maximum=100), (None, "101"), "invalid"),
    ("number-decimal", ask("q", "number"), (None, "4.5"), "invalid"),
    ("number-word", ask("q", "number"), (None, "four"), "invalid"),
    ("number-unbounded-negative", ask("q", "number"), (None, "-3"), -3),
    ("text", ask("q", "text"), (None, " hello "), "hello"),
    ("text-empty", ask("q", "text"), (None, ""), "invalid"),
    ("text-blank", ask("q", "text"), (None, "   "), "invalid"),
    ("text-button-press", ask("q", "text"), ("a", None), "invalid"),
    ("text-cut-at-max", ask("q", "text", maximum=5), (None, "abcdefgh"), "abcde"),
]


@pytest.mark.parametrize(
    ("step", "event", "expected"), [pytest.param(s, e, x, id=i) for i, s, e, x in ANSWER_CASES]
)
def test_answers_are_accepted_or_rejected_by_type(step, event, expected):
    flow = make_flow(step)
    state = start(flow).state
    result = advance(flow, state, Answer(state.seq, value=event[0], text=event[1]))
    if expected == "invalid":
        assert trace(result) == ["invalid q", "ask q.q #1 again"]
    else:
        assert result.actions[0] == Recorded("q", expected, step.answer)
        assert result.state.answers == {"q": expected}


# --- branching ---------------------------------------------------------------------

BRANCHES = {"a": "went_a", "yes": "went_yes", "5": "went_5", "default": "went_default"}
BRANCH_CASES = [
    # id, answer type, extra step fields, event (value, text), step reached
    ("choice-own-branch", "choice", {"options": ["a", "b"]}, ("a", None), "went_a"),
    ("choice-default", "choice", {"options": ["a", "b"]}, ("b", None), "went_default"),
    ("yes_no-own-branch", "yes_no", {}, ("yes", None), "went_yes"),
    ("yes_no-default", "yes_no", {}, ("no", None), "went_default"),
    ("scale-typed-branch", "scale", {}, (None, "5"), "went_5"),
    ("number-branch", "number", {}, (None, "5"), "went_5"),
    ("number-default", "number", {}, (None, "6"), "went_default"),
    ("text-never-branches", "text", {}, (None, "a"), "went_default"),
]


@pytest.mark.parametrize(
    ("answer", "extra", "event", "reached"),
    [pytest.param(a, x, e, r, id=i) for i, a, x, e, r in BRANCH_CASES],
)
def test_answers_branch_on_their_value_or_default(answer, extra, event, reached):
    targets = [say(t) for t in dict.fromkeys(BRANCHES.values())]
    flow = make_flow(ask("q", answer, next=BRANCHES, **extra), *targets)
    state = start(flow).state
    result = advance(flow, state, Answer(state.seq, value=event[0], text=event[1]))
    assert f"say {reached}.text" in trace(result)


def test_an_answer_without_branch_or_default_finishes_the_flow():
    flow = make_flow(ask("q", "choice", options=["a", "b"], next={"a": "x"}), say("x"))
    state = start(flow).state
    result = advance(flow, state, press(state, "b"))
    assert trace(result) == ["recorded q='b'", "finished done"]
    assert result.state.finished


def test_each_new_question_gets_the_next_seq_and_a_new_timer():
    two_hours = timedelta(hours=2)
    flow = make_flow(
        ask("q1", "yes_no", next="q2", timeout=two_hours), ask("q2", "yes_no", timeout=two_hours)
    )
    state = start(flow).state
    result = advance(flow, state, press(state, "yes"))
    assert trace(result) == ["recorded q1='yes'", "ask q2.q #2", "timer #2 2:00:00"]


# --- bounded re-ask ------------------------------------------------------------------


def test_an_invalid_answer_reasks_with_the_same_seq_so_old_buttons_stay_valid():
    flow = make_flow(ask("q", "choice", options=["a", "b"], timeout=timedelta(hours=1)))
    state = start(flow).state
    reasked = advance(flow, state, press(state, "zzz"))
    assert trace(reasked) == ["invalid q", "ask q.q #1 again"]  # no second timer
    assert reasked.state.seq == 1
    assert reasked.state.invalid == 1
    assert reasked.actions[0] == Invalid(AnswerType.CHOICE, "q")
    pressed_old_button = advance(flow, reasked.state, Answer(seq=1, value="a"))
    assert trace(pressed_old_button) == ["recorded q='a'", "finished done"]
    assert pressed_old_button.state.invalid == 0


@pytest.mark.parametrize("retries", [0, 1, 2, 3], ids=lambda n: f"retries={n}")
def test_after_retries_reasks_the_next_invalid_answer_ends_the_run(retries):
    flow = make_flow(ask("q", "number", retries=retries))
    state = start(flow).state
    for _ in range(retries):
        result = advance(flow, state, typed(state, "not a number"))
        assert trace(result) == ["invalid q", "ask q.q #1 again"]
        state = result.state
    result = advance(flow, state, typed(state, "not a number"))
    assert trace(result) == ["invalid q", "finished invalid"]
    assert result.state.finished


def test_the_default_allows_two_reasks():
    assert Step("q", StepKind.ASK).retries == 2


def test_giving_up_goes_to_on_invalid_when_the_flow_names_a_step():
    flow = make_flow(ask("q", "yes_no", retries=0, on_invalid="sorry"), say("sorry"))
    state = start(flow).state
    result = advance(flow, state, press(state, "maybe"))
    assert trace(result) == ["say sorry.text", "finished done"]


def test_on_invalid_end_finishes_with_reason_invalid():
    flow = make_flow(ask("q", "yes_no", retries=0, on_invalid=END))
    state = start(flow).state
    assert trace(advance(flow, state, press(state, "maybe")))[-1] == "finished invalid"


# --- timeouts and stale events -----------------------------------------------------------


def test_a_timeout_goes_to_the_on_timeout_step():
    flow = make_flow(
        ask("q", "yes_no", timeout=timedelta(days=2), on_timeout="nudge"),
        say("nudge", "q2"),
        ask("q2", "yes_no"),
    )
    state = start(flow).state
    result = advance(flow, state, Timeout(seq=1))
    assert trace(result) == ["say nudge.text", "ask q2.q #2"]


@pytest.mark.parametrize("on_timeout", [END, None], ids=["on_timeout-end", "no-on_timeout"])
def test_a_timeout_without_a_step_finishes_with_reason_timeout(on_timeout):
    flow = make_flow(ask("q", "yes_no", timeout=timedelta(days=2), on_timeout=on_timeout))
    state = start(flow).state
    result = advance(flow, state, Timeout(seq=1))
    assert trace(result) == ["finished timeout"]
    assert result.state.finished


def test_a_timeout_still_counts_after_a_reask():
    flow = make_flow(ask("q", "yes_no", timeout=timedelta(days=2)))
    state = start(flow).state
    state = advance(flow, state, press(state, "maybe")).state
    assert trace(advance(flow, state, Timeout(seq=1))) == ["finished timeout"]


TWO_QUESTIONS = make_flow(
    ask("q1", "yes_no", next="q2", timeout=timedelta(days=1)),
    ask("q2", "yes_no", timeout=timedelta(days=1)),
)


@pytest.mark.parametrize(
    "event", [Answer(seq=1, value="no"), Timeout(seq=1)], ids=["old-button", "old-timer"]
)
def test_events_for_a_question_that_moved_on_are_stale(event):
    state = start(TWO_QUESTIONS).state
    state = advance(TWO_QUESTIONS, state, press(state, "yes")).state
    result = advance(TWO_QUESTIONS, state, event)
    assert result == Result(state, (Stale(),))


@pytest.mark.parametrize(
    "event",
    [Answer(seq=2, value="yes"), Timeout(seq=2), Resume()],
    ids=["answer", "timeout", "resume"],
)
def test_every_event_on_a_finished_run_is_stale(event):
    state = start(TWO_QUESTIONS).state
    state = advance(TWO_QUESTIONS, state, press(state, "yes")).state
    state = advance(TWO_QUESTIONS, state, press(state, "no")).state
    assert state.finished
    assert advance(TWO_QUESTIONS, state, event) == Result(state, (Stale(),))


def test_an_event_for_another_flow_is_stale():
    state = start(TWO_QUESTIONS).state
    other = make_flow(ask("q1", "yes_no"), id="other")
    assert advance(other, state, press(state, "yes")).actions == (Stale(),)


# --- resume ----------------------------------------------------------------------------


def test_resume_reasks_the_current_question_with_the_same_seq_and_no_new_timer():
    state = start(TWO_QUESTIONS).state
    state = advance(TWO_QUESTIONS, state, press(state, "yes")).state
    result = advance(TWO_QUESTIONS, state, Resume())
    assert trace(result) == ["ask q2.q #2 again"]
    assert result.state.seq == 2
    assert trace(advance(TWO_QUESTIONS, result.state, Answer(seq=2, value="no")))[-1] == (
        "finished done"
    )


# --- do steps and dynamic options ---------------------------------------------------------


def test_a_do_step_performs_its_action_with_params_vars_and_answers():
    flow = make_flow(
        ask("mood", "choice", options=["good", "bad"], next="save"),
        do(
            "save", "set_field", params={"field": "last_mood", "from": "mood"}, message="coach.note"
        ),
    )
    state = start(flow, {"name": "Ada"}).state
    result = advance(flow, state, press(state, "bad"))
    perform = result.actions[1]
    assert perform == Perform(
        "set_field",
        {"field": "last_mood", "from": "mood"},
        {"name": "Ada", "answers": {"mood": "bad"}},
        "coach.note",
    )
    assert trace(result) == ["recorded mood='bad'", "do set_field", "finished done"]


def test_later_questions_see_earlier_answers_in_their_vars():
    state = start(TWO_QUESTIONS, {"name": "Ada"}).state
    result = advance(TWO_QUESTIONS, state, press(state, "yes"))
    assert result.actions[1].vars == {"name": "Ada", "answers": {"q1": "yes"}}


PEOPLE = {"people": [Option("11", text="Ada"), Option("12", text="Bo")]}


def test_dynamic_options_come_from_sources_before_the_static_ones():
    flow = make_flow(ask("who", "choice", options=["nobody"], options_from="people"))
    result = start(flow, sources=PEOPLE)
    assert [(o.value, o.text or o.label) for o in result.actions[0].options] == [
        ("11", "Ada"),
        ("12", "Bo"),
        ("nobody", "who.nobody"),
    ]
    assert trace(advance(flow, result.state, press(result.state, "12"), PEOPLE))[0] == (
        "recorded who='12'"
    )


def test_a_missing_source_leaves_only_the_static_options():
    flow = make_flow(ask("who", "choice", options=["nobody"], options_from="people"))
    assert [o.value for o in start(flow).actions[0].options] == ["nobody"]


def test_a_reask_with_other_options_is_a_new_seq_so_an_old_button_cannot_mean_another():
    flow = make_flow(ask("who", "choice", options_from="people", timeout=timedelta(hours=1)))
    state = start(flow, sources=PEOPLE).state
    # While it waited, "Aaron" came before Ada: the old button 0 (Ada) would now be Aaron.
    grown = {"people": [Option("10", text="Aaron"), *PEOPLE["people"]]}
    result = advance(flow, state, Resume(), grown)
    assert trace(result) == ["ask who.q #2 again", "timer #2 1:00:00"]
    assert advance(flow, result.state, Answer(seq=1, value="11"), grown).actions == (Stale(),)
    assert result.state.asked == 1  # the same question, shown anew


# --- pages -------------------------------------------------------------------------------------


def people(count: int) -> dict[str, list[Option]]:
    return {"people": [Option(str(n), text=f"P{n}") for n in range(1, count + 1)]}


PAGED = make_flow(
    ask("who", "choice", options=["nobody"], options_from="people", page=3, next="q2"),
    ask("q2", "yes_no"),
)


def shown(result: Result) -> list[str]:
    asked = [a for a in result.actions if isinstance(a, Ask)]
    return [o.value for o in asked[-1].options]


def paging(result: Result) -> dict[str, object]:
    asked = [a for a in result.actions if isinstance(a, Ask)][-1]
    return {k: asked.vars[k] for k in ("page", "pages", "on_page")}


def test_a_paged_question_shows_a_page_then_its_own_options_then_next():
    result = start(PAGED, sources=people(7))
    assert shown(result) == ["1", "2", "3", "nobody", NEXT_PAGE]
    assert paging(result) == {"page": 1, "pages": 3, "on_page": ["1", "2", "3"]}
    labels = [o.label for o in result.actions[0].options[-2:]]
    assert labels == ["who.nobody", "page.next"]


def test_turning_pages_asks_again_with_a_new_seq_and_keeps_where_it_was_first_asked():
    src = people(7)
    first = start(PAGED, sources=src)
    second = advance(PAGED, first.state, press(first.state, NEXT_PAGE), src)
    assert trace(second) == ["ask who.q #2"]  # not an answer: nothing recorded
    assert shown(second) == ["4", "5", "6", "nobody", PREVIOUS_PAGE, NEXT_PAGE]
    last = advance(PAGED, second.state, press(second.state, NEXT_PAGE), src)
    assert shown(last) == ["7", "nobody", PREVIOUS_PAGE]
    assert paging(last) == {"page": 3, "pages": 3, "on_page": ["7"]}
    assert (last.state.seq, last.state.asked, last.state.page) == (3, 1, 2)
    back = advance(PAGED, last.state, press(last.state, PREVIOUS_PAGE), src)
    assert shown(back) == ["4", "5", "6", "nobody", PREVIOUS_PAGE, NEXT_PAGE]


def test_an_answer_on_a_later_page_moves_on_and_the_next_question_starts_on_page_one():
    src = people(7)
    state = start(PAGED, sources=src).state
    state = advance(PAGED, state, press(state, NEXT_PAGE), src).state
    result = advance(PAGED, state, press(state, "5"), src)
    assert trace(result) == ["recorded who='5'", "ask q2.q #3"]
    assert (result.state.page, result.state.asked) == (0, 3)
    assert "page" not in result.actions[-1].vars  # q2 has no pages


def test_a_page_button_that_was_not_shown_is_an_invalid_answer():
    src = people(3)  # one page: neither button
    state = start(PAGED, sources=src).state
    assert shown(start(PAGED, sources=src)) == ["1", "2", "3", "nobody"]
    assert trace(advance(PAGED, state, press(state, NEXT_PAGE), src)) == [
        "invalid who",
        "ask who.q #1 again",
    ]


def test_an_empty_source_is_one_page_with_only_the_questions_own_options():
    result = start(PAGED, sources=people(0))
    assert shown(result) == ["nobody"]
    assert paging(result) == {"page": 1, "pages": 1, "on_page": []}


def test_a_shorter_list_after_an_interruption_shows_its_last_page():
    state = start(PAGED, sources=people(7)).state
    for _ in range(2):
        state = advance(PAGED, state, press(state, NEXT_PAGE), people(7)).state
    result = advance(PAGED, state, Resume(), people(5))  # two left while it waited
    assert shown(result) == ["4", "5", "nobody", PREVIOUS_PAGE]
    assert result.state.seq == 4  # other buttons than before: a new seq


def test_a_resume_on_the_same_page_keeps_the_seq():
    src = people(7)
    state = start(PAGED, sources=src).state
    state = advance(PAGED, state, press(state, NEXT_PAGE), src).state
    result = advance(PAGED, state, Resume(), src)
    assert trace(result) == ["ask who.q #2 again"]
    assert shown(result) == ["4", "5", "6", "nobody", PREVIOUS_PAGE, NEXT_PAGE]


def test_a_state_saved_before_pages_existed_loads_on_page_one_with_no_older_pages():
    state = start(PAGED, sources=people(7)).state
    saved = state.to_json()
    del saved["page"], saved["asked"]
    loaded = RunState.from_json(saved)
    assert (loaded.page, loaded.asked, loaded.seq) == (0, 1, 1)


# --- broken flows ----------------------------------------------------------------------------


def test_a_say_do_cycle_raises_flow_error():
    flow = make_flow(say("a", "b"), do("b", "notify_coach", "a"))
    with pytest.raises(FlowError, match="without a question"):
        start(flow)


def test_a_next_to_an_unknown_step_raises_flow_error():
    with pytest.raises(FlowError, match="unknown step 'nowhere'"):
        start(make_flow(say("a", "nowhere")))


# --- run state serialisation -----------------------------------------------------------------

json_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
options = st.builds(
    Option, st.text(max_size=8), st.none() | st.text(max_size=8), st.none() | st.text(max_size=8)
)
states = st.builds(
    RunState,
    flow_id=st.text(min_size=1, max_size=10),
    step=st.text(min_size=1, max_size=10),
    seq=st.integers(min_value=0, max_value=10_000),
    invalid=st.integers(min_value=0, max_value=10),
    answers=st.dictionaries(st.text(max_size=8), json_value, max_size=4),
    vars=st.dictionaries(st.text(max_size=8), json_value, max_size=4),
    options=st.lists(options, max_size=4).map(tuple),
    finished=st.booleans(),
    page=st.integers(min_value=0, max_value=100),
    asked=st.integers(min_value=0, max_value=10_000),
)


@given(states)
def test_run_state_survives_a_json_round_trip(state):
    assert RunState.from_json(json.loads(json.dumps(state.to_json()))) == state


def test_a_run_continues_after_a_json_round_trip():
    state = start(TWO_QUESTIONS, {"name": "Ada"}).state
    state = advance(TWO_QUESTIONS, state, press(state, "yes")).state
    restored = RunState.from_json(json.loads(json.dumps(state.to_json())))
    result = advance(TWO_QUESTIONS, restored, press(restored, "no"))
    assert trace(result) == ["recorded q2='no'", "finished done"]
    assert result.state.answers == {"q1": "yes", "q2": "no"}
