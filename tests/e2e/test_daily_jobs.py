"""The daily jobs go through people in chunks, one short transaction each; a job that
fails half-way is not marked as run, so the next tick finishes it without repeating the
part that was done."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from bot.host import daily as periodic
from tests.e2e.harness import AMS, COACH, Harness, invite_participant, onboard, register_coach

AYSE, SARA = 2001, 3001


async def two_participants(h: Harness) -> None:
    await register_coach(h)
    for user, name, label, answers, code in (
        (AYSE, "Ayşe", "Türkçe", ["Türkçe", "Evet", "Haftalık soru yok"], "tr"),
        (SARA, "Sara", "English", ["English", "Yes", "No weekly question"], "en"),
    ):
        token = await invite_participant(h, name, label)
        await onboard(h, user, token, answers, code)
        await h.next_message(COACH, "joined")


async def test_a_daily_job_that_fails_half_way_is_finished_later_without_a_second_alert(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    await two_participants(h)
    monkeypatch.setattr(periodic, "CHUNK", 1)  # one person per transaction
    select, params, step = periodic.DAILY_JOBS["silent_scan"]
    calls: list[str] = []

    async def fails_for_sara(conn: Any, deps: Any, host: Any, person: Any) -> bool:
        calls.append(person.name)
        if person.name == "Sara" and calls.count("Sara") == 1:
            raise RuntimeError("disk full")
        return await step(conn, deps, host, person)

    monkeypatch.setitem(periodic.DAILY_JOBS, "silent_scan", (select, params, fails_for_sara))
    h.clock.set(datetime(2026, 11, 12, 10, 0, tzinfo=AMS))  # 3 weeks without contact
    h.app.dispatcher.wake()  # type: ignore[union-attr]
    for _ in range(100):  # the dispatcher's own loop runs the daily jobs in the background
        if calls == ["Ayşe", "Sara"]:
            break
        await asyncio.sleep(0.05)
    assert calls == ["Ayşe", "Sara"]
    # Ayşe's chunk was committed before Sara's failed; the job is not marked as run, and
    # the loop waits a while before it tries again.
    await asyncio.sleep(0.3)
    assert calls == ["Ayşe", "Sara"]
    assert await h.deps.db.scalar("SELECT COUNT(*) FROM people WHERE silent_since IS NOT NULL") == 1
    assert not await h.deps.db.fetchone(
        "SELECT 1 FROM periodic WHERE job = 'silent_scan' AND last_day = '2026-11-12'"
    )

    await h.tick()  # runs the job again: only Sara is left
    assert calls == ["Ayşe", "Sara", "Sara"]
    await h.next_message(COACH, "quiet")
    await h.next_message(COACH, "quiet")
    alerts = [t for t in h.all_texts(COACH) if "quiet" in t]
    assert len(alerts) == 2
    assert any("Ayşe" in t for t in alerts) and any("Sara" in t for t in alerts)
    assert await h.deps.db.fetchone(
        "SELECT 1 FROM periodic WHERE job = 'silent_scan' AND last_day = '2026-11-12'"
    )
