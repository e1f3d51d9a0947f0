"""Small-group suppression: no figure about fewer than five people is ever shown.

Every number the report shows is a `Count`, `Share` or `Measure` that knows how many distinct
people it is about. Below `MIN_GROUP` it renders as "<5" and charts leave it out, so the rule
is kept in one place. `protect` adds secondary suppression to a row of parts with a visible
total, so that a single hidden part cannot be worked out by subtraction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

MIN_GROUP = 5
HIDDEN = "<5"
WITHHELD = "hidden"  # a number of 5 or more, hidden so that a "<5" beside it stays hidden


@dataclass(frozen=True)
class Count:
    """A number of things (or people) that concerns `people` distinct people."""

    n: int
    people: int
    forced: bool = False  # hidden by secondary suppression

    @classmethod
    def of(cls, ids: Collection[object]) -> Count:
        """The number of distinct people in `ids`."""
        return cls(len(ids), len(ids))

    @property
    def hidden(self) -> bool:
        return self.forced or self.people < MIN_GROUP

    @property
    def shown(self) -> int | None:
        """The number, or None when it must not be shown."""
        return None if self.hidden else self.n

    def __str__(self) -> str:
        if self.people < MIN_GROUP:
            return HIDDEN
        return WITHHELD if self.forced else str(self.n)


@dataclass(frozen=True)
class Share:
    """`part` of `whole` (for example answered of asked).

    `people` are the distinct people in the whole, `part_people` those in the part: the
    share is hidden when either group is smaller than MIN_GROUP (a share of 3 people's
    answers is a figure about 3 people).
    """

    part: int
    whole: int
    people: int
    part_people: int

    @property
    def hidden(self) -> bool:
        return self.people < MIN_GROUP or self.part_people < MIN_GROUP or self.whole == 0

    @property
    def shown(self) -> float | None:
        """The share as a fraction 0–1, or None when hidden."""
        return None if self.hidden else self.part / self.whole

    def __str__(self) -> str:
        value = self.shown
        return HIDDEN if value is None else f"{value:.0%}"


@dataclass(frozen=True)
class Measure:
    """A statistic (mean, median, difference) computed over `people` distinct people."""

    value: float | None
    people: int

    @property
    def hidden(self) -> bool:
        return self.people < MIN_GROUP or self.value is None

    @property
    def shown(self) -> float | None:
        return None if self.hidden else self.value

    def format(self, spec: str = ".1f", signed: bool = False) -> str:
        """The value formatted with `spec` ("<5" when hidden, "–" when there is none)."""
        if self.people < MIN_GROUP:
            return HIDDEN
        if self.value is None:
            return "–"
        return format(self.value, ("+" if signed else "") + spec)

    def __str__(self) -> str:
        return self.format()


class Shown(StrEnum):
    """How a figure may appear: the same decision as its `str`, for pages that word it."""

    VALUE = "value"  # the number itself
    FEW = "few"  # about fewer than MIN_GROUP people (including none): "<5"
    WITHHELD = "withheld"  # 5 or more, hidden so that a "<5" beside it stays hidden
    NONE = "none"  # enough people but nothing to compute (a mean of no numbers): "–"


def shown(figure: Count | Share | Measure) -> Shown:
    """What may be shown of `figure`; only `Shown.VALUE` shows its number.

    Example: Count(7, 4) → FEW (7 answers from 4 people); Count(9, 9, forced=True) →
    WITHHELD; Share(4, 5, 5, 4) → FEW (only four people in the part).
    """
    if isinstance(figure, Count):
        if figure.people < MIN_GROUP:
            return Shown.FEW
        return Shown.WITHHELD if figure.forced else Shown.VALUE
    if isinstance(figure, Share):
        return Shown.FEW if figure.hidden else Shown.VALUE
    if figure.people < MIN_GROUP:
        return Shown.FEW
    return Shown.NONE if figure.value is None else Shown.VALUE


def protect(parts: Sequence[Count]) -> list[Count]:
    """Hide one more part when exactly one is hidden, so a shown total cannot reveal it.

    Example: moods 7, 6, 2 of a total of 15 → 7, hidden, <5 (not 7, 6, <5, where
    15 − 13 = 2).
    """
    result = list(parts)
    hidden = [i for i, c in enumerate(result) if c.hidden]
    visible = [i for i, c in enumerate(result) if not c.hidden]
    if len(hidden) == 1 and visible and sum(c.people for c in result) > 0:
        smallest = min(visible, key=lambda i: (result[i].n, i))
        result[smallest] = replace(result[smallest], forced=True)
    return result


def protect_table(rows: Sequence[Sequence[Count]]) -> list[list[Count]]:
    """`protect` every row and every column until nothing changes (a table with margins)."""
    table = [list(row) for row in rows]
    while True:
        before = [[c.hidden for c in row] for row in table]
        table = [protect(row) for row in table]
        if table:
            columns = [protect([row[j] for row in table]) for j in range(len(table[0]))]
            table = [[columns[j][i] for j in range(len(columns))] for i in range(len(table))]
        if [[c.hidden for c in row] for row in table] == before:
            return table
