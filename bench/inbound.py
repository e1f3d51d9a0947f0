"""Benchmark 2, inbound end to end: `python -m bench.inbound [--quick] [--baseline]`.

Participants answer their weekly check-in question: a button press in the emulator goes
to the bot by long polling (getUpdates), the bot answers the callback, replaces the
buttons with a ✅ and sends the next message. Latency is from the press (the update
queued in the emulator) to that next message arriving in the emulator. Levels: 1
participant at a time (20 presses one after the other), then 100 and 1,000
participants pressing at once, and 100 pressing within one second (one every 10 ms; the
"100 concurrent participants" of a real evening rather than of one instant). Telegram's
limits are off here (emulator and dispatcher) so the bot's own speed is measured; see
bench.outbound for replies under the limits.

Setup per run, not timed: a fresh database with the participants (active, consented,
check-in on Wednesday morning) and their pending check-in timers; the bot starts, the
check-in comes due and the bot sends every participant the question through its normal
path (timer → flow → outbox → sendMessage). Then the presses start.
"""

from __future__ import annotations

import argparse
import asyncio
import math
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import bots
from bench.common import (
    CHECKIN_AT,
    BenchEmulator,
    Seed,
    fmt,
    latency_summary,
    med,
    participant_tg,
    percentile,
    quiet,
    work_dir,
    write_result,
)

Level = int | str  # n: n presses at once; "n/Ss": n presses spread evenly over S seconds
FULL_LEVELS: tuple[Level, ...] = (1, 100, "100/1s", 1000)
QUICK_LEVELS: tuple[Level, ...] = (1, 5, "5/1s", 20)


def spread(level: Level) -> tuple[int, float]:
    """(presses, seconds they are spread over) of a level."""
    if isinstance(level, int):
        return level, 0.0
    count, seconds = level.removesuffix("s").split("/")
    return int(count), float(seconds)


def level_name(level: Level, rtt_ms: float) -> str:
    """The level as results name it: "100", or "100 rtt 100 ms" over a round trip."""
    return str(level) if not rtt_ms else f"{level} rtt {rtt_ms:g} ms"


def label(level: Level) -> str:
    count, seconds = spread(level)
    return f"{count} within {seconds:g} s" if seconds else f"{count} at once"


async def one_run(
    kind: str,
    levels: tuple[Level, ...],
    sequential: int,
    folder: Path,
    tag: str = "",
    rtt_ms: float = 0,
) -> dict[str, Any]:
    """One bot, one fresh database: every level once, with `rtt_ms` of network round trip
    on every Bot API call once the questions are out."""
    total = sequential + sum(spread(n)[0] for n in levels if n != 1)
    emu = BenchEmulator()
    await emu.start()
    try:
        bots.seed_users(emu, total)
        data = bots.prepare(
            kind,
            folder,
            Seed(
                participants=total,
                checkin_timers_at=CHECKIN_AT,
                daily_done_on=CHECKIN_AT.date(),
            ),
            now=CHECKIN_AT - timedelta(hours=1),
        )
        t0 = bots.now_plus(bots.start_allowance(total))
        child = bots.child(kind, data, emu, folder, at=CHECKIN_AT, t0=t0, limits="off", tag=tag)
        await child.start()
        try:
            ready = await child.wait_ready()
            if not await emu.wait_total(total, timeout=120 + total * 0.05):
                raise RuntimeError(
                    f"{kind}: only {emu.total_sent} of {total} check-in questions arrived"
                )
            await quiet(emu)
            missing = [i for i in range(total) if participant_tg(i) not in emu.question]
            if missing:
                raise RuntimeError(f"{kind}: {len(missing)} participants have no question")
            emu.set_round_trip(rtt_ms / 1000)
            result: dict[str, Any] = {"kind": kind, "ready": ready, "rtt_ms": rtt_ms, "levels": {}}
            next_participant = 0
            for level in levels:
                cpu_before = child.cpu()
                if level == 1:
                    samples: list[float] = []
                    reactions: list[float] = []
                    started = asyncio.get_running_loop().time()
                    for _ in range(sequential):
                        chat = participant_tg(next_participant)
                        at = emu.press(chat, next_participant % 4)
                        next_participant += 1
                        if await emu.wait_replies(timeout=30):
                            samples.append(emu.reply_at[chat] - at)
                            if chat in emu.reacted_at:
                                reactions.append(emu.reacted_at[chat] - at)
                        else:
                            emu.unanswered()
                    elapsed = asyncio.get_running_loop().time() - started
                    count = sequential
                    unanswered = count - len(samples)
                else:
                    count, seconds = spread(level)
                    chats = [participant_tg(next_participant + i) for i in range(count)]
                    pressed = {}
                    for i, chat in enumerate(chats):
                        if seconds and i:
                            await asyncio.sleep(seconds / count)
                        pressed[chat] = emu.press(chat, (next_participant + i) % 4)
                    next_participant += count
                    await emu.wait_replies(timeout=60 + count * 0.2)
                    unanswered = len(emu.unanswered())
                    samples = [emu.reply_at[c] - pressed[c] for c in chats if c in emu.reply_at]
                    reactions = [
                        emu.reacted_at[c] - pressed[c] for c in chats if c in emu.reacted_at
                    ]
                    ends = [emu.reply_at[c] for c in chats if c in emu.reply_at]
                    elapsed = (max(ends) - min(pressed.values())) if ends else math.nan
                await quiet(emu, still=0.2)
                cpu = child.cpu() - cpu_before
                result["levels"][level_name(level, rtt_ms)] = {
                    **latency_summary(samples),
                    "reaction_p50_ms": percentile(reactions, 50) * 1000,
                    "reaction_p99_ms": percentile(reactions, 99) * 1000,
                    "updates": count,
                    "unanswered": unanswered,
                    "elapsed_s": elapsed,
                    "updates_per_s": len(samples) / elapsed if elapsed else math.nan,
                    "cpu_ms_per_update": cpu * 1000 / count,
                }
        finally:
            result_stats = await child.stop()
        result["stats"] = result_stats
        return result
    finally:
        await emu.stop()


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for run in runs:
        for level, data in run["levels"].items():
            summary.setdefault(run["kind"], {}).setdefault(level, []).append(data)
    out: dict[str, Any] = {}
    for kind, levels in summary.items():
        out[kind] = {
            level: {
                key: med(d[key] for d in items)
                for key in (
                    "p50_ms",
                    "p99_ms",
                    "reaction_p50_ms",
                    "reaction_p99_ms",
                    "updates_per_s",
                    "cpu_ms_per_update",
                )
            }
            | {"unanswered": sum(d["unanswered"] for d in items), "runs": len(items)}
            for level, items in levels.items()
        }
    return out


