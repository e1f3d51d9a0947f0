"""Nobody gets in where they don't belong (issue 6).

* Every command, tried by every kind of sender: only the intended roles get the command's
  real first reply; the rest get a polite refusal and, for a known command, a `refused`
  audit event.
* Every coach action on a participant, reached through buttons, refuses a participant who
  is no longer the coach's (moved to another coach between the menu and the press).
* Invite tokens: two redemptions at the same moment link one account at most.
* Editing an old command message never runs the command again.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.host.inbound import Inbound
from bot.host.invites import create_person, new_invite
from storage.people import Role
from tests.e2e.harness import Harness, buttons
from tests.security.conftest import (
    DIRK,
    IN_WORLD,
    KIM,
    LOT,
    PIM,
    SANNE,
    SARA,
    STRANGER,
    TOM,
    World,
    body,
    cancel_open_runs,
    changed,
    last_id,
    marker,
    new_bot_messages,
    person_id,
    plain,
    refused,
    reply_after,
    settle,
    snapshot,
    text,
)

# --- the matrix ----------------------------------------------------------------------------

ROLES: dict[str, int] = {
    "stranger": STRANGER,
    "participant": SARA,
    "other-coachs-participant": PIM,
    "coach": SANNE,
    "stopped-coach": DIRK,
    "coordinator": KIM,
}
PARTICIPANTS = ("participant", "other-coachs-participant")
STAFF_AND_PARTICIPANTS = (*PARTICIPANTS, "coach", "coordinator")


def each(roles: tuple[str, ...], key: str) -> dict[str, str]:
    return dict.fromkeys(roles, key)


# Command → the roles it is for → the message key of its real first reply.
# A role missing from a row must be refused.
INTENDED: dict[str, dict[str, str]] = {
    "start": {"stranger": "help.unknown", **each(STAFF_AND_PARTICIPANTS, "start.welcome_back")},
    "help": {
        "stranger": "help.unknown",
        **each(PARTICIPANTS, "help.participant"),
        "coach": "help.coach",
        "coordinator": "help.coordinator",
    },
    "language": each(STAFF_AND_PARTICIPANTS, "language.choose"),
    "pause": each(PARTICIPANTS, "pause.how_long"),
    "stop": each(PARTICIPANTS, "stop.confirm"),
    "coach": each(PARTICIPANTS, "contact.requested"),
    "mydata": each(PARTICIPANTS, "privacy.mydata"),
    "forget": {**each(PARTICIPANTS, "privacy.forget_confirm"), "coordinator": "forget.from"},
    "survey": each(PARTICIPANTS, "survey.none"),
    "caseload": {"coach": "caseload.list"},
    "newparticipant": {"coach": "newp.name"},
    "appointment": {"coach": "appt.who"},
    "appointments": {"coach": "change.which"},
    "nudge": {"coach": "appt.who"},
    "nudges": {"coach": "nudge.none_scheduled"},
    "away": {"coach": "away.until"},
    "handover": {"coordinator": "handover.from"},
    "coaches": {"coordinator": "coaches.which"},
    "report": {"coordinator": "report.caption"},
    "foo": {},  # no such command
}


def cells() -> list[Any]:
    found = []
    for command in INTENDED:
        for role in ROLES:
            found.append(pytest.param(command, role, id=f"/{command}-by-{role}"))
    return found


def refusal(command: str, role: str) -> tuple[str, str | None]:
    """The reply key and the `refused` event value a refused sender gets."""
    if role == "stranger":
        return "help.unknown", None  # the audit event has no person (tested below)
    if role == "stopped-coach":
        return "not_allowed", "inactive"
    if command == "foo":
        return "unknown_command", None
    return "not_allowed", command


async def runs_of(h: Harness, telegram_id: int) -> int:
    return int(
        await h.deps.db.scalar(
            "SELECT COUNT(*) FROM runs r JOIN people p ON p.id = r.person_id"
            " WHERE p.telegram_id = ?",
            (telegram_id,),
        )
    )


@IN_WORLD
@pytest.mark.parametrize(("command", "role"), cells())
async def test_command_reaches_only_its_roles(world: World, command: str, role: str) -> None:
    h = world.h
    chat = ROLES[role]
    await cancel_open_runs(h)
    await settle(h)
    events_before = await refused(h, chat)
    runs_before = await runs_of(h, chat)
    after = last_id(h, chat)

    h.emu.send_command(chat, f"/{command}")
    reply = await reply_after(h, chat, after, timeout=15)
    await settle(h)

    new_events = (await refused(h, chat))[len(events_before) :]
    if role in INTENDED[command]:
        key = INTENDED[command][role]
        assert marker(key) in body(reply), (key, body(reply))
        assert new_events == []
        return
    key, event = refusal(command, role)
    assert body(reply) == text(key)
    assert [body(m) for m in new_bot_messages(h, chat, after)] == [text(key)]  # nothing else
    assert new_events == ([event] if event else [])
    assert await runs_of(h, chat) == runs_before  # no flow started
    if role == "stranger":
        assert (
            await h.deps.db.scalar("SELECT COUNT(*) FROM people WHERE telegram_id = ?", (STRANGER,))
            == 0
        )


@IN_WORLD
async def test_a_strangers_command_leaves_an_audit_event(world: World) -> None:
    h = world.h
    await settle(h)
    count = "SELECT COUNT(*) FROM events WHERE type = 'refused' AND value = 'caseload'"
    before = await h.deps.db.scalar(count)
    after = last_id(h, STRANGER)
    h.emu.send_command(STRANGER, "/caseload")
    assert body(await reply_after(h, STRANGER, after)) == text("help.unknown")
    await settle(h)
    assert await h.deps.db.scalar(count) == before + 1


@IN_WORLD
async def test_a_stopped_coachs_old_buttons_and_replies_are_refused(world: World) -> None:
    """Dirk still sees the buttons and messages from before he was stopped."""
    h = world.h
    await cancel_open_runs(h)
    await settle(h)
    joined = marker("coach.participant_joined")  # a message about Lot: replies reach her
    header = next(m for m in h.emu.bot_messages(DIRK) if joined in body(m) and "Lot" in body(m))
    caseload = await h.deps.db.scalar(
        "SELECT r.id FROM runs r JOIN people p ON p.id = r.person_id"
        " WHERE p.telegram_id = ? ORDER BY r.id DESC LIMIT 1",
        (DIRK,),
    )
    lot = await person_id(h, LOT)
    before = await snapshot(h)
    after = last_id(h, DIRK)
    h.emu.press_button(DIRK, header["message_id"], f"a:{caseload}:1:0", force=True)
    h.emu.send_text(DIRK, "Hoi Lot", reply_to_message_id=header["message_id"])
    h.emu.send_command(DIRK, "/caseload")
    await reply_after(h, DIRK, after)
    await settle(h)
    assert [body(m) for m in new_bot_messages(h, DIRK, after)] == [text("not_allowed")] * 3
    assert (await refused(h, DIRK))[-3:] == ["inactive"] * 3
    assert changed(before, await snapshot(h)) == ["outbox_rows"]  # the three refusals
    assert (
        await h.deps.db.scalar(
            "SELECT COUNT(*) FROM outbox WHERE person_id = ? AND kind = 'copy'", (lot,)
        )
        == 0
    )


# --- coach actions on someone else's participant -------------------------------------------

# Caseload menu entry → its label key. Each ends in an action that must re-check ownership.
ACTIONS = {
    "appointment": "caseload.what.appointment",
    "nudge": "caseload.what.nudge",
    "message": "caseload.what.message",
    "survey": "caseload.what.survey",
    "ladder": "caseload.what.ladder",
    "pause": "caseload.what.pause",
    "end": "caseload.what.end",
    "invite": "caseload.what.invite",
}


async def move_sara(h: Harness, to: int) -> None:
    """What the coordinator's /handover does: Sara and her coming appointments go to
    another coach (done in the database, as CoachActions._do_handover does, to stay fast)."""
    coach = await person_id(h, to)
    sara = await person_id(h, SARA)
    async with h.deps.db.transaction() as conn:
        await conn.execute("UPDATE people SET coach_id = ? WHERE id = ?", (coach, sara))
        await conn.execute(
            "UPDATE appointments SET coach_id = ? WHERE participant_id = ?", (coach, sara)
        )


async def about_sara(h: Harness) -> dict[str, Any]:
    """Everything stored about Sara that a coach action could change."""
    sara = await person_id(h, SARA)
    db = h.deps.db
    queries = {
        "person": "SELECT * FROM people WHERE id = ?",
        "appointments": "SELECT * FROM appointments WHERE participant_id = ?",
        "timers": "SELECT * FROM timers WHERE person_id = ?",
        "invites": "SELECT * FROM invites WHERE person_id = ?",
        "runs": "SELECT * FROM runs WHERE person_id = ?",
        "events": "SELECT * FROM events WHERE person_id = ?",
        "outbox": "SELECT id, kind, status FROM outbox WHERE person_id = ? OR chat_id = "
        + str(SARA),
    }
    found: dict[str, Any] = {}
    for name, sql in queries.items():
        rows = await db.fetchall(sql, (sara,))
        found[name] = [plain(r) for r in rows]
    return found


async def open_menu_for_sara(h: Harness) -> None:
    after = last_id(h, SANNE)
    h.emu.send_command(SANNE, "/caseload")
    await h.emu.wait_for_bot_message(
        SANNE, predicate=lambda m: any(t == "Sara" for t, _ in buttons(m)), after=after
    )
    await h.press(SANNE, "Sara")
    await h.emu.wait_for_bot_message(SANNE, predicate="what would you like to do", after=after)


async def until_refused(h: Harness, after: int, timeout: float = 10.0) -> None:
    """Answer every further question with its first button until the refusal comes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    pressed: set[int] = set()
    while True:
        sent = new_bot_messages(h, SANNE, after)
        if any(body(m) == text("not_allowed") for m in sent):
            return
        waiting = [m for m in sent if m["message_id"] not in pressed and buttons(m)]
        if waiting:
            question = waiting[-1]
            label, data = buttons(question)[0]
            assert data != "x", label
            pressed.add(question["message_id"])
            h.emu.press_button(SANNE, question["message_id"], data)
        if loop.time() > deadline:
            raise AssertionError(f"no refusal; Sanne saw {[body(m) for m in sent]}")
        await h.emu.wait_for_change(0.2)


