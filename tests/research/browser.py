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
    charts: int
    rendered: int
    requests: list[str]


def open_page(html: Path, png: Path | None = None, width: int = 1200) -> Opened:
    """Open a file in Chromium: console errors, chart count, and a full-page screenshot."""
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
            charts = page.eval_on_selector_all(".plotly-graph-div", "els => els.length")
            if charts:
                page.wait_for_function(
                    f"document.querySelectorAll('.plotly-graph-div .main-svg').length >= {charts}"
                )
            rendered = page.eval_on_selector_all(
                ".plotly-graph-div",
                "els => els.filter(e => e.data && e.data.length"
                " && e.querySelector('.main-svg .trace, .main-svg .hm')).length",
            )
            if png is not None:
                page.screenshot(path=str(png), full_page=True)
        finally:
            browser.close()
    return Opened(errors, charts, rendered, requests)
