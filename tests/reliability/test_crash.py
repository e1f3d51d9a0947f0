"""Nothing lost: SIGKILL the bot at random moments while a burst is in flight.

The bot runs as a separate process (`coachbot run`, real clock) against the Bot API emulator
in this test's event loop. Before the first start the database holds 500 messages due now
and 210 check-ins due now (the bot itself starts the runs and asks the question); the test
presses a button in 200 of those questions as they arrive, while the bot is killed with
SIGKILL and restarted over and over. After a final clean run:

1. every message that was due and not expired was delivered at least once (the 500, and
   each check-in question), and the expired ones never;
2. at most K extra deliveries per kill, K the messages in flight at once
   (`Settings.in_flight`), and at most one per kill in any one chat (a chat has one
   message in flight at a time);
3. every press is recorded exactly once (one `answer` event, with the pressed option), and
   nobody who did not press has one;
4. the database passes `PRAGMA integrity_check`, and no outbox row is left pending or
   sending.

Kills come at random moments of three kinds: during start-up, while the bot runs, and while
a Bot API call is in flight (the emulator holds one sendMessage or answerCallbackQuery for a
moment, so the message is delivered but the bot never hears back, or the press is handled
but not yet confirmed). Participants press with a human delay, so presses also pile up while
the bot is down and arrive as one batch after the restart.

Replay a failure with CRASH_SEED=<the printed seed>. The seed fixes the people, the options
pressed and the kill delays; only the timing of the machine varies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.deps import Settings
from bot.host.daily import DAILY_JOBS
from bot.sandbox.emulator import Emulator
from storage.db import Database
from storage.times import to_db
from tests.reliability.botprocess import BotProcess

REPO = Path(__file__).resolve().parents[2]
TOKEN = "123456:CRASH-TEST-TOKEN"

PARTICIPANTS = 520
REMINDERS = 500  # due now, not expired: each must arrive
EXPIRED = 10  # due, but expired before the bot ever ran: none may arrive
CHECKINS_PRESSED = 200
CHECKINS_SILENT = 10  # asked, never answered: no answer may be recorded for them
OPTIONS = ("great", "okay", "not_great", "bad")  # flows/checkin.yaml, step how_are_you

PRESS_DELAY = (0.0, 3.0)  # seconds between a question's arrival and the press
IN_FLIGHT = 0.3  # seconds the emulator holds the call the bot is killed in
MIN_KILLS = 20
MAX_KILLS = 35  # keep killing (up to this) until every press has been handled
FINAL_RUN_LIMIT = 150.0  # seconds for the clean run to drain everything
STALL_LIMIT = 30.0  # seconds the clean run may go without any visible progress
COACH_TELEGRAM = 500_000
FIRST_TELEGRAM = 700_000


@dataclass
class World:
    """What the test put in, to check what came out."""

    reminders: dict[int, int] = field(default_factory=dict)  # outbox id → chat
    expired: dict[int, int] = field(default_factory=dict)  # outbox id → chat
    person_of_chat: dict[int, int] = field(default_factory=dict)
    pressed: dict[int, int] = field(default_factory=dict)  # chat → option index
    press_delay: dict[int, float] = field(default_factory=dict)  # chat → seconds
    silent: set[int] = field(default_factory=set)  # chats asked but never pressing


@pytest.mark.slow
async def test_sigkill_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    seed = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(2**32))
    print(f"\ncrash test: CRASH_SEED={seed}")
    rng = random.Random(seed)
    started = time.monotonic()

    emu = Emulator(token=TOKEN, host="127.0.0.1", port=0)
    await emu.start()
    db_path = tmp_path / "coachbot.sqlite3"
    bot = BotProcess(
        db_path, emu.base_url, TOKEN, tmp_path / "children.log", _content(tmp_path / "content")
    )
    presser: asyncio.Task[None] | None = None
    try:
        world = await _prepare(db_path, emu, rng)
        waiting = dict(world.pressed)
        presser = asyncio.create_task(_press_questions(emu, waiting, world.press_delay))

        kills = 0
        modes: Counter[str] = Counter()
        progress = _progress(db_path, emu, waiting)
        while kills < MIN_KILLS or (kills < MAX_KILLS and progress.pressing):
            delay = rng.uniform(0.2, 1.5)
            draw = rng.random()
            mode = "startup" if draw < 0.2 else "running" if draw < 0.6 else "in flight"
            at_press = rng.random() < 0.7
            # While answers come in, most in-flight kills hit the press being handled.
            answering = len(waiting) < len(world.pressed) and progress.answered < len(world.pressed)
            method = "answerCallbackQuery" if answering and at_press else "sendMessage"
            bot.start()
            if mode != "startup":  # else the clock runs from the spawn
                await bot.wait_ready(timeout=60)
            await asyncio.sleep(delay)
            if mode == "in flight" and await _hold_next_call(emu, method):
                mode = f"in {method}"
            code = await bot.kill()
            emu.clear_faults()
            assert code is None, f"the bot exited by itself (code {code}) before kill {kills}"
            kills += 1
            modes[mode] += 1
            await bot.wait_lock_free()
            _check_presser(presser)
            progress = _progress(db_path, emu, waiting)
        print(f"crash test: kills by moment: {dict(sorted(modes.items()))}")
        delivered = sum(len(emu.bot_messages(chat)) for chat in world.person_of_chat)
        print(
            f"crash test: {kills} kills in {time.monotonic() - started:.1f} s; so far "
            f"{delivered} messages delivered, {len(world.pressed) - len(waiting)} of "
            f"{len(world.pressed)} questions pressed, {progress.answered} answers recorded"
        )

        bot.start()
        await bot.wait_ready(timeout=60)
        await _until_drained(db_path, emu, world, waiting, presser)
        code = await bot.terminate(timeout=30)
        assert code == 0, f"the clean stop ended with code {code}"
        _check_presser(presser)

        _check_outcome(db_path, emu, world, waiting, kills)
        print(f"crash test: passed in {time.monotonic() - started:.1f} s (seed {seed})")
    except BaseException:
        print(f"\ncrash test FAILED with CRASH_SEED={seed}; last bot output:\n{bot.tail()}")
        raise
    finally:
        bot.cleanup()
        if presser is not None:
            presser.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await presser
        await emu.stop()


# --- set-up --------------------------------------------------------------------------------


def _content(target: Path) -> Path:
    """The shipped content with the delivery window over the whole day (but the minute
    before midnight): the check-in question is unasked, so it obeys quiet hours, and this
    test runs on the real clock at any hour."""
    for name in ("flows", "messages"):
        shutil.copytree(REPO / name, target / name)
    schedules = target / "flows" / "schedules.yaml"
    text = schedules.read_text(encoding="utf-8")
    window = 'quiet_hours:\n  start: "09:00"\n  end: "20:00"'
    assert window in text, "flows/schedules.yaml changed its quiet hours; update this test"
    schedules.write_text(
        text.replace(window, 'quiet_hours:\n  start: "00:00"\n  end: "23:59"'), encoding="utf-8"
    )
    return target


async def _prepare(db_path: Path, emu: Emulator, rng: random.Random) -> World:
    world = World()
    now = datetime.now(UTC)
    later = to_db(now + timedelta(days=1))
    chats = [FIRST_TELEGRAM + i for i in range(PARTICIPANTS)]
    asked = rng.sample(chats, CHECKINS_PRESSED + CHECKINS_SILENT)
    world.pressed = {chat: rng.randrange(len(OPTIONS)) for chat in asked[:CHECKINS_PRESSED]}
    world.press_delay = {chat: rng.uniform(*PRESS_DELAY) for chat in world.pressed}
    world.silent = set(asked[CHECKINS_PRESSED:])

    db = await Database.open(db_path)  # runs the migrations
    try:
        async with db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO people (role, name, language, telegram_id, status, created_at)"
                " VALUES ('coach', 'Sanne', 'en', ?, 'active', ?)",
                (COACH_TELEGRAM, to_db(now)),
            )
            coach_id = cur.lastrowid
            for i, chat in enumerate(chats):
                cur = await conn.execute(
                    "INSERT INTO people (role, name, language, telegram_id, coach_id, status,"
                    " consent_at, created_at)"
                    " VALUES ('participant', ?, 'en', ?, ?, 'active', ?, ?)",
                    (f"P{i}", chat, coach_id, to_db(now), to_db(now)),
                )
                world.person_of_chat[chat] = int(cur.lastrowid or 0)
            rows = [(chat, "reminder", later) for chat in chats[:REMINDERS]]
            rows += [
                (chat, "expired", to_db(now - timedelta(minutes=1)))
                for chat in chats[REMINDERS : REMINDERS + EXPIRED]
            ]
            for number, (chat, word, expires) in enumerate(rows, start=1):
                await conn.execute(
                    "INSERT INTO outbox (id, person_id, chat_id, kind, payload, unsolicited,"
                    " due_at, expires_at, status, created_at)"
                    " VALUES (?, ?, ?, 'message', ?, 0, ?, ?, 'pending', ?)",
                    (
                        number,
                        world.person_of_chat[chat],
                        chat,
                        json.dumps({"text": f"{word} {number}"}),
                        to_db(now),
                        expires,
                        to_db(now),
                    ),
                )
                (world.reminders if word == "reminder" else world.expired)[number] = chat
            for chat in asked:
                await conn.execute(
                    "INSERT INTO timers (person_id, kind, payload, due_at, expires_at, status,"
                    " created_at) VALUES (?, 'flow', ?, ?, ?, 'pending', ?)",
                    (
                        world.person_of_chat[chat],
                        json.dumps({"flow": "checkin", "vars": {}}),
                        to_db(now),
                        later,
                        to_db(now),
                    ),
                )
            # The daily scans already ran today: this test is about the burst, not about
            # the silence scan or the monthly ladder question for 520 new participants.
            for job in DAILY_JOBS:
                await conn.execute(
                    "INSERT INTO periodic (job, last_day) VALUES (?, '9999-12-31')", (job,)
                )
    finally:
        await db.close()

    # Everyone wrote to the bot before (Telegram lets a bot write only to those who did);
    # a previous run of the bot handled those updates, so they are confirmed here.
    last = 0
    for chat in [COACH_TELEGRAM, *chats]:
        emu.add_user(chat, "Sanne" if chat == COACH_TELEGRAM else f"P{chat}", language_code="en")
        last = emu.send_command(chat, "/start")["update_id"]
    status, _ = await emu.call_method("getUpdates", {"offset": last + 1, "timeout": 0})
    assert status == 200 and emu.pending_update_count == 0
    return world


# --- acting as the participants ------------------------------------------------------------


async def _press_questions(
    emu: Emulator, waiting: dict[int, int], delays: dict[int, float]
) -> None:
    """Press the chosen option in each participant's check-in question, a moment after it
    arrived (whether the bot is up or not)."""
    loop = asyncio.get_running_loop()
    seen: dict[int, tuple[float, int, str]] = {}  # chat → (press at, message id, data)
    while waiting:
        now = loop.time()
        for chat, index in list(waiting.items()):
            if chat not in seen:
                for message in emu.bot_messages(chat):
                    data = _question_button(message, index)
                    if data is not None:
                        seen[chat] = (now + delays[chat], message["message_id"], data)
                        break
            if chat in seen and seen[chat][0] <= now:
                _, message_id, data = seen[chat]
                emu.press_button(chat, message_id, data)
                del waiting[chat]
        await asyncio.sleep(0.05)


async def _hold_next_call(emu: Emulator, method: str) -> bool:
    """Make the emulator hold the bot's next `method` call for IN_FLIGHT seconds (then carry
    it out, as Telegram does when the caller has gone); True once the bot made that call."""
    emu.inject_fault(method, "slow", count=1, delay=IN_FLIGHT)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2.0
    while emu.state()["faults"]:
        if loop.time() > deadline:
            return False  # nothing to send or answer just now: an ordinary kill
        await asyncio.sleep(0.005)
    await asyncio.sleep(IN_FLIGHT / 3)  # well inside the call
    return True


def _question_button(message: dict[str, Any], index: int) -> str | None:
    """Callback data `a:<run>:<seq>:<index>` on this message, if it is a question."""
    markup = message.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            parts = str(button.get("callback_data", "")).split(":")
            if len(parts) == 4 and parts[0] == "a" and parts[3] == str(index):
                return str(button["callback_data"])
    return None


def _check_presser(presser: asyncio.Task[None]) -> None:
    if presser.done() and not presser.cancelled() and presser.exception() is not None:
        raise AssertionError("pressing a button failed") from presser.exception()


# --- reading the database ------------------------------------------------------------------


@contextmanager
def _read(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A short read-only look. WAL: it does not get in the bot's way, and being read-only it
    never checkpoints, so after each kill the bot itself finds the WAL as the crash left it."""
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)) as conn:
        conn.row_factory = sqlite3.Row
        yield conn


