"""The HTML report in headless Chromium: no console errors, every chart drawn, no network,
nothing wider than a phone outside a scrolling box, and it prints."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from pathlib import Path

import pytest

from bot.research.report import build_report
from storage.db import Database
from tests.research import browser, demo
from tests.research.cohort import AMS

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))

PHONE = 390  # CSS pixels: an everyday phone held upright


def check(html: Path, png: Path, width: int = 1200, pdf: bool = False) -> browser.Opened:
    text = html.read_text(encoding="utf-8")
    expected = len(set(re.findall(r'<svg class="chart" id="(chart-\d+)"', text)))
    opened = browser.open_page(html, png, width, pdf)
    assert opened.errors == []
    assert opened.charts == expected
    assert opened.rendered == expected
    assert [u for u in opened.requests if not u.startswith(("file:", "data:", "blob:"))] == []
    assert png.stat().st_size > 10_000
    assert opened.overflow == 0  # the page itself never scrolls sideways
    assert opened.loose == []  # a wide table or chart scrolls in its own box
    return opened


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(demo.write_report(tmp_path_factory.mktemp("demo")))


def test_demo_report_in_chromium(demo_report: Path, tmp_path: Path) -> None:
    text = demo_report.read_text(encoding="utf-8")
    assert len(set(re.findall(r'id="(chart-\d+)"', text))) >= 9
    check(demo_report, tmp_path / "demo.png")


def test_demo_report_on_a_phone(demo_report: Path, tmp_path: Path) -> None:
    check(demo_report, tmp_path / "phone.png", width=PHONE)


def test_demo_report_prints(demo_report: Path, tmp_path: Path) -> None:
    opened = check(demo_report, tmp_path / "print.png", pdf=True)
    assert opened.printed > 10_000
    assert opened.cut == []  # on paper nothing scrolls: every table fits the page


def test_small_cohort_report_in_chromium(cohort_path: Path, tmp_path: Path) -> None:
    async def write() -> Path:
        db = await Database.open(cohort_path)
        try:
            page, _ = await build_report(
                db, start=date(2026, 10, 1), end=date(2026, 10, 31), tz=AMS, language="en"
            )
        finally:
            await db.close()
        out = tmp_path / "report.html"
        out.write_text(page, encoding="utf-8")
        return out

    html = asyncio.run(write())
    check(html, tmp_path / "cohort.png")
    check(html, tmp_path / "cohort-phone.png", width=PHONE)
