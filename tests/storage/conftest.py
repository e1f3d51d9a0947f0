"""Each test gets a real SQLite file with the shipped migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Conn, Database


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[Conn]:
    db = await Database.open(tmp_path / "storage.sqlite3")
    try:
        yield db.conn
    finally:
        await db.close()
