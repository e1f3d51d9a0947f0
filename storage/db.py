"""SQLite through aiosqlite: settings, numbered migrations, one writer at a time.

Durability settings are checked at start, not assumed: WAL with synchronous=FULL (with
NORMAL a committed transaction can vanish on power loss), foreign keys, busy timeout.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import CoachbotError  # a leaf module: imports nothing of the bot

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000

# What storage functions take: the connection of the caller's transaction.
Conn = aiosqlite.Connection
_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


async def fetchall(conn: Conn, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
    """`conn.execute_fetchall` typed as the list it returns (aiosqlite declares an Iterable)."""
    return list(await conn.execute_fetchall(sql, params))


class DatabaseError(CoachbotError):
    """The database is unusable: wrong settings, or a migration failed."""


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every shipped migration, in order."""
    found = []
    for item in resources.files("storage.migrations").iterdir():
        match = _MIGRATION.match(item.name)
        if match:
            found.append((int(match.group(1)), item.name, item.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise DatabaseError(f"migrations must be numbered 001, 002… without gaps: {numbers}")
    return found


class Database:
    """One connection; `transaction()` serialises writers inside this process."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        for pragma in (
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=FULL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA secure_delete=ON",
        ):
            await conn.execute(pragma)
        db = cls(conn, str(path))
        await db.verify_settings()
        await db.migrate()
        return db

    async def verify_settings(self) -> None:
        expected = {
            "journal_mode": "wal",
            "synchronous": 2,
            "foreign_keys": 1,
            "busy_timeout": BUSY_TIMEOUT_MS,
        }
        for name, want in expected.items():
            got = await self.scalar(f"PRAGMA {name}")
            if (got.lower() if isinstance(got, str) else got) != want:
                raise DatabaseError(f"PRAGMA {name} is {got!r}, expected {want!r}")

    async def migrate(self) -> None:
        current = int(await self.scalar("PRAGMA user_version") or 0)
        for number, name, sql in migrations():
            if number <= current:
                continue
            async with self.transaction():
                for statement in _statements(sql):
                    await self.conn.execute(statement)
                await self.conn.execute(f"PRAGMA user_version={number}")
            log.info("applied migration %s", name)

    async def close(self) -> None:
        await self.conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error."""
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    # One trip to aiosqlite's thread each (execute + fetch + close would be three; the
    # trips, not SQLite, are most of a statement's cost: docs/benchmarks.md).
    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        return list(await self.conn.execute_fetchall(sql, tuple(params)))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = await self.conn.execute_fetchall(sql, tuple(params))
        return next(iter(rows), None)


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our string literals)."""
    lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
