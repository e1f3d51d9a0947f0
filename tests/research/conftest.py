from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from tests.research import cohort

SECRET = "a-test-secret-of-enough-length-1"
OTHER_SECRET = "another-secret-that-is-long-enough"


def make_cohort(path: Path) -> Path:
    """A migrated database at `path` holding the hand-computed cohort."""

    async def create() -> None:
        db = await Database.open(path)
        await db.close()

    asyncio.run(create())
    cohort.build(path)
    return path


@pytest.fixture
def cohort_path(tmp_path: Path) -> Path:
    return make_cohort(tmp_path / "cohort.sqlite3")


@pytest.fixture
async def cohort_db(cohort_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(cohort_path)
    yield db
    await db.close()