def _answers(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return list(
        conn.execute(
            "SELECT person_id, value FROM events WHERE type = 'answer' AND flow_id = 'checkin'"
            " AND step = 'how_are_you'"
        )
    )


@dataclass(frozen=True)
class Progress:
    unsent: int  # outbox rows pending or sending
    later: int  # of those, rows due in the future (moved to the next delivery window)
    unsent_in_runs: int  # of those, questions and replies of flow runs
    unfired: int  # check-in timers not fired yet
    answered: int  # answer events for the check-in question
    updates: int  # updates the bot has not confirmed
    arrived: int  # questions that arrived and wait for their press

    @property
    def pressing(self) -> bool:
        """Presses are still to come or to be handled."""
        return bool(self.updates or self.arrived or self.unfired or self.unsent_in_runs)

    @property
    def drained(self) -> bool:
        """Nothing left to send or handle; no question that arrived waits for its press.
        (A question that never arrived is not waited for: nothing will send it any more.)"""
        return not (self.unsent or self.unfired or self.updates or self.arrived)


def _progress(db_path: Path, emu: Emulator, waiting: dict[int, int]) -> Progress:
    for _ in range(20):
        try:
            return _read_progress(db_path, emu, waiting)
        except sqlite3.OperationalError:  # e.g. the WAL of a killed bot is being recovered
            time.sleep(0.05)
    return _read_progress(db_path, emu, waiting)


def _read_progress(db_path: Path, emu: Emulator, waiting: dict[int, int]) -> Progress:
    with _read(db_path) as conn:

        def count(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0])

        unsent = "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')"
        return Progress(
            unsent=count(unsent),
            later=count(f"{unsent} AND due_at > '{to_db(datetime.now(UTC))}'"),
            unsent_in_runs=count(f"{unsent} AND run_id IS NOT NULL"),
            unfired=count("SELECT COUNT(*) FROM timers WHERE kind = 'flow' AND status = 'pending'"),
            answered=len(_answers(conn)),
            updates=emu.pending_update_count,
            arrived=sum(
                1
                for chat, index in list(waiting.items())
                if any(_question_button(m, index) for m in emu.bot_messages(chat))
            ),
        )


