"""Online backup with SQLite's backup API: a consistent copy while the bot writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def backup_database(source: Path, target: Path) -> int:
    """Copy `source` to `target` (replacing it) and check the copy; returns its page count."""
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(tmp) as dst:
        src.execute("PRAGMA busy_timeout=5000")
        src.backup(dst, pages=256)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
    if check != "ok":
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"backup copy failed its integrity check: {check}")
    tmp.replace(target)
    return int(pages)
