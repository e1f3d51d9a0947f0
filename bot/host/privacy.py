"""Personal data: what a participant can see (/mydata) and erase (/forget), and retention.

What is stored about a person and how it is erased is storage's concern
(storage/erasure.py); here: when, on whose behalf, the retention period, and settling an
erasure after its transaction committed (the WAL checkpointed and truncated, the goodbye
messages deleted once they are out).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from datetime import datetime, timedelta
from typing import Any

from bot.content.schedules import Schedules, parse_offset
from bot.deps import Deps
from storage import erasure
from storage.db import Conn
from storage.events import log_event
from storage.people import Person

log = logging.getLogger(__name__)

# Seconds between looks while an erasure's goodbye messages wait to be sent: soon at first
# (they go out at once), then rarely (a send that fails is retried with backoff).
SETTLE_FIRST_S = 0.1
SETTLE_MAX_S = 30.0
# The length of a month when retention counts in days.
DAYS_PER_MONTH = 30.44


async def my_data(conn: Conn, person_id: int) -> dict[str, Any]:
    """Everything stored about one person, table by table."""
    return dict(await erasure.export(conn, person_id))


def my_data_file(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")


async def forget(conn: Conn, deps: Deps, person: Person, by: str) -> None:
    """Erase a participant's personal data and texts; keep pseudonymous events. Once the
    caller's transaction has committed, the erasure is settled (see `settle_erasures`)."""
    now = deps.clock.now()
    await erasure.erase(conn, person.id)
    await log_event(conn, now, "forgotten", person.id, person.coach_id, value=by)
    settle_erasures(deps)


class _Settler:
    """One per database: looks again (`erasure.settle`) until nothing is left to do."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.again = True
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while self.again:
            self.again = False
            delay = SETTLE_FIRST_S
            while True:
                try:
                    done = await asyncio.to_thread(erasure.settle, self.path)
                except Exception:
                    # Not busy but broken (the file is gone, say): the next erasure or
                    # start tries again.
                    log.exception("settling erasures failed; left for the next try")
                    return
                if done:
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, SETTLE_MAX_S)


_settlers: dict[str, _Settler] = {}


def settle_erasures(deps: Deps) -> asyncio.Task[None]:
    """Settle erasures in the background: once the erasing transaction has committed (the
    first look waits for it), the WAL is checkpointed into the database and truncated, and
    each goodbye message is deleted once it is out, then the WAL truncated again. Also
    call it at start-up: it finishes what a crash interrupted. Returns the task."""
    settler = _settlers.get(deps.db.path)
    if settler is None:
        settler = _settlers[deps.db.path] = _Settler(deps.db.path)
    settler.again = True
    loop = asyncio.get_running_loop()
    if settler.task is None or settler.task.done() or settler.task.get_loop() is not loop:
        settler.task = loop.create_task(settler.run())
    return settler.task


def last_followup_days(schedules: Schedules) -> float:
    """How many days after the end of a trajectory its last follow-up comes (0 without
    follow-ups): `3mo` counts as 3 × 30.44 days, `2w` as 14."""
    offsets = (parse_offset(o) for o in schedules.followups.after)
    return max((n * (DAYS_PER_MONTH if unit == "mo" else 7) for n, unit in offsets), default=0.0)


def privacy_terms(schedules: Schedules) -> dict[str, int]:
    """What the privacy texts say about keeping data, from the settings retention runs on:
    `followup_months`, the last follow-up after the end of a trajectory in whole months
    (rounded up: `6mo` → 6, `3w` → 1), and `retention_months`, how long after that the
    data is kept. Every message may use both (the host puts them in its context)."""
    months = round(last_followup_days(schedules) / DAYS_PER_MONTH, 6)
    return {"followup_months": math.ceil(months), "retention_months": schedules.retention_months}


def retention_cutoffs(deps: Deps) -> tuple[datetime, datetime]:
    """(ended before, created before) for `erasure.due_for_retention`: participants whose
    trajectory ended more than `retention_months` ago (after the last follow-up has had its
    time), and those who declined or stopped without one that long ago."""
    schedules = deps.content.schedules
    # The last follow-up comes this long after the end; retention counts from there.
    cutoff = deps.clock.now() - timedelta(days=round(schedules.retention_months * DAYS_PER_MONTH))
    ended_before = cutoff - timedelta(days=round(last_followup_days(schedules)))
    return ended_before, cutoff


async def retain(conn: Conn, deps: Deps, person: Person) -> None:
    await forget(conn, deps, person, "retention")
