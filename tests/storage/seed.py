"""People and times for the storage tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from storage import people
from storage.db import Conn
from storage.people import Role, Status

NOW = datetime(2026, 10, 19, 9, 0, tzinfo=UTC)


async def person(
    conn: Conn,
    name: str,
    *,
    role: Role = Role.PARTICIPANT,
    status: Status = Status.ACTIVE,
    coach_id: int | None = None,
    created: datetime = NOW,
    **fields: Any,
) -> int:
    """A person with the given status and columns; returns the id."""
    person_id = await people.add(conn, created, role, name, coach_id=coach_id)
    await people.update(conn, person_id, status=status.value, **fields)
    return person_id
