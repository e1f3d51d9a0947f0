"""The database is opened durable and checked; migrations are numbered and applied once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.db import Database, DatabaseError, migrations


async def test_settings_are_durable_and_checked(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    try:
        assert await db.scalar("PRAGMA journal_mode") == "wal"
        assert await db.scalar("PRAGMA synchronous") == 2  # FULL
        assert await db.scalar("PRAGMA foreign_keys") == 1
        assert await db.scalar("PRAGMA busy_timeout") == 5000
        assert await db.scalar("PRAGMA secure_delete") == 1
        await db.conn.execute("PRAGMA synchronous=NORMAL")
        with pytest.raises(DatabaseError, match="synchronous"):
            await db.verify_settings()
    finally:
        await db.close()


async def test_migrations_run_once_in_order(tmp_path: Path) -> None:
    numbers = [n for n, _, _ in migrations()]
    assert numbers == list(range(1, len(numbers) + 1))
    for _ in range(2):
        db = await Database.open(tmp_path / "c.sqlite3")
        assert await db.scalar("PRAGMA user_version") == numbers[-1]
        await db.close()


async def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO inbound (update_id, received_at) VALUES (1, 'x')")
                raise RuntimeError("crash mid-event")
        assert await db.scalar("SELECT COUNT(*) FROM inbound") == 0
    finally:
        await db.close()


async def test_a_failed_commit_leaves_no_transaction_open(tmp_path: Path) -> None:
    """A COMMIT that fails (here: a deferred foreign key) must not leave the connection
    inside a transaction, or every later BEGIN fails too."""
    db = await Database.open(tmp_path / "c.sqlite3")
    try:
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await conn.execute("PRAGMA defer_foreign_keys=ON")
                await conn.execute(
                    "INSERT INTO invites (token_hash, person_id, created_at, expires_at)"
                    " VALUES ('h', 999, 'x', 'y')"
                )
        assert not db.conn.in_transaction
        async with db.transaction() as conn:  # the next transaction starts normally
            await conn.execute("SELECT 1")
    finally:
        await db.close()