async def _until_drained(
    db_path: Path,
    emu: Emulator,
    world: World,
    waiting: dict[int, int],
    presser: asyncio.Task[None],
) -> None:
    """Let the clean run work until nothing is left to send, press or handle: every press
    made and confirmed by the bot (which it does only after the answer is committed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FINAL_RUN_LIMIT
    last_change = loop.time()
    last_seen: tuple[int, ...] = ()
    while True:
        _check_presser(presser)
        progress = _progress(db_path, emu, waiting)
        if progress.drained:
            return
        seen = (*vars(progress).values(), len(waiting), emu.seq)
        if seen != last_seen:
            last_change, last_seen = loop.time(), seen
        # Rows moved to the next delivery window (see _content) are waiting, not stalled.
        stalled = loop.time() - last_change > STALL_LIMIT and not progress.later
        if stalled or loop.time() > deadline:
            raise AssertionError(
                f"the clean run {'stalled' if stalled else 'did not finish in time'}:"
                f" {progress}, {len(waiting)} of {len(world.pressed)} questions not pressed"
            )
        await asyncio.sleep(0.5)


# --- the verdict ---------------------------------------------------------------------------


def _check_outcome(
    db_path: Path, emu: Emulator, world: World, waiting: dict[int, int], kills: int
) -> None:
    chats = set(world.person_of_chat)
    texts = {chat: Counter(_texts(emu, chat)) for chat in chats}

    # (1) every due, unexpired message arrived; the expired ones never did. The check-in
    # questions too: each pressed one arrived (else it would still be waiting), and each
    # unanswered one still shows its buttons.
    missing = [n for n, chat in world.reminders.items() if texts[chat][f"reminder {n}"] == 0]
    assert not missing, f"{len(missing)} messages never delivered, e.g. outbox ids {missing[:10]}"
    unasked = sorted(waiting) + [
        chat
        for chat in sorted(world.silent)
        if not any(_question_button(m, 0) for m in emu.bot_messages(chat))
    ]
    assert not unasked, f"check-in question never delivered to chats {unasked[:10]}"
    leaked = [n for n, chat in world.expired.items() if texts[chat][f"expired {n}"] > 0]
    assert not leaked, f"expired messages were delivered: outbox ids {leaked}"

    # (2) at most K extra deliveries per kill, counting every message in every chat, and
    # at most one per kill in each chat.
    extra = {
        (chat, text): count - 1
        for chat, counter in texts.items()
        for text, count in counter.items()
        if count > 1
    }
    total_extra = sum(extra.values())
    print(f"crash test: {total_extra} duplicate deliveries after {kills} kills")
    in_flight = Settings().in_flight
    assert total_extra <= kills * in_flight, (
        f"{total_extra} duplicate deliveries for {kills} kills with {in_flight} in flight:"
        f" {sorted(extra.items())[:10]}"
    )
    per_chat = Counter[int]()
    for (chat, _text), count in extra.items():
        per_chat[chat] += count
    worst = per_chat.most_common(1)
    assert not worst or worst[0][1] <= kills, f"chat {worst[0][0]}: {worst[0][1]} duplicates"

    with _read(db_path) as conn:
        # (3) each press recorded exactly once, with the option pressed; nobody else.
        recorded: dict[int, list[str]] = {}
        for row in _answers(conn):
            recorded.setdefault(row["person_id"], []).append(row["value"])
        expected = {
            world.person_of_chat[chat]: [OPTIONS[index]] for chat, index in world.pressed.items()
        }
        wrong = {
            person: (expected.get(person, []), recorded.get(person, []))
            for person in set(expected) | set(recorded)
            if sorted(expected.get(person, [])) != sorted(recorded.get(person, []))
        }
        assert not wrong, (
            f"{len(wrong)} participants with answers recorded wrongly "
            f"(person: (pressed, recorded)), e.g. {sorted(wrong.items())[:10]}"
        )
        # Each question was pressed once: a stale press means an update was handled twice.
        twice = conn.execute("SELECT COUNT(*) FROM events WHERE type = 'stale_press'").fetchone()
        assert twice[0] == 0, f"{twice[0]} presses were handled a second time"
        silent_people = {world.person_of_chat[chat] for chat in world.silent}
        still_asking = conn.execute(
            "SELECT COUNT(*) FROM runs WHERE flow_id = 'checkin' AND status = 'active'"
            f" AND person_id IN ({','.join('?' * len(silent_people))})",
            tuple(silent_people),
        ).fetchone()[0]
        assert still_asking == len(silent_people), "an unanswered check-in stopped waiting"

        # (4) a sound database, and nothing stuck on its way out.
        integrity = [tuple(r) for r in conn.execute("PRAGMA integrity_check")]
        assert integrity == [("ok",)], integrity
        stuck = conn.execute(
            "SELECT status, COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')"
            " GROUP BY status"
        ).fetchall()
        assert not stuck, f"outbox rows left behind: {[tuple(r) for r in stuck]}"
        statuses = {
            row[0]: row[1]
            for row in conn.execute(
                "SELECT status, COUNT(*) FROM outbox WHERE id <= ? GROUP BY status",
                (REMINDERS + EXPIRED,),
            )
        }
        assert statuses == {"sent": REMINDERS, "expired": EXPIRED}, statuses


def _texts(emu: Emulator, chat: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in emu.bot_messages(chat)]
