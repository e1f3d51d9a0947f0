"""Bad input is harmless (issue 6): arbitrary text, odd message kinds and updates the bot
does not act on never crash it. Each gets a defined reply or is ignored with a log line,
no ERROR is logged, and the bot still answers /help afterwards.

Hypothesis drives the text cases (small `max_examples`, no deadline: each example is a
round trip through the emulator); fixed cases pin the classics.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from tests.e2e.harness import Harness, buttons
from tests.security.conftest import (
    IN_WORLD,
    SANNE,
    SARA,
    STRANGER,
    World,
    body,
    changed,
    last_id,
    marker,
    new_bot_messages,
    reply_after,
    settle,
    snapshot,
    text,
)

EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SPECIAL = [
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",  # zero-width joiner
    "\ufeff",  # byte order mark
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "مرحبا",  # Arabic
    "שלום",  # Hebrew
    "👩‍👩‍👧‍👦",  # a ZWJ family
    "🇳🇱",  # a flag
    "👍🏽",  # a skin tone
    "e\u0301",  # a combining accent
    "\x00",
    "\x07",
    "\x1b[31m",  # an ANSI escape
    "\n",
    "{{ name }}",  # looks like a template
    "{% for x in y %}",
    "<b>",
    "*_`[",
    "%s%n",
]
ANY_CHAR = st.characters(exclude_categories=("Cs",))  # no lone surrogates: not valid UTF-8
PIECES = st.one_of(ANY_CHAR.map(str), st.sampled_from(SPECIAL))
TEXTS = st.one_of(
    st.lists(PIECES, min_size=1, max_size=60).map("".join),
    # Long ones, up to Telegram's 4096: a random chunk repeated.
    st.builds(
        lambda chunk, times: (chunk * times)[:4096],
        st.lists(PIECES, min_size=1, max_size=8).map("".join),
        st.integers(min_value=100, max_value=4096),
    ),
)

FIXED_TEXTS = {
    "4096-latin": "A" * 4096,
    "4096-arabic": ("مرحبا بكم في " * 400)[:4096],
    "2048-emoji": "😀" * 2048,  # 4096 UTF-16 code units
    "zwj-sequences": "👩‍👩‍👧‍👦👨🏽‍🚒🏳️‍🌈" * 50,
    "rtl-override": "abc\u202edef\u202cghi",
    "zero-width-padding": "\u200bhallo\u200d\ufeff",
    "combining-pile": "a" + "\u0301\u0308\u0323" * 300,
    "control-chars": "x\x00\x01\x07\x1b[2Jy",
    "template-lookalike": "{{ coach }} {% raw %} {{ 7*7 }}",
    "markup-lookalike": "<b>bold</b> *bold* _it_ `code` [a](http://x)",
    "only-slash": "/",
    "newlines": "\n".join(["line"] * 500),
}

# Every test runs in the module's world (tests/security/conftest.py): Sara, her coach
# Sanne, a stranger and the rest.
pytestmark = IN_WORLD


@pytest.fixture
def pair(world: World) -> Harness:
    return world.h


def errors(caplog: pytest.LogCaptureFixture, since: int = 0) -> list[str]:
    return [r.getMessage() for r in caplog.records[since:] if r.levelno >= logging.ERROR]


async def still_answers_help(h: Harness) -> None:
    after = last_id(h, SARA)
    h.emu.send_command(SARA, "/help")
    assert marker("help.participant") in body(await reply_after(h, SARA, after))
    await settle(h)


async def reset_sara(h: Harness) -> None:
    """Sara active, in English, with no question waiting (an example may have changed it)."""
    async with h.deps.db.transaction() as conn:
        await conn.execute(
            "UPDATE runs SET status = 'cancelled' WHERE status IN ('active', 'suspended', 'queued')"
        )
        await conn.execute(
            "UPDATE people SET status = 'active', language = 'en', paused_until = NULL"
            " WHERE telegram_id = ?",
            (SARA,),
        )
    await settle(h)


def send(h: Harness, words: str) -> dict[str, Any]:
    """Sara sends `words`; texts Telegram itself would refuse (empty, too long) are skipped."""
    try:
        return h.emu.send_text(SARA, words)["message"]
    except ValueError:
        reject()


def is_command(message: dict[str, Any]) -> bool:
    entities = message.get("entities") or []
    return any(e["type"] == "bot_command" and e["offset"] == 0 for e in entities)


async def outside_a_flow(h: Harness, words: str) -> None:
    """Free text with no question waiting: passed on to the coach, and thanked for."""
    await reset_sara(h)
    sara_after, coach_after = last_id(h, SARA), last_id(h, SANNE)
    message = send(h, words)
    reply = body(await reply_after(h, SARA, sara_after))
    await settle(h)
    if is_command(message):
        assert reply  # a command: its own reply (or unknown_command)
        return
    assert marker("relay.ack") in reply
    copies = [m for m in new_bot_messages(h, SANNE, coach_after) if "text" in m]
    assert copies and copies[-1]["text"] == message["text"]  # arrived whole


async def while_a_question_waits(h: Harness, words: str) -> None:
    """Free text while /stop waits for Yes or No: a defined reply, never silence."""
    await reset_sara(h)
    after = last_id(h, SARA)
    h.emu.send_command(SARA, "/stop")
    await h.emu.wait_for_bot_message(SARA, predicate=lambda m: bool(buttons(m)), after=after)
    await settle(h)
    after = last_id(h, SARA)
    message = send(h, words)
    reply = body(await reply_after(h, SARA, after))
    await settle(h)
    if not is_command(message):
        # "Please tap Yes or No", or the answer itself when the text equals a label.
        assert reply in (text("invalid.yes_no"), text("stop.done"), text("stop.kept")), reply


# --- arbitrary text ---------------------------------------------------------------------------


@EXAMPLES
@given(words=TEXTS)
async def test_any_text_outside_a_flow_is_passed_on(
    pair: Harness, words: str, caplog: pytest.LogCaptureFixture
) -> None:
    since = len(caplog.records)
    await outside_a_flow(pair, words)
    assert errors(caplog, since) == []


@EXAMPLES
@given(words=TEXTS)
async def test_any_text_while_a_question_waits_gets_a_defined_reply(
    pair: Harness, words: str, caplog: pytest.LogCaptureFixture
) -> None:
    since = len(caplog.records)
    await while_a_question_waits(pair, words)
    assert errors(caplog, since) == []


@pytest.mark.parametrize("where", ["outside-a-flow", "question-waiting"])
async def test_fixed_texts(pair: Harness, where: str, caplog: pytest.LogCaptureFixture) -> None:
    run = outside_a_flow if where == "outside-a-flow" else while_a_question_waits
    for name, words in FIXED_TEXTS.items():
        try:
            await run(pair, words)
        except AssertionError as failure:
            raise AssertionError(f"{name}: {failure}") from failure
    await reset_sara(pair)
    await still_answers_help(pair)
    assert errors(caplog) == []


@pytest.mark.parametrize(
    ("words", "key"),
    [
        ("/HELP", "help.participant"),
        ("/help@coachbot_test_bot", "help.participant"),
        ("/help with some arguments", "help.participant"),
        ("/start@coachbot_test_bot", "start.welcome_back"),
        ("/start " + "x" * 60, "start.invalid_token"),
        ("/no_such_command_123", "unknown_command"),
    ],
    ids=["upper-case", "addressed", "with-args", "start-addressed", "start-junk-token", "unknown"],
)
async def test_command_shaped_texts(pair: Harness, words: str, key: str) -> None:
    h = pair
    after = last_id(h, SARA)
    h.emu.send_text(SARA, words)
    assert marker(key) in body(await reply_after(h, SARA, after))
    await settle(h)


async def test_raw_text_with_control_characters_telegram_would_have_cleaned(
    pair: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The adapter must not rely on Telegram's cleaning: NUL, escapes and lone marks."""
    h = pair
    sara = {"id": SARA, "is_bot": False, "first_name": "P", "language_code": "en"}
    after = last_id(h, SARA)
    h.emu.send_raw_update(
        {
            "message": {
                "chat": {"id": SARA, "type": "private", "first_name": "P"},
                "from": sara,
                "text": "\x00\x1b[2J\u202e\r\n\u0000end",
            }
        }
    )
    assert marker("relay.ack") in body(await reply_after(h, SARA, after))
    await settle(h)
    await still_answers_help(h)
    assert errors(caplog) == []


