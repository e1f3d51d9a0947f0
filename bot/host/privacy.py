"""Personal data: what a participant can see (/mydata) and erase (/forget), and retention.

What is stored about a person and how it is erased is storage's concern
(storage/erasure.py); here: when, on whose behalf, and the retention period.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.content.schedules import parse_offset
from bot.deps import Deps
from storage import erasure
from storage.db import Conn
from storage.events import log_event
from storage.people import Person


async def my_data(conn: Conn, person_id: int) -> dict[str, Any]:
    """Everything stored about one person, table by table."""
    return dict(await erasure.export(conn, person_id))


def my_data_file(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")


async def forget(conn: Conn, deps: Deps, person: Person, by: str) -> None:
    """Erase a participant's personal data and texts; keep pseudonymous events."""
    now = deps.clock.now()
    await erasure.erase(conn, person.id)
    await log_event(conn, now, "forgotten", person.id, person.coach_id, value=by)


def retention_cutoffs(deps: Deps) -> tuple[datetime, datetime]:
    """(ended before, created before) for `erasure.due_for_retention`: participants whose
    trajectory ended more than `retention_months` ago (after the last follow-up has had its
    time), and those who declined or stopped without one that long ago."""
    schedules = deps.content.schedules
    # The last follow-up comes this long after the end; retention counts from there.
    last = max(
        (parse_offset(o) for o in schedules.followups.after),
        key=lambda o: o[0] * (30.44 if o[1] == "mo" else 7),
        default=(0, "w"),
    )
    followup_days = last[0] * (30.44 if last[1] == "mo" else 7)
    cutoff = deps.clock.now() - timedelta(days=round(schedules.retention_months * 30.44))
    ended_before = cutoff - timedelta(days=round(followup_days))
    return ended_before, cutoff


async def retain(conn: Conn, deps: Deps, person: Person) -> None:
    await forget(conn, deps, person, "retention")