def line(summary: dict[str, Any]) -> str:
    parts = []
    for kind, levels in summary.items():
        inner = "; ".join(
            f"{level}: {fmt(d['updates_per_s'])} upd/s p50 {fmt(d['p50_ms'])} ms"
            f" p99 {fmt(d['p99_ms'])} ms"
            for level, d in levels.items()
        )
        parts.append(f"{kind} [{inner}]")
    return "inbound " + " | ".join(parts)


async def bench(
    quick: bool = False,
    runs: int | None = None,
    kinds: tuple[str, ...] = ("coachbot",),
    results_dir: Path | None = None,
    levels: tuple[Level, ...] | None = None,
    rtts_ms: tuple[float, ...] = (0,),
) -> dict[str, Any]:
    levels = levels or (QUICK_LEVELS if quick else FULL_LEVELS)
    runs = runs or (1 if quick else 3)
    sequential = 3 if quick else 20
    folder = work_dir("inbound", results_dir)
    all_runs = []
    for run in range(runs):
        for kind in kinds:
            for rtt in rtts_ms:
                tag = f"-{run}" if not rtt else f"-{run}-rtt{rtt:g}"
                result = await one_run(kind, levels, sequential, folder, tag=tag, rtt_ms=rtt)
                result["run"] = run
                all_runs.append(result)
    summary = summarize(all_runs)
    data = {
        "quick": quick,
        "levels": levels,
        "sequential_presses": sequential,
        "rtts_ms": rtts_ms,
        "runs": all_runs,
        "summary": summary,
        "line": line(summary),
    }
    write_result("inbound", data, results_dir)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument(
        "--rtt", default="0", help="network round trips in ms, comma-separated (e.g. 0,50,100,250)"
    )
    parser.add_argument(
        "--levels", default=None, help='comma-separated, e.g. "1,100,100/1s,300" (default: all)'
    )
    parser.add_argument("--baseline", action="store_true", help="also run the baseline bot")
    parser.add_argument("--out", default=None, help="results folder (default bench/results)")
    args = parser.parse_args()
    out = Path(args.out) if args.out else None
    kinds = ("coachbot", "baseline") if args.baseline else ("coachbot",)
    rtts = tuple(float(r) for r in args.rtt.split(","))
    levels = (
        tuple(int(x) if x.isdigit() else x for x in args.levels.split(",")) if args.levels else None
    )
    data = asyncio.run(bench(args.quick, args.runs, kinds, out, levels=levels, rtts_ms=rtts))
    print(data["line"])


if __name__ == "__main__":
    main()
