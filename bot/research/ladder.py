"""Participation ladder: rungs at intake and at the end, and who moved up.

The coach records a rung as `ladder_recorded` events: value 1–6, ref intake, monthly or end.
A later record of the same kind replaces an earlier one (a correction).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.research.engagement import in_scope
from bot.research.rows import Scope, Snapshot
from bot.research.stats import mean
from bot.research.suppress import Count, Measure, protect, protect_table

RUNGS = {
    1: "isolated",
    2: "social contacts outside the home",
    3: "organised activities",
    4: "unpaid work (volunteering)",
    5: "paid work with support",
    6: "paid work",
}
MOMENTS = ("intake", "monthly", "end")


@dataclass(frozen=True)
class Ladder:
    has_data: bool
    at_intake: tuple[Count, ...]  # people per rung 1–6
    at_end: tuple[Count, ...]
    latest: tuple[Count, ...]  # the most recent record of everyone
    pairs: Count  # people with a rung at intake and at the end
    up: Count
    same: Count
    down: Count
    mean_change: Measure  # in rungs
    matrix: tuple[tuple[Count, ...], ...]  # intake rung (rows) × end rung (columns)


def rungs(snapshot: Snapshot, scope: Scope) -> dict[int, dict[str, int]]:
    """Per participant: the last rung per moment, plus "latest", up to the end of the period."""
    _, events = in_scope(snapshot, scope)
    found: dict[int, dict[str, int]] = {}
    for e in events:
        if e.type != "ladder_recorded" or e.person_id is None or not scope.by_end(e.at):
            continue
        try:
            rung = int(e.value or "")
        except ValueError:
            continue
        if rung not in RUNGS:
            continue
        person = found.setdefault(e.person_id, {})
        if e.ref in MOMENTS:
            person[e.ref] = rung
        person["latest"] = rung
    return found


def _spread(values: list[tuple[int, int]]) -> tuple[Count, ...]:
    """People per rung from (person, rung) pairs."""
    return tuple(protect([Count.of({p for p, r in values if r == rung}) for rung in RUNGS]))


def ladder(snapshot: Snapshot, scope: Scope) -> Ladder:
    found = rungs(snapshot, scope)
    pairs = {p: (r["intake"], r["end"]) for p, r in found.items() if "intake" in r and "end" in r}
    up = {p for p, (a, b) in pairs.items() if b > a}
    down = {p for p, (a, b) in pairs.items() if b < a}
    same = set(pairs) - up - down
    moved = protect([Count.of(up), Count.of(same), Count.of(down)])
    matrix = tuple(
        tuple(row)
        for row in protect_table(
            [
                [Count.of({p for p, (a, b) in pairs.items() if (a, b) == (i, j)}) for j in RUNGS]
                for i in RUNGS
            ]
        )
    )
    return Ladder(
        has_data=bool(found),
        at_intake=_spread([(p, r["intake"]) for p, r in found.items() if "intake" in r]),
        at_end=_spread([(p, r["end"]) for p, r in found.items() if "end" in r]),
        latest=_spread([(p, r["latest"]) for p, r in found.items()]),
        pairs=Count.of(pairs),
        up=moved[0],
        same=moved[1],
        down=moved[2],
        mean_change=Measure(mean([b - a for a, b in pairs.values()]), len(pairs)),
        matrix=matrix,
    )
