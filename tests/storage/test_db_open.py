"""Opening a database: another program's SQLite file is refused and left as it was."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storage.db import Database, DatabaseError

REPO = Path(__file__).resolve().parents[2]


def foreign(path: Path) -> bytes:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.close()
    return path.read_bytes()


async def test_another_programs_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    before = foreign(path)
    with pytest.raises(DatabaseError, match="not a Coachbot database"):
        await Database.open(path)
    assert path.read_bytes() == before
    assert not (tmp_path / "other.sqlite-wal").exists()


async def test_a_new_file_and_a_coachbot_database_open(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    db = await Database.open(path)
    await db.close()
    db = await Database.open(path)  # ours now: opens again
    assert int(await db.scalar("PRAGMA user_version")) > 0
    await db.close()


def test_report_on_another_programs_database_says_so_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    before = foreign(path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "report",
            "--db",
            str(path),
            "--out",
            str(tmp_path / "r.html"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)},
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "not a Coachbot database" in done.stderr
    assert path.read_bytes() == before