async def run_action_after_move(h: Harness, action: str) -> tuple[dict[str, Any], list[Any]]:
    """Sanne opens Sara's menu; Sara moves to Tom; Sanne goes on. Returns what changed
    about Sara, and Sanne's new `refused` events."""
    await cancel_open_runs(h)
    await settle(h)
    await open_menu_for_sara(h)
    await move_sara(h, TOM)
    try:
        await settle(h)
        before = await about_sara(h)
        events_before = await refused(h, SANNE)
        after = last_id(h, SANNE)
        await h.press(SANNE, marker(ACTIONS[action]))
        await until_refused(h, after)
        await settle(h)
        after_state = await about_sara(h)
        difference = {k: after_state[k] for k in before if before[k] != after_state[k]}
        return difference, (await refused(h, SANNE))[len(events_before) :]
    finally:
        await move_sara(h, SANNE)
        await cancel_open_runs(h)
        await settle(h)


@IN_WORLD
@pytest.mark.parametrize("action", list(ACTIONS), ids=[f"caseload-{a}" for a in ACTIONS])
async def test_a_coach_action_refuses_someone_no_longer_theirs(world: World, action: str) -> None:
    difference, events = await run_action_after_move(world.h, action)
    assert difference == {}
    assert events == ["not_caseload"]


