from __future__ import annotations

import pytest

from bot.research.stats import median, paired_difference, t_quantile
from bot.research.suppress import (
    HIDDEN,
    WITHHELD,
    Count,
    Measure,
    Share,
    protect,
    protect_table,
)


@pytest.mark.parametrize(
    ("df", "expected"),
    [(1, 12.7062), (2, 4.3027), (4, 2.7764), (9, 2.2622), (30, 2.0423), (100, 1.9840)],
)
def test_t_quantile_matches_the_table(df: int, expected: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-4)


def test_paired_difference_worked_example() -> None:
    result = paired_difference([1, 2, 3, 4, 5])
    assert result.n == 5
    assert result.mean == 3
    assert result.low == pytest.approx(1.0368, abs=1e-4)
    assert result.high == pytest.approx(4.9632, abs=1e-4)


def test_paired_difference_too_few() -> None:
    assert paired_difference([]).mean is None
    assert paired_difference([2.0]).low is None


def test_median() -> None:
    assert median([]) is None
    assert median([4, 1, 3, 2]) == 2.5


def test_counts_below_five_people_are_hidden() -> None:
    assert str(Count(4, 4)) == HIDDEN
    assert str(Count(0, 0)) == HIDDEN
    assert str(Count(5, 5)) == "5"
    assert str(Count(40, 4)) == HIDDEN  # forty answers, but from four people
    assert Count(40, 4).shown is None


def test_shares_need_five_people_in_the_part_and_the_whole() -> None:
    assert str(Share(8, 12, 6, 5)) == "67%"
    assert str(Share(4, 5, 5, 4)) == HIDDEN
    assert str(Share(4, 4, 4, 4)) == HIDDEN
    assert Share(0, 0, 9, 9).shown is None


def test_measures() -> None:
    assert Measure(1.234, 5).format(".2f", signed=True) == "+1.23"
    assert Measure(1.234, 4).format() == HIDDEN
    assert Measure(None, 7).format() == "–"


def test_protect_hides_a_second_part() -> None:
    parts = protect([Count(7, 7), Count(6, 6), Count(2, 2), Count(0, 0)])
    assert [str(c) for c in parts] == ["7", "6", HIDDEN, HIDDEN]  # two hidden already
    parts = protect([Count(7, 7), Count(6, 6), Count(2, 2)])
    assert [str(c) for c in parts] == ["7", WITHHELD, HIDDEN]
    assert parts[1].shown is None
    parts = protect([Count(7, 7), Count(6, 6)])
    assert [str(c) for c in parts] == ["7", "6"]


def test_protect_table_hides_along_rows_and_columns() -> None:
    c = Count
    table = protect_table(
        [
            [c(189, 60), c(30, 20), c(2, 2)],
            [c(3, 3), c(8, 6), c(46, 30)],
            [c(40, 25), c(28, 15), c(9, 8)],
        ]
    )
    shown = [[str(x) for x in row] for row in table]
    assert shown == [
        ["189", WITHHELD, HIDDEN],
        [HIDDEN, WITHHELD, "46"],
        [WITHHELD, "28", WITHHELD],  # column 1 needed a second hidden cell, then row 3
    ]
    for row in table:
        assert sum(x.hidden for x in row) != 1
    for column in zip(*table, strict=True):
        assert sum(x.hidden for x in column) != 1
