"""Forged or replayed callback data changes nothing (issue 6, "Nobody gets in").

Buttons carry `a:<run>:<seq>:<option>`. Anyone can send any callback data: a press on
another person's run, a changed option index, an old `seq`, or plain junk must get the
"already answered" toast (or the sender's usual refusal), send nothing else, log no error,
and leave runs, appointments, people, timers, invites and the outbox as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.harness import Harness, buttons
from tests.security.conftest import (
    DIRK,
    IN_WORLD,
    KIM,
    PIM,
    SANNE,
    SARA,
    STRANGER,
    TOM,
    World,
    body,
    callback_toast,
    cancel_open_runs,
    changed,
    last_id,
    marker,
    new_bot_messages,
    person_id,
    reply_after,
    settle,
    snapshot,
    text,
)


@dataclass(frozen=True)
class Question:
    """Sara's waiting /stop confirmation: the run, its seq and the message with the buttons."""

    run: int
    seq: int
    message_id: int
    data: tuple[str, ...]  # callback data per button: Yes, No


async def saras_question(h: Harness) -> Question:
    await cancel_open_runs(h)
    await settle(h)
    after = last_id(h, SARA)
    h.emu.send_command(SARA, "/stop")
    message = await h.emu.wait_for_bot_message(
        SARA, predicate=lambda m: bool(buttons(m)), after=after
    )
    await settle(h)  # the run now knows the message id of its question
    data = tuple(d for _, d in buttons(message))
    _, run, seq, _ = data[0].split(":")
    return Question(int(run), int(seq), message["message_id"], data)


async def done_run_of_sara(h: Harness) -> int:
    run = await h.deps.db.scalar(
        "SELECT r.id FROM runs r JOIN people p ON p.id = r.person_id"
        " WHERE p.telegram_id = ? AND r.status = 'done' ORDER BY r.id LIMIT 1",
        (SARA,),
    )
    assert run is not None
    return int(run)


STALE = "stale.answered"
JUNK_64 = "ÿ" * 32  # 64 bytes of UTF-8, the most Telegram carries
OVERFLOW = "9" * 30  # a number SQLite cannot hold


@dataclass(frozen=True)
class Case:
    name: str
    presser: int
    data: Callable[[Question, int], str]  # (Sara's question, one of her finished runs)
    toast: str  # message key of the toast
    marks: tuple[Any, ...] = ()


