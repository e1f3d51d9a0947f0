"""Random interleavings of commands, presses, typed answers and clock jumps for a participant
and her coach (hypothesis), through the real bot, its emulator and the injected clock.

Invariants (docs/architecture.md, "When flows meet"):
- every reminder of an appointment still ahead is delivered with live buttons, or accounted
  for with a reason from a fixed list (expired, paused, stopped, declined, unreachable, the
  delivery window until the start, or the participant's own "no reminders");
- at most one question waits for a person at any moment;
- no open question keeps a scheduled one from being asked: a due scheduled question is sent
  at once (the rule's bound is zero).
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox.emulator import Emulator
from tests.e2e.harness import (
    AMS,
    COACH,
    TOKEN,
    Harness,
    buttons,
    invite_participant,
    onboard,
    plan_appointment,
    register_coach,
)

SARA = 3001
START = datetime(2026, 10, 19, 11, 0, tzinfo=AMS)
APPOINTMENT = datetime(2026, 10, 22, 14, 0, tzinfo=AMS)
REASONS = {"expired", "paused", "stopped", "declined", "unreachable", "quiet_hours"}

person_steps = st.one_of(
    st.tuples(st.just("command"), st.sampled_from(["/language", "/pause", "/help", "/coach"])),
    st.tuples(st.just("press"), st.integers(0, 5)),
    st.tuples(st.just("text"), st.sampled_from(["hello", "English", "2 weeks", "ok"])),
    st.tuples(st.just("jump"), st.integers(1, 30)),
    st.tuples(st.just("coach"), st.sampled_from(["/caseload", "/appointment", "/nudges"])),
    st.tuples(st.just("coach_press"), st.integers(0, 5)),
)


async def settle(h: Harness) -> None:
    """Until the bot fetched every update and sent what is due."""
    for _ in range(200):
        await asyncio.sleep(0.01)
        await h.tick()
        due = await h.deps.db.scalar(
            "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending') AND due_at <= ?",
            (h.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),),
        )
        if h.emu.pending_update_count == 0 and not due:
            return


async def walk(h: Harness, until: datetime) -> None:
    """Time passes as it does, a quarter of an hour at a time, the bot awake throughout."""
    while h.clock.now() < until:
        h.clock.set(min(until, h.clock.now() + timedelta(minutes=15)))
        await settle(h)


def press_nth(h: Harness, chat: int, n: int) -> None:
    for message in reversed(h.emu.bot_messages(chat)):
        live = [data for _, data in buttons(message) if data != "x"]
        if live:
            h.emu.press_button(chat, message["message_id"], live[n % len(live)])
            return


async def open_questions(h: Harness, telegram_id: int) -> int:
    return int(
        await h.deps.db.scalar(
            "SELECT COUNT(*) FROM runs r JOIN people p ON p.id = r.person_id"
            " WHERE p.telegram_id = ? AND r.status = 'active'",
            (telegram_id,),
        )
    )


async def scenario(tmp: Path, steps: list[tuple[str, object]]) -> None:
    emu = Emulator(token=TOKEN, bot_username="coachbot_test_bot", host="127.0.0.1", port=0)
    await emu.start()
    h = Harness(emu, tmp, START)
    await h.start()
    try:
        await register_coach(h)
        token = await invite_participant(h, "Sara", "English")
        await onboard(h, SARA, token, ["English", "Yes", "Thursday", "Morning"], "en")
        await plan_appointment(h, "Sara", "22 Oct", "14:00", "Dukenburg")
        await settle(h)
        for kind, value in steps:
            if h.clock.now() >= APPOINTMENT - timedelta(hours=3):
                break  # the invariants are about reminders still ahead
            if kind == "command":
                h.emu.send_command(SARA, str(value))
            elif kind == "press":
                press_nth(h, SARA, int(value))  # type: ignore[call-overload]
            elif kind == "text":
                h.emu.send_text(SARA, str(value))
            elif kind == "coach":
                h.emu.send_command(COACH, str(value))
            elif kind == "coach_press":
                press_nth(h, COACH, int(value))  # type: ignore[call-overload]
            else:
                await walk(h, h.clock.now() + timedelta(hours=int(value)))  # type: ignore[call-overload]
            await settle(h)
            assert await open_questions(h, SARA) <= 1
            assert await open_questions(h, COACH) <= 1
            # A scheduled question that came due was sent at once, whatever was open.
            waiting = await h.deps.db.scalar(
                "SELECT COUNT(*) FROM timers WHERE status = 'pending' AND due_at <= ?"
                " AND kind = 'flow'",
                (h.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),),
            )
            assert waiting == 0
        # Up to the appointment: each reminder is delivered or has a reason.
        await walk(h, APPOINTMENT)
        status = await h.deps.db.scalar("SELECT status FROM people WHERE telegram_id = ?", (SARA,))
        # Replaced reminders (the participant could not come and picked a new time) are
        # cancelled; the ones that stand are for the appointment's time now.
        planned = await h.deps.db.fetchall(
            "SELECT ref, status, due_at FROM timers WHERE ref LIKE 'appointment:%' AND ref NOT"
            " LIKE '%attendance' AND status != 'cancelled' ORDER BY id"
        )
        rows = list({r["ref"]: r for r in planned}.values())  # the newest of each reminder
        assert len(rows) == 2, [dict(r) for r in planned]
        now = h.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        rows = [r for r in rows if not (r["status"] == "pending" and r["due_at"] > now)]
        flows = {"day_before": "reminder_day_before", "two_hours_before": "reminder_soon"}
        # A press may have been "no reminders": the participant's own reason.
        by_choice = await h.deps.db.scalar(
            "SELECT COUNT(*) FROM stopped_kinds WHERE kind = 'reminder'"
        )
        for row in rows:
            if row["status"] == "skipped" and status == "active":
                assert by_choice, (row["ref"], "skipped without a reason")
                continue
            if row["status"] == "skipped" or status != "active":
                assert status in REASONS, (row["ref"], status)
                continue
            assert row["status"] == "done", dict(row)
            run = await h.deps.db.fetchone(
                "SELECT r.id, r.created_at FROM runs r JOIN people p ON p.id = r.person_id"
                " WHERE p.telegram_id = ? AND r.flow_id = ?",
                (SARA, flows[row["ref"].rsplit(":", 1)[1]]),
            )
            assert run is not None, (row["ref"], "its flow never started")
            sent = await h.deps.db.scalar(
                "SELECT COUNT(*) FROM outbox WHERE created_at = ? AND status = 'sent'"
                " AND chat_id = ?",
                (run["created_at"], SARA),
            )
            if sent:
                if row["ref"].endswith("day_before"):  # a question: sent with live buttons
                    assert any(
                        f"a:{run['id']}:" in str(c["params"].get("reply_markup"))
                        for c in h.emu.call_log
                        if c["method"] == "sendMessage" and c["ok"]
                    ), row["ref"]
                continue
            expired = await h.deps.db.fetchall(
                "SELECT value FROM events WHERE type = 'message_expired'"
            )
            reasons = {"quiet_hours" if e["value"] else "expired" for e in expired}
            assert reasons & REASONS, (row["ref"], "neither delivered nor accounted for")
    finally:
        await h.stop()
        await emu.stop()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(person_steps, min_size=1, max_size=10))
def test_no_open_question_keeps_a_reminder_from_its_time(
    steps: list[tuple[str, object]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(scenario(Path(tmp), steps))
