"""What is stored about a person (export), erasing it, and who is due for erasure.

Driven by the live schema: every table with a column pointing at a person is included,
so a new table cannot be forgotten. Erasing keeps only pseudonymous events (ids, types,
codes; never texts) and appointment facts for the statistics; the person's name and
messenger id are also taken out of other people's rows (run states, timers, unsent
messages). `settle` then pushes the erased state through the write-ahead log and
truncates it, so that the erased values are in neither the database file nor its WAL.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from storage.db import BUSY_TIMEOUT_MS, Conn, fetchall
from storage.people import Person, Status
from storage.times import to_db

ERASED = "—"  # the name (and place) left where personal data was
OTHER = "(someone else)"  # what /mydata shows instead of another person's identifier
# Columns that point at a person, per table (found from the schema at run time).
PERSON_COLUMNS = ("person_id", "participant_id", "about_id")
# Columns that refer to a person by id, in any table (for /mydata).
REFERENCE_COLUMNS = ("person_id", "participant_id", "about_id", "coach_id", "backup_id")
# Kept after erasure: the pseudonymous log and appointment facts for the statistics.
KEPT_TABLES = frozenset({"events", "appointments"})
# The tag of the messages an erasure sends itself (the goodbye, the coach's note): they
# carry the name or the chat id until they are out; `settle` waits for them.
FAREWELL = "erasure"
OPEN_RUNS = ("active", "suspended", "queued")
UNSENT = ("pending", "sending")


@dataclass(frozen=True)
class Identity:
    """The values that identify one person in stored text: their name and messenger id.

    The name is matched as a whole word, ignoring case (a coach may type it in lower
    case); the id as a number or as its decimal text."""

    name: str | None
    telegram_id: int | None

    @cached_property
    def _name(self) -> re.Pattern[str] | None:
        name = (self.name or "").strip()
        if not name or name == ERASED:
            return None
        return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)

    @cached_property
    def _id(self) -> re.Pattern[str] | None:
        if self.telegram_id is None:
            return None
        return re.compile(rf"(?<!\w){self.telegram_id}(?!\w)")

    def scrub(self, value: Any, replacement: str = ERASED, *, numbers: bool = True) -> Any:
        """`value` (a JSON value) with every occurrence of this person replaced: in texts,
        and (with `numbers`) a number that equals their messenger id."""
        if isinstance(value, str):
            for pattern in (self._name, self._id):
                if pattern is not None:
                    value = pattern.sub(replacement, value)
            return value
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return replacement if numbers and value == self.telegram_id else value
        if isinstance(value, list):
            return [self.scrub(v, replacement, numbers=numbers) for v in value]
        if isinstance(value, dict):
            return {k: self.scrub(v, replacement, numbers=numbers) for k, v in value.items()}
        return value

    def found_in(self, value: Any) -> bool:
        return bool(self.scrub(value) != value)


async def person_tables(conn: Conn) -> dict[str, list[str]]:
    """{table: [columns referring to a person]} read from the live schema."""
    tables = await fetchall(
        conn, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found: dict[str, list[str]] = {}
    for table in tables:
        columns = await fetchall(conn, f"PRAGMA table_info({table['name']})")
        names = [c["name"] for c in columns if c["name"] in PERSON_COLUMNS]
        if names:
            found[table["name"]] = names
    return found


async def export(conn: Conn, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """Everything stored about one person, table by table, column by column, and nothing
    that identifies anyone else: another person's id, chat id or name becomes OTHER.

    Rows addressed to someone else (a note to the coach about this person) show only
    that they exist: not their text, not where they went."""
    rows = await fetchall(conn, "SELECT * FROM people WHERE id = ?", (person_id,))
    if not rows:
        return {"people": []}
    own = dict(rows[0])
    others: set[int] = set()
    data: dict[str, list[dict[str, Any]]] = {"people": [_redact(own, person_id, others)]}
    for table, columns in (await person_tables(conn)).items():
        where = " OR ".join(f"{c} = ?" for c in columns)
        found = await fetchall(
            conn,
            f"SELECT * FROM {table} WHERE {where} ORDER BY rowid",
            tuple(person_id for _ in columns),
        )
        data[table] = [_exported(table, _parsed(dict(r)), own, others) for r in found]
    # The people this person's rows point at (their coach, a former coach, a stand-in):
    # their names and chat ids are taken out of every text as well.
    if own.get("coach_id") is not None:
        coach = await fetchall(
            conn, "SELECT backup_id FROM people WHERE id = ?", (own["coach_id"],)
        )
        if coach and coach[0]["backup_id"] is not None:
            others.add(int(coach[0]["backup_id"]))
    for identity in await _identities(conn, others - {person_id}):
        if identity.name and own["name"] and identity.name.casefold() == own["name"].casefold():
            identity = Identity(None, identity.telegram_id)  # their own name stays
        # Numbers only where they are addresses (done above): an id or a message number
        # of the person's own may equal someone's messenger id by chance.
        data = identity.scrub(data, OTHER, numbers=False)
    return data


def _parsed(row: dict[str, Any]) -> dict[str, Any]:
    """JSON kept in a text column (run state, timer and message payloads) as JSON."""
    for column, value in row.items():
        if isinstance(value, str) and value[:1] in ("{", "["):
            row[column] = _json(value)
    return row


def _redact(row: dict[str, Any], person_id: int, others: set[int]) -> dict[str, Any]:
    """References to other people in one row replaced by OTHER (and remembered)."""
    for column in REFERENCE_COLUMNS:
        value = row.get(column)
        if value is not None and value != person_id:
            others.add(int(value))
            row[column] = OTHER
    return row


def _exported(
    table: str, row: dict[str, Any], own: dict[str, Any], others: set[int]
) -> dict[str, Any]:
    person_id = own["id"]
    addressed_to_someone_else = table == "outbox" and row.get("person_id") != person_id
    row = _redact(row, person_id, others)
    if table == "outbox":
        if addressed_to_someone_else:
            row["chat_id"] = OTHER
            row["payload"] = OTHER
        else:
            row["payload"] = _own_payload(row.get("payload"), own.get("telegram_id"))
    if table == "events" and isinstance(row.get("ref"), str) and row["ref"].startswith("from:"):
        with suppress(ValueError):
            others.add(int(row["ref"].removeprefix("from:")))
        row["ref"] = f"from:{OTHER}"
    return row


def _own_payload(data: Any, telegram_id: int | None) -> Any:
    """A message to this person as stored, without the chat it was copied from (their
    coach's) unless that is their own."""
    if isinstance(data, dict) and data.get("from_chat_id") not in (None, telegram_id):
        data["from_chat_id"] = OTHER
    return data


async def _identities(conn: Conn, ids: Iterable[int]) -> list[Identity]:
    found = []
    for person_id in sorted(set(ids)):
        rows = await fetchall(
            conn, "SELECT name, telegram_id FROM people WHERE id = ?", (person_id,)
        )
        if rows:
            found.append(Identity(rows[0]["name"], rows[0]["telegram_id"]))
    return found


async def erase(conn: Conn, person_id: int) -> None:
    """Delete a person's rows and texts; keep events, appointment facts and an emptied
    people row (status stopped) so the ids in the log still count.

    Their name and messenger id also go from other people's rows: unsent messages about
    them or carrying their chat id are cancelled, run states and timers that mention them
    are emptied (finished) or scrubbed (still open)."""
    rows = await fetchall(conn, "SELECT name, telegram_id FROM people WHERE id = ?", (person_id,))
    if not rows:
        return
    identity = Identity(rows[0]["name"], rows[0]["telegram_id"])
    await _cancel_unsent_about(conn, person_id, identity)
    for table, columns in (await person_tables(conn)).items():
        if table in KEPT_TABLES:
            continue
        for column in columns:
            if column == "about_id":  # a coach's message about them stays, unlinked
                await conn.execute(
                    f"UPDATE {table} SET about_id = NULL WHERE about_id = ?", (person_id,)
                )
            else:
                await conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (person_id,))
    if identity.telegram_id is not None:
        # Messages to their chat that belong to no one (sent before they were linked).
        await conn.execute("DELETE FROM outbox WHERE chat_id = ?", (identity.telegram_id,))
    await _scrub_json(conn, "runs", "state", identity, OPEN_RUNS)
    await _scrub_json(conn, "timers", "payload", identity, ("pending",))
    await conn.execute("DELETE FROM invites WHERE person_id = ?", (person_id,))
    await conn.execute(
        "UPDATE appointments SET place = ?, address = NULL WHERE participant_id = ?",
        (ERASED, person_id),
    )
    await conn.execute(
        "UPDATE people SET name = ?, language = NULL, telegram_id = NULL, checkin_day = NULL,"
        " checkin_time = NULL, last_mood = NULL, paused_until = NULL, status = ?,"
        " last_contact_at = NULL, silent_since = NULL WHERE id = ?",
        (ERASED, Status.STOPPED.value, person_id),
    )


