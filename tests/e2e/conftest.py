from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.sandbox.emulator import Emulator
from tests.e2e.harness import AMS, TOKEN, Harness

# Monday 19 October 2026, 11:00 in Amsterdam: inside the delivery window, the week
# before clocks go back.
START = datetime(2026, 10, 19, 11, 0, tzinfo=AMS)


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(token=TOKEN, bot_username="coachbot_test_bot", host="127.0.0.1", port=0)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def harness(emu: Emulator, tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(emu, tmp_path, START)
    await h.start()
    yield h
    await h.stop()
