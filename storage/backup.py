"""Online backup with SQLite's backup API: a consistent copy while the bot writes.

A backup holds the same personal data as the database: the copy is created 0600 (SQLite's
journal beside it follows that mode), and a folder made for it 0700.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from storage.db import FILE_MODE

FOLDER_MODE = 0o700


def backup_database(source: Path, target: Path) -> int:
    """Copy `source` to `target` (replacing it) and check the copy; returns its page count."""
    if not target.parent.exists():
        target.parent.mkdir(mode=FOLDER_MODE, parents=True)
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    _create_private(tmp)
    try:
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
            closing(sqlite3.connect(tmp)) as dst,
        ):
            src.execute("PRAGMA busy_timeout=5000")
            src.backup(dst, pages=256)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
        if check != "ok":
            raise RuntimeError(f"backup copy failed its integrity check: {check}")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(target)
    return int(pages)


def _create_private(path: Path) -> None:
    """An empty file only the owner can read, whatever the umask (SQLite fills it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
