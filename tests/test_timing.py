"""Time rules in local Amsterdam time, including the weeks the clocks change."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.schedule.timing import days_before, fit_window, in_window, next_weekly, upcoming_days
from storage.times import from_db, to_db

AMS = ZoneInfo("Europe/Amsterdam")
NINE, EIGHT_PM = time(9), time(20)


def ams(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- quiet hours window ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        pytest.param(ams(2026, 5, 4, 7, 30), ams(2026, 5, 4, 9, 0), id="before-opens-same-day"),
        pytest.param(ams(2026, 5, 4, 9, 0), ams(2026, 5, 4, 9, 0), id="at-opening"),
        pytest.param(ams(2026, 5, 4, 13, 15), ams(2026, 5, 4, 13, 15), id="inside"),
        pytest.param(ams(2026, 5, 4, 19, 59), ams(2026, 5, 4, 19, 59), id="last-minute"),
        pytest.param(ams(2026, 5, 4, 20, 0), ams(2026, 5, 5, 9, 0), id="at-closing-next-day"),
        pytest.param(ams(2026, 5, 4, 23, 30), ams(2026, 5, 5, 9, 0), id="after-next-day"),
        # 23:30 UTC on 4 May is already 01:30 on 5 May in Amsterdam: same local morning.
        pytest.param(utc(2026, 5, 4, 23, 30), ams(2026, 5, 5, 9, 0), id="utc-late-is-local-night"),
        # Saturday 24 Oct 21:00 local → Sunday 25 Oct 09:00 local, after clocks went back.
        pytest.param(ams(2026, 10, 24, 21, 0), ams(2026, 10, 25, 9, 0), id="into-dst-end-day"),
    ],
)
def test_fit_window_moves_due_times_into_the_local_window(due, expected):
    moved = fit_window(due, NINE, EIGHT_PM, AMS)
    assert moved == expected
    assert moved.astimezone(AMS).time() == expected.time()  # local wall time, not just instant
    assert in_window(moved, NINE, EIGHT_PM, AMS)


def test_fit_window_opening_after_clocks_go_back_is_08_utc():
    assert fit_window(ams(2026, 10, 24, 21, 0), NINE, EIGHT_PM, AMS) == utc(2026, 10, 25, 8, 0)


@pytest.mark.parametrize(
    ("when", "inside"),
    [
        pytest.param(ams(2026, 5, 4, 8, 59), False, id="before"),
        pytest.param(ams(2026, 5, 4, 12, 0), True, id="inside"),
        pytest.param(ams(2026, 5, 4, 20, 0), False, id="at-end"),
    ],
)
def test_in_window(when, inside):
    assert in_window(when, NINE, EIGHT_PM, AMS) is inside


# --- reminders some days before -----------------------------------------------------------


@pytest.mark.parametrize(
    ("appointment", "days", "at", "expected_utc"),
    [
        pytest.param(ams(2026, 6, 10, 10, 0), 1, time(10), utc(2026, 6, 9, 8, 0), id="summer"),
        pytest.param(ams(2026, 1, 14, 10, 0), 1, time(10), utc(2026, 1, 13, 9, 0), id="winter"),
        # Monday after clocks go back (Sun 25 Oct 2026): reminder Sunday 10:00 local = 09:00 UTC.
        pytest.param(
            ams(2026, 10, 26, 10, 0), 1, time(10), utc(2026, 10, 25, 9, 0), id="october-dst-change"
        ),
        # Monday after clocks go forward (Sun 29 Mar 2026): reminder Sunday 10:00 CEST = 08:00 UTC.
        pytest.param(
            ams(2026, 3, 30, 10, 0), 1, time(10), utc(2026, 3, 29, 8, 0), id="march-dst-change"
        ),
        # Two days across the March change: Sat 28 Mar 10:00 CET = 09:00 UTC.
        pytest.param(
            ams(2026, 3, 30, 10, 0), 2, time(10), utc(2026, 3, 28, 9, 0), id="march-two-days-before"
        ),
        # Early-morning appointment given in UTC: its local date counts, not the UTC date.
        pytest.param(
            utc(2026, 5, 4, 23, 30),
            1,
            time(10),
            utc(2026, 5, 4, 8, 0),
            id="local-date-not-utc-date",
        ),
    ],
)
def test_days_before_keeps_the_local_wall_time(appointment, days, at, expected_utc):
    reminder = days_before(appointment, days, at, AMS)
    assert reminder == expected_utc
    assert reminder.astimezone(AMS).time() == at


# --- weekly check-in ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "weekday", "at", "expected"),
    [
        # Wednesday 6 May 2026, 12:00 local
        pytest.param(
            ams(2026, 5, 6, 12, 0), "fri", time(10), ams(2026, 5, 8, 10, 0), id="later-this-week"
        ),
        pytest.param(
            ams(2026, 5, 6, 12, 0), "mon", time(10), ams(2026, 5, 11, 10, 0), id="next-week"
        ),
        pytest.param(
            ams(2026, 5, 6, 12, 0), "wed", time(18), ams(2026, 5, 6, 18, 0), id="same-day-later"
        ),
        pytest.param(
            ams(2026, 5, 6, 12, 0),
            "wed",
            time(10),
            ams(2026, 5, 13, 10, 0),
            id="same-day-earlier-is-next-week",
        ),
        pytest.param(
            ams(2026, 5, 6, 10, 0),
            "wed",
            time(10),
            ams(2026, 5, 13, 10, 0),
            id="exactly-now-is-strictly-after",
        ),
        # Thursday 22 Oct → Thursday 29 Oct, clocks went back in between.
        pytest.param(
            ams(2026, 10, 22, 10, 0),
            "thu",
            time(10),
            ams(2026, 10, 29, 10, 0),
            id="across-october-change",
        ),
        # Thursday 26 Mar → Thursday 2 Apr, clocks went forward in between.
        pytest.param(
            ams(2026, 3, 26, 10, 0),
            "thu",
            time(10),
            ams(2026, 4, 2, 10, 0),
            id="across-march-change",
        ),
    ],
)
def test_next_weekly_is_the_first_local_weekday_time_strictly_after(after, weekday, at, expected):
    found = next_weekly(after, weekday, at, AMS)
    assert found == expected
    assert found > after
    assert found.astimezone(AMS).time() == at


def test_next_weekly_across_dst_keeps_wall_time_not_utc_offset():
    before = next_weekly(ams(2026, 10, 19, 12, 0), "thu", time(10), AMS)
    after = next_weekly(before, "thu", time(10), AMS)
    assert (before.astimezone(UTC).hour, after.astimezone(UTC).hour) == (8, 9)


def test_upcoming_days_start_today_in_local_time():
    days = upcoming_days(utc(2026, 5, 4, 23, 30), 3, AMS)
    assert [d.isoformat() for d in days] == ["2026-05-05", "2026-05-06", "2026-05-07"]


def test_stored_times_read_back_as_the_same_instant_across_the_dst_change() -> None:
    # 02:30 local happens twice on 25 October 2026; the two instants must stay apart.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second = first + timedelta(hours=1)
    assert [from_db(to_db(t)) for t in (first, second)] == [first, second]
    assert from_db(to_db(second.astimezone(AMS))) == second


def test_a_stored_time_without_a_zone_is_refused_not_read_as_local_time() -> None:
    with pytest.raises(ValueError):
        from_db("2026-10-25T02:30:00.000000")