# --- other kinds of message and update ----------------------------------------------------------

SARA_USER = {"id": SARA, "is_bot": False, "first_name": "P", "language_code": "en"}
GROUP = {"id": -5001, "type": "group", "title": "Buurthuis"}
SUPERGROUP = {"id": -1005002, "type": "supergroup", "title": "Team"}
CHANNEL = {"id": -1005003, "type": "channel", "title": "Nieuws"}
OTHER_BOT = {"id": 4242, "is_bot": True, "first_name": "Spam", "username": "spam_bot"}
LOCATION = {"latitude": 51.8425, "longitude": 5.8528}
FILE = {"file_id": "f1", "file_unique_id": "u1"}
POLL = {  # as Bot API 10.0 sends it
    "id": "p1",
    "question": "Koffie?",
    "options": [
        {"persistent_id": "o1", "text": "ja", "voter_count": 0},
        {"persistent_id": "o2", "text": "nee", "voter_count": 0},
    ],
    "total_voter_count": 0,
    "is_closed": False,
    "is_anonymous": True,
    "type": "regular",
    "allows_multiple_answers": False,
    "allows_revoting": False,
    "members_only": False,
}
CONTENTS: dict[str, dict[str, Any]] = {
    "sticker": {
        "sticker": {
            **FILE,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "😀",
        }
    },
    "location": {"location": LOCATION},
    "venue": {
        "location": LOCATION,
        "venue": {"location": LOCATION, "title": "Hal", "address": "X"},
    },
    "contact": {"contact": {"phone_number": "+31612345678", "first_name": "Sara"}},
    "poll": {"poll": POLL},
    "dice": {"dice": {"emoji": "🎲", "value": 3}},
    "video-note": {"video_note": {**FILE, "length": 240, "duration": 3}},
    "audio": {"audio": {**FILE, "duration": 3}},
    "video": {"video": {**FILE, "width": 1, "height": 1, "duration": 1}},
    "animation": {"animation": {**FILE, "width": 1, "height": 1, "duration": 1}},
}
SENDERS = {
    "participant": (SARA, "help.participant"),
    "stranger": (STRANGER, "help.unknown"),
    "coach": (SANNE, "help.coach"),
}


