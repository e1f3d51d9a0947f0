"""The engagement report: figures → one self-contained HTML page, and a short text summary.

`build_report` is what the CLI and the chat's `/report` call; everything below it is pure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined, select_autoescape
from markupsafe import Markup

from bot.clock import DEFAULT_TZ, Clock, SystemClock
from bot.errors import CoachbotError
from bot.research import charts
from bot.research.attendance import ANSWER_LABELS, OUTCOME_LABELS
from bot.research.engagement import MOODS
from bot.research.figures import Figures, compute
from bot.research.instrument import PILOT_N
from bot.research.ladder import RUNGS
from bot.research.rows import Scope, Snapshot, coach_ids_named, load
from bot.research.suppress import HIDDEN, MIN_GROUP, Measure
from bot.research.survey import Item, items_from_content
from storage.db import Database


class UnknownCoach(CoachbotError, ValueError):
    """--coach names nobody with the coach role (still a ValueError, as it was)."""


def duration(m: Measure) -> str:
    """A median reply time as "45 s", "12 min", "3 h 5 min" or "2 d 4 h" ("<5" when hidden)."""
    if m.people < MIN_GROUP:
        return HIDDEN
    if m.value is None:
        return "–"
    s = round(m.value)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def day(d: date | datetime) -> str:
    return f"{d.day} {d:%b %Y}"


def period(scope: Scope) -> str:
    if scope.start is None and scope.end is None:
        return "all time"
    start = day(scope.start) if scope.start else "the start"
    end = day(scope.end) if scope.end else "today"
    return f"{start} – {end}"


def _environment() -> Environment:
    env = Environment(
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(duration=duration, day=day)
    return env


def render_html(figures: Figures, generated: datetime) -> str:
    """The whole page; charts are plotly fragments, plotly.js inline in the first one."""
    c = charts.Charts()
    a, s, lad, sv = figures.attendance, figures.silence, figures.ladder, figures.surveys
    page: dict[str, Any] = {
        "f": figures,
        "period": period(figures.scope),
        "coaches_label": ", ".join(figures.coach_names) or "all coaches",
        "generated": generated.astimezone(figures.scope.tz).strftime("%d %b %Y %H:%M"),
        "min_group": MIN_GROUP,
        "answer_labels": ANSWER_LABELS,
        "outcome_labels": list(OUTCOME_LABELS.values()),
        "moods": [charts.MOOD_LABELS[m] for m in MOODS],
        "rungs": RUNGS,
        "pilot_n": PILOT_N,
    }
    chart = {
        "funnel": c.html(charts.funnel(figures.funnel)),
        "responses": c.html(charts.responses(figures.responses)),
        "attendance": c.html(charts.attendance_by_answer(a)) if a.has_data else "",
        "no_show": c.html(charts.no_show_by_month(a)) if a.has_data else "",
        "moods": c.html(charts.moods(figures.moods)) if figures.moods else "",
        "silence": c.html(charts.silence(s)) if s.months else "",
        "ladder": c.html(charts.ladder(lad)) if lad.has_data else "",
        "means": c.html(charts.survey_means(sv)) if sv.has_data else "",
        "change": c.html(charts.survey_change(sv)) if sv.has_data else "",
        "caseload": c.html(
            charts.caseload(
                [r.name for r in figures.coaches], [r.caseload for r in figures.coaches]
            )
        )
        if figures.coaches
        else "",
    }
    page["chart"] = {k: Markup(v) for k, v in chart.items()}
    page["chart_count"] = c.count
    source = resources.files("bot.research").joinpath("report.html.j2").read_text("utf-8")
    return _environment().from_string(source).render(page)


def summary(figures: Figures) -> str:
    """A few plain lines for the chat, with the same suppression as the page."""
    f, lad = figures.funnel, figures.ladder
    lines = [
        f"Engagement report, {period(figures.scope)}, "
        f"{', '.join(figures.coach_names) or 'all coaches'}",
        f"Reached: {f.invited} invited, {f.linked} linked, {f.consented} consented, "
        f"{f.active} active",
        "Answered: "
        + ", ".join(
            f"{r.label.lower()} {r.rate} (median reply {duration(r.median_reply_s)})"
            for r in figures.responses
        ),
    ]
    if figures.attendance.has_data:
        lines.append(f"Did not come: {figures.attendance.no_show_rate} of appointments")
    else:
        lines.append("Attendance: no data yet")
    if lad.pairs.n:
        lines.append(f"Ladder: {lad.up} of {lad.pairs} moved up, {lad.down} moved down")
    shown = [c for c in figures.surveys.items if not c.diff.hidden]
    if shown:
        lines.append(
            "T0→T1: "
            + ", ".join(f"{c.item.id} {c.diff.format('.1f', signed=True)}" for c in shown[:5])
            + (" …" if len(shown) > 5 else "")
        )
    lines.append(f"Figures about fewer than {MIN_GROUP} people show as {HIDDEN}.")
    return "\n".join(lines)


def make_scope(
    snapshot: Snapshot,
    *,
    start: date | None,
    end: date | None,
    coach: str | None,
    tz: tzinfo,
) -> tuple[Scope, tuple[str, ...]]:
    """The scope for a coach name (raises UnknownCoach) and period."""
    if coach:
        ids = coach_ids_named(snapshot, coach)
        if not ids:
            raise UnknownCoach(f"no coach called {coach!r}")
        names = tuple(sorted({p.staff_name or "" for p in snapshot.coaches() if p.id in ids}))
        return Scope(tz, start, end, ids), names
    return Scope(tz, start, end), ()


async def build_report(
    db: Database,
    *,
    start: date | None = None,
    end: date | None = None,
    coach: str | None = None,
    tz: tzinfo = DEFAULT_TZ,
    items: Sequence[Item] | None = None,
    content: Any = None,
    clock: Clock | None = None,
) -> tuple[str, str]:
    """(html, short text summary) of the engagement report.

    `items` describes the questionnaire; by default it is read from `content` (or the
    shipped content when that is None too).
    """
    snapshot = await load(db)
    scope, names = make_scope(snapshot, start=start, end=end, coach=coach, tz=tz)
    if items is None:
        items = items_from_content(content if content is not None else shipped_content())
    now = (clock or SystemClock()).now().astimezone(UTC)

    def make() -> tuple[str, str]:
        figures = compute(snapshot, scope, items or (), names)
        return render_html(figures, now), summary(figures)

    # Computing and rendering take a moment (plotly.js alone is megabytes): keep the
    # bot's event loop free meanwhile.
    return await asyncio.to_thread(make)


def shipped_content() -> Any:
    """The shipped flows and messages, or None when they do not load."""
    from bot.content.bundle import check_content, shipped_content_dir

    return check_content(shipped_content_dir())[0]
