"""`coachbot log`: engagement events, pseudonymised, as lines for the terminal.

An update that could not be handled and was parked (`storage/parked.py`) is a line of its
own: event `update_parked`, no person, the error's class as value and `update:<id>` as ref.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, tzinfo

from bot.research.pseudonym import Pseudonyms
from bot.research.rows import EventRow, Snapshot

HEADER = ("time", "person", "coach", "event", "flow/step", "value", "ref", "latency")


def select(
    snapshot: Snapshot,
    pseudonyms: Pseudonyms,
    *,
    participant: str | None = None,
    since: date | None = None,
    tz: tzinfo,
) -> list[EventRow]:
    """Events about people, oldest first; maybe only one pseudonym's, maybe only recent ones."""
    roles = {p.id: p.role for p in snapshot.people}
    start = datetime.combine(since, time(0), tz) if since else None
    wanted = participant.strip() if participant else None
    return [
        e
        for e in snapshot.events
        if (start is None or e.at >= start)
        and (
            wanted is None
            or (
                e.person_id is not None
                and pseudonyms.of(e.person_id, roles.get(e.person_id, "")) == wanted
            )
        )
    ]


def _latency(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def lines(
    events: Iterable[EventRow], snapshot: Snapshot, pseudonyms: Pseudonyms, tz: tzinfo
) -> list[str]:
    """Aligned columns: local time, pseudonyms, type, flow/step, value, ref, latency."""
    roles = {p.id: p.role for p in snapshot.people}
    table = [HEADER]
    for e in events:
        where = "/".join(x for x in (e.flow_id, e.step) if x)
        table.append(
            (
                e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                pseudonyms.of(e.person_id, roles.get(e.person_id or -1, "")) or "-",
                pseudonyms.of(e.coach_id, "coach") or "-",
                e.type,
                where or "-",
                e.value or "-",
                e.ref or "-",
                _latency(e.latency_s) or "-",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]
