"""The HTML report in headless Chromium: no console errors, every chart drawn, no network."""

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


def check(html: Path, png: Path) -> None:
    text = html.read_text(encoding="utf-8")
    expected = len(set(re.findall(r'id="(chart-\d+)"', text)))
    opened = browser.open_page(html, png)
    assert opened.errors == []
    assert opened.charts == expected
    assert opened.rendered == expected
    assert [u for u in opened.requests if not u.startswith(("file:", "data:", "blob:"))] == []
    assert png.stat().st_size > 10_000


def test_demo_report_in_chromium(tmp_path: Path) -> None:
    html = asyncio.run(demo.write_report(tmp_path))
    text = html.read_text(encoding="utf-8")
    assert len(set(re.findall(r'id="(chart-\d+)"', text))) >= 9
    check(html, tmp_path / "demo.png")


def test_small_cohort_report_in_chromium(cohort_path: Path, tmp_path: Path) -> None:
    async def write() -> Path:
        db = await Database.open(cohort_path)
        try:
            page, _ = await build_report(
                db, start=date(2026, 10, 1), end=date(2026, 10, 31), tz=AMS
            )
        finally:
            await db.close()
        out = tmp_path / "report.html"
        out.write_text(page, encoding="utf-8")
        return out

    check(asyncio.run(write()), tmp_path / "cohort.png")
