"""All figures of the engagement report, computed from a snapshot: pure, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.research.attendance import Attendance, attendance
from bot.research.coaches import CoachRow, coaches
from bot.research.engagement import Funnel, MoodWeek, Response, Silence, funnel, moods
from bot.research.engagement import responses as response_figures
from bot.research.engagement import silence as silence_figures
from bot.research.ladder import Ladder, ladder
from bot.research.rows import Scope, Snapshot
from bot.research.suppress import Count
from bot.research.survey import Item, Surveys, surveys


@dataclass(frozen=True)
class Figures:
    scope: Scope
    coach_names: tuple[str, ...]  # the selected coaches (empty: all)
    participants: Count  # participants of the selected coaches, all statuses
    funnel: Funnel
    responses: tuple[Response, ...]
    attendance: Attendance
    moods: tuple[MoodWeek, ...]
    silence: Silence
    ladder: Ladder
    surveys: Surveys
    coaches: tuple[CoachRow, ...]


def compute(
    snapshot: Snapshot,
    scope: Scope,
    items: Sequence[Item] = (),
    coach_names: Sequence[str] = (),
) -> Figures:
    """Every figure of the report for `scope`."""
    return Figures(
        scope=scope,
        coach_names=tuple(coach_names),
        participants=Count.of({p.id for p in snapshot.participants() if scope.covers(p)}),
        funnel=funnel(snapshot, scope),
        responses=response_figures(snapshot, scope),
        attendance=attendance(snapshot, scope),
        moods=moods(snapshot, scope),
        silence=silence_figures(snapshot, scope),
        ladder=ladder(snapshot, scope),
        surveys=surveys(snapshot, scope, items),
        coaches=coaches(snapshot, scope),
    )
