"""Buttons laid out for a phone: a 0–10 scale in three rows, other questions as before.

The rows go through the real conversion to Telegram's `reply_markup`."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.telegram.callbacks import decode, keyboard
from bot.content.bundle import Content, load_content, shipped_content_dir
from bot.engine import runner
from bot.outbox import layout
from storage.outbox import Button, Press


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(shipped_content_dir())


def first_question(content: Content, flow_id: str, step: str, language: str) -> list[Button]:
    """The buttons of question `step` as the host makes them (FlowHost._ask)."""
    flow = content.flows[flow_id]
    state = runner.RunState(flow_id=flow.id, step=step)
    result = runner.advance(flow, state, runner.Resume(), {})
    ask = next(a for a in result.actions if isinstance(a, runner.Ask))
    return [
        Button(o.text or content.catalogs.render(o.label or o.value, language), Press(1, 1, i))
        for i, o in enumerate(ask.options)
    ]


def reply_markup(buttons: list[Button]) -> list[list[dict[str, Any]]]:
    markup = keyboard(layout(buttons))
    assert markup is not None
    rows: list[list[dict[str, Any]]] = markup.to_dict()["inline_keyboard"]
    return rows


@pytest.mark.parametrize("language", ["nl", "so", "ar"])
def test_a_0_to_10_question_is_two_rows_of_numbers_and_one_of_skip_and_later(
    content: Content, language: str
) -> None:
    buttons = first_question(content, "intake_survey", "life_satisfaction", language)
    rows = reply_markup(buttons)
    texts = [[b["text"] for b in row] for row in rows]
    skip = content.catalogs.render("survey.skip", language)
    later = content.catalogs.render("survey.later_button", language)
    assert texts == [["0", "1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10"], [skip, later]]
    # Each button still answers with its own option.
    pressed = [decode(b["callback_data"]) for row in rows for b in row]
    assert [p.option if p else None for p in pressed] == list(range(13))


def test_a_scale_without_extra_answers_is_two_rows(content: Content) -> None:
    numbers = [Button(str(n), Press(1, 1, n)) for n in range(11)]
    assert [len(row) for row in reply_markup(numbers)] == [6, 5]


def test_yes_and_no_share_one_row(content: Content) -> None:
    buttons = first_question(content, "checkin", "want_contact", "nl")
    assert [[b["text"] for b in row] for row in reply_markup(buttons)] == [["Ja 👍", "Nee"]]


def test_mood_buttons_stay_two_to_a_row_and_the_long_declines_get_their_own(
    content: Content,
) -> None:
    buttons = first_question(content, "checkin", "how_are_you", "nl")
    rows = [len(row) for row in reply_markup(buttons)]
    assert rows[:2] == [2, 2] and sum(rows) == len(buttons) and len(rows) <= 4


def test_long_labels_get_a_row_each() -> None:
    labels = ["Ik kan niet komen", "Ik kom 👍"]
    buttons = [Button(label, Press(1, 1, i)) for i, label in enumerate(labels)]
    assert [len(row) for row in reply_markup(buttons)] == [1, 1]


def test_length_is_what_a_reader_sees() -> None:
    # Three thumbs with a skin tone: six code points, three characters on screen.
    faces = [Button("👍🏽👍🏽👍🏽", Press(1, 1, i)) for i in range(6)]
    assert [len(row) for row in layout(faces)] == [6]


def test_numbers_that_are_not_a_0_to_10_scale_follow_the_usual_rule() -> None:
    days = [Button(str(n), Press(1, 1, n)) for n in range(1, 13)]
    assert [len(row) for row in layout(days)] == [6, 6]