async def _cancel_unsent_about(conn: Conn, person_id: int, identity: Identity) -> None:
    """Other people's unsent messages about this person (a relayed message, a note) or
    carrying their chat id (a copy of what they wrote): cancelled, text gone."""
    chat = "" if identity.telegram_id is None else f"%{identity.telegram_id}%"
    rows = await fetchall(
        conn,
        "SELECT id, about_id, payload FROM outbox WHERE status IN (?, ?)"
        " AND (person_id IS NULL OR person_id != ?) AND (about_id = ? OR payload LIKE ?)",
        (*UNSENT, person_id, person_id, chat),
    )
    by_id = Identity(None, identity.telegram_id)
    for row in rows:
        about = row["about_id"] == person_id
        if about or by_id.found_in(_json(row["payload"])):
            await conn.execute(
                "UPDATE outbox SET status = 'cancelled', payload = '{}' WHERE id = ?",
                (row["id"],),
            )


async def _scrub_json(
    conn: Conn,
    table: str,
    column: str,
    identity: Identity,
    open_statuses: tuple[str, ...],
) -> None:
    """Staff's `table` rows whose JSON `column` mentions the person: emptied when
    finished, scrubbed (the name becomes ERASED) while still open. (A participant's runs
    and timers never show another participant.)"""
    rows = await fetchall(
        conn,
        f"SELECT t.id, t.status, t.{column} AS data FROM {table} t"
        " JOIN people p ON p.id = t.person_id"
        f" WHERE p.role != 'participant' AND t.{column} != '{{}}'",
    )
    for row in rows:
        data = _json(row["data"])
        if not identity.found_in(data):
            continue
        kept = identity.scrub(data) if row["status"] in open_statuses else {}
        await conn.execute(
            f"UPDATE {table} SET {column} = ? WHERE id = ?", (json.dumps(kept), row["id"])
        )


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return text


