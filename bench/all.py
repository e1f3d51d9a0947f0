"""Run every benchmark and rewrite the results in docs/benchmarks.md: `python -m bench.all`.

Order: the engine (pure), then inbound, outbound burst and restart for Coachbot and the
baseline alternating run by run (bench.baseline), then the ratios. JSON results go to
bench/results/<name>.json; the part of docs/benchmarks.md between the `bench:results`
markers is replaced, the rest (method, findings) is left as written.
`--quick` runs everything at tiny sizes and does not touch the docs unless `--docs`.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import time
from typing import Any

from bench import baseline, engine, inbound, outbound, restart
from bench.common import CODE_ROOT, REPO, fmt, load_result, machine, write_result

DOC = REPO / "docs" / "benchmarks.md"
START = "<!-- bench:results:start (written by `python -m bench.all`; edit outside) -->"
END = "<!-- bench:results:end -->"

GOAL_CPU_MS = 1.0
GOAL_P99_100_MS = 100.0
GOAL_P99_BURST_MS = 500.0
GOAL_RESTART_S = 2.0
GOAL_MEMORY_MIB = 1024.0


def _git() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "bot", "storage", "flows"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    if CODE_ROOT != REPO:
        rev = os.environ.get("BENCH_CODE_REV", "an export")
        return f"{rev} (bot code and content exported to {CODE_ROOT}; bench/ from {head})"
    return f"{head}{' with uncommitted changes in bot/, storage/ or flows/' if dirty else ''}"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "**missed**")


def _ms(value: float, wait: float | None = None, infinite: str | None = None) -> str:
    if isinstance(value, float) and math.isinf(value):
        if infinite is not None:
            return infinite
        return f"> {fmt(wait or math.nan, 0)} s (unanswered)"
    return f"{fmt(value)} ms"


def render(
    results: dict[str, Any],
    elapsed: float,
    note: str = "",
    info: dict[str, Any] | None = None,
    commit: str | None = None,
) -> str:
    """The results block; `info` (the machine at the start of the run) and `commit` come
    from bench/results/all.json when re-rendering, so they describe the run, not today."""
    eng = results["engine"]
    inb = results["inbound"]
    out = results["outbound"]
    rst = results["restart"]
    cmp_rows = baseline.comparisons(inb, out, rst)
    info = info or eng.get("machine") or machine()
    lines = [
        START,
        "",
        f"Measured {info['date']} on commit {commit or _git()}, by `python -m bench.all`"
        f" ({elapsed / 60:.0f} min).{' ' + note if note else ''}",
        "",
        f"- Machine: {info['cpu']}, `nproc` = {info['nproc']}, {info['mem_gib']} GiB;"
        f" Linux {info['kernel']}, Python {info['python']}, SQLite {info['sqlite']}.",
        f"- Load average before the run (1, 5, 15 min): {info.get('loadavg', 'not recorded')};"
        " see Method, Noise. Every figure is the median of the runs shown.",
        "",
        "### 1. Engine alone (`python -m bench.engine`)",
        "",
        "| flow | steps/s | µs/step | complete runs/s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, d in eng["flows"].items():
        lines.append(
            f"| {name} | {fmt(d['steps_per_s'], 0)} | {fmt(d['us_per_step'], 1)}"
            f" | {fmt(d['runs_per_s'], 0)} |"
        )
    lines += [
        "",
        f"Median of {eng['repeats']} samples of {eng['seconds_per_sample']} s each;"
        " `+json` includes the run state's JSON round trip per step.",
        "",
        "### 2. Inbound, end to end (`python -m bench.inbound`)",
        "",
        "Press → bot's next message in the emulator; Telegram's limits off.",
        "",
        "| bot | participants pressing | updates/s | p50 | p99 | bot CPU per update | runs |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, levels in inb["summary"].items():
        for level, d in levels.items():
            name = (
                f"1 ({inb['sequential_presses']} presses, one after another)"
                if level == "1"
                else inbound.label(level if "/" in level else int(level))
            )
            lines.append(
                f"| {kind} | {name} | {fmt(d['updates_per_s'])}"
                f" | {fmt(d['p50_ms'])} ms | {fmt(d['p99_ms'])} ms"
                f" | {fmt(d['cpu_ms_per_update'], 2)} ms | {d['runs']} |"
            )
    lines += [
        "",
        "### 3. Outbound burst (`python -m bench.outbound`)",
        "",
        f"{out['messages']:,} check-ins due at the same moment.",
        "",
        "| bot | scenario | delivered | messages/s | bot CPU per message | due → last sent"
        " | runs |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, scenarios in out["summary"].items():
        for name, d in scenarios.items():
            if name == "telegram/timers":
                continue
            last = d.get("due_to_last_s", math.nan)
            last_text = (
                f"not all within {outbound.MAX_WAIT:.0f} s"
                if isinstance(last, float) and math.isinf(last)
                else f"{fmt(last)} s"
            )
            lines.append(
                f"| {kind} | {name} | {fmt(d['sent'], 0)} of {fmt(d['messages'], 0)}"
                f" | {fmt(d['msgs_per_s'])} | "
                + ("none delivered" if not d["sent"] else f"{fmt(d['cpu_ms_per_message'], 2)} ms")
                + ""
                f" | {last_text} | {d['runs']} |"
            )
    lines += [
        "",
        f"With Telegram's limits on (emulator 1/s per chat, 30/s overall; bots as shipped),"
        f" a {fmt(out['window_s'], 0)} s window of the burst; every {outbound.ANSWER_EVERY}th"
        f" participant answers {fmt(outbound.ANSWER_AFTER, 0)} s after the question arrived:",
        "",
        "| bot | sustained msg/s (after 5 s) | 429s from the emulator | replies answered"
        " | reply p50 | reply p99 | p99 of those answered | runs |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, scenarios in out["summary"].items():
        d = scenarios.get("telegram/timers")
        if d is None:
            continue
        wait = d.get("wait_s")
        answered = d["replies_pressed"] - d["replies_unanswered"]
        lines.append(
            f"| {kind} | {fmt(d['steady_rate_per_s'])} | {fmt(d['rejected_429'], 0)}"
            f" | {fmt(answered, 0)} of {fmt(d['replies_pressed'], 0)}"
            f" | {_ms(d['reply_p50_ms'], wait)} | {_ms(d['reply_p99_ms'], wait)}"
            f" | {_ms(d['reply_answered_p99_ms'], wait) if answered else 'none answered'}"
            f" | {d['runs']} |"
        )
    lines += [
        "",
        "### 4. Restart with a backlog (`python -m bench.restart`)",
        "",
        "| bot | participants / pending | spawn → first send | of which imports"
        " | peak RSS | runs |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for kind, sizes in rst["summary"].items():
        for key, d in sizes.items():
            if not isinstance(d, dict):
                continue
            first = d["first_send_s"]
            first_text = (
                f"none in {restart.FIRST_SEND_WAIT:.0f} s"
                f" ({fmt(d.get('jobs_missed', math.nan), 0)} jobs missed)"
                if isinstance(first, float) and math.isinf(first)
                else f"{fmt(first, 2)} s"
            )
            lines.append(
                f"| {kind} | {key} | {first_text} | {fmt(d['imports_s'], 2)} s"
                f" | {fmt(d['peak_rss_mib'])} MiB | {d['runs']} |"
            )
    for kind, sizes in rst["summary"].items():
        if "projected_mib_100k" in sizes:
            lines.append(
                f"\n{kind}: {fmt(sizes['kib_per_participant'], 2)} KiB more peak RSS per"
                f" participant (with 2 pending reminders each) → about"
                f" {fmt(sizes['projected_mib_100k'], 0)} MiB for 100,000 participants."
            )
    lines += [
        "",
        "### 5. Coachbot / baseline (`python -m bench.baseline`)",
        "",
        "Same run, same emulator, same participants; ratio = Coachbot ÷ baseline.",
        "",
        "| figure | Coachbot | baseline | ratio | Coachbot at least as good |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for row in cmp_rows:
        if all(_missing(row[k]) for k in ("coachbot", "baseline")):
            continue
        unit = row["unit"]
        infinite = "∞ (none delivered)" if "CPU" in row["figure"] else "unanswered"
        c, b = (
            _ms(row[k], None, infinite) if unit == "ms" else f"{fmt(row[k], 2)} {unit}"
            for k in ("coachbot", "baseline")
        )
        good = row["coachbot_at_least_as_good"]
        lines.append(
            f"| {row['figure']} | {c} | {b} | {fmt(row['ratio'], 2)}"
            f" | {'yes' if good else ('n/a' if good is None else '**no**')} |"
        )
    lines += ["", "### Goals from issue 7: where we stand", ""]
    lines += goals(inb, out, rst, cmp_rows)
    lines += ["", END]
    return "\n".join(lines)


def goals(
    inb: dict[str, Any], out: dict[str, Any], rst: dict[str, Any], rows: list[dict[str, Any]]
) -> list[str]:
    coach_out = out["summary"].get("coachbot", {})
    cpu = coach_out.get("off/timers", {}).get("cpu_ms_per_message", math.nan)
    cpu_outbox = coach_out.get("off/outbox", {}).get("cpu_ms_per_message", math.nan)
    p99_100 = inb["summary"].get("coachbot", {}).get("100", {}).get("p99_ms", math.nan)
    p99_spread = inb["summary"].get("coachbot", {}).get("100/1s", {}).get("p99_ms", math.nan)
    limited = coach_out.get("telegram/timers", {})
    p99_burst = limited.get("reply_p99_ms", math.nan)
    restart_sizes = {k: v for k, v in rst["summary"].get("coachbot", {}).items()}
    big = restart_sizes.get("50000/100000", {})
    first = big.get("first_send_s", math.nan) if isinstance(big, dict) else math.nan
    projected = restart_sizes.get("projected_mib_100k", math.nan)
    known = [r for r in rows if r["coachbot_at_least_as_good"] is not None]
    losses = [r["figure"] for r in known if not r["coachbot_at_least_as_good"]]

    def ok(value: float, limit: float) -> bool | None:
        return None if math.isnan(value) else value <= limit

    wait = limited.get("wait_s")
    return [
        "| goal | measured | status |",
        "| --- | --- | --- |",
        f"| dispatcher ≤ 1 ms CPU per message (sending a ready message) | {fmt(cpu_outbox, 2)} ms"
        f" | {_verdict(ok(cpu_outbox, 1))} |",
        f"| … and per check-in from its timer (flow, texts, next week's timer, send)"
        f" | {fmt(cpu, 2)} ms | {_verdict(ok(cpu, 1))} |",
        f"| inbound p99 < 100 ms at 100 at once | {_ms(p99_100)} | {_verdict(ok(p99_100, 100))} |",
        f"| inbound p99 < 100 ms, 100 within one second | {_ms(p99_spread)}"
        f" | {_verdict(ok(p99_spread, 100))} |",
        f"| inbound p99 < 500 ms during a 10,000-message burst | {_ms(p99_burst, wait)}"
        f" | {_verdict(ok(p99_burst, 500))} |",
        f"| restart, 100,000 pending rows, to first send < 2 s | {fmt(first, 2)} s"
        f" | {_verdict(ok(first, 2))} |",
        f"| 100,000 participants in < 1 GiB | ≈ {fmt(projected, 0)} MiB (projected)"
        f" | {_verdict(ok(projected, 1024))} |",
        f"| at least as fast as the baseline on every figure | behind on {len(losses)} of"
        f" {len(known)}: {', '.join(losses) if losses else '—'}"
        f" | {_verdict(not losses if known else None)} |",
    ]


def write_doc(text: str) -> None:
    if DOC.exists():
        current = DOC.read_text()
        if START in current and END in current:
            head, rest = current.split(START, 1)
            _, tail = rest.split(END, 1)
            DOC.write_text(head + text + tail)
            return
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text("# Benchmarks\n\n## Results\n\n" + text + "\n")


async def run_all(quick: bool, runs: int | None, burst_runs: int | None) -> dict[str, Any]:
    data = engine.bench(quick)
    print(data["line"], flush=True)
    cmp = await baseline.bench(quick, runs, burst_runs=burst_runs)
    print(cmp["line"], flush=True)
    results = {name: load_result(name) for name in ("engine", "inbound", "outbound", "restart")}
    results["baseline"] = cmp
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument(
        "--burst-runs", type=int, default=None, help="runs of the outbound burst (≈ 8 min each)"
    )
    parser.add_argument("--docs", action="store_true", help="write the docs after --quick too")
    parser.add_argument(
        "--docs-only", action="store_true", help="rewrite the docs from bench/results/*.json"
    )
    args = parser.parse_args()
    started = time.monotonic()
    info, commit = machine(), _git()  # before the run: its load is what others put on
    if args.docs_only:
        results = {
            name: load_result(name)
            for name in ("engine", "inbound", "outbound", "restart", "baseline")
        }
        saved = load_result("all") or {}
        elapsed = float(saved.get("elapsed_s", 0))
        note = str(saved.get("note", ""))
        info = saved.get("machine_at_start") or results["engine"]["machine"]
        commit = saved.get("commit") or commit
    else:
        results = asyncio.run(run_all(args.quick, args.runs, args.burst_runs))
        elapsed = time.monotonic() - started
        note = (
            f"The outbound burst ran {args.burst_runs} time(s) per bot and scenario"
            f" (`--burst-runs {args.burst_runs}`); the other figures are medians of the runs shown."
            if args.burst_runs
            else ""
        )
        write_result(
            "all",
            {
                "elapsed_s": elapsed,
                "quick": args.quick,
                "note": note,
                "machine_at_start": info,
                "commit": commit,
            },
        )
    if not args.quick or args.docs or args.docs_only:
        write_doc(render(results, elapsed, note, info, commit))
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