def private_message(user: int, content: dict[str, Any]) -> dict[str, Any]:
    sender = {"id": user, "is_bot": False, "first_name": "U", "language_code": "en"}
    chat = {"id": user, "type": "private", "first_name": "U"}
    return {"message": {"chat": chat, "from": sender, **content}}


# What a participant sends that Telegram can copy is passed on to the coach.
RELAYED = {"sticker", "location", "venue", "contact", "video-note", "audio", "video", "animation"}


@pytest.mark.parametrize("sender", list(SENDERS))
async def test_other_message_kinds_get_the_senders_help(
    pair: Harness, sender: str, caplog: pytest.LogCaptureFixture
) -> None:
    h = pair
    chat, key = SENDERS[sender]
    for kind, content in CONTENTS.items():
        before = await snapshot(h)
        after = last_id(h, chat)
        h.emu.send_raw_update(private_message(chat, content))
        reply = await reply_after(h, chat, after)
        await settle(h)
        if sender == "participant" and kind in RELAYED:
            assert marker("relay.ack") in body(reply), kind
            continue
        assert marker(key) in body(reply), kind
        assert [body(m) for m in new_bot_messages(h, chat, after)] == [body(reply)], kind
        assert changed(before, await snapshot(h)) == ["outbox_rows"], kind
    await still_answers_help(h)
    assert errors(caplog) == []


def edited(kind: str, chat: dict[str, Any], sender: dict[str, Any] | None) -> dict[str, Any]:
    body_: dict[str, Any] = {"chat": chat, "message_id": 1, "edit_date": 1, "text": "/help"}
    if sender is not None:
        body_["from"] = sender
    return {kind: body_}


def command_in(chat: dict[str, Any], sender: dict[str, Any]) -> dict[str, Any]:
    entity = {"type": "bot_command", "offset": 0, "length": 5}
    return {"message": {"chat": chat, "from": sender, "text": "/help", "entities": [entity]}}


IGNORED: dict[str, dict[str, Any]] = {
    "channel-post": {"channel_post": {"chat": CHANNEL, "sender_chat": CHANNEL, "text": "/help"}},
    "edited-channel-post": edited("edited_channel_post", CHANNEL, None),
    "group-command": command_in(GROUP, SARA_USER),
    "group-text": {"message": {"chat": GROUP, "from": SARA_USER, "text": "hoi allemaal"}},
    "supergroup-sticker": {
        "message": {"chat": SUPERGROUP, "from": SARA_USER, **CONTENTS["sticker"]}
    },
    "group-poll": {"message": {"chat": GROUP, "from": SARA_USER, "poll": POLL}},
    "other-bot-in-private": {
        "message": {
            "chat": {"id": 4242, "type": "private", "first_name": "Spam"},
            "from": OTHER_BOT,
            "text": "/start abc",
        }
    },
    "other-bot-in-group": command_in(GROUP, OTHER_BOT),
    "poll-update": {"poll": POLL},
    "poll-answer": {
        "poll_answer": {
            "poll_id": "p1",
            "user": SARA_USER,
            "option_ids": [0],
            "option_persistent_ids": ["o1"],
        }
    },
    "inline-query": {"inline_query": {"id": "q1", "from": SARA_USER, "query": "x", "offset": ""}},
    "join-request": {
        "chat_join_request": {"chat": GROUP, "from": SARA_USER, "user_chat_id": SARA, "date": 0}
    },
}