async def last_message_id(conn: Conn) -> int:
    """The newest outbox row's id (0 when none): `mark_farewells` tags what follows."""
    rows = await fetchall(conn, "SELECT COALESCE(MAX(id), 0) AS id FROM outbox")
    return int(rows[0]["id"])


async def mark_farewells(conn: Conn, after: int, person_id: int) -> None:
    """The messages an erasure wrote (ids above `after`: the goodbye, the coach's note)
    carry the last copies of the name and the chat id. They get the FAREWELL tag, so that
    `settle` waits for them; they go at once, also in quiet hours, so that those copies
    live for seconds rather than until the morning; they keep no link to the person."""
    await conn.execute(
        "UPDATE outbox SET tag = ?, unsolicited = 0, about_id = NULL WHERE id > ?",
        (FAREWELL, after),
    )
    await conn.execute("UPDATE outbox SET about_id = NULL WHERE about_id = ?", (person_id,))


def settle(path: str | Path) -> bool:
    """Finish erasures that have committed (call it after the erasing transaction; it
    waits for a running writer): delete the messages to erased people once they are out,
    then checkpoint the WAL into the database and truncate it, so that erased values are
    in neither file (`secure_delete` zeroes what was freed).

    Uses its own connection, so it needs no event loop. True when nothing is left to do;
    False while a farewell message still waits to be sent, or when the database stayed
    busy for longer than the busy timeout (try again later)."""
    if str(path) in ("", ":memory:"):
        return True  # nothing on disk
    uri = f"{Path(path).resolve().as_uri()}?mode=rw"
    try:
        with closing(
            sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        ) as conn:
            for pragma in ("secure_delete=ON", "synchronous=FULL", "foreign_keys=ON"):
                conn.execute(f"PRAGMA {pragma}")
            conn.execute("BEGIN IMMEDIATE")
            try:
                erased = (
                    "SELECT id FROM people WHERE name = ? AND telegram_id IS NULL"
                    " AND role = 'participant'"
                )
                waiting = conn.execute(
                    "SELECT COUNT(*) FROM outbox WHERE status IN (?, ?)"
                    f" AND (tag = ? OR person_id IN ({erased}))",
                    (*UNSENT, FAREWELL, ERASED),
                ).fetchone()[0]
                conn.execute(
                    "DELETE FROM outbox WHERE status NOT IN (?, ?)"
                    f" AND ((tag = ? AND person_id IS NULL) OR person_id IN ({erased}))",
                    (*UNSENT, FAREWELL, ERASED),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.OperationalError as err:
        if getattr(err, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return False  # a writer or reader held on for too long: later
        raise
    return bool(waiting == 0 and busy == 0)


async def due_for_retention(
    conn: Conn, ended_before: datetime, created_before: datetime, *, after: int, limit: int
) -> list[Person]:
    """Participants not yet erased whose trajectory ended before `ended_before`, or who
    declined or stopped without one and were created before `created_before`; a page of
    ids above `after`, in id order."""
    rows = await fetchall(
        conn,
        "SELECT * FROM people WHERE role = 'participant' AND name != ? AND"
        " ((trajectory_end IS NOT NULL AND trajectory_end < ?)"
        " OR (trajectory_end IS NULL AND status IN ('declined', 'stopped')"
        " AND created_at < ?)) AND id > ? ORDER BY id LIMIT ?",
        (ERASED, to_db(ended_before), to_db(created_before), after, limit),
    )
    return [Person.from_row(r) for r in rows]
