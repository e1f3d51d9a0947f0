"""A running sandbox (emulator, bot with a ManualClock, web page) and headless Chromium.

Chromium comes from Debian (``apt-get install chromium``), driven by Playwright for Python;
browser downloads (``playwright install``) are never needed. Without either, the browser
tests are skipped with the reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import CoachbotApp, Options
from bot.sandbox.demo import FIRST_COACH_ID, Driver, start_token
from bot.sandbox.web import Sandbox

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
]
AMS = ZoneInfo("Europe/Amsterdam")
# Monday 19 October 2026, 11:00 in Amsterdam: inside the delivery window.
START = datetime(2026, 10, 19, 11, 0, tzinfo=AMS)

SandboxFactory = Callable[..., Awaitable[Sandbox]]


@pytest.fixture
async def make_sandbox(tmp_path: Path) -> AsyncIterator[SandboxFactory]:
    """Start sandboxes as ``coachbot run`` does; all are stopped after the test."""
    running: list[tuple[CoachbotApp, Sandbox]] = []

    async def start(*, demo: bool = False, start: datetime = START) -> Sandbox:
        sandbox = Sandbox(port=0, start=start, db_path=tmp_path / f"sandbox{len(running)}.db")
        await sandbox.start_emulator()
        options = Options(
            token=sandbox.token,
            db_path=sandbox.db_path,
            content_dir=REPO,
            api_url=sandbox.api_url,
            poll_timeout=1,
        )
        app = CoachbotApp(options, sandbox.clock, sandbox.settings)
        await app.start()
        running.append((app, sandbox))
        await sandbox.attach(app, demo=demo)
        return sandbox

    yield start
    for app, sandbox in reversed(running):
        await app.stop()
        await sandbox.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Headless Chromium from /usr/bin/chromium, or a clean skip."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    api = pytest.importorskip(
        "playwright.async_api", reason="Playwright is not installed (pip install playwright)"
    )
    async with api.async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def open_page(browser: Any) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Open the sandbox page; any request to another host fails the test."""
    contexts: list[Any] = []
    foreign: list[str] = []

    async def opener(sandbox: Sandbox, width: int = 1720, height: int = 960) -> Any:
        context = await browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        allowed = sandbox.url.rstrip("/")

        async def only_local(route: Any) -> None:
            if route.request.url.startswith(allowed):
                await route.continue_()
            else:
                foreign.append(route.request.url)
                await route.abort()

        await context.route("**/*", only_local)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors
        await page.goto(sandbox.url)
        await page.wait_for_selector("body[data-ready='1']")
        return page

    yield opener
    for context in contexts:
        await context.close()
    assert not foreign, f"the page tried to load from elsewhere: {foreign}"


async def add_participant(
    sandbox: Sandbox,
    name: str = "Daan",
    answers: tuple[str, ...] = ("Nederlands", "Ja", "Woensdag", "Middag"),
    *,
    night: bool = False,
) -> int:
    """The first coach invites ``name`` and they onboard on a new phone (by the buttons
    ``answers``: language, consent, check-in day and time); their Telegram user id.

    The coach is told "… joined" at once, or (``night``) only when quiet hours end."""
    emulator, driver, coach = sandbox.emulator, Driver(sandbox.emulator), FIRST_COACH_ID
    driver.skip_all(coach)
    emulator.send_command(coach, "/newparticipant")
    await driver.next(coach)
    emulator.send_text(coach, name)
    await driver.answer(coach, answers[0])
    token = start_token((await driver.next(coach, "start="))["text"])
    added = await sandbox.add_phone({"link": f"https://t.me/x?start={token}", "name": name})
    user_id = int(added["user_id"])
    for label in answers:
        await driver.answer(user_id, label)
    if night:
        await driver.next(user_id)  # the last onboarding message: all set
    else:
        await driver.next(coach, f"{name} joined")
    return user_id


async def plan_appointment(sandbox: Sandbox, who: str, day: str, at: str) -> None:
    """/appointment on the first coach's phone: ``day`` as on its button ("22 Oct")."""
    emulator, driver, coach = sandbox.emulator, Driver(sandbox.emulator), FIRST_COACH_ID
    driver.skip_all(coach)
    emulator.send_command(coach, "/appointment")
    for label in (who, day, at):
        await driver.answer(coach, label)
    await driver.answer_nth(coach, 0)  # the first place
    await driver.next(coach, "Planned")
