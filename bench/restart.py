"""Benchmark 4, restart with a backlog: `python -m bench.restart [--quick] [--baseline]`.

A bot that was down comes back to 50,000 participants (active, each with its next weekly
check-in planned) and 100,000 pending reminders that are due now (and not yet expired).
Measured from spawning the bot process (so Python start-up and imports count) to the first
message arriving in the emulator, and the process's peak RSS (VmHWM from /proc) once it has
been sending for `SETTLE` seconds. Run at two sizes, the growth per participant gives the
projection for 100,000 participants. The bot runs as shipped (Telegram's limits on in the
emulator and in the bot).

`--daily-pending`: the daily jobs (silent scan, trajectory length, monthly ladder,
retention) have not run yet today, as on the first start of a day; they then run while
the backlog goes out. Coachbot only (the baseline has no daily jobs).

The baseline's backlog is the same data in its pickle: participants in user_data, pending
reminders in bot_data; on start it creates one JobQueue job per participant (weekly
check-in) and per reminder.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import bots
from bench.common import (
    CHECKIN_AT,
    MONDAY,
    BenchEmulator,
    Seed,
    fmt,
    med,
    ratio,
    work_dir,
    write_result,
)

SETTLE = 3.0  # seconds of sending before the memory reading
FIRST_SEND_WAIT = 45.0  # seconds; no message by then counts as never
FULL_SIZES = ((5_000, 10_000), (50_000, 100_000))
QUICK_SIZES = ((200, 400), (1_000, 2_000))
PROJECT_TO = 100_000


async def one_run(
    kind: str,
    participants: int,
    rows: int,
    folder: Path,
    tag: str,
    settle: float = SETTLE,
    daily_pending: bool = False,
) -> dict:
    emu = BenchEmulator()
    await emu.start()
    emu.enforce_limits(per_chat_per_sec=1, global_per_sec=30)
    try:
        bots.seed_users(emu, participants)
        seed = Seed(
            participants=participants,
            checkin_timers_at=CHECKIN_AT,
            outbox_rows=rows,
            outbox_due=MONDAY - timedelta(minutes=1),
            daily_done_on=None if daily_pending else MONDAY.date(),
        )
        data = bots.prepare(kind, folder, seed, now=MONDAY - timedelta(days=1))
        size = data.stat().st_size
        child = bots.child(
            kind, data, emu, folder, at=MONDAY, t0=time.time(), limits="telegram", tag=tag
        )
        await child.start()
        try:
            # A bot may never send (the baseline's JobQueue drops reminders whose time
            # passed more than a second before its scheduler ran): that is a result too.
            if await emu.wait_total(1, timeout=FIRST_SEND_WAIT):
                first = emu.sent_times[0] - child.spawned_at
            else:
                first = math.inf
            ready = await child.wait_ready()
            await asyncio.sleep(settle)
            memory = child.memory()
            sent = emu.total_sent
            dropped = _missed_jobs(child.log_path)
        finally:
            stats = await child.stop()
        return {
            "kind": kind,
            "participants": participants,
            "pending": rows,
            "data_bytes": size,
            "first_send_s": first,
            "imports_s": ready.get("imports_s"),
            "ready_s": ready.get("start_s"),
            "peak_rss_mib": memory.get("VmHWM", 0) / 1024,
            "rss_mib": memory.get("VmRSS", 0) / 1024,
            "sent_in_settle": sent,
            "jobs_missed": dropped,
            "errors": stats.get("errors"),
        }
    finally:
        await emu.stop()


def _missed_jobs(log: Path) -> int:
    """APScheduler's "Run time of job … was missed" warnings in the bot's log."""
    try:
        with log.open("rb") as file:
            return sum(1 for line in file if b"was missed by" in line)
    except OSError:
        return 0


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for run in runs:
        key = f"{run['participants']}/{run['pending']}"
        out.setdefault(run["kind"], {}).setdefault(key, []).append(run)
    summary: dict[str, Any] = {}
    for kind, sizes in out.items():
        summary[kind] = {}
        for key, items in sizes.items():
            summary[kind][key] = {
                k: med(i[k] for i in items)
                for k in ("imports_s", "ready_s", "peak_rss_mib", "jobs_missed")
            } | {
                "first_send_s": _median_inf([i["first_send_s"] for i in items]),
                "participants": items[0]["participants"],
                "runs": len(items),
            }
        ordered = sorted(summary[kind].values(), key=lambda d: d["participants"])
        if len(ordered) >= 2:
            small, big = ordered[0], ordered[-1]
            slope = ratio(
                big["peak_rss_mib"] - small["peak_rss_mib"],
                big["participants"] - small["participants"],
            )
            slope = max(slope, 0.0)  # no growth shows as a small negative: noise
            summary[kind]["kib_per_participant"] = slope * 1024
            summary[kind]["projected_mib_100k"] = big["peak_rss_mib"] + slope * (
                PROJECT_TO - big["participants"]
            )
    return summary


def _median_inf(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else math.nan


def line(summary: dict[str, Any]) -> str:
    parts = []
    for kind, data in summary.items():
        sizes = {k: v for k, v in data.items() if isinstance(v, dict)}
        bits = [
            f"{k}: first send {fmt(v['first_send_s'], 2)} s, peak RSS {fmt(v['peak_rss_mib'])} MiB"
            for k, v in sizes.items()
        ]
        if "projected_mib_100k" in data:
            bits.append(
                f"{fmt(data['kib_per_participant'], 2)} KiB/participant →"
                f" {fmt(data['projected_mib_100k'], 0)} MiB at 100k"
            )
        parts.append(f"{kind} [{'; '.join(bits)}]")
    return "restart " + " | ".join(parts)


async def bench(
    quick: bool = False,
    runs: int | None = None,
    kinds: tuple[str, ...] = ("coachbot",),
    results_dir: Path | None = None,
    sizes: tuple[tuple[int, int], ...] | None = None,
    settle: float = SETTLE,
    daily_pending: bool = False,
) -> dict[str, Any]:
    sizes = sizes or (QUICK_SIZES if quick else FULL_SIZES)
    runs = runs or (1 if quick else 3)
    folder = work_dir("restart", results_dir)
    all_runs = []
    for run in range(runs):
        for participants, rows in sizes:
            for kind in kinds:
                result = await one_run(
                    kind,
                    participants,
                    rows,
                    folder,
                    f"-{participants}-{run}",
                    settle,
                    daily_pending,
                )
                all_runs.append({**result, "run": run})
    summary = summarize(all_runs)
    data = {
        "quick": quick,
        "sizes": sizes,
        "settle_s": settle,
        "daily_pending": daily_pending,
        "runs": all_runs,
        "summary": summary,
        "line": line(summary),
    }
    write_result("restart", data, results_dir)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--baseline", action="store_true", help="also run the baseline bot")
    parser.add_argument("--out", default=None, help="results folder (default bench/results)")
    parser.add_argument(
        "--daily-pending", action="store_true", help="the daily jobs have not run yet today"
    )
    args = parser.parse_args()
    out = Path(args.out) if args.out else None
    kinds = ("coachbot", "baseline") if args.baseline else ("coachbot",)
    data = asyncio.run(bench(args.quick, args.runs, kinds, out, daily_pending=args.daily_pending))
    print(data["line"])


if __name__ == "__main__":
    main()
