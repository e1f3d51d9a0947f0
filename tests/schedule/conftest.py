"""A real database, the shipped content and a manual clock: the planner and the timers as
the bot runs them, without Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.content.bundle import load_content
from bot.deps import Deps
from bot.host.flows import FlowHost
from storage.db import Database
from tests.e2e.harness import AMS, REPO

# Monday 19 October 2026, 11:00 in Amsterdam.
START = datetime(2026, 10, 19, 11, 0, tzinfo=AMS)


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Deps]:
    db = await Database.open(tmp_path / "planner.sqlite3")
    try:
        yield Deps(db, ManualClock(START), load_content(REPO), invite_link=lambda token: token)
    finally:
        await db.close()


@pytest.fixture
def host(deps: Deps) -> FlowHost:
    return FlowHost(deps)
