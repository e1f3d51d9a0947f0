"""Benchmark 3, an outbound burst: `python -m bench.outbound [--quick] [--baseline]`.

10,000 participants have their weekly check-in on Wednesday at 10:00: 10,000 reminders due
at the same moment. Scenarios (each on a fresh database and bot process):

- `off/timers`: Telegram's limits off (emulator limits off; the dispatcher's Settings and
  python-telegram-bot's AIORateLimiter lifted). The reminders are pending check-in timers,
  so each goes timer → flow → outbox → sendMessage. Measured: the bot process's CPU time
  (utime+stime from /proc, all threads) from the due moment until the last question
  arrived, per message, and the throughput.
- `off/outbox`: the same with 10,000 pending outbox rows (already rendered): the
  dispatcher's send path alone.
- `settings/outbox` (full run only, one run, 900 rows): only the Settings lifted, as an
  operator would try it; shows python-telegram-bot's limiter capping the rate at 30/s.
- `telegram/timers`: Telegram's limits on (`emulator.enforce_limits(1, 30)`, default
  Settings, the bot as shipped). For a window of `--window` seconds: the sustained rate of
  messages Telegram accepted, the 429s, and the latency of replies: every 10th participant
  answers the check-in 2 s after it arrived, and the time from that press to the bot's next
  message is measured. A reply still missing `--grace` seconds after the window counts as
  unanswered (its latency is then only known to exceed the wait).
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
    BenchEmulator,
    Child,
    Seed,
    fmt,
    med,
    percentile,
    work_dir,
    write_result,
)

ANSWER_EVERY = 10  # every 10th participant answers the check-in during the burst
ANSWER_AFTER = 2.0  # seconds after it arrived
MAX_WAIT = 150.0  # seconds a limits-off burst may take before it counts as not delivered
SMALL = 2_000  # the limits-off check-in burst is also run at this size


def monotonic_of(wall: float) -> float:
    return time.monotonic() + (wall - time.time())


async def sleep_until_wall(wall: float) -> None:
    await asyncio.sleep(max(0.0, wall - time.time()))


async def _launch(
    kind: str, emu: BenchEmulator, folder: Path, seed: Seed, limits: str, tag: str
) -> tuple[Child, float]:
    bots.seed_users(emu, seed.participants)
    data = bots.prepare(kind, folder, seed, now=CHECKIN_AT - timedelta(hours=1))
    t0 = bots.now_plus(bots.start_allowance(seed.participants))
    child = bots.child(kind, data, emu, folder, at=CHECKIN_AT, t0=t0, limits=limits, tag=tag)
    await child.start()
    return child, t0


async def burst_unlimited(
    kind: str, n: int, source: str, folder: Path, tag: str, limits: str = "off"
) -> dict[str, Any]:
    """All `n` reminders due at t0, no Telegram limits: CPU per message and throughput."""
    emu = BenchEmulator()
    await emu.start()
    try:
        if source == "timers":
            seed = Seed(
                participants=n, checkin_timers_at=CHECKIN_AT, daily_done_on=CHECKIN_AT.date()
            )
        else:
            seed = Seed(
                participants=n,
                checkin_day=None,
                outbox_rows=n,
                outbox_due=CHECKIN_AT,
                daily_done_on=CHECKIN_AT.date(),
            )
        child, t0 = await _launch(kind, emu, folder, seed, limits, tag)
        try:
            ready = await child.wait_ready()
            late = time.time() > t0
            await sleep_until_wall(t0)
            cpu0 = child.cpu()
            mono0 = monotonic_of(t0)
            done = await emu.wait_total(n, timeout=min(60 + n * 0.05, MAX_WAIT))
            waited = time.monotonic() - mono0
            cpu = child.cpu() - cpu0
            sent = emu.total_sent
            first = emu.sent_times[0] if sent else math.nan
            last = emu.sent_times[-1] if sent else math.nan
            memory = child.memory()
        finally:
            stats = await child.stop()
        return {
            "kind": kind,
            "source": source,
            "limits": limits,
            "messages": n,
            "sent": sent,
            "complete": done,
            "late_start": late,
            "ready": ready,
            "cpu_ms_per_message": cpu * 1000 / max(sent, 1),
            # delivered per second from the due moment to the last delivery (or to the end
            # of the wait when not all arrived)
            "msgs_per_s": sent / ((last - mono0) if done else waited),
            "due_to_last_s": (last - mono0) if done else math.inf,
            "due_to_first_s": first - mono0,
            "waited_s": waited,
            "rss_kb": memory.get("VmHWM"),
            "errors": stats.get("errors"),
        }
    finally:
        await emu.stop()


async def burst_limited(
    kind: str, n: int, window: float, grace: float, folder: Path, tag: str, rtt_ms: float = 0
) -> dict[str, Any]:
    """Telegram's limits on: sustained rate and reply latency during the burst, with
    `rtt_ms` of network round trip on every Bot API call."""
    emu = BenchEmulator()
    await emu.start()
    emu.enforce_limits(per_chat_per_sec=1, global_per_sec=30)
    emu.set_round_trip(rtt_ms / 1000)
    try:
        seed = Seed(participants=n, checkin_timers_at=CHECKIN_AT, daily_done_on=CHECKIN_AT.date())
        child, t0 = await _launch(kind, emu, folder, seed, "telegram", tag)
        pressed: dict[int, float] = {}
        try:
            ready = await child.wait_ready()
            await sleep_until_wall(t0)
            mono0 = monotonic_of(t0)
            cpu0 = child.cpu()
            seen = 0
            due: list[tuple[float, int]] = []
            order = {}
            while time.monotonic() < mono0 + window:
                for arrived, chat in emu.question_log[seen:]:
                    index = order.setdefault(chat, len(order))
                    if index % ANSWER_EVERY == 0 and chat not in pressed:
                        due.append((arrived + ANSWER_AFTER, chat))
                seen = len(emu.question_log)
                now = time.monotonic()
                for _at, chat in [d for d in due if d[0] <= now]:
                    pressed[chat] = emu.press(chat, 0)
                due = [d for d in due if d[0] > now]
                await asyncio.sleep(0.02)
            in_window = [t for t in emu.sent_times if mono0 <= t <= mono0 + window]
            steady = [t for t in in_window if t >= mono0 + 5]
            cpu = child.cpu() - cpu0
            rejected = emu.limited
            await emu.wait_replies(timeout=grace)
            unanswered = emu.unanswered()
            memory = child.memory()
        finally:
            stats = await child.stop()
        latencies = [emu.reply_at[c] - t for c, t in pressed.items() if c in emu.reply_at]
        censored = [math.inf for _ in unanswered]
        return {
            "kind": kind,
            "messages": n,
            "rtt_ms": rtt_ms,
            "window_s": window,
            "ready": ready,
            "sent_in_window": len(in_window),
            "rate_per_s": len(in_window) / window,
            "steady_rate_per_s": len(steady) / (window - 5) if window > 5 else math.nan,
            "rejected_429": rejected,
            "cpu_ms_per_message": cpu * 1000 / max(len(in_window), 1),
            "replies_pressed": len(pressed),
            "replies_answered": len(latencies),
            "replies_unanswered": len(unanswered),
            "reply_p50_ms": percentile(latencies + censored, 50) * 1000,
            "reply_p99_ms": percentile(latencies + censored, 99) * 1000,
            "reply_answered_p99_ms": percentile(latencies, 99) * 1000,
            "rss_kb": memory.get("VmHWM"),
            "errors": stats.get("errors"),
        }
    finally:
        await emu.stop()


def scenario_name(rtt_ms: float) -> str:
    """ "telegram/timers" at 0 ms (as before round trips were measured), else with its rtt."""
    return "telegram/timers" if not rtt_ms else f"telegram/timers rtt {rtt_ms:g} ms"


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for run in runs:
        groups.setdefault(run["kind"], {}).setdefault(run["scenario"], []).append(run)
    keys = (
        "cpu_ms_per_message",
        "msgs_per_s",
        "due_to_last_s",
        "rate_per_s",
        "steady_rate_per_s",
        "rejected_429",
        "reply_p50_ms",
        "reply_p99_ms",
        "reply_answered_p99_ms",
        "replies_pressed",
        "replies_unanswered",
        "sent",
        "messages",
        "rss_kb",
    )
    out: dict[str, Any] = {}
    for kind, scenarios in groups.items():
        out[kind] = {}
        for scenario, items in scenarios.items():
            out[kind][scenario] = {
                k: _median_inf([i[k] for i in items]) for k in keys if k in items[0]
            } | {"runs": len(items)}
    return out


def _median_inf(values: list[Any]) -> float:
    clean = [v for v in values if v is not None]
    if not clean:
        return math.nan
    if any(isinstance(v, float) and math.isinf(v) for v in clean):
        ordered = sorted(clean)
        return ordered[len(ordered) // 2]
    return med(clean)


def line(summary: dict[str, Any]) -> str:
    parts = []
    for kind, scenarios in summary.items():
        bits = []
        for name in ("off/timers", f"off/timers {SMALL}", "off/outbox"):
            if name in scenarios:
                d = scenarios[name]
                missing = d["messages"] - d["sent"]
                bits.append(
                    f"{name}: {fmt(d['cpu_ms_per_message'], 2)} CPU ms/msg,"
                    f" {fmt(d['msgs_per_s'])} msg/s"
                    + (f" ({fmt(missing, 0)} not delivered in {MAX_WAIT:.0f} s)" if missing else "")
                )
        for name in [s for s in scenarios if s.startswith("telegram/timers")]:
            d = scenarios[name]
            p99 = d["reply_p99_ms"]
            p99_text = (
                f"> {fmt(d.get('wait_s', math.nan), 0)} s" if math.isinf(p99) else f"{fmt(p99)} ms"
            )
            rtt = name.removeprefix("telegram/timers").strip() or "rtt 0 ms"
            bits.append(
                f"limits on, {rtt}: {fmt(d['steady_rate_per_s'])} msg/s sustained,"
                f" reply p99 {p99_text}"
                f" ({int(d['replies_unanswered'])}/{int(d['replies_pressed'])} unanswered)"
            )
        parts.append(f"{kind} [{'; '.join(bits)}]")
    return "outbound " + " | ".join(parts)


async def bench(
    quick: bool = False,
    runs: int | None = None,
    kinds: tuple[str, ...] = ("coachbot",),
    results_dir: Path | None = None,
    n: int | None = None,
    window: float | None = None,
    scenarios: tuple[str, ...] = ("off/timers", "off/outbox", "settings/outbox", "telegram"),
    rtts_ms: tuple[float, ...] = (0,),
) -> dict[str, Any]:
    n = n or (200 if quick else 10_000)
    runs = runs or (1 if quick else 3)
    window = window or (4.0 if quick else 45.0)
    grace = 3.0 if quick else 15.0
    folder = work_dir("outbound", results_dir)
    all_runs: list[dict[str, Any]] = []
    for run in range(runs):
        for kind in kinds:
            for source in ("timers", "outbox"):
                if f"off/{source}" in scenarios:
                    result = await burst_unlimited(kind, n, source, folder, f"-{source}-{run}")
                    all_runs.append({**result, "scenario": f"off/{source}", "run": run})
            if "off/timers" in scenarios and not quick and n > SMALL:
                result = await burst_unlimited(kind, SMALL, "timers", folder, f"-small-{run}")
                all_runs.append({**result, "scenario": f"off/timers {SMALL}", "run": run})
            for rtt in rtts_ms if "telegram" in scenarios else ():
                tag = f"-limited-{rtt:g}-{run}"
                result = await burst_limited(kind, n, window, grace, folder, tag, rtt)
                all_runs.append(
                    {**result, "scenario": scenario_name(rtt), "run": run, "wait_s": window + grace}
                )
    if "settings/outbox" in scenarios and not quick and "coachbot" in kinds:
        result = await burst_unlimited(
            "coachbot", 900, "outbox", folder, "-settings", limits="settings"
        )
        all_runs.append({**result, "scenario": "settings/outbox", "run": 0})
    summary = summarize(all_runs)
    for kind in summary.values():
        for name in kind:
            if name.startswith("telegram/timers"):
                kind[name]["wait_s"] = window + grace
    data = {
        "quick": quick,
        "messages": n,
        "window_s": window,
        "grace_s": grace,
        "rtts_ms": rtts_ms,
        "runs": all_runs,
        "summary": summary,
        "line": line(summary),
    }
    write_result("outbound", data, results_dir)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--messages", type=int, default=None)
    parser.add_argument("--window", type=float, default=None)
    parser.add_argument(
        "--scenarios",
        default="off/timers,off/outbox,settings/outbox,telegram",
        help="comma-separated subset of the default",
    )
    parser.add_argument(
        "--rtt",
        default="0,50,100,250",
        help="network round trips in ms for the limits-on burst, comma-separated",
    )
    parser.add_argument("--baseline", action="store_true", help="also run the baseline bot")
    parser.add_argument("--out", default=None, help="results folder (default bench/results)")
    args = parser.parse_args()
    out = Path(args.out) if args.out else None
    scenarios = tuple(args.scenarios.split(","))
    rtts = tuple(float(r) for r in args.rtt.split(","))
    kinds = ("coachbot", "baseline") if args.baseline else ("coachbot",)
    data = asyncio.run(
        bench(
            args.quick,
            args.runs,
            kinds,
            out,
            n=args.messages,
            window=args.window,
            scenarios=scenarios,
            rtts_ms=rtts,
        )
    )
    print(data["line"])


if __name__ == "__main__":
    main()