@IN_WORLD
async def test_a_refused_appointment_is_audited(world: World) -> None:
    _, events = await run_action_after_move(world.h, "appointment")
    assert len(events) == 1


async def change_appointment_after_move(h: Harness) -> tuple[dict[str, Any], list[Any]]:
    """Sanne opens /appointments and picks Sara's; Sara moves to Tom; Sanne goes on."""
    await cancel_open_runs(h)
    await settle(h)
    after = last_id(h, SANNE)
    h.emu.send_command(SANNE, "/appointments")
    await h.emu.wait_for_bot_message(
        SANNE, predicate=lambda m: any("Sara" in t for t, _ in buttons(m)), after=after
    )
    await move_sara(h, TOM)
    try:
        await settle(h)
        before = await about_sara(h)
        events_before = await refused(h, SANNE)
        after = last_id(h, SANNE)
        await h.press(SANNE, "Sara")
        await until_refused(h, after)  # move: day, time, then the refusal
        await settle(h)
        after_state = await about_sara(h)
        difference = {k: after_state[k] for k in before if before[k] != after_state[k]}
        return difference, (await refused(h, SANNE))[len(events_before) :]
    finally:
        await move_sara(h, SANNE)
        await cancel_open_runs(h)
        await settle(h)


@IN_WORLD
async def test_a_coach_cannot_move_an_appointment_handed_over(world: World) -> None:
    difference, _ = await change_appointment_after_move(world.h)
    assert difference == {}


