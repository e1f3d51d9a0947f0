"""The report's charts as static SVG, drawn from the same figures and words as its tables.

Every mark comes from a figure's `shown` value (None when suppressed) and every label from
`Words.brief`, so a chart shows nothing a table does not: a hidden figure is no bar, only
the word "hidden" in the hidden style. Nothing is loaded from the network and no script
runs; the page styles the charts (`.chart` in report.html.j2).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from bot.research import svg
from bot.research.attendance import OUTCOME_LABELS, Attendance
from bot.research.engagement import MOODS, Funnel, MoodWeek, Response, Silence
from bot.research.instrument import PILOT_N
from bot.research.ladder import RUNGS, Ladder
from bot.research.suppress import Count, Measure, Share, Shown, shown
from bot.research.survey import ItemChange, Surveys
from bot.research.texts import Words

Figure = Count | Share | Measure
STYLES = ("s0", "s1", "s2", "s3", "s4", "s5")


def kind_key(label: str) -> str:
    """ "Check-ins" → "kind.checkins": the catalog key of a kind of question."""
    return "kind." + label.lower().replace("-", "")


def item_name(words: Words, change: ItemChange) -> str:
    """The item's short name from the catalog, else its question, else its id."""
    key = f"item.{change.item.id}"
    return words.t(key) if words.has(key) else change.item.label


