"""Charts for the report, made with plotly; every chart is an HTML fragment.

plotly.js is embedded once, inline, with the first chart (`include_plotlyjs=True`), and the
later charts reuse it, so the page opens without network. Hidden figures ("<5") are drawn as
an empty bar labelled "<5", never with their value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from bot.research.attendance import ANSWER_LABELS, OUTCOME_LABELS, Attendance
from bot.research.engagement import MOODS, Funnel, MoodWeek, Response, Silence
from bot.research.instrument import PILOT_N
from bot.research.ladder import RUNGS, Ladder
from bot.research.suppress import Count, Measure, Share
from bot.research.survey import Surveys

COLOURS = ("#1b6ca8", "#e08a1e", "#3a9d5d", "#c2413b", "#7b5ea7", "#8c8c8c")
MOOD_LABELS = {"great": "great", "okay": "okay", "not_great": "not great", "bad": "bad"}
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}

Figure = Count | Share | Measure


class Charts:
    """Turns plotly figures into HTML fragments, putting plotly.js in the first one only."""

    def __init__(self) -> None:
        self.count = 0

    def html(self, fig: go.Figure | None) -> str:
        if fig is None:
            return ""
        self.count += 1
        fig.update_layout(
            template="plotly_white",
            margin={"l": 10, "r": 10, "t": 30, "b": 10},
            font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
            height=fig.layout.height or 320,
        )
        if fig.layout.legend.y is None:
            fig.update_layout(legend={"orientation": "h", "y": -0.2})
        fig.update_xaxes(automargin=True)
        fig.update_yaxes(automargin=True)
        if any(getattr(trace, "type", "") == "bar" for trace in fig.data):
            fig.update_xaxes(rangemode="tozero")
            fig.update_yaxes(rangemode="tozero")
        html: str = fig.to_html(
            full_html=False,
            include_plotlyjs=self.count == 1,
            config=CONFIG,
            div_id=f"chart-{self.count}",
        )
        return html


def _values(figures: Sequence[Figure], percent: bool = False) -> tuple[list[float], list[str]]:
    """Heights (0 when hidden) and labels ("<5" when hidden)."""
    heights, labels = [], []
    for f in figures:
        value = f.shown
        if value is None:
            heights.append(0.0)
            labels.append(str(f) if f.hidden else "–")
        elif percent:
            heights.append(100 * value)
            labels.append(f"{value:.0%}")
        else:
            heights.append(float(value))
            labels.append(str(f))
    return heights, labels


def _visible(figures: Sequence[Figure]) -> bool:
    return any(f.shown is not None for f in figures)


def _bar(
    names: Sequence[str],
    figures: Sequence[Figure],
    *,
    name: str = "",
    colour: str = COLOURS[0],
    horizontal: bool = False,
    percent: bool = False,
) -> go.Bar:
    heights, labels = _values(figures, percent)
    axis: dict[str, Any] = (
        {"x": heights, "y": list(names), "orientation": "h"}
        if horizontal
        else {"x": list(names), "y": heights}
    )
    return go.Bar(
        **axis,
        name=name,
        text=labels,
        textposition="outside",
        cliponaxis=False,
        marker_color=colour,
        hovertemplate="%{text}<extra>" + name + "</extra>",
    )


def funnel(f: Funnel) -> go.Figure | None:
    steps = ["invited", "linked to the bot", "consented", "active"]
    counts = [f.invited, f.linked, f.consented, f.active]
    if not _visible(counts):
        return None
    fig = go.Figure(_bar(steps, counts, horizontal=True))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=260, showlegend=False, xaxis_title="people")
    return fig


def responses(rows: Sequence[Response]) -> go.Figure | None:
    if not _visible([r.rate for r in rows]):
        return None
    fig = go.Figure(_bar([r.label for r in rows], [r.rate for r in rows], percent=True))
    fig.update_layout(showlegend=False, yaxis={"title": "answered (%)", "range": [0, 110]})
    return fig


def attendance_by_answer(a: Attendance) -> go.Figure | None:
    if not _visible([c for _, cells in a.table for c in cells]):
        return None
    names = [ANSWER_LABELS[answer] for answer, _ in a.table]
    fig = go.Figure(
        [
            _bar(names, [cells[i] for _, cells in a.table], name=label, colour=COLOURS[i])
            for i, label in enumerate(OUTCOME_LABELS.values())
        ]
    )
    fig.update_layout(barmode="group", yaxis_title="appointments")
    return fig


def no_show_by_month(a: Attendance) -> go.Figure | None:
    if not _visible([m.no_show_rate for m in a.months]):
        return None
    months = [m.month.strftime("%b %Y") for m in a.months]
    fig = go.Figure(
        _bar(months, [m.no_show_rate for m in a.months], percent=True, colour=COLOURS[3])
    )
    fig.update_layout(showlegend=False, yaxis={"title": "did not come (%)", "range": [0, 110]})
    return fig


def moods(weeks: Sequence[MoodWeek]) -> go.Figure | None:
    """A heatmap: weeks across, moods down; hidden cells are blank with "<5"."""
    if not _visible([c for w in weeks for c in w.moods]):
        return None
    x = [w.week.strftime("%d %b") for w in weeks]
    z = [[w.moods[i].shown for w in weeks] for i in range(len(MOODS))]
    text = [[str(w.moods[i]) for w in weeks] for i in range(len(MOODS))]
    fig = go.Figure(
        go.Heatmap(
            x=x,
            y=[MOOD_LABELS[m] for m in MOODS],
            z=z,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
            hoverongaps=False,
            hovertemplate="week of %{x}: %{text} × %{y}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=240, xaxis_title="week starting")
    return fig


def silence(s: Silence) -> go.Figure | None:
    if not _visible([c for m in s.months for c in (m.silent, m.unreachable)]):
        return None
    months = [m.month.strftime("%b %Y") for m in s.months]
    fig = go.Figure(
        [
            _bar(months, [m.silent for m in s.months], name="flagged silent", colour=COLOURS[1]),
            _bar(months, [m.unreachable for m in s.months], name="unreachable", colour=COLOURS[3]),
        ]
    )
    fig.update_layout(barmode="group", yaxis_title="people")
    return fig


def ladder(lad: Ladder) -> go.Figure | None:
    if not _visible([*lad.at_intake, *lad.at_end, *lad.latest]):
        return None
    names = [f"{n}. {label}" for n, label in RUNGS.items()]
    fig = go.Figure(
        [
            _bar(names, lad.at_intake, name="at intake", colour=COLOURS[5], horizontal=True),
            _bar(names, lad.at_end, name="at the end", colour=COLOURS[0], horizontal=True),
            _bar(names, lad.latest, name="latest record", colour=COLOURS[2], horizontal=True),
        ]
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(barmode="group", xaxis_title="people", height=420)
    return fig


def survey_means(s: Surveys) -> go.Figure | None:
    shown = [c for c in s.items if not (c.t0_mean.hidden and c.t1_mean.hidden)]
    if not shown:
        return None
    labels = [c.item.id for c in shown]
    fig = go.Figure(
        [
            go.Scatter(
                x=[c.t0_mean.shown for c in shown],
                y=labels,
                mode="markers",
                name="T0 (intake)",
                marker={"size": 11, "color": COLOURS[5]},
                hovertemplate="%{y}: %{x:.2f}<extra>T0</extra>",
            ),
            go.Scatter(
                x=[c.t1_mean.shown for c in shown],
                y=labels,
                mode="markers",
                name="T1 (end)",
                marker={"size": 11, "color": COLOURS[0], "symbol": "diamond"},
                hovertemplate="%{y}: %{x:.2f}<extra>T1</extra>",
            ),
        ]
    )
    pilot = [c for c in shown if c.item.baseline is not None]
    if pilot:
        fig.add_trace(
            go.Scatter(
                x=[c.item.baseline.mean for c in pilot if c.item.baseline is not None],
                y=[c.item.id for c in pilot],
                mode="markers",
                name=f"pilot T0 (N={PILOT_N})",
                marker={"size": 13, "color": "#5f6b7a", "symbol": "line-ns-open"},
                hovertemplate="%{y}: %{x:.2f}<extra>pilot T0</extra>",
            )
        )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        height=max(240, 34 * len(shown) + 90),
        xaxis_title="mean",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )
    return fig


def survey_change(s: Surveys) -> go.Figure | None:
    shown = [c for c in s.items if not c.diff.hidden and c.low.shown is not None]
    if not shown:
        return None
    diffs = [c.diff.shown or 0.0 for c in shown]
    fig = go.Figure(
        go.Scatter(
            x=diffs,
            y=[c.item.id for c in shown],
            mode="markers",
            marker={"size": 11, "color": COLOURS[0]},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [(c.high.shown or 0.0) - d for c, d in zip(shown, diffs, strict=True)],
                "arrayminus": [d - (c.low.shown or 0.0) for c, d in zip(shown, diffs, strict=True)],
                "color": COLOURS[0],
            },
            text=[
                f"{c.diff.format('.2f', signed=True)} [{c.low.format('.2f')}, "
                f"{c.high.format('.2f')}], N={c.pairs}"
                for c in shown
            ],
            hovertemplate="%{y}: %{text}<extra></extra>",
            showlegend=False,
        )
    )
    fig.add_vline(x=0, line_dash="dot", line_color="#666")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=max(240, 34 * len(shown) + 90), xaxis_title="change T1 − T0 (95% CI)")
    return fig


def caseload(names: Sequence[str], counts: Sequence[Count]) -> go.Figure | None:
    if not _visible(counts):
        return None
    fig = go.Figure(_bar(names, counts, horizontal=True))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        showlegend=False, height=max(200, 40 * len(names) + 80), xaxis_title="participants now"
    )
    return fig
