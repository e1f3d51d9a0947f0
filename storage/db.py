"""SQLite through aiosqlite: settings, numbered migrations, one writer at a time.

Durability settings are checked at start, not assumed: WAL with synchronous=FULL (with
NORMAL a committed transaction can vanish on power loss), foreign keys, busy timeout, and a
`journal_size_limit` so the WAL file shrinks back after a checkpoint (`checkpoint()`, run
periodically by the bot and at close).

The files hold personal data: a database Coachbot creates is made 0600 before SQLite opens it
(SQLite gives its -wal and -shm the database's mode), and an existing one readable by group or
others gets a warning.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import stat
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import CoachbotError  # a leaf module: imports nothing of the bot

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
# After a checkpoint has emptied it, the WAL file is cut back to this size (SQLite otherwise
# keeps it at its largest ever, and the pages of erased rows with it).
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024
FILE_MODE = 0o600  # the database, its -wal and -shm, backups, the lock file

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
        """Open (or create) the database, check its settings and migrate it.

        Anything that makes it unusable raises DatabaseError with one readable line, and
        leaves no connection (nor its thread, which would keep the process alive) behind.
        """
        _create_private(path)
        try:
            conn = await aiosqlite.connect(str(path), isolation_level=None)
        except (sqlite3.Error, OSError) as err:
            raise DatabaseError(f"cannot open the database {path}: {err}") from None
        db = cls(conn, str(path))
        try:
            conn.row_factory = aiosqlite.Row
            await db.refuse_foreign()  # before any pragma writes to the file
            for pragma in (
                f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=FULL",
                "PRAGMA foreign_keys=ON",
                "PRAGMA secure_delete=ON",
                f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}",
            ):
                await conn.execute(pragma)
            await db.verify_settings()
            await db.migrate()
        except BaseException as err:
            await conn.close()
            if isinstance(err, sqlite3.Error):
                raise DatabaseError(f"cannot open the database {path}: {err}") from None
            raise
        return db

    async def refuse_foreign(self) -> None:
        """A database of another program (tables, but no migration of ours) is left as it
        is: migrating it would write Coachbot's tables into someone else's file."""
        version = int(await self.scalar("PRAGMA user_version") or 0)
        tables = int(await self.scalar("SELECT COUNT(*) FROM sqlite_master") or 0)
        if version == 0 and tables > 0:
            raise DatabaseError(
                f"{self.path} is not a Coachbot database (it holds other tables);"
                " give a new file or a Coachbot database"
            )

    async def verify_settings(self) -> None:
        expected = {
            "journal_mode": "wal",
            "synchronous": 2,
            "foreign_keys": 1,
            "busy_timeout": BUSY_TIMEOUT_MS,
            "journal_size_limit": JOURNAL_SIZE_LIMIT,
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

    async def checkpoint(self, wait: bool = True) -> tuple[int, int, int]:
        """Copy the WAL into the database and truncate the WAL file to zero bytes.

        A reader in another process (a backup) holds it up: with `wait`, up to the busy
        timeout; without, it does what it can at once and the next checkpoint does the rest.
        Returns SQLite's (busy, WAL pages, pages checkpointed)."""
        async with self._lock:
            if wait:
                row = await self.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                await self.conn.execute("PRAGMA busy_timeout=0")
                try:
                    row = await self.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    await self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        busy, pages, done = (0, 0, 0) if row is None else (row[0], row[1], row[2])
        if busy:
            log.info("WAL checkpoint incomplete (another process was reading); next time")
        return int(busy), int(pages), int(done)

    async def close(self) -> None:
        """Checkpoint (so the WAL is empty on disk) and close."""
        try:
            await self.checkpoint()
        except (sqlite3.Error, ValueError) as err:  # ValueError: already closed
            log.warning("WAL checkpoint at close failed: %s", err)
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
                try:
                    await self.conn.execute("COMMIT")
                except BaseException:
                    # A failed COMMIT (busy, disk full) can leave the transaction open: every
                    # later BEGIN would then fail. Roll it back so the next one can start.
                    if self.conn.in_transaction:
                        await self.conn.execute("ROLLBACK")
                    raise

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


def _create_private(path: str | Path) -> None:
    """Create a missing database file 0600 (its -wal and -shm follow: SQLite gives them the
    database's mode); warn about an existing one that group or others can read."""
    if str(path) == ":memory:" or str(path).startswith("file:"):
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        warn_if_readable(Path(path))
    except OSError as err:
        raise DatabaseError(f"cannot open the database {path}: {err.strerror}") from None
    else:
        try:
            os.fchmod(fd, FILE_MODE)  # whatever the umask
        finally:
            os.close(fd)


def warn_if_readable(path: Path) -> None:
    """Log one warning when a file with personal data is open to group or others."""
    try:
        info = path.stat()
    except OSError:
        return
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISREG(info.st_mode) and mode & 0o077:
        log.warning(
            "%s is readable by others than its owner (mode %04o): it holds personal data; "
            "chmod 600 %s (and its -wal and -shm)",
            path,
            mode,
            path,
        )


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our string literals)."""
    lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
