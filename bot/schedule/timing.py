"""Pure time rules: quiet hours, reminder times, weekly occurrences. All DST-safe.

Worked example: an appointment on Monday 26 October 2026 at 10:00 Europe/Amsterdam
(the day after clocks go back) is reminded "the day before at 10:00" on Sunday
25 October at 10:00 local time, which is 09:00 UTC, not 10:00 UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def local(day: date, at: time, tz: tzinfo) -> datetime:
    """The aware datetime for a local wall-clock time on a day."""
    return datetime.combine(day, at, tzinfo=tz)


def fit_window(due: datetime, start: time, end: time, tz: tzinfo) -> datetime:
    """`due` moved forward into the daily window [start, end) local time."""
    here = due.astimezone(tz)
    opens = local(here.date(), start, tz)
    closes = local(here.date(), end, tz)
    if here < opens:
        return opens
    if here >= closes:
        return local(here.date() + timedelta(days=1), start, tz)
    return due


def in_window(when: datetime, start: time, end: time, tz: tzinfo) -> bool:
    return fit_window(when, start, end, tz) == when


def days_before(appointment: datetime, days: int, at: time, tz: tzinfo) -> datetime:
    """`days` calendar days before the appointment, at local time `at`."""
    return local(appointment.astimezone(tz).date() - timedelta(days=days), at, tz)


def next_weekly(after: datetime, weekday: str, at: time, tz: tzinfo) -> datetime:
    """The first `weekday` at local time `at` strictly after `after`."""
    target = WEEKDAYS.index(weekday)
    here = after.astimezone(tz)
    for offset in range(8):
        day = here.date() + timedelta(days=offset)
        if day.weekday() == target:
            candidate = local(day, at, tz)
            if candidate > after:
                return candidate
    raise AssertionError("unreachable: a weekday recurs within 8 days")


def upcoming_days(now: datetime, count: int, tz: tzinfo) -> list[date]:
    """Today and the next days, local calendar."""
    today = now.astimezone(tz).date()
    return [today + timedelta(days=i) for i in range(count)]


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (31, 30, 29, 28):
        if day.day <= candidate:
            try:
                return date(year, month, min(day.day, candidate))
            except ValueError:
                continue
    return date(year, month, 28)


def after_offset(start: datetime, amount: int, unit: str, at: time, tz: tzinfo) -> datetime:
    """`amount` weeks (`w`) or calendar months (`mo`) after `start`, at local time `at`."""
    day = start.astimezone(tz).date()
    day = day + timedelta(weeks=amount) if unit == "w" else add_months(day, amount)
    return local(day, at, tz)
