"""The coach's caseload overview: one compact line per participant, ten to a page.

The lines are taken once, when /caseload opens (the run's `rows`), in the order of
`storage.people.caseload_overview`: unreachable and quiet people first. The `caseload`
option source gives the same people as buttons, so a page's lines and buttons agree."""

from __future__ import annotations

from typing import Any

from bot import outbox
from bot.deps import Deps
from bot.host.actions.questionnaire import survey_status
from storage.db import Conn
from storage.people import Person, Status, caseload_overview
from storage.times import from_db

MOODS = {"great": "😀", "okay": "🙂", "not_great": "😕", "bad": "😞"}
MARKERS = {
    Status.INVITED: "✉️",
    Status.PAUSED: "⏸️",
    Status.STOPPED: "⏹️",
    Status.UNREACHABLE: "⚠️",
}


async def caseload_rows(conn: Conn, deps: Deps, coach: Person) -> list[dict[str, Any]]:
    """What /caseload shows, in the coach's language; never message texts."""
    lines = await caseload_overview(conn, coach.id, deps.clock.now())
    catalogs = deps.content.catalogs
    found = []
    for line in lines:
        person = line.person
        ended = person.trajectory_end is not None
        status = "ended" if ended else person.status.value
        marker = "🏁" if ended else MARKERS.get(person.status, "")
        if person.silent_since and not ended and person.status == Status.ACTIVE:
            marker = "🔇"
        found.append(
            {
                "id": str(person.id),  # the button's value (bot.host.sources.caseload)
                "name": person.name,
                "language": catalogs.pick(person.language).upper() if person.language else "?",
                "status": outbox.render(deps, coach, f"status.{status}", {}),
                "marker": marker or "•",
                "last": from_db(person.last_contact_at).isoformat()
                if person.last_contact_at
                else "",
                "next": line.next_appointment.isoformat() if line.next_appointment else "",
                "mood": MOODS.get(person.last_mood or "", ""),
                "survey": " ".join(
                    f"{wave}{'✓' if state == 'done' else '…'}"
                    for wave, state in sorted((await survey_status(conn, person.id)).items())
                ),
            }
        )
    return found
