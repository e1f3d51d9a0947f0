"""storage.research: what the research views may read, and an older schema still reads."""

from __future__ import annotations

import dataclasses

from bot.research import rows
from storage import research
from storage.db import Database


async def test_rows_are_the_storage_rows() -> None:
    assert rows.PersonRow is research.PersonRow
    assert rows.EventRow is research.EventRow
    assert rows.AppointmentRow is research.AppointmentRow


async def test_no_telegram_ids_and_no_names_of_participants(cohort_db: Database) -> None:
    fields = {f.name for f in dataclasses.fields(research.PersonRow)}
    assert "telegram_id" not in fields and "name" not in fields
    people = await research.people(cohort_db)
    assert people and all(p.staff_name is None for p in people if p.role == "participant")
    assert any(p.staff_name for p in people if p.role == "coach")


async def test_a_table_without_an_optional_column_still_reads(cohort_db: Database) -> None:
    await cohort_db.conn.execute(
        "UPDATE people SET end_reason = 'moved' WHERE role = 'participant' AND status = 'declined'"
    )
    before = await research.people(cohort_db)
    assert "moved" in {p.end_reason for p in before}
    assert "end_reason" in await research.columns(cohort_db, "people")
    await cohort_db.conn.execute("ALTER TABLE people DROP COLUMN end_reason")
    assert "end_reason" not in await research.columns(cohort_db, "people")
    after = await research.people(cohort_db)
    assert after == tuple(dataclasses.replace(p, end_reason=None) for p in before)
    assert await research.columns(cohort_db, "no_such_table") == set()
