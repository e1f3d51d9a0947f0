"""What is stored about a person (export), erasing it, and who is due for erasure.

Driven by the live schema: every table with a column pointing at a person is included,
so a new table cannot be forgotten. Erasing keeps only pseudonymous events (ids, types,
codes; never texts) and appointment facts for the statistics.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.db import Conn
from storage.people import Person, Status
from storage.times import to_db

ERASED = "—"  # the name (and place) left where personal data was
# Columns that point at a person, per table (found from the schema at run time).
PERSON_COLUMNS = ("person_id", "participant_id", "about_id")
# Kept after erasure: the pseudonymous log and appointment facts for the statistics.
KEPT_TABLES = frozenset({"events", "appointments"})


async def person_tables(conn: Conn) -> dict[str, list[str]]:
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


async def export(conn: Conn, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """Everything stored about one person, table by table, column by column."""
    rows = await conn.execute_fetchall("SELECT * FROM people WHERE id = ?", (person_id,))
    data: dict[str, list[dict[str, Any]]] = {"people": [dict(r) for r in rows]}
    for table, columns in (await person_tables(conn)).items():
        where = " OR ".join(f"{c} = ?" for c in columns)
        found = await conn.execute_fetchall(
            f"SELECT * FROM {table} WHERE {where}", tuple(person_id for _ in columns)
        )
        data[table] = [dict(r) for r in found]
    return data


async def erase(conn: Conn, person_id: int) -> None:
    """Delete a person's rows and texts; keep events, appointment facts and an emptied
    people row (status stopped) so the ids in the log still count."""
    for table, columns in (await person_tables(conn)).items():
        if table in KEPT_TABLES:
            continue
        for column in columns:
            if column == "about_id":  # a coach's message about them stays, unlinked
                await conn.execute(
                    f"UPDATE {table} SET about_id = NULL WHERE about_id = ?", (person_id,)
                )
            else:
                await conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (person_id,))
    await conn.execute("DELETE FROM invites WHERE person_id = ?", (person_id,))
    await conn.execute(
        "UPDATE appointments SET place = ?, address = NULL WHERE participant_id = ?",
        (ERASED, person_id),
    )
    await conn.execute(
        "UPDATE people SET name = ?, language = NULL, telegram_id = NULL, checkin_day = NULL,"
        " checkin_time = NULL, last_mood = NULL, paused_until = NULL, status = ?,"
        " last_contact_at = NULL, silent_since = NULL WHERE id = ?",
        (ERASED, Status.STOPPED.value, person_id),
    )


async def due_for_retention(
    conn: Conn, ended_before: datetime, created_before: datetime, *, after: int, limit: int
) -> list[Person]:
    """Participants not yet erased whose trajectory ended before `ended_before`, or who
    declined or stopped without one and were created before `created_before`; a page of
    ids above `after`, in id order."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM people WHERE role = 'participant' AND name != ? AND"
        " ((trajectory_end IS NOT NULL AND trajectory_end < ?)"
        " OR (trajectory_end IS NULL AND status IN ('declined', 'stopped')"
        " AND created_at < ?)) AND id > ? ORDER BY id LIMIT ?",
        (ERASED, to_db(ended_before), to_db(created_before), after, limit),
    )
    return [Person.from_row(r) for r in rows]
