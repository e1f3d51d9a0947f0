"""storage.periodic: the last day a daily job ran."""

from __future__ import annotations

from datetime import date

from storage import periodic
from storage.db import Conn


async def test_a_job_that_never_ran_has_no_last_day_and_marking_it_again_moves_the_day(
    conn: Conn,
) -> None:
    assert await periodic.last_day(conn, "silent_scan") is None

    await periodic.mark_ran(conn, "silent_scan", date(2026, 10, 19))
    await periodic.mark_ran(conn, "silent_scan", date(2026, 10, 20))
    await periodic.mark_ran(conn, "retention", date(2026, 10, 19))

    assert await periodic.last_day(conn, "silent_scan") == date(2026, 10, 20)
    assert await periodic.last_day(conn, "retention") == date(2026, 10, 19)
