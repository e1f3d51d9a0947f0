"""The engagement log: append-only, never message texts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Conn, fetchall
from storage.times import from_db, to_db


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime
    type: str
    person_id: int | None
    coach_id: int | None
    flow_id: str | None
    step: str | None
    value: str | None
    ref: str | None
    latency_s: float | None

    @classmethod
    def from_row(cls, row: Any) -> Event:
        return cls(
            row["id"],
            from_db(row["at"]),
            row["type"],
            row["person_id"],
            row["coach_id"],
            row["flow_id"],
            row["step"],
            row["value"],
            row["ref"],
            row["latency_s"],
        )


async def log_event(
    conn: Conn,
    at: datetime,
    type: str,
    person_id: int | None = None,
    coach_id: int | None = None,
    *,
    flow_id: str | None = None,
    step: str | None = None,
    value: str | None = None,
    ref: str | None = None,
    latency_s: float | None = None,
) -> None:
    """Append one event."""
    await conn.execute(
        "INSERT INTO events (at, type, person_id, coach_id, flow_id, step, value, ref, latency_s)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (to_db(at), type, person_id, coach_id, flow_id, step, value, ref, latency_s),
    )


async def latest(conn: Conn, person_id: int, type: str) -> Event | None:
    """The person's most recent event of this type, or None."""
    rows = await fetchall(
        conn,
        "SELECT * FROM events WHERE person_id = ? AND type = ? ORDER BY id DESC LIMIT 1",
        (person_id, type),
    )
    return Event.from_row(rows[0]) if rows else None


async def exists(
    conn: Conn,
    person_id: int,
    type: str,
    *,
    value: str | None = None,
    since: datetime | None = None,
) -> bool:
    """Whether the person has an event of this type (with this value, at or after `since`)."""
    sql = "SELECT 1 FROM events WHERE person_id = ? AND type = ?"
    params: list[Any] = [person_id, type]
    if value is not None:
        sql += " AND value = ?"
        params.append(value)
    if since is not None:
        sql += " AND at >= ?"
        params.append(to_db(since))
    rows = await conn.execute_fetchall(sql + " LIMIT 1", params)
    return bool(rows)


async def of_types(conn: Conn, person_id: int, types: Iterable[str]) -> list[Event]:
    """The person's events of these types, oldest first."""
    wanted = list(types)
    marks = ", ".join("?" for _ in wanted)
    rows = await conn.execute_fetchall(
        f"SELECT * FROM events WHERE person_id = ? AND type IN ({marks}) ORDER BY id",
        (person_id, *wanted),
    )
    return [Event.from_row(r) for r in rows]


async def answers(conn: Conn, person_id: int, flow_id: str, since: datetime) -> dict[str, str]:
    """The person's answers in a flow at or after `since`: {step: answer code}, the latest
    answer to a step winning."""
    rows = await conn.execute_fetchall(
        "SELECT step, value FROM events WHERE person_id = ? AND type = 'answer' AND flow_id = ?"
        " AND at >= ? ORDER BY id",
        (person_id, flow_id, to_db(since)),
    )
    return {r["step"]: r["value"] for r in rows}
