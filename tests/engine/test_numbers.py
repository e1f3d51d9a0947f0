"""Numbers typed in any script's digits: Persian ۷, Arabic ٧, full-width ７ … are 7."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine.model import END, AnswerType, Flow, Step, StepKind
from bot.engine.numbers import MAX_DIGITS, read_integer
from bot.engine.runner import Answer, Recorded, advance, start

# The zero of every decimal digit script Unicode knows (Nd: 0–9 are always ten in a row).
ZEROS = [cp for cp in range(0x110000) if unicodedata.decimal(chr(cp), None) == 0]
PERSIAN_ZERO, ARABIC_ZERO = 0x06F0, 0x0660
INVISIBLE = ["", "\u200e", "\u200f", "\u061c", "\u2066", "\u2069"]  # LRM, RLM, ALM, isolates


def written(number: int, zero: int) -> str:
    """`number` in the digits whose zero is code point `zero`."""
    sign = "-" if number < 0 else ""
    return sign + "".join(chr(zero + int(d)) for d in str(abs(number)))


def test_every_digit_script_is_known():
    assert PERSIAN_ZERO in ZEROS and ARABIC_ZERO in ZEROS and ord("0") in ZEROS
    assert len(ZEROS) > 50


@given(
    number=st.integers(min_value=-(10 ** (MAX_DIGITS - 1)), max_value=10**MAX_DIGITS - 1),
    zero=st.sampled_from(ZEROS),
    before=st.sampled_from(INVISIBLE),
    after=st.sampled_from(INVISIBLE),
    spaces=st.sampled_from(["", " ", "  \n"]),
)
def test_an_integer_typed_in_any_digit_script_is_read_as_that_integer(
    number, zero, before, after, spaces
):
    typed = spaces + before + written(number, zero) + after + spaces
    assert read_integer(typed) == number


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("۷", 7, id="persian-7"),
        pytest.param("٧", 7, id="arabic-7"),
        pytest.param("۱۰", 10, id="persian-10"),
        pytest.param("١٠", 10, id="arabic-10"),
        pytest.param("\u200f۱۰\u200f", 10, id="persian-10-between-direction-marks"),
        pytest.param("１２", 12, id="full-width-12"),
        pytest.param("+7", 7, id="plus-sign"),
        pytest.param("\u22127", -7, id="minus-sign"),
        pytest.param("٧٫٥", None, id="arabic-decimal-7.5"),
        pytest.param("7.5", None, id="decimal-7.5"),
        pytest.param("١٬٠٠٠", None, id="arabic-thousands-separator"),
        pytest.param("1_000", None, id="underscore"),
        pytest.param("7 8", None, id="two-numbers"),
        pytest.param("۷ ساعت", None, id="number-and-word"),
        pytest.param("seven", None, id="word"),
        pytest.param("-", None, id="sign-only"),
        pytest.param("", None, id="empty"),
        pytest.param("²", None, id="superscript-is-not-a-decimal-digit"),
        pytest.param("1" * (MAX_DIGITS + 1), None, id="too-long"),
    ],
)
def test_what_is_read_as_a_number(typed, expected):
    assert read_integer(typed) == expected


def scale_question() -> Flow:
    step = Step("q", StepKind.ASK, message="q", answer=AnswerType.SCALE, next={"default": END})
    return Flow("t", "participant", "q", {"q": step})


@pytest.mark.parametrize(
    ("typed", "recorded"),
    [("۷", "7"), ("٧", "7"), ("۱۰", "10"), ("٠", "0"), (" 07 ", "7")],
    ids=["persian-7", "arabic-7", "persian-10", "arabic-0", "leading-zero"],
)
def test_a_scale_question_takes_typed_digits_of_any_script_as_the_button(typed, recorded):
    flow = scale_question()
    state = start(flow).state
    result = advance(flow, state, Answer(state.seq, text=typed))
    assert result.actions[0] == Recorded("q", recorded, AnswerType.SCALE)


@pytest.mark.parametrize("typed", ["۱۱", "٧٫٥", "-۱"], ids=["persian-11", "arabic-7.5", "minus-1"])
def test_a_scale_question_refuses_what_is_not_0_to_10_in_any_script(typed):
    flow = scale_question()
    state = start(flow).state
    result = advance(flow, state, Answer(state.seq, text=typed))
    assert not any(isinstance(a, Recorded) for a in result.actions)


@given(n=st.integers(min_value=0, max_value=10), zero=st.sampled_from(ZEROS))
def test_every_scale_answer_typed_in_any_script_is_the_same_as_pressing_it(n, zero):
    flow = scale_question()
    state = start(flow).state
    typed = advance(flow, state, Answer(state.seq, text=written(n, zero)))
    pressed = advance(flow, state, Answer(state.seq, value=str(n)))
    assert typed == pressed
