"""The engagement report: figures → one self-contained HTML page, and a short text summary,
in the coordinator's language (Dutch by default, or English: `bot.research.texts`).

`build_report` is what the CLI and the chat's `/report` call; everything below it is pure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined, Template, select_autoescape

from bot.clock import DEFAULT_TZ, Clock, SystemClock
from bot.errors import CoachbotError
from bot.research import charts
from bot.research.attendance import OUTCOME_LABELS
from bot.research.engagement import MOODS
from bot.research.figures import Figures, compute
from bot.research.instrument import PILOT_N
from bot.research.ladder import RUNGS
from bot.research.rows import Scope, Snapshot, coach_ids_named, load
from bot.research.suppress import MIN_GROUP
from bot.research.survey import Item, items_from_content
from bot.research.texts import Words
from storage.db import Database


class UnknownCoach(CoachbotError, ValueError):
    """--coach names nobody with the coach role (still a ValueError, as it was)."""


def period(scope: Scope, w: Words) -> str:
    """ "1 apr 2026 – 30 sep 2026", "het begin – 30 sep 2026" or "vanaf het begin"."""
    if scope.start is None and scope.end is None:
        return w.t("period.all")
    start = w.day(scope.start) if scope.start else w.t("period.start")
    end = w.day(scope.end) if scope.end else w.t("period.today")
    return w.t("period.range", start=start, end=end)


def item_scale(w: Words, item: Item) -> str:
    """ "1 = Slecht … 5 = Uitstekend" for a choice item with scores ("" otherwise)."""
    ends = item.scale_ends()
    if ends is None:
        return ""
    (a, low), (b, high) = ends
    return f"{w.number(a)} = {low} … {w.number(b)} = {high}"


@cache
def _template() -> Template:
    """The page template, compiled once per process."""
    env = Environment(
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    source = resources.files("bot.research").joinpath("report.html.j2").read_text("utf-8")
    return env.from_string(source)


def render_html(figures: Figures, generated: datetime, words: Words | None = None) -> str:
    """The whole page, in the language of `words` (Dutch by default); charts are inline SVG."""
    w = words or Words.load(tz=figures.scope.tz)
    c = charts.Charts(w)
    a, s, lad, sv = figures.attendance, figures.silence, figures.ladder, figures.surveys
    chart = {
        "funnel": c.funnel(figures.funnel),
        "responses": c.responses(figures.responses),
        "attendance": c.attendance(a) if a.has_data else "",
        "no_show": c.no_show(a) if a.has_data else "",
        "moods": c.moods(figures.moods) if figures.moods else "",
        "silence": c.silence(s) if s.months else "",
        "ladder": c.ladder(lad) if lad.has_data else "",
        "means": c.survey_means(sv) if sv.has_data else "",
        "change": c.survey_change(sv) if sv.has_data else "",
        "caseload": c.caseload(
            [r.name for r in figures.coaches], [r.caseload for r in figures.coaches]
        )
        if figures.coaches
        else "",
    }
    page: dict[str, Any] = {
        "f": figures,
        "lang": w.language,
        "t": w.t,
        "v": w.cell,
        "fig": w.figure,
        "day": w.day,
        "month": w.month,
        "kind": lambda label: w.t(charts.kind_key(label)),
        "item_name": lambda change: charts.item_name(w, change),
        "item_scale": lambda item: item_scale(w, item),
        "number": w.number,
        "period": period(figures.scope, w),
        "coaches_label": ", ".join(figures.coach_names) or w.t("coaches.all"),
        "generated": w.moment(generated),
        "min_group": MIN_GROUP,
        "outcomes": list(OUTCOME_LABELS),
        "moods": MOODS,
        "rungs": list(RUNGS),
        "pilot_n": PILOT_N,
        "chart": chart,
        "chart_count": c.count,
    }
    return _template().render(page)


def summary(figures: Figures, words: Words | None = None) -> str:
    """A few plain lines for the chat, with the same suppression as the page."""
    w = words or Words.load(tz=figures.scope.tz)
    f, lad = figures.funnel, figures.ladder
    b = w.brief
    lines = [
        w.t(
            "summary.title",
            period=period(figures.scope, w),
            coaches=", ".join(figures.coach_names) or w.t("coaches.all"),
        ),
        w.t(
            "summary.reached",
            invited=b(f.invited),
            linked=b(f.linked),
            consented=b(f.consented),
            active=b(f.active),
        ),
        w.t(
            "summary.answered",
            parts=", ".join(
                w.t(
                    "summary.answered_part",
                    kind=w.t(charts.kind_key(r.label)).lower(),
                    rate=b(r.rate),
                    median=b(r.median_reply_s, time=True),
                )
                for r in figures.responses
            ),
        ),
    ]
    if figures.attendance.has_data:
        lines.append(w.t("summary.missed", rate=b(figures.attendance.no_show_rate)))
    else:
        lines.append(w.t("summary.no_attendance"))
    if lad.pairs.n:
        lines.append(w.t("summary.ladder", up=b(lad.up), pairs=b(lad.pairs), down=b(lad.down)))
    shown = [c for c in figures.surveys.items if not c.diff.hidden]
    if shown:
        parts = ", ".join(
            f"{charts.item_name(w, c)} {b(c.diff, 1, signed=True)}" for c in shown[:5]
        )
        lines.append(w.t("summary.change", parts=parts + (" …" if len(shown) > 5 else "")))
    lines.append(w.t("summary.rule", n=MIN_GROUP, hidden=w.t("hidden.short")))
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
    language: str | None = None,
) -> tuple[str, str]:
    """(html, short text summary) of the engagement report, in `language` ("nl" or "en";
    any other code gives Dutch).

    `items` describes the questionnaire; by default it is read from `content` (or the
    shipped content when that is None too), with its questions in the report's language.
    """
    words = Words.load(language, tz, getattr(content, "directory", None))
    snapshot = await load(db)
    scope, names = make_scope(snapshot, start=start, end=end, coach=coach, tz=tz)
    if items is None:
        source = content if content is not None else shipped_content()
        items = items_from_content(source, words.language)
    now = (clock or SystemClock()).now().astimezone(UTC)

    def make() -> tuple[str, str]:
        figures = compute(snapshot, scope, items or (), names)
        return render_html(figures, now, words), summary(figures, words)

    # Computing and rendering take a moment: keep the bot's event loop free meanwhile.
    return await asyncio.to_thread(make)


@cache
def shipped_content() -> Any:
    """The shipped flows and messages, or None when they do not load (read once: they are
    the files installed with the bot, and checking them takes seconds)."""
    from bot.content.bundle import check_content, shipped_content_dir

    return check_content(shipped_content_dir())[0]
