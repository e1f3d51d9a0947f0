"""Small static SVG charts: bars, bars on a month axis, a week heatmap, dots and intervals.

Pure functions of plain values. A `Mark` carries the number to draw (None: draw nothing) and
the label to print, both decided and worded by the caller, so suppression stays in one place
(`bot.research.suppress`) and the charts print exactly the words of the tables. Text is
escaped here; the page's stylesheet gives the classes their colours (`.s0`…`.s5`, `.hid`).

Time axes are true to time: a month or week without data keeps its place, empty, so a gap
in the data is a gap in the chart (30 Nov, 7 Dec, 28 Dec: two empty weeks before 28 Dec).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from markupsafe import escape

WIDTH = 400  # the viewBox width: 12 px text reads as 15 px on a desktop, 11 px on a phone
FONT = 12
LINE = 15  # line height of wrapped labels
CHAR = 6.7  # average width of a character at FONT, for label columns
VALUE_ROOM = 58  # right of the longest bar, for its label


@dataclass(frozen=True)
class Mark:
    """One bar or cell: `value` to draw (None: nothing), `label` to print, `hidden` when the
    label is a hidden figure's words (printed in the hidden style), `title` as tooltip."""

    value: float | None
    label: str = ""
    hidden: bool = False
    title: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    marks: tuple[Mark, ...]
    style: str = "s0"  # a class of the page's stylesheet


