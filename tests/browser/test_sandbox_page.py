"""The sandbox page in headless Chromium: a coach and a participant play a few days.

Everything is done as a visitor would: clicking commands, links and inline buttons, typing,
and moving the clock with the buttons at the top.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.demo import FIRST_COACH_ID, FIRST_PARTICIPANT_ID, Driver
from bot.sandbox.web import example_photo
from tests.browser.conftest import AMS, REPO, add_participant, plan_appointment

pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
from playwright.async_api import expect

SCREENSHOT = REPO / "docs" / "sandbox.png"
WAIT = 10_000  # ms


def phone(page: Any, user_id: int) -> Any:
    return page.locator(f'.phone[data-user-id="{user_id}"]')


def bot_bubbles(page: Any, user_id: int, text: str | None = None) -> Any:
    found = phone(page, user_id).locator(".msg.from-bot")
    return found.filter(has_text=text) if text else found


async def press(page: Any, user_id: int, label: str) -> None:
    """Tap the newest inline button with this label on a phone."""
    button = phone(page, user_id).locator(".kb button", has_text=label).last
    await expect(button).to_be_visible(timeout=WAIT)
    await button.click()


async def type_text(page: Any, user_id: int, text: str) -> None:
    box = phone(page, user_id).locator(".composer textarea")
    await box.fill(text)
    await box.press("Enter")


async def test_onboard_plan_and_a_day_later_the_reminder(make_sandbox: Any, open_page: Any) -> None:
    sandbox = await make_sandbox()
    page = await open_page(sandbox)
    coach, ayse = FIRST_COACH_ID, FIRST_PARTICIPANT_ID

    # The first coach is registered already; the sandbox time is visible.
    await expect(phone(page, coach).locator(".phone-sub")).to_contain_text("coach")
    await expect(bot_bubbles(page, coach, "registered as a coach")).to_have_count(1)
    await expect(page.locator("#clock-time")).to_have_text("11:00")
    await expect(page.locator("#clock-day")).to_have_text("Monday 19 October 2026")

    # The coach taps /newparticipant in the welcome, names Ayşe and picks Turkish.
    await bot_bubbles(page, coach).first.locator("a.cmd", has_text="/newparticipant").click()
    await expect(bot_bubbles(page, coach, "first name")).to_have_count(1, timeout=WAIT)
    await type_text(page, coach, "Ayşe")
    await press(page, coach, "Türkçe")
    link = bot_bubbles(page, coach, "Ayşe").locator("a.invite")
    await expect(link).to_be_visible(timeout=WAIT)

    # Her invite link opens on a new phone, with her name and language preset.
    await link.click()
    dialog = page.locator("#add-dialog")
    await expect(dialog).to_be_visible()
    await expect(page.locator("#phone-name")).to_have_value("Ayşe")
    await expect(page.locator("#phone-lang")).to_have_value("tr")
    await page.locator("#add-ok").click()
    await expect(dialog).to_be_hidden()
    await expect(bot_bubbles(page, ayse, "Merhaba Ayşe")).to_have_count(1, timeout=WAIT)

    # Onboarding by buttons only; the coach hears that she joined.
    for label in ("Türkçe", "Evet", "Çarşamba", "Sabah"):
        await press(page, ayse, label)
    await expect(bot_bubbles(page, coach, "Ayşe joined")).to_have_count(1, timeout=WAIT)
    await expect(phone(page, ayse).locator(".phone-sub")).to_contain_text("Türkçe")
    # Each chosen answer shows the bot's one tick: the page adds none.
    chosen = phone(page, ayse).locator(".kb button", has_text="✅")
    await expect(chosen).to_have_count(4, timeout=WAIT)
    assert all(text.count("✅") == 1 for text in await chosen.all_inner_texts())

    # She writes back in reply to a message, and sends a photo.
    await bot_bubbles(page, ayse).last.hover()
    await bot_bubbles(page, ayse).last.locator(".reply-btn").click()
    await expect(phone(page, ayse).locator(".reply-bar")).to_be_visible()
    await type_text(page, ayse, "Teşekkürler!")
    mine = phone(page, ayse).locator(".msg.from-me", has_text="Teşekkürler!")
    await expect(mine.locator(".quote")).to_be_visible(timeout=WAIT)
    await phone(page, ayse).locator(".attach").click()
    await phone(page, ayse).locator("[data-attach=example]").click()
    photo = phone(page, coach).locator(".msg.from-bot", has=page.locator("img.photo"))
    await expect(photo).to_have_count(1, timeout=WAIT)

    # The coach answers by replying to the photo; Ayşe gets it from the bot.
    await photo.hover()
    await photo.locator(".reply-btn").click()
    await type_text(page, coach, "Mooi! Tot woensdag.")
    await expect(bot_bubbles(page, ayse, "Mooi! Tot woensdag.")).to_have_count(1, timeout=WAIT)

    # The coach plans an appointment on Wednesday 21 October at 10:00.
    await type_text(page, coach, "/appointment")
    for label in ("Ayşe", "21 Oct", "10:00", "Lindenholt"):
        await press(page, coach, label)
    await expect(bot_bubbles(page, coach, "Planned")).to_have_count(1, timeout=WAIT)
    await expect(page.locator("#next-due")).to_contain_text("Ayşe")

    # +1 day: Tuesday 11:00; the day-before reminder came at 10:00 on the way.
    await page.locator("button[data-step=day]").click()
    await expect(page.locator("#clock-day")).to_have_text("Tuesday 20 October 2026", timeout=WAIT)
    await expect(page.locator("#clock-time")).to_have_text("11:00")
    reminder = bot_bubbles(page, ayse, "Lindenholt").last
    await expect(reminder.locator(".meta")).to_contain_text("10:00", timeout=WAIT)
    await expect(reminder.locator(".kb button")).to_have_count(3)  # coming, cannot, no reminders
    await expect(phone(page, ayse).locator(".day-sep").last).to_have_text("Tuesday 20 October 2026")

    # She can't come; the coach's phone gets the note.
    notes_before = await bot_bubbles(page, coach, "Ayşe").count()
    await reminder.locator(".kb button").nth(1).click()
    await expect(bot_bubbles(page, coach, "Ayşe")).to_have_count(notes_before + 1, timeout=WAIT)
    assert not page.errors


async def test_demo_caseload_right_to_left_and_screenshot(
    make_sandbox: Any, open_page: Any, tmp_path: Path
) -> None:
    sandbox = await make_sandbox(demo=True)
    page = await open_page(sandbox)

    names = page.locator(".phone .phone-name")
    await expect(names).to_have_text(["Sanne", "Daan", "Ayşe", "Amira"], timeout=WAIT)
    subs = page.locator(".phone .phone-sub")
    await expect(subs).to_have_text(
        ["coach · English", "participant · Nederlands", "participant · Türkçe",
         "participant · العربية"]
    )  # fmt: skip
    # A finished check-in, and an appointment tomorrow that the participant was told about.
    daan = phone(page, FIRST_PARTICIPANT_ID)
    await expect(daan.locator(".msg.from-bot", has_text="Fijne week")).to_have_count(1)
    await expect(bot_bubbles(page, FIRST_COACH_ID, "Planned: Ayşe")).to_contain_text(
        "Tuesday 20 October"
    )
    # Arabic is laid out right to left, the coach's English left to right.
    amira = phone(page, FIRST_PARTICIPANT_ID + 2)
    arabic = amira.locator(".msg.from-bot .text").first
    assert await arabic.evaluate("n => getComputedStyle(n).direction") == "rtl"
    english = bot_bubbles(page, FIRST_COACH_ID).first.locator(".text")
    assert await english.evaluate("n => getComputedStyle(n).direction") == "ltr"
    written = amira.locator(".msg.from-me .text", has_text="شكرًا")
    await expect(written).to_have_attribute("dir", "auto")
    assert await written.evaluate("n => getComputedStyle(n).direction") == "rtl"
    # Like Telegram, the deep link's /start shows without its secret token.
    await expect(amira.locator(".msg.from-me .text").first).to_have_text(
        re.compile(r"^/start\d\d:\d\d ✓✓$")
    )
    relayed = phone(page, FIRST_COACH_ID).locator(".msg.from-bot .text", has_text="شكرًا")
    assert await relayed.evaluate("n => getComputedStyle(n).direction") == "rtl"

    # "Next scheduled message": the clock jumps to it and the message arrives.
    await page.locator("button[data-step=next]").click()
    await expect(page.locator(".toast").last).to_contain_text("1 new message", timeout=WAIT)
    await expect(page.locator("#clock-day")).to_have_text("Tuesday 20 October 2026")

    await page.wait_for_timeout(300)  # let the scroll settle
    shot = tmp_path / "sandbox.png"
    await page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")
    if not SCREENSHOT.exists() or os.environ.get("UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
    assert not page.errors


async def test_on_a_phone_at_night_the_coach_is_in_view_and_the_page_says_why_all_waits(
    make_sandbox: Any, open_page: Any
) -> None:
    sandbox = await make_sandbox(start=datetime(2026, 10, 19, 23, 0, tzinfo=AMS))
    page = await open_page(sandbox, width=390, height=844)

    coach = phone(page, FIRST_COACH_ID)
    await expect(bot_bubbles(page, FIRST_COACH_ID, "registered as a coach")).to_have_count(1)
    await expect(page.locator("#quiet")).to_be_visible()
    await expect(page.locator("#quiet")).to_contain_text("nothing by itself until 09:00")
    # No sideways scrolling: the header is compact and the coach's phone comes first.
    assert await page.evaluate("document.scrollingElement.scrollWidth") <= 390
    box = await coach.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert box["y"] + box["height"] <= 844  # down to its message box
    await expect(coach.locator(".composer textarea")).to_be_in_viewport()

    await page.locator("#quiet-go").click()
    await expect(page.locator("#clock-time")).to_have_text("09:00", timeout=WAIT)
    await expect(page.locator("#clock-day")).to_have_text("Tuesday 20 October 2026")
    await expect(page.locator("#quiet")).to_be_hidden()
    assert not page.errors


async def test_a_question_set_aside_shows_on_the_next_line(
    make_sandbox: Any, open_page: Any
) -> None:
    sandbox = await make_sandbox()
    await add_participant(sandbox, "Daan")  # weekly question: Wednesday 14:00
    await plan_appointment(sandbox, "Daan", "22 Oct", "15:00")  # reminder Wednesday 10:00
    await sandbox.machine.travel_to(datetime(2026, 10, 21, 14, 30, tzinfo=AMS))
    page = await open_page(sandbox)

    await expect(page.locator("#waiting-note")).to_have_text(
        " · waiting: reminder (day before) for Daan (set aside)"
    )
    await page.locator("#coming summary").click()
    await expect(page.locator("#coming-list .why-open")).to_contain_text(
        "Fri 23 Oct 14:00weekly question for Daan is open: no answer yet"
    )
    await expect(page.locator("#coming-list .why-set_aside")).to_contain_text(
        "asked again once the open question is answered or closes; expires Thu 22 Oct 15:00"
    )
    assert not page.errors


async def test_a_chat_with_a_photo_opens_at_its_newest_message(
    make_sandbox: Any, open_page: Any
) -> None:
    sandbox = await make_sandbox()
    daan = await add_participant(sandbox, "Daan")
    driver = Driver(sandbox.emulator)
    driver.skip_all(FIRST_COACH_ID)
    sandbox.emulator.send_photo(daan, None, data=example_photo())
    relayed = await driver.next(FIRST_COACH_ID)  # "Daan wrote", then the photo
    while "photo" not in relayed:
        relayed = await driver.next(FIRST_COACH_ID)
    page = await open_page(sandbox, width=1280, height=560)

    photo = phone(page, FIRST_COACH_ID).locator("img.photo")
    await expect(photo).to_have_count(1, timeout=WAIT)
    await page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=await photo.element_handle()
    )
    chat = phone(page, FIRST_COACH_ID).locator(".chat")
    below = await chat.evaluate("c => c.scrollHeight - c.scrollTop - c.clientHeight")
    assert below < 2, f"{below}px of the chat are below the view"
    assert not page.errors