CASES = [
    # Someone else's run, with a valid seq and option.
    Case("other-participant-on-saras-run", PIM, lambda q, _: q.data[0], STALE),
    Case("her-coach-on-saras-run", SANNE, lambda q, _: q.data[0], STALE),
    Case("other-coach-on-saras-run", TOM, lambda q, _: q.data[0], STALE),
    Case("coordinator-on-saras-run", KIM, lambda q, _: q.data[0], STALE),
    Case("stopped-coach-on-saras-run", DIRK, lambda q, _: q.data[0], "not_allowed"),
    Case("stranger-on-saras-run", STRANGER, lambda q, _: q.data[0], "help.unknown"),
    # Sara herself, with data her buttons never carried.
    Case("option-not-shown", SARA, lambda q, _: f"a:{q.run}:{q.seq}:2", STALE),
    Case("option-far-out", SARA, lambda q, _: f"a:{q.run}:{q.seq}:99", STALE),
    Case("option-negative", SARA, lambda q, _: f"a:{q.run}:{q.seq}:-1", STALE),
    Case("old-seq", SARA, lambda q, _: f"a:{q.run}:{q.seq - 1}:0", STALE),
    Case("future-seq", SARA, lambda q, _: f"a:{q.run}:{q.seq + 1}:0", STALE),
    Case("huge-seq", SARA, lambda q, _: f"a:{q.run}:{OVERFLOW}:0", STALE),
    Case("huge-option", SARA, lambda q, _: f"a:{q.run}:{q.seq}:{OVERFLOW}", STALE),
    Case("her-finished-run", SARA, lambda q, done: f"a:{done}:1:0", STALE),
    Case("no-such-run", SARA, lambda q, _: f"a:999999:{q.seq}:0", STALE),
    Case("run-zero", SARA, lambda q, _: f"a:0:{q.seq}:0", STALE),
    Case("negative-run", SARA, lambda q, _: f"a:-{q.run}:{q.seq}:0", STALE),
    Case(
        "huge-run",
        SARA,
        lambda q, _: f"a:{OVERFLOW}:{q.seq}:0",
        STALE,
    ),
    Case(
        "huge-negative-run",
        SARA,
        lambda q, _: f"a:-{OVERFLOW}:{q.seq}:0",
        STALE,
    ),
    # Malformed.
    Case("letters", SARA, lambda q, _: "a:x:y:z", STALE),
    Case("no-colons", SARA, lambda q, _: "zzz", STALE),
    Case("64-bytes-junk", SARA, lambda q, _: JUNK_64, STALE),
    Case("colons-only", SARA, lambda q, _: "a" + ":" * 63, STALE),
    Case("three-parts", SARA, lambda q, _: f"a:{q.run}:{q.seq}", STALE),
    Case("five-parts", SARA, lambda q, _: f"a:{q.run}:{q.seq}:0:0", STALE),
    Case("other-prefix", SARA, lambda q, _: f"b:{q.run}:{q.seq}:0", STALE),
    Case("decimal", SARA, lambda q, _: f"a:{q.run}.0:{q.seq}:0", STALE),
    Case("answered-marker", SARA, lambda q, _: "x", STALE),
]


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@IN_WORLD
@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=c.marks) for c in CASES])
async def test_a_forged_press_changes_nothing(
    world: World, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    h = world.h
    question = await saras_question(h)
    data = case.data(question, await done_run_of_sara(h))
    before = await snapshot(h)
    sent_before = {chat: last_id(h, chat) for chat in (SARA, case.presser)}
    # The forger presses in their own chat, on a message that is not theirs to see
    # (Telegram shows it as inaccessible), or Sara on her own question.
    on = question.message_id if case.presser == SARA else 1
    update = h.emu.press_button(case.presser, on, data, force=True)
    toast = await callback_toast(h, update, timeout=3)
    await settle(h)

    assert toast == text(case.toast)
    assert errors(caplog) == []
    expected_changes = [] if case.toast == STALE else ["outbox_rows"]  # the refusal message
    assert changed(before, await snapshot(h)) == expected_changes
    if case.presser != SARA:
        assert new_bot_messages(h, SARA, sent_before[SARA]) == []
    replies = [body(m) for m in new_bot_messages(h, case.presser, sent_before[case.presser])]
    assert replies == ([] if case.toast == STALE else [text(case.toast)])


@IN_WORLD
async def test_the_real_button_still_works_after_forged_presses(world: World) -> None:
    h = world.h
    question = await saras_question(h)
    for presser in (PIM, SANNE, KIM):
        h.emu.press_button(presser, 1, question.data[0], force=True)
    h.emu.press_button(SARA, question.message_id, f"a:{question.run}:{question.seq}:7", force=True)
    after = last_id(h, SARA)
    h.emu.press_button(SARA, question.message_id, question.data[1])  # No
    assert body(await reply_after(h, SARA, after)) == text("stop.kept")
    await settle(h)
    assert (
        await h.deps.db.scalar("SELECT status FROM people WHERE telegram_id = ?", (SARA,))
        == "active"
    )


@IN_WORLD
async def test_a_replayed_or_double_tapped_answer_counts_once(world: World) -> None:
    h = world.h
    question = await saras_question(h)
    after = last_id(h, SARA)
    no = question.data[1]
    first = h.emu.press_button(SARA, question.message_id, no)
    second = h.emu.press_button(SARA, question.message_id, no, force=True)  # double tap
    assert await callback_toast(h, first) is None
    assert await callback_toast(h, second) == text(STALE)
    await settle(h)
    before = await snapshot(h)
    # Later replays of both buttons, after the question was answered.
    replays = [
        h.emu.press_button(SARA, question.message_id, data, force=True) for data in question.data
    ]
    for replay in replays:
        assert await callback_toast(h, replay) == text(STALE)
    await settle(h)
    assert changed(before, await snapshot(h)) == []
    assert [body(m) for m in new_bot_messages(h, SARA, after)] == [text("stop.kept")]
    assert (
        await h.deps.db.scalar("SELECT status FROM people WHERE telegram_id = ?", (SARA,))
        == "active"
    )
    answers = await h.deps.db.scalar(
        "SELECT COUNT(*) FROM events WHERE type = 'answer' AND ref = ?", (f"run:{question.run}",)
    )
    assert answers == 1


@IN_WORLD
async def test_a_press_without_data_is_answered_as_stale(world: World) -> None:
    """A callback query may carry a game name instead of data; nothing breaks."""
    h = world.h
    await saras_question(h)
    before = await snapshot(h)
    sara = {"id": SARA, "is_bot": False, "first_name": "Sara", "language_code": "en"}
    update = h.emu.send_raw_update(
        {"callback_query": {"from": sara, "chat_instance": "1", "game_short_name": "g"}}
    )
    assert await callback_toast(h, update) == text(STALE)
    await settle(h)
    assert changed(before, await snapshot(h)) == []


@IN_WORLD
async def test_another_coach_cannot_pick_from_a_coachs_caseload(world: World) -> None:
    """Tom forges Sanne's caseload button for Sara: no menu about Sara comes to him."""
    h = world.h
    await cancel_open_runs(h)
    await settle(h)
    after = last_id(h, SANNE)
    h.emu.send_command(SANNE, "/caseload")
    menu = await h.emu.wait_for_bot_message(
        SANNE, predicate=lambda m: any(t == "Sara" for t, _ in buttons(m)), after=after
    )
    await settle(h)
    sara_button = next(d for t, d in buttons(menu) if t == "Sara")
    before = await snapshot(h)
    toms = last_id(h, TOM)
    update = h.emu.press_button(TOM, 1, sara_button, force=True)
    assert await callback_toast(h, update) == text(STALE)
    await settle(h)
    assert changed(before, await snapshot(h)) == []
    assert new_bot_messages(h, TOM, toms) == []
    # Sanne's own menu is untouched: her press still opens Sara's actions.
    after = last_id(h, SANNE)
    h.emu.press_button(SANNE, menu["message_id"], sara_button)
    reply = await reply_after(h, SANNE, after)
    assert marker("caseload.what") in body(reply) and "Sara" in body(reply)
    await cancel_open_runs(h)
    await settle(h)
    assert await person_id(h, SARA)  # the world is still whole
