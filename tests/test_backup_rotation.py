"""Bounded backups (storage/backup_rotation.py): the newest N copies stay, older ones go,
files of another shape are never touched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.backup_rotation import DEFAULT_KEEP, copies, keep, shape


def _copy(folder: Path, name: str, age_days: int) -> Path:
    path = folder / name
    path.write_bytes(b"SQLite format 3\x00")
    when = 1_800_000_000 - age_days * 86_400
    os.utime(path, (when, when))
    return path


def test_the_newest_copies_stay_and_older_ones_go(tmp_path: Path) -> None:
    backups = [
        _copy(tmp_path, f"coachbot-2026-10-{day:02}.sqlite3", 20 - day) for day in range(1, 21)
    ]
    Path(f"{backups[0]}-wal").write_bytes(b"x")  # someone opened an old copy
    manual = _copy(tmp_path, "before-upgrade.sqlite3", 99)
    other = _copy(tmp_path, "coachbot-2026-10-01.sqlite3.part", 99)
    removed = keep(backups[-1], 14)
    assert removed == [b.resolve() for b in reversed(backups[:6])]
    assert all(not b.exists() for b in backups[:6]) and all(b.exists() for b in backups[6:])
    assert not Path(f"{backups[0]}-wal").exists()
    assert manual.exists() and other.exists()
    assert keep(backups[-1], 14) == []  # a second run finds nothing more to do


def test_the_copy_just_written_stays_even_with_an_older_clock(tmp_path: Path) -> None:
    newer = _copy(tmp_path, "coachbot-2026-10-02.sqlite3", 0)
    written = _copy(tmp_path, "coachbot-2026-10-03.sqlite3", 5)  # a clock set back
    assert keep(written, 1) == [newer.resolve()]
    assert written.exists()


def test_the_live_database_is_never_deleted(tmp_path: Path) -> None:
    live = _copy(tmp_path, "coachbot-1.sqlite3", 10)
    written = _copy(tmp_path, "coachbot-2.sqlite3", 0)
    assert keep(written, 1, spare=[live]) == []
    assert live.exists()


def test_names_of_the_same_shape() -> None:
    pattern = shape("coachbot-2026-10-19.sqlite3")
    assert pattern.fullmatch("coachbot-2025-1-3.sqlite3")
    assert not pattern.fullmatch("coachbot-2026-10-19.sqlite3-wal")
    assert not pattern.fullmatch("coachbot.sqlite3")
    assert shape("nightly.db").fullmatch("nightly.db")


def test_keep_needs_at_least_one(tmp_path: Path) -> None:
    written = _copy(tmp_path, "a1.sqlite3", 0)
    with pytest.raises(ValueError):
        keep(written, 0)
    assert copies(written) == [written.resolve()]
    assert DEFAULT_KEEP == 14