@IN_WORLD
async def test_a_refused_appointment_change_is_audited(world: World) -> None:
    _, events = await change_appointment_after_move(world.h)
    assert len(events) == 1


@IN_WORLD
async def test_a_coach_reply_about_someone_no_longer_theirs_is_refused(world: World) -> None:
    h = world.h
    await cancel_open_runs(h)
    await settle(h)
    await open_menu_for_sara(h)
    after = last_id(h, SANNE)
    await h.press(SANNE, marker("caseload.what.message"))
    prompt = await h.emu.wait_for_bot_message(
        SANNE, predicate=marker("caseload.write_reply"), after=after
    )
    await move_sara(h, TOM)
    try:
        await settle(h)
        before = await about_sara(h)
        after = last_id(h, SANNE)
        h.emu.send_text(SANNE, "Hoi Sara", reply_to_message_id=prompt["message_id"])
        assert body(await reply_after(h, SANNE, after)) == text("not_allowed")
        await settle(h)
        assert await about_sara(h) == before
        assert (await refused(h, SANNE))[-1] == "relay"
    finally:
        await move_sara(h, SANNE)
    # Back in her caseload, the same reply goes through: the refusal was about ownership.
    after = last_id(h, SARA)
    h.emu.send_text(SANNE, "Hoi Sara", reply_to_message_id=prompt["message_id"])
    await h.emu.wait_for_bot_message(SARA, predicate="Hoi Sara", after=after)
    await settle(h)


@IN_WORLD
async def test_a_message_to_a_stopped_coach_is_not_claimed_as_passed_on(world: World) -> None:
    h = world.h
    await settle(h)
    after = last_id(h, LOT)
    h.emu.send_text(LOT, "I can't come on Tuesday")
    reply = await reply_after(h, LOT, after)
    await settle(h)
    relayed = await h.deps.db.scalar(
        "SELECT COUNT(*) FROM events WHERE type = 'message_relayed' AND person_id = ?",
        (await person_id(h, LOT),),
    )
    assert relayed == 1 or marker("relay.ack") not in body(reply)


# --- invite tokens ---------------------------------------------------------------------------


async def fresh_invite(h: Harness, name: str) -> tuple[int, str]:
    sanne = await person_id(h, SANNE)
    async with h.deps.db.transaction() as conn:
        invited = await create_person(
            conn, h.clock.now(), Role.PARTICIPANT, name, coach_id=sanne, language="en"
        )
        token, _ = await new_invite(conn, h.deps, invited)
    return invited, token


async def linked_to(h: Harness, invited: int) -> int | None:
    return await h.deps.db.scalar("SELECT telegram_id FROM people WHERE id = ?", (invited,))


async def forget_person(h: Harness, invited: int) -> None:
    """Keep the shared world small: the test's invitee leaves no trace for later tests."""
    await cancel_open_runs(h)
    await settle(h)
    async with h.deps.db.transaction() as conn:
        await conn.execute("DELETE FROM people WHERE id = ?", (invited,))


@IN_WORLD
async def test_two_people_opening_one_link_at_once_link_one_account(world: World) -> None:
    h = world.h
    invited, token = await fresh_invite(h, "Noor")
    first, second = 5101, 5102
    for user in (first, second):
        h.emu.add_user(user, "N", language_code="en")
    marks = {user: last_id(h, user) for user in (first, second)}
    h.emu.send_command(first, "/start", args=token)  # both in the same getUpdates batch
    h.emu.send_command(second, "/start", args=token)
    replies = {user: body(await reply_after(h, user, marks[user])) for user in (first, second)}
    await settle(h)
    winner = await linked_to(h, invited)
    assert winner in (first, second)
    loser = second if winner == first else first
    assert replies[loser] == text("start.invalid_token")
    assert marker("onboarding.hello") in replies[winner]
    assert (
        await h.deps.db.scalar(
            "SELECT COUNT(*) FROM people WHERE telegram_id IN (?, ?)", (first, second)
        )
        == 1
    )
    await forget_person(h, invited)