class Charts:
    """Draws the report's charts in one language and numbers them chart-1, chart-2, …"""

    def __init__(self, words: Words) -> None:
        self.w = words
        self.count = 0

    def _id(self) -> str:
        self.count += 1
        return f"chart-{self.count}"

    def mark(self, f: Figure, percent: bool = False) -> svg.Mark:
        value = f.shown
        label = self.w.brief(f)
        hidden = shown(f) in (Shown.FEW, Shown.WITHHELD)
        title = self.w.figure(f) if hidden else ""
        if value is None:
            return svg.Mark(None, label, hidden, title)
        return svg.Mark(100 * value if percent else float(value), label)

    def series(
        self, name: str, figures: Sequence[Figure], n: int, percent: bool = False
    ) -> svg.Series:
        return svg.Series(name, tuple(self.mark(f, percent) for f in figures), STYLES[n])

    def bars(
        self,
        categories: Sequence[str],
        series: Sequence[tuple[str, Sequence[Figure], int]],
        axis: str,
        percent: bool = False,
    ) -> Markup:
        """Horizontal bars, or "" when every figure is hidden (the page then says so)."""
        if not _visible([f for _, figures, _ in series for f in figures]):
            return Markup("")
        drawn = [self.series(name, figures, n, percent) for name, figures, n in series]
        return Markup(
            svg.hbars(self._id(), categories, drawn, axis, percent=percent, comma=self.w.comma)
        )

    # --- the report's charts ----------------------------------------------------------

    def funnel(self, f: Funnel) -> Markup:
        steps = [self.w.t(f"reach.{k}") for k in ("invited", "linked", "consented", "active")]
        counts = [f.invited, f.linked, f.consented, f.active]
        return self.bars(steps, [("", counts, 0)], self.w.t("reach.people"))

    def responses(self, rows: Sequence[Response]) -> Markup:
        names = [self.w.t(kind_key(r.label)) for r in rows]
        rates = [r.rate for r in rows]
        return self.bars(names, [("", rates, 0)], self.w.t("answers.axis"), percent=True)

    def attendance(self, a: Attendance) -> Markup:
        names = [self.w.t(f"answer.{answer}") for answer, _ in a.table]
        series = [
            (self.w.t(f"outcome.{o}"), [cells[i] for _, cells in a.table], (0, 1, 3)[i])
            for i, o in enumerate(OUTCOME_LABELS)
        ]
        return self.bars(names, series, self.w.t("attendance.axis"))

    def no_show(self, a: Attendance) -> Markup:
        rates = [m.no_show_rate for m in a.months]
        if not _visible(rates):
            return Markup("")
        return Markup(
            svg.month_bars(
                self._id(),
                [m.month for m in a.months],
                [self.series("", rates, 3, percent=True)],
                self.w.t("attendance.months_axis"),
                self.w.month,
                percent=True,
                comma=self.w.comma,
            )
        )

    def moods(self, weeks: Sequence[MoodWeek]) -> Markup:
        """Weeks across at their dates (a week without answers is an empty column)."""
        if not _visible([c for w in weeks for c in w.moods]):
            return Markup("")
        cells = [[self.mark(w.moods[i]) for w in weeks] for i in range(len(MOODS))]
        key = [(self.w.t("hidden.short"), "hidden"), (self.w.t("moods.empty_week"), "empty")]
        return Markup(
            svg.week_heatmap(
                self._id(),
                [w.week for w in weeks],
                [self.w.t(f"mood.{m}") for m in MOODS],
                cells,
                self.w.t("moods.axis"),
                self.w.short_day,
                self.w.month,
                key,
            )
        )

    def silence(self, s: Silence) -> Markup:
        if not _visible([c for m in s.months for c in (m.silent, m.unreachable)]):
            return Markup("")
        series = [
            self.series(self.w.t("silence.series_silent"), [m.silent for m in s.months], 1),
            self.series(
                self.w.t("silence.series_unreachable"), [m.unreachable for m in s.months], 3
            ),
        ]
        return Markup(
            svg.month_bars(
                self._id(),
                [m.month for m in s.months],
                series,
                self.w.t("silence.axis"),
                self.w.month,
                comma=self.w.comma,
            )
        )

    def ladder(self, lad: Ladder) -> Markup:
        names = [f"{n}. {self.w.t(f'rung.{n}')}" for n in RUNGS]
        series = [
            (self.w.t("ladder.at_intake"), lad.at_intake, 5),
            (self.w.t("ladder.at_end"), lad.at_end, 0),
            (self.w.t("ladder.latest"), lad.latest, 2),
        ]
        return self.bars(names, series, self.w.t("ladder.axis"))

    def survey_means(self, s: Surveys) -> Markup:
        rows = [c for c in s.items if not (c.t0_mean.hidden and c.t1_mean.hidden)]
        if not rows:
            return Markup("")
        names = [item_name(self.w, c) for c in rows]

        def kind(label: str, style: str, shape: str, values: list[Measure]) -> svg.Dots:
            return svg.Dots(
                label,
                style,
                shape,
                tuple(m.shown for m in values),
                tuple(
                    self.w.t("survey.tip_mean", item=n, value=self.w.figure(m, 2))
                    for n, m in zip(names, values, strict=True)
                ),
            )

        kinds = [
            kind(self.w.t("survey.series_t0"), "s5", "circle", [c.t0_mean for c in rows]),
            kind(self.w.t("survey.series_t1"), "s0", "diamond", [c.t1_mean for c in rows]),
        ]
        if any(c.item.baseline is not None for c in rows):
            pilot = [
                Measure(c.item.baseline.mean if c.item.baseline else None, PILOT_N) for c in rows
            ]
            kinds.append(kind(self.w.t("survey.series_pilot", n=PILOT_N), "pilot", "tick", pilot))
        return Markup(
            svg.dots(self._id(), names, kinds, self.w.t("survey.means_axis"), comma=self.w.comma)
        )

    def survey_change(self, s: Surveys) -> Markup:
        rows = [c for c in s.items if c.diff.shown is not None and c.low.shown is not None]
        if not rows:
            return Markup("")
        names = [item_name(self.w, c) for c in rows]
        points = [
            (
                c.diff.shown or 0.0,
                c.low.shown or 0.0,
                c.high.shown or 0.0,
                self.w.t(
                    "survey.tip_change",
                    item=name,
                    change=self.w.figure(c.diff, 2, signed=True),
                    low=self.w.figure(c.low, 2),
                    high=self.w.figure(c.high, 2),
                    n=self.w.figure(c.pairs),
                ),
            )
            for c, name in zip(rows, names, strict=True)
        ]
        return Markup(
            svg.intervals(
                self._id(), names, points, self.w.t("survey.change_axis"), comma=self.w.comma
            )
        )

    def caseload(self, names: Sequence[str], counts: Sequence[Count]) -> Markup:
        return self.bars(names, [("", counts, 0)], self.w.t("coaches.axis"))


def _visible(figures: Sequence[Figure]) -> bool:
    return any(f.shown is not None for f in figures)
