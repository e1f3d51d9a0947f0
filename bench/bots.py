"""Starting Coachbot or the baseline against a BenchEmulator, with the same seed.

With BENCH_PROFILE_DIR set, every Coachbot child writes a pyinstrument profile there
(`coachbot<tag>.html` and `.html.txt`); the figures are then not comparable."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

from bench.common import (
    COACH_TG,
    LANGUAGES,
    BenchEmulator,
    Child,
    Seed,
    participant_tg,
    seed_baseline,
    seed_coachbot,
)

BOTS = ("coachbot", "baseline")


def prepare(kind: str, folder: Path, seed: Seed, now: datetime) -> Path:
    """Write the bot's data (SQLite file or pickle) for `seed`; returns its path."""
    if kind == "coachbot":
        path = folder / "coachbot.sqlite3"
        seed_coachbot(path, seed, now)
    else:
        path = folder / "baseline.pickle"
        seed_baseline(path, seed.participants, seed.outbox_rows, seed.outbox_due, seed.checkin_day)
    return path


def seed_users(emu: BenchEmulator, participants: int) -> None:
    emu.seed_user(COACH_TG, "Sanne", "en")
    for i in range(participants):
        emu.seed_user(participant_tg(i), f"P{i}", LANGUAGES[i % len(LANGUAGES)])


def child(
    kind: str,
    data: Path,
    emu: BenchEmulator,
    folder: Path,
    *,
    at: datetime,
    t0: float,
    limits: str,
    profile: Path | None = None,
    poll_interval: float | None = None,
    tag: str = "",
) -> Child:
    common = ["--api-url", emu.base_url, "--at", at.isoformat(), "--t0", repr(t0)]
    common += ["--limits", limits]
    log = folder / f"{kind}{tag}.log"
    if kind == "coachbot":
        args = ["--db", str(data), *common]
        folder_env = os.environ.get("BENCH_PROFILE_DIR")
        if profile is None and folder_env:
            profile = Path(folder_env) / f"coachbot{tag}.html"
        if profile is not None:
            args += ["--profile", str(profile)]
        if poll_interval is not None:
            args += ["--poll-interval", str(poll_interval)]
        return Child("bench.child", args, log)
    return Child("bench.baseline_bot", ["--pickle", str(data), *common], log)


def now_plus(seconds: float) -> float:
    return float(int(time.time() + seconds) + 1)


def start_allowance(participants: int) -> float:
    """Seconds from spawning a bot until its seeded check-ins come due: enough to start
    (the planner runs over every participant first), or the burst would begin during start."""
    return 1.5 + participants * 0.0008
