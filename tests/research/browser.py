"""Headless Debian Chromium through Playwright (never a downloaded browser)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing() -> str | None:
    """Why the browser cannot run here, or None."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return "Debian's chromium is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    return None


@dataclass(frozen=True)
class Opened:
    errors: list[str]
    charts: int  # svg.chart elements
    rendered: int  # of those: laid out with a size and holding drawn marks
    requests: list[str]
    overflow: int  # how many CSS pixels the page is wider than the window (0: none)
    loose: list[str]  # tables and charts wider than the window outside a scrolling box
    printed: int  # bytes of the page printed to PDF (0 when not asked)
    cut: list[str]  # printed: tables and charts wider than an A4 page (they would be cut)


A4_WIDTH = 703  # CSS pixels in 186 mm: A4 (210 mm) less the report's 12 mm print margins
MARKS = "rect.bar, rect.cell, circle.mark, path.mark, path.ci"
LAYOUT = """() => {
  const width = window.innerWidth;
  const scrolls = el => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (getComputedStyle(p).overflowX === 'auto' && p.clientWidth <= width) return true;
    }
    return false;
  };
  return [...document.querySelectorAll('table, svg.chart')]
    .filter(el => el.getBoundingClientRect().right > width + 1 && !scrolls(el))
    .map(el => el.id || el.tagName);
}"""


def open_page(html: Path, png: Path | None = None, width: int = 1200, pdf: bool = False) -> Opened:
    """Open a file in Chromium at `width` CSS pixels: console errors, charts drawn, layout,
    a full-page screenshot, and the page printed to PDF when `pdf`."""
    from playwright.sync_api import sync_playwright

    executable = str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.resolve().as_uri())
            page.wait_for_load_state("load")
            charts = page.eval_on_selector_all("svg.chart", "els => els.length")
            rendered = page.eval_on_selector_all(
                "svg.chart",
                "els => els.filter(e => e.getBoundingClientRect().width > 0"
                f" && e.querySelector('{MARKS}')).length",
            )
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            loose = page.evaluate(LAYOUT)
            if png is not None:
                page.screenshot(path=str(png), full_page=True)
            printed, cut = 0, []
            if pdf:
                printed = len(page.pdf(format="A4"))
                # What the page looks like on paper: A4 less the print margins, 186 mm.
                page.set_viewport_size({"width": A4_WIDTH, "height": 1000})
                page.emulate_media(media="print")
                cut = page.evaluate(LAYOUT)
        finally:
            browser.close()
    return Opened(errors, charts, rendered, requests, overflow, loose, printed, cut)
