"""The coach's caseload overview: one compact line per participant."""

from __future__ import annotations

from typing import Any

import aiosqlite

from bot import outbox
from bot.deps import Deps
from bot.survey import survey_status
from storage.people import Person, Status
from storage.times import from_db, to_db

MOODS = {"great": "😀", "okay": "🙂", "not_great": "😕", "bad": "😞"}
MARKERS = {
    Status.INVITED: "✉️",
    Status.PAUSED: "⏸️",
    Status.STOPPED: "⏹️",
    Status.UNREACHABLE: "⚠️",
}


async def caseload_rows(
    conn: aiosqlite.Connection, deps: Deps, coach: Person
) -> list[dict[str, Any]]:
    """What /caseload shows, in the coach's language; never message texts."""
    now = deps.clock.now()
    rows = await conn.execute_fetchall(
        "SELECT p.*, (SELECT MIN(a.starts_at) FROM appointments a WHERE a.participant_id = p.id"
        " AND a.status != 'cancelled' AND a.starts_at > ?) AS next_at"
        " FROM people p WHERE p.coach_id = ? AND p.role = 'participant'"
        " AND p.status NOT IN ('declined') ORDER BY p.name COLLATE NOCASE",
        (to_db(now), coach.id),
    )
    catalogs = deps.content.catalogs
    found = []
    for row in rows:
        person = Person.from_row(row)
        ended = person.trajectory_end is not None
        status = "ended" if ended else person.status.value
        marker = "🏁" if ended else MARKERS.get(person.status, "")
        if person.silent_since and not ended and person.status == Status.ACTIVE:
            marker = "🔇"
        found.append(
            {
                "name": person.name,
                "language": catalogs.pick(person.language).upper() if person.language else "?",
                "status": outbox.render(deps, coach, f"status.{status}", {}),
                "marker": marker or "•",
                "last": from_db(person.last_contact_at).isoformat()
                if person.last_contact_at
                else "",
                "next": from_db(row["next_at"]).isoformat() if row["next_at"] else "",
                "mood": MOODS.get(person.last_mood or "", ""),
                "survey": " ".join(
                    f"{wave}{'✓' if state == 'done' else '…'}"
                    for wave, state in sorted((await survey_status(conn, person.id)).items())
                ),
            }
        )
    return found
