"""Personal data: what a participant can see (/mydata) and erase (/forget), and retention.

The export is driven by the schema: every table with a column pointing at a person is
included, so a new table cannot be forgotten. Erasing keeps only pseudonymous events
(ids, types, codes; never texts) for the statistics.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import aiosqlite

from bot.content.schedules import parse_offset
from bot.deps import Deps
from storage.events import log_event
from storage.people import Person, Status
from storage.times import to_db

ERASED = "—"
# Columns that point at a person, per table (found from the schema at run time).
PERSON_COLUMNS = ("person_id", "participant_id", "about_id")
# Kept after erasure: the pseudonymous log and appointment facts for the statistics.
KEPT_TABLES = frozenset({"events", "appointments"})


async def person_tables(conn: aiosqlite.Connection) -> dict[str, list[str]]:
    """{table: [columns referring to a person]} read from the live schema."""
    tables = await conn.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found: dict[str, list[str]] = {}
    for table in tables:
        columns = await conn.execute_fetchall(f"PRAGMA table_info({table['name']})")
        names = [c["name"] for c in columns if c["name"] in PERSON_COLUMNS]
        if names:
            found[table["name"]] = names
    return found


async def my_data(conn: aiosqlite.Connection, person_id: int) -> dict[str, Any]:
    """Everything stored about one person, table by table."""
    rows = await conn.execute_fetchall("SELECT * FROM people WHERE id = ?", (person_id,))
    data: dict[str, Any] = {"people": [dict(r) for r in rows]}
    for table, columns in (await person_tables(conn)).items():
        where = " OR ".join(f"{c} = ?" for c in columns)
        found = await conn.execute_fetchall(
            f"SELECT * FROM {table} WHERE {where}", tuple(person_id for _ in columns)
        )
        data[table] = [dict(r) for r in found]
    return data


def my_data_file(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")


async def forget(conn: aiosqlite.Connection, deps: Deps, person: Person, by: str) -> None:
    """Erase a participant's personal data and texts; keep pseudonymous events."""
    now = deps.clock.now()
    for table, columns in (await person_tables(conn)).items():
        if table in KEPT_TABLES:
            continue
        for column in columns:
            if column == "about_id":  # a coach's message about them stays, unlinked
                await conn.execute(
                    f"UPDATE {table} SET about_id = NULL WHERE about_id = ?", (person.id,)
                )
            else:
                await conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (person.id,))
    await conn.execute("DELETE FROM invites WHERE person_id = ?", (person.id,))
    await conn.execute(
        "UPDATE appointments SET place = ?, address = NULL WHERE participant_id = ?",
        (ERASED, person.id),
    )
    await conn.execute(
        "UPDATE people SET name = ?, language = NULL, telegram_id = NULL, checkin_day = NULL,"
        " checkin_time = NULL, last_mood = NULL, paused_until = NULL, status = ?,"
        " last_contact_at = NULL, silent_since = NULL WHERE id = ?",
        (ERASED, Status.STOPPED.value, person.id),
    )
    await log_event(conn, now, "forgotten", person.id, person.coach_id, value=by)


RETENTION_CANDIDATES = (
    "SELECT * FROM people WHERE role = 'participant' AND name != ? AND"
    " ((trajectory_end IS NOT NULL AND trajectory_end < ?)"
    " OR (trajectory_end IS NULL AND status IN ('declined', 'stopped')"
    " AND created_at < ?))"
)


def retention_cutoffs(deps: Deps) -> tuple[str, str, str]:
    """Parameters of RETENTION_CANDIDATES: participants whose trajectory ended more than
    `retention_months` ago (after the last follow-up has had its time)."""
    schedules = deps.content.schedules
    # The last follow-up comes this long after the end; retention counts from there.
    last = max((parse_offset(o) for o in schedules.followups.after),
               key=lambda o: o[0] * (30.44 if o[1] == "mo" else 7), default=(0, "w"))
    followup_days = last[0] * (30.44 if last[1] == "mo" else 7)
    cutoff = deps.clock.now() - timedelta(days=round(schedules.retention_months * 30.44))
    ended_before = cutoff - timedelta(days=round(followup_days))
    return ERASED, to_db(ended_before), to_db(cutoff)


async def retain(conn: aiosqlite.Connection, deps: Deps, row: Any) -> None:
    await forget(conn, deps, Person.from_row(row), "retention")
