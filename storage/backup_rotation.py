"""Keeping a bounded number of backup copies: `coachbot backup --keep N`.

A copy is a file in the folder of the new one whose name has the same shape: the same
letters, with any digits where the new name has digits (`coachbot-2026-10-19.sqlite3`
matches `coachbot-2026-10-18.sqlite3`, not `before-upgrade.sqlite3`). The newest N stay
(by modification time, then name); older ones are deleted, with any `-wal`, `-shm` or
`-journal` file beside them. An erased person therefore survives in backups for at most
N runs of the backup (N days when it runs nightly).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

DEFAULT_KEEP = 14
SIDECARS = ("-wal", "-shm", "-journal")


def shape(name: str) -> re.Pattern[str]:
    """A pattern for names like `name`: each run of digits may be any run of digits."""
    parts = re.split(r"(\d+)", name)
    return re.compile(
        "".join(r"\d+" if part.isdigit() else re.escape(part) for part in parts if part)
    )


def copies(newest: Path) -> list[Path]:
    """The backup copies beside `newest` (itself first), then newest first."""
    newest = newest.resolve()
    pattern = shape(newest.name)
    found = [
        p.resolve()
        for p in newest.parent.iterdir()
        if p.is_file() and pattern.fullmatch(p.name) and p.resolve() != newest
    ]
    found.sort(key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
    return [newest, *found] if newest.is_file() else found


def keep(newest: Path, count: int = DEFAULT_KEEP, *, spare: Iterable[Path] = ()) -> list[Path]:
    """Delete all but the `count` newest copies like `newest` (the copy just written, which
    always stays) and never a file in `spare` (the live database); returns the deleted
    copies, newest first."""
    if count < 1:
        raise ValueError("keep at least one backup")
    spared = {Path(p).resolve() for p in spare}
    removed = [p for p in copies(newest)[count:] if p not in spared]
    for path in removed:
        for sidecar in SIDECARS:
            Path(f"{path}{sidecar}").unlink(missing_ok=True)
        path.unlink(missing_ok=True)
    return removed