@dataclass
class Canvas:
    """Collects SVG elements; `done` wraps them in one <svg> with a title for screen readers."""

    chart_id: str
    width: float
    parts: list[str] = field(default_factory=list)

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(
        self,
        x: float,
        y: float,
        words: str,
        cls: str = "",
        anchor: str = "start",
        title: str = "",
        rotate: bool = False,
    ) -> None:
        attrs = f' class="{cls}"' if cls else ""
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if rotate:
            attrs += f' transform="rotate(-90 {x:.1f} {y:.1f})"'
        tip = f"<title>{escape(title)}</title>" if title else ""
        self.add(f'<text x="{x:.1f}" y="{y:.1f}"{attrs}>{tip}{escape(words)}</text>')

    def rect(self, x: float, y: float, w: float, h: float, cls: str, title: str = "") -> None:
        tip = f"<title>{escape(title)}</title>" if title else ""
        end = f">{tip}</rect>" if tip else "/>"
        self.add(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" class="{cls}"{end}'
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, cls: str) -> None:
        self.add(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" class="{cls}"/>')

    def done(self, height: float, label: str, wide: bool = False) -> str:
        # At most 1.3 times its size (text 16 px); a wide chart keeps 10 px text and scrolls.
        style = f"max-width:{self.width * 1.3:.0f}px"
        if wide:
            style += f";min-width:{self.width * 0.85:.0f}px"
        return (
            f'<svg class="chart" id="{self.chart_id}" viewBox="0 0 {self.width:.0f} {height:.0f}" '
            f'role="img" aria-label="{escape(label)}" style="{style}">'
            + "".join(self.parts)
            + "</svg>"
        )


def wrap(words: str, chars: int, lines: int = 3) -> list[str]:
    """`words` in lines of at most `chars` characters (a longer word gets a line of its own)."""
    out: list[str] = []
    for word in words.split():
        if out and len(out[-1]) + 1 + len(word) <= chars:
            out[-1] += " " + word
        else:
            out.append(word)
    if len(out) > lines:
        out = [*out[: lines - 1], " ".join(out[lines - 1 :])]
    return out or [""]


def ticks(top: float, most: int = 6) -> list[float]:
    """Round steps from 0 to at least `top`: ticks(42) → 0, 10, 20, 30, 40, 50."""
    if top <= 0:
        return [0.0, 1.0]
    for power in range(math.floor(math.log10(top)) - 1, 12):
        for base in (1, 2, 2.5, 5):
            step = base * 10.0**power
            if math.ceil(top / step) <= most - 1:
                return [step * i for i in range(math.ceil(top / step) + 1)]
    return [0.0, top]


def number(value: float, comma: bool = False) -> str:
    """A tick label: 40, 2.5 (2,5 with a decimal comma)."""
    text = f"{value:g}"
    return text.replace(".", ",") if comma else text


def legend(c: Canvas, x: float, y: float, entries: Sequence[tuple[str, str]]) -> float:
    """Swatches and names from (x, y), wrapping at the canvas width; returns the height."""
    start, height = x, LINE + 4
    for name, style in entries:
        width = 16 + len(name) * CHAR + 14
        if x + width > c.width and x > start:
            x, y, height = start, y + LINE + 2, height + LINE + 2
        c.rect(x, y - 9, 10, 10, style)
        c.text(x + 14, y, name)
        x += width
    return height


def _label_width(labels: Sequence[str], chars: int) -> float:
    longest = max((len(line) for label in labels for line in wrap(label, chars)), default=4)
    return min(chars, longest) * CHAR + 10


def hbars(
    chart_id: str,
    categories: Sequence[str],
    series: Sequence[Series],
    axis: str,
    *,
    percent: bool = False,
    label_chars: int = 22,
    comma: bool = False,
) -> str:
    """Horizontal bars, grouped when there are several series; values are printed at the end
    of each bar, hidden ones as words in the hidden style where the bar would start."""
    c = Canvas(chart_id, WIDTH)
    top = 4.0
    if len(series) > 1:
        top += legend(c, 0, top + 10, [(s.name, s.style) for s in series]) + 2
    x0 = _label_width(categories, label_chars)
    x1 = WIDTH - VALUE_ROOM
    shown = [m.value for s in series for m in s.marks if m.value is not None]
    scale = ticks(100.0 if percent else max(shown, default=1.0))
    span = scale[-1] or 1.0
    bar = 18.0 if len(series) == 1 else 12.0
    y = top + 4
    for i, name in enumerate(categories):
        lines = wrap(name, label_chars)
        block = len(series) * (bar + 2)
        height = max(block, len(lines) * LINE) + 10
        first = y + (height - len(lines) * LINE) / 2 + FONT - 1
        for n, text in enumerate(lines):
            c.text(x0 - 8, first + n * LINE, text, anchor="end")
        by = y + (height - block) / 2
        for s in series:
            mark = s.marks[i]
            mid = by + bar / 2 + 4
            if mark.value is not None:
                w = max(mark.value / span * (x1 - x0), 0.0)
                c.rect(x0, by, w, bar, f"bar {s.style}", mark.title or f"{s.name}: {mark.label}")
                c.text(x0 + w + 4, mid, mark.label, "v")
            elif mark.label:
                c.text(x0 + 4, mid, mark.label, "hid" if mark.hidden else "", title=mark.title)
            by += bar + 2
        y += height
    _x_axis(c, x0, x1, top, y, scale, axis, percent, comma)
    return c.done(y + 36, axis)


def _x_axis(
    c: Canvas,
    x0: float,
    x1: float,
    top: float,
    bottom: float,
    scale: list[float],
    title: str,
    pct: bool,
    comma: bool,
) -> None:
    span = scale[-1] or 1.0
    for t in scale:
        x = x0 + t / span * (x1 - x0)
        c.line(x, top, x, bottom, "grid")
        c.text(x, bottom + 14, number(t, comma) + ("%" if pct else ""), "tick", "middle")
    c.line(x0, top, x0, bottom, "axis")
    c.text((x0 + x1) / 2, bottom + 30, title, "title", "middle")


def months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def add_months(first: date, n: int) -> date:
    month = first.month - 1 + n
    return date(first.year + month // 12, month % 12 + 1, 1)


def month_bars(
    chart_id: str,
    months: Sequence[date],
    series: Sequence[Series],
    axis: str,
    month_label: Callable[[date, bool], str],
    *,
    percent: bool = False,
    comma: bool = False,
) -> str:
    """Vertical bars per month, each month in its own place from the first to the last (a
    month without data stays empty). `month_label(month, with_year)` names a month."""
    c = Canvas(chart_id, WIDTH)
    top = 4.0
    if len(series) > 1:
        top += legend(c, 0, top + 10, [(s.name, s.style) for s in series])
    c.text(0, top + 12, axis, "title")
    top += 26
    left, right, plot = 42.0, 6.0, 170.0
    first, last = min(months), max(months)
    slots = months_between(first, last) + 1
    slot = (WIDTH - left - right) / slots
    shown = [m.value for s in series for m in s.marks if m.value is not None]
    scale = ticks(100.0 if percent else max(shown, default=1.0))
    span = scale[-1] or 1.0
    base = top + plot
    for t in scale:
        y = base - t / span * plot
        c.line(left, y, WIDTH - right, y, "grid")
        c.text(left - 4, y + 4, number(t, comma) + ("%" if percent else ""), "tick", "end")
    c.line(left, base, WIDTH - right, base, "axis")
    bar = min(34.0, slot * 0.8 / len(series))
    where = {m: i for i, m in enumerate(months)}
    every = max(1, math.ceil(44 / slot))
    for s_ in range(slots):
        month = add_months(first, s_)
        x = left + s_ * slot
        if s_ % every == 0:
            with_year = s_ == 0 or month.month == 1
            c.text(x + slot / 2, base + 15, month_label(month, with_year), "tick", "middle")
        i = where.get(month)
        if i is None:
            continue
        bx = x + (slot - bar * len(series)) / 2
        for s in series:
            mark = s.marks[i]
            mid = bx + bar / 2
            if mark.value is not None:
                h = mark.value / span * plot
                c.rect(
                    bx, base - h, bar, h, f"bar {s.style}", mark.title or f"{s.name}: {mark.label}"
                )
                c.text(mid, base - h - 4, mark.label, "v small", "middle")
            elif mark.label:
                cls = "hid small" if mark.hidden else "small"
                c.text(mid + 4, base - 4, mark.label, cls, title=mark.title, rotate=True)
            bx += bar
    return c.done(base + 24, axis)


def week_heatmap(
    chart_id: str,
    weeks: Sequence[date],
    rows: Sequence[str],
    cells: Sequence[Sequence[Mark]],
    axis: str,
    day_label: Callable[[date], str],
    month_label: Callable[[date, bool], str],
    key: Sequence[tuple[str, str]],
) -> str:
    """Rows × weeks (Mondays); every week from the first to the last has its column, so a
    week without answers is an empty column. `cells[row][i]` belongs to `weeks[i]`; a hidden
    cell is hatched, without number. `key` explains the swatches: (words, class)."""
    first, last = min(weeks), max(weeks)
    columns = (last - first).days // 7 + 1
    x0 = _label_width(rows, 16)
    size = min(44.0, max(18.0, (WIDTH - x0 - 8) / columns))
    c = Canvas(chart_id, max(WIDTH, x0 + columns * size + 8))
    c.add(
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" '
        'class="hatch"/></pattern></defs>'
    )
    top, h = 4.0, 24.0
    shown = [m.value for row in cells for m in row if m.value is not None]
    most = max(shown, default=1.0) or 1.0
    for r, name in enumerate(rows):
        c.text(x0 - 8, top + r * h + h / 2 + 4, name, anchor="end")
    c.rect(x0, top, columns * size, len(rows) * h, "frame")
    for i, week in enumerate(weeks):
        x = x0 + (week - first).days // 7 * size
        for r in range(len(rows)):
            mark = cells[r][i]
            y = top + r * h
            if mark.value is None:
                c.add(
                    f'<rect x="{x + 1:.1f}" y="{y + 1:.1f}" width="{size - 2:.1f}" '
                    f'height="{h - 2:.1f}" fill="url(#{chart_id}-hatch)" class="cell hidden">'
                    f"<title>{escape(mark.title or mark.label)}</title></rect>"
                )
                continue
            level = mark.value / most
            c.rect(x + 1, y + 1, size - 2, h - 2, f"cell q{min(4, int(level * 5))}", mark.title)
            ink = "v on" if level * 5 >= 3 else "v"
            c.text(x + size / 2, y + h / 2 + 4, mark.label, f"{ink} small", "middle")
    base = top + len(rows) * h
    if columns <= 10:
        for n in range(columns):
            week = first + timedelta(weeks=n)
            c.text(x0 + (n + 0.5) * size, base + 15, day_label(week), "tick", "middle")
    else:
        month = date(first.year, first.month, 1)
        end = last + timedelta(days=7)
        shown_year = False
        while month < end:
            if month >= first:
                x = x0 + (month - first).days / 7 * size
                c.line(x, base, x, base + 6, "axis")
                label = month_label(month, not shown_year or month.month == 1)
                if x + 3 + len(label) * CHAR * 0.9 <= c.width:
                    c.text(x + 3, base + 16, label, "tick")
                    shown_year = True
            month = add_months(month, 1)
    c.text(x0 + columns * size / 2, base + 32, axis, "title", "middle")
    y, x = base + 52, x0
    for words, cls in key:
        fill = f' fill="url(#{chart_id}-hatch)"' if cls == "hidden" else ""
        c.add(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" class="cell {cls}"{fill}/>'
        )
        c.text(x + 16, y, words, "hid" if cls == "hidden" else "note")
        x += 16 + len(words) * CHAR + 18
    return c.done(y + 10, axis, wide=c.width > WIDTH)


@dataclass(frozen=True)
class Dots:
    """One kind of marker on a dot chart: `values[i]` for row i (None: none), with tooltips."""

    name: str
    style: str  # s0…s5 or "pilot"
    shape: str  # circle | diamond | tick
    values: tuple[float | None, ...]
    titles: tuple[str, ...]


def dots(
    chart_id: str, rows: Sequence[str], kinds: Sequence[Dots], axis: str, *, comma: bool = False
) -> str:
    """Markers per row on one axis from 0 (the means of T0, T1 and the pilot)."""
    c = Canvas(chart_id, WIDTH)
    top = 4.0 + legend(c, 0, 14, [(k.name, k.style) for k in kinds]) + 4
    x0, x1 = _label_width(rows, 20), WIDTH - 14
    values = [v for k in kinds for v in k.values if v is not None]
    scale = ticks(max(max(values, default=10.0), 10.0))
    span = scale[-1]
    y = top
    for i, name in enumerate(rows):
        lines = wrap(name, 20, 3)
        height = max(len(lines) * LINE, 20.0) + 8
        first = y + (height - len(lines) * LINE) / 2 + FONT - 1
        for n, text in enumerate(lines):
            c.text(x0 - 8, first + n * LINE, text, anchor="end")
        mid = y + height / 2
        c.line(x0, mid, x1, mid, "row")
        for k in kinds:
            value = k.values[i]
            if value is None:
                continue
            x = x0 + value / span * (x1 - x0)
            tip = f"<title>{escape(k.titles[i])}</title>"
            cls = f"mark {k.style}"
            if k.shape == "tick":
                c.add(f'<path d="M{x:.1f} {mid - 8:.1f}V{mid + 8:.1f}" class="{cls}">{tip}</path>')
            elif k.shape == "diamond":
                c.add(f'<path d="M{x:.1f} {mid - 6:.1f}l6 6-6 6-6-6z" class="{cls}">{tip}</path>')
            else:
                c.add(f'<circle cx="{x:.1f}" cy="{mid:.1f}" r="5" class="{cls}">{tip}</circle>')
        y += height
    _x_axis(c, x0, x1, top, y, scale, axis, False, comma)
    return c.done(y + 36, axis)


def intervals(
    chart_id: str,
    rows: Sequence[str],
    points: Sequence[tuple[float, float, float, str]],
    axis: str,
    *,
    comma: bool = False,
) -> str:
    """A dot and its interval per row, (value, low, high, tooltip), around a dotted zero."""
    c = Canvas(chart_id, WIDTH)
    x0, x1 = _label_width(rows, 20), WIDTH - 14
    reach = max([abs(v) for p in points for v in p[:3]] + [0.5])
    half = ticks(reach, 4)
    scale = [-t for t in reversed(half[1:])] + half
    low_end, high_end = scale[0], scale[-1]

    def at(v: float) -> float:
        return x0 + (v - low_end) / (high_end - low_end) * (x1 - x0)

    top, y = 6.0, 6.0
    for name, (value, low, high, title) in zip(rows, points, strict=True):
        lines = wrap(name, 20, 3)
        height = max(len(lines) * LINE, 20.0) + 8
        first = y + (height - len(lines) * LINE) / 2 + FONT - 1
        for n, text in enumerate(lines):
            c.text(x0 - 8, first + n * LINE, text, anchor="end")
        mid = y + height / 2
        tip = f"<title>{escape(title)}</title>"
        c.add(
            f'<path d="M{at(low):.1f} {mid - 5:.1f}v10M{at(low):.1f} {mid:.1f}H{at(high):.1f}'
            f'M{at(high):.1f} {mid - 5:.1f}v10" class="ci s0">{tip}</path>'
        )
        c.add(f'<circle cx="{at(value):.1f}" cy="{mid:.1f}" r="5" class="mark s0">{tip}</circle>')
        y += height
    for t in scale:
        c.line(at(t), top, at(t), y, "grid")
        c.text(at(t), y + 14, ("+" if t > 0 else "") + number(t, comma), "tick", "middle")
    c.line(at(0), top, at(0), y, "zero")
    c.text((x0 + x1) / 2, y + 30, axis, "title", "middle")
    return c.done(y + 36, axis)