@pytest.mark.parametrize("kind", list(IGNORED))
async def test_updates_the_bot_does_not_act_on_are_ignored_with_a_log_line(
    pair: Harness, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    h = pair
    caplog.set_level(logging.INFO, logger="bot")
    before = await snapshot(h)
    sent = len(h.emu.call_log)
    since = len(caplog.records)
    h.emu.send_raw_update(IGNORED[kind])
    await still_answers_help(h)  # handled in order: the update before it is done
    calls = [c["method"] for c in h.emu.call_log[sent:]]
    assert [c for c in calls if c != "getUpdates"] == ["sendMessage"]  # only the /help reply
    assert changed(before, await snapshot(h)) == ["outbox_rows"]
    logged = [r.getMessage() for r in caplog.records[since:] if r.name.startswith("bot")]
    assert any("ignored" in line for line in logged), logged
    assert errors(caplog, since) == []


async def test_an_edited_message_is_ignored(
    pair: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = pair
    caplog.set_level(logging.INFO, logger="bot")
    after = last_id(h, SARA)
    message = h.emu.send_text(SARA, "hallo")["message"]
    await reply_after(h, SARA, after)
    await settle(h)
    before = await snapshot(h)
    after = last_id(h, SARA)
    h.emu.edit_text(SARA, message["message_id"], "/stop")
    h.emu.edit_text(SARA, message["message_id"], "x" * 4096)
    await still_answers_help(h)
    assert len(new_bot_messages(h, SARA, after)) == 1  # the /help reply
    assert changed(before, await snapshot(h)) == ["outbox_rows"]
    assert errors(caplog) == []


# --- an update python-telegram-bot cannot parse ----------------------------------------------

CANARY = "Zyxwvu"  # the sender's name and the poll's question: must never reach a log
# A poll as Bot API 9.5 sent it; python-telegram-bot 22.8 (Bot API 10.0) refuses to parse it.
UNPARSABLE = {
    "message": {
        "chat": {"id": 4343, "type": "private", "first_name": CANARY},
        "from": {"id": 4343, "is_bot": False, "first_name": CANARY},
        "poll": {
            "id": "p9",
            "question": CANARY,
            "options": [{"text": "a", "voter_count": 0}, {"text": "b", "voter_count": 0}],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        },
    }
}


async def send_unparsable(h: Harness) -> None:
    """A stranger says hello (answered), then the update the library chokes on arrives."""
    h.emu.add_user(STRANGER, "Eve", language_code="en")
    h.emu.send_text(STRANGER, "hi")
    await reply_after(h, STRANGER, 0)
    h.emu.send_raw_update(UNPARSABLE)


def bury_a_dead_poller(h: Harness) -> None:
    """If polling died, take its exception so that the fixture can stop the bot cleanly."""
    poller = h.app._poller if h.app is not None else None
    task = poller._task if poller is not None else None
    if poller is not None and task is not None and task.done():
        task.exception()
        poller._task = None


@pytest.mark.asyncio(loop_scope="function")  # its own bot: this one may stop polling
async def test_an_update_the_library_cannot_parse_does_not_stop_the_bot(
    harness: Harness,
) -> None:
    h = harness
    try:
        await send_unparsable(h)
        after = last_id(h, STRANGER)
        h.emu.send_command(STRANGER, "/help")
        assert body(await reply_after(h, STRANGER, after, timeout=2)) == text("help.unknown")
    finally:
        bury_a_dead_poller(h)


@pytest.mark.asyncio(loop_scope="function")
async def test_an_unparsable_update_leaves_no_names_or_texts_in_the_log(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    caplog.set_level(logging.DEBUG)
    try:
        await send_unparsable(h)
        after = last_id(h, STRANGER)
        h.emu.send_command(STRANGER, "/help")
        with contextlib.suppress(TimeoutError):
            await reply_after(h, STRANGER, after, timeout=2)
        logged = [r.getMessage() for r in caplog.records]
        assert not [line for line in logged if CANARY in line]
    finally:
        bury_a_dead_poller(h)