@IN_WORLD
async def test_concurrent_redemptions_inside_the_service_link_one_account(world: World) -> None:
    """The same race without the poller's ordering: two handle() calls at once."""
    h = world.h
    invited, token = await fresh_invite(h, "Ilse")
    users = (5201, 5202)
    for user in users:
        h.emu.add_user(user, "I", language_code="en")
        h.emu.send_text(user, "hallo")  # opens the chat, so replies can be delivered
    await settle(h)
    assert h.app is not None
    events = [
        Inbound(
            update_id=900_000 + user,
            kind="command",
            user_id=user,
            chat_id=user,
            command="start",
            args=token,
            language_code="en",
        )
        for user in users
    ]
    linked = "SELECT COUNT(*) FROM events WHERE type = 'linked'"
    linked_before = await h.deps.db.scalar(linked)
    await asyncio.gather(*(h.app.service.handle(event) for event in events))
    await settle(h)
    assert await linked_to(h, invited) in users
    assert (
        await h.deps.db.scalar("SELECT COUNT(*) FROM people WHERE telegram_id IN (?, ?)", users)
        == 1
    )
    assert await h.deps.db.scalar(linked) == linked_before + 1
    await forget_person(h, invited)


@IN_WORLD
async def test_a_registered_user_opening_someone_elses_link_leaves_it_valid(
    world: World,
) -> None:
    h = world.h
    invited, token = await fresh_invite(h, "Fenna")
    after = last_id(h, SANNE)
    h.emu.send_command(SANNE, "/start", args=token)  # the coach checks the link she made
    assert body(await reply_after(h, SANNE, after)) == text("start.invalid_token")
    await settle(h)
    assert await linked_to(h, invited) is None
    newcomer = 5301
    h.emu.add_user(newcomer, "F", language_code="en")
    after = last_id(h, newcomer)
    h.emu.send_command(newcomer, "/start", args=token)
    reply = await reply_after(h, newcomer, after)
    await settle(h)
    try:
        assert marker("onboarding.hello") in body(reply)
    finally:
        await forget_person(h, invited)


@IN_WORLD
async def test_editing_an_old_command_never_runs_it_again(world: World) -> None:
    h = world.h
    await cancel_open_runs(h)
    await settle(h)
    after = last_id(h, SARA)
    command = h.emu.send_command(SARA, "/pause")["message"]
    await reply_after(h, SARA, after)
    await cancel_open_runs(h)
    await settle(h)
    invited, token = await fresh_invite(h, "Mira")
    greeting = h.emu.send_text(STRANGER, "hello")["message"]
    await settle(h)
    runs_before = await runs_of(h, SARA)
    before = await snapshot(h)
    after, strangers = last_id(h, SARA), last_id(h, STRANGER)
    h.emu.edit_text(SARA, command["message_id"], "/pause")  # the same command, edited
    h.emu.edit_text(SARA, command["message_id"], "/stop")
    # A stranger edits a message into someone's invite link: no account is linked.
    h.emu.edit_text(STRANGER, greeting["message_id"], f"/start {token}")
    h.emu.send_command(SARA, "/help")  # handled after the edits: a marker that they are done
    assert marker("help.participant") in body(await reply_after(h, SARA, after))
    await settle(h)
    assert len(new_bot_messages(h, SARA, after)) == 1  # the /help reply, nothing else
    assert new_bot_messages(h, STRANGER, strangers) == []
    assert await runs_of(h, SARA) == runs_before
    assert await linked_to(h, invited) is None
    now = await snapshot(h)
    assert changed(before, now) == ["outbox_rows"]
    assert now["outbox_rows"] == before["outbox_rows"] + 1  # the /help reply only
    await forget_person(h, invited)
