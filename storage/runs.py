"""Flow runs: at most one active per person; others wait as suspended or queued."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.db import Conn, fetchall
from storage.times import from_db, to_db


class RunStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # interrupted by a command; asked again afterwards
    QUEUED = "queued"  # scheduled while another question waited
    DONE = "done"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


OPEN = (RunStatus.ACTIVE, RunStatus.SUSPENDED, RunStatus.QUEUED)


@dataclass(frozen=True)
class Run:
    id: int
    person_id: int
    flow_id: str
    status: RunStatus
    state: dict[str, Any]
    question_message_id: int | None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime | None = None
    scheduled: bool = False  # started by the schedule, not by the person

    @classmethod
    def from_row(cls, row: Any) -> Run:
        return cls(
            row["id"],
            row["person_id"],
            row["flow_id"],
            RunStatus(row["status"]),
            json.loads(row["state"] or "{}"),
            row["question_message_id"],
            from_db(row["expires_at"]) if row["expires_at"] else None,
            from_db(row["created_at"]),
            from_db(row["updated_at"]) if row["updated_at"] else None,
            bool(row["scheduled"]),
        )


async def get(conn: Conn, run_id: int) -> Run | None:
    rows = await fetchall(conn, "SELECT * FROM runs WHERE id = ?", (run_id,))
    return Run.from_row(rows[0]) if rows else None


async def latest(conn: Conn, person_id: int, status: RunStatus) -> Run | None:
    """The person's newest run in `status` (the active one, the last suspended one)."""
    rows = await fetchall(
        conn,
        "SELECT * FROM runs WHERE person_id = ? AND status = ? ORDER BY id DESC LIMIT 1",
        (person_id, status.value),
    )
    return Run.from_row(rows[0]) if rows else None


async def suspended(conn: Conn, person_id: int) -> list[Run]:
    """Suspended runs, newest first (the last one interrupted is asked again first)."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM runs WHERE person_id = ? AND status = 'suspended' ORDER BY id DESC",
        (person_id,),
    )
    return [Run.from_row(r) for r in rows]


async def queued(conn: Conn, person_id: int) -> list[Run]:
    """Queued runs, oldest first."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM runs WHERE person_id = ? AND status = 'queued' ORDER BY id", (person_id,)
    )
    return [Run.from_row(r) for r in rows]


async def add(
    conn: Conn,
    now: datetime,
    person_id: int,
    flow_id: str,
    status: RunStatus,
    state: dict[str, Any],
    expires: datetime | None,
    *,
    scheduled: bool = False,
) -> int:
    """A new run; its id."""
    cur = await conn.execute(
        "INSERT INTO runs (person_id, flow_id, status, state, expires_at, created_at,"
        " updated_at, scheduled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            person_id,
            flow_id,
            status.value,
            json.dumps(state),
            to_db(expires) if expires else None,
            to_db(now),
            to_db(now),
            int(scheduled),
        ),
    )
    return int(cur.lastrowid or 0)


async def save_state(conn: Conn, now: datetime, run_id: int, state: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE runs SET state = ?, updated_at = ? WHERE id = ?",
        (json.dumps(state), to_db(now), run_id),
    )


async def set_status(conn: Conn, now: datetime, run_id: int, status: RunStatus) -> None:
    await conn.execute(
        "UPDATE runs SET status = ?, updated_at = ? WHERE id = ?",
        (status.value, to_db(now), run_id),
    )


async def finish(conn: Conn, now: datetime, run_id: int, status: RunStatus) -> None:
    """A run ends: its answers are in the log as codes; keep no copy (names, texts)."""
    await conn.execute(
        "UPDATE runs SET status = ?, state = '{}', updated_at = ? WHERE id = ?",
        (status.value, to_db(now), run_id),
    )


async def set_question_message(conn: Conn, run_id: int, message_id: int | None) -> None:
    """The message that shows the run's current question (its buttons get edited); None
    while a new question is on its way."""
    await conn.execute("UPDATE runs SET question_message_id = ? WHERE id = ?", (message_id, run_id))


async def cancel_open(conn: Conn, person_id: int) -> None:
    """Cancel every run of the person that is active, suspended or queued."""
    await conn.execute(
        "UPDATE runs SET status = 'cancelled' WHERE person_id = ? AND status IN"
        " ('active', 'suspended', 'queued')",
        (person_id,),
    )


async def cancel_waiting(conn: Conn, person_id: int, flow_ids: Iterable[str]) -> int:
    """Close the person's suspended or queued runs of these flows (never asked again, no
    state kept); how many."""
    ids = sorted(set(flow_ids))
    if not ids:
        return 0
    marks = ", ".join("?" for _ in ids)
    cur = await conn.execute(
        "UPDATE runs SET status = 'cancelled', state = '{}' WHERE person_id = ?"
        f" AND status IN ('suspended', 'queued') AND flow_id IN ({marks})",
        (person_id, *ids),
    )
    return cur.rowcount


async def cancel_queued(conn: Conn, person_id: int, appointment_id: int | None = None) -> None:
    """Cancel the person's queued runs (only those about `appointment_id`, when given)."""
    sql = "UPDATE runs SET status = 'cancelled' WHERE person_id = ? AND status = 'queued'"
    params: list[Any] = [person_id]
    if appointment_id is not None:
        sql += " AND json_extract(state, '$.vars.appointment_id') = ?"
        params.append(appointment_id)
    await conn.execute(sql, params)


async def question_is_current(conn: Conn, run_id: int, seq: int) -> bool:
    """Whether the run is active and still at question `seq`."""
    rows = await fetchall(conn, "SELECT status, state FROM runs WHERE id = ?", (run_id,))
    return (
        bool(rows)
        and rows[0]["status"] == "active"
        and (json.loads(rows[0]["state"] or "{}").get("seq") == seq)
    )
