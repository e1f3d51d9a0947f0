"""Benchmark 5, Coachbot against the usual hand-written bot: `python -m bench.baseline [--quick]`.

Runs benchmarks 2–4 (inbound, outbound burst, restart) for both bots in one invocation,
alternating Coachbot and the baseline (bench/baseline_bot.py) run by run against the same
emulator code and the same seeded participants, and reports Coachbot/baseline ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import math
from pathlib import Path
from typing import Any

from bench import inbound, outbound, restart
from bench.common import fmt, ratio, write_result

BOTH = ("coachbot", "baseline")


def _get(data: dict[str, Any], *path: str) -> float:
    node: Any = data
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return math.nan
        node = node[key]
    return float(node) if node is not None else math.nan


def comparisons(
    inbound_data: dict[str, Any], outbound_data: dict[str, Any], restart_data: dict[str, Any]
) -> list[dict[str, Any]]:
    """Rows: figure, Coachbot, baseline, ratio, and whether higher is better."""
    rows: list[dict[str, Any]] = []

    def add(name: str, unit: str, higher_better: bool, c: float, b: float) -> None:
        r = ratio(c, b)
        if math.isinf(c) and math.isinf(b):
            r = math.nan
        elif math.isinf(b) and not math.isnan(c):
            r = 0.0
        elif math.isinf(c) and not math.isnan(b):
            r = math.inf
        better = (r >= 1 if higher_better else r <= 1) if not math.isnan(r) else None
        rows.append(
            {
                "figure": name,
                "unit": unit,
                "higher_is_better": higher_better,
                "coachbot": c,
                "baseline": b,
                "ratio": r,
                "coachbot_at_least_as_good": better,
            }
        )

    isum = inbound_data["summary"]
    for level in inbound_data["levels"]:
        key = str(level)
        name = inbound.label(level)
        add(
            f"inbound, {name}: updates/s",
            "upd/s",
            True,
            _get(isum, "coachbot", key, "updates_per_s"),
            _get(isum, "baseline", key, "updates_per_s"),
        )
        for pct in ("p50", "p99"):
            add(
                f"inbound, {name}: {pct} latency",
                "ms",
                False,
                _get(isum, "coachbot", key, f"{pct}_ms"),
                _get(isum, "baseline", key, f"{pct}_ms"),
            )
        add(
            f"inbound, {name}: CPU per update",
            "ms",
            False,
            _get(isum, "coachbot", key, "cpu_ms_per_update"),
            _get(isum, "baseline", key, "cpu_ms_per_update"),
        )
    osum = outbound_data["summary"]

    def cpu_per_delivered(kind: str, scenario: str) -> float:
        if _get(osum, kind, scenario, "sent") == 0:
            return math.inf  # nothing delivered: CPU per delivered message is unbounded
        return _get(osum, kind, scenario, "cpu_ms_per_message")

    for scenario in ("off/timers", f"off/timers {outbound.SMALL}", "off/outbox"):
        add(
            f"burst {scenario}: messages/s",
            "msg/s",
            True,
            _get(osum, "coachbot", scenario, "msgs_per_s"),
            _get(osum, "baseline", scenario, "msgs_per_s"),
        )
        add(
            f"burst {scenario}: CPU per delivered message",
            "ms",
            False,
            cpu_per_delivered("coachbot", scenario),
            cpu_per_delivered("baseline", scenario),
        )
    add(
        "burst, limits on: sustained messages/s",
        "msg/s",
        True,
        _get(osum, "coachbot", "telegram/timers", "steady_rate_per_s"),
        _get(osum, "baseline", "telegram/timers", "steady_rate_per_s"),
    )
    add(
        "burst, limits on: reply p99 latency",
        "ms",
        False,
        _get(osum, "coachbot", "telegram/timers", "reply_p99_ms"),
        _get(osum, "baseline", "telegram/timers", "reply_p99_ms"),
    )
    rsum = restart_data["summary"]
    for key in rsum.get("coachbot", {}):
        if not isinstance(rsum["coachbot"][key], dict):
            continue
        add(
            f"restart {key}: start to first send",
            "s",
            False,
            _get(rsum, "coachbot", key, "first_send_s"),
            _get(rsum, "baseline", key, "first_send_s"),
        )
        add(
            f"restart {key}: peak RSS",
            "MiB",
            False,
            _get(rsum, "coachbot", key, "peak_rss_mib"),
            _get(rsum, "baseline", key, "peak_rss_mib"),
        )
    add(
        "memory projected for 100,000 participants",
        "MiB",
        False,
        _get(rsum, "coachbot", "projected_mib_100k"),
        _get(rsum, "baseline", "projected_mib_100k"),
    )
    return rows


def line(rows: list[dict[str, Any]]) -> str:
    wins = sum(1 for r in rows if r["coachbot_at_least_as_good"])
    known = sum(1 for r in rows if r["coachbot_at_least_as_good"] is not None)
    picks = [
        r
        for r in rows
        if r["figure"]
        in (
            "inbound, 100 at once: p99 latency",
            "burst off/timers: messages/s",
            "burst off/timers: CPU per delivered message",
        )
        or r["figure"].endswith("first send")
        or r["figure"].startswith("memory projected")
    ]
    text = ", ".join(f"{r['figure']} ×{fmt(r['ratio'], 2)}" for r in picks)
    return f"baseline Coachbot/baseline: {text}; Coachbot at least as good on {wins}/{known}"


async def bench(
    quick: bool = False,
    runs: int | None = None,
    results_dir: Path | None = None,
    burst_runs: int | None = None,
) -> dict[str, Any]:
    inbound_data = await inbound.bench(quick, runs, BOTH, results_dir)
    print(inbound_data["line"], flush=True)
    outbound_data = await outbound.bench(quick, burst_runs or runs, BOTH, results_dir)
    print(outbound_data["line"], flush=True)
    restart_data = await restart.bench(quick, runs, BOTH, results_dir)
    print(restart_data["line"], flush=True)
    rows = comparisons(inbound_data, outbound_data, restart_data)
    data = {"quick": quick, "comparisons": rows, "line": line(rows)}
    write_result("baseline", data, results_dir)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--burst-runs", type=int, default=None, help="runs of the burst alone")
    args = parser.parse_args()
    print(asyncio.run(bench(args.quick, args.runs, burst_runs=args.burst_runs))["line"])


if __name__ == "__main__":
    main()
