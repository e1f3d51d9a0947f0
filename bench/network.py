"""Benchmark 5, Telegram's pace over a real network: `python -m bench.network [--quick]`.

A Bot API call from a European server takes 50-250 ms; one message in flight at a time
caps a bot at one message per round trip. Here the emulator adds a round trip to every
call (`Emulator.set_round_trip`), and both bots, Coachbot and the baseline, run the same
scenarios in the same run:

- outbound: the limits-on burst of bench.outbound (`telegram`: 1 message per second per
  chat, 30 per second overall, 429 beyond) at each round trip: the sustained rate, the
  429s, and the latency of replies during the burst;
- inbound: participants pressing a button in the same instant (bench.inbound) at each
  round trip: the first visible reaction (callback answer or keyboard edit, as the server
  sees it), the reply, updates per second and the bot's CPU per update.

Results go to bench/results/network.json and to their own block in docs/benchmarks.md
(between the `bench:network` markers), so this runs alone in about a quarter of an hour.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from pathlib import Path
from typing import Any

from bench import inbound, outbound
from bench.common import REPO, fmt, load_result, machine, write_result

DOC = REPO / "docs" / "benchmarks.md"
START = "<!-- bench:network:start (written by `python -m bench.network`; edit outside) -->"
END = "<!-- bench:network:end -->"
KINDS = ("coachbot", "baseline")
RTTS_MS = (0.0, 50.0, 100.0, 250.0)
INBOUND_LEVELS: tuple[inbound.Level, ...] = (1, 100, 300)


async def bench(quick: bool = False, results_dir: Path | None = None) -> dict[str, Any]:
    started = time.monotonic()
    info = machine()
    messages, window = (300, 6.0) if quick else (3_000, 30.0)
    out = await outbound.bench(
        quick,
        1,
        KINDS,
        results_dir,
        n=messages,
        window=window,
        scenarios=("telegram",),
        rtts_ms=RTTS_MS,
    )
    print(out["line"], flush=True)
    levels: tuple[inbound.Level, ...] = (1, 20) if quick else INBOUND_LEVELS
    inb = await inbound.bench(quick, 1, KINDS, results_dir, levels=levels, rtts_ms=RTTS_MS)
    print(inb["line"], flush=True)
    data = {
        "machine": info,
        "elapsed_s": time.monotonic() - started,
        "quick": quick,
        "outbound": out,
        "inbound": inb,
    }
    write_result("network", data, results_dir)
    return data


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else ("∞" if math.isinf(value) else f"{fmt(value, 0)} ms")


def _ratio(ours: float, theirs: float) -> str:
    if math.isnan(ours) or math.isnan(theirs) or not theirs:
        return "–"
    return f"{ours / theirs:.2f}×"


def render(data: dict[str, Any], commit: str = "") -> str:
    info = data["machine"]
    out = data["outbound"]
    inb = data["inbound"]
    lines = [
        START,
        "",
        f"Measured {info['date']}{' on commit ' + commit if commit else ''}, by"
        f" `python -m bench.network` ({data['elapsed_s'] / 60:.0f} min, one run per figure);"
        f" load average before the run: {info.get('loadavg', 'not recorded')}.",
        "",
        f"**Outbound**, limits on: {out['messages']:,} check-ins due at once, a"
        f" {fmt(out['window_s'], 0)} s window; every {outbound.ANSWER_EVERY}th participant"
        f" answers {fmt(outbound.ANSWER_AFTER, 0)} s after the question arrived.",
        "",
        "| round trip | bot | sustained msg/s | 429s | reply p50 | reply p99 |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for rtt in RTTS_MS:
        name = outbound.scenario_name(rtt)
        for kind in KINDS:
            d = out["summary"].get(kind, {}).get(name)
            if d is None:
                continue
            lines.append(
                f"| {rtt:g} ms | {kind} | {fmt(d['steady_rate_per_s'])}"
                f" | {fmt(d['rejected_429'], 0)} | {_ms(d['reply_p50_ms'])}"
                f" | {_ms(d['reply_p99_ms'])} |"
            )
    lines += [
        "",
        "**Inbound**: participants pressing a check-in button in the same instant (level 1:"
        f" {inb['sequential_presses']} presses one after another). Reaction = the callback"
        " answer or keyboard edit reaching the server; reply = the next message.",
        "",
        "| round trip | pressing | bot | updates/s | reaction p99 | reply p50 | reply p99"
        " | CPU/update | updates/s vs baseline |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rtt in RTTS_MS:
        for level in inb["levels"]:
            key = inbound.level_name(level, rtt)
            base = inb["summary"].get("baseline", {}).get(key, {})
            for kind in KINDS:
                d = inb["summary"].get(kind, {}).get(key)
                if d is None:
                    continue
                versus = (
                    _ratio(d["updates_per_s"], base.get("updates_per_s", math.nan))
                    if kind == "coachbot"
                    else ""
                )
                lines.append(
                    f"| {rtt:g} ms | {level} | {kind} | {fmt(d['updates_per_s'])}"
                    f" | {_ms(d['reaction_p99_ms'])} | {_ms(d['p50_ms'])} | {_ms(d['p99_ms'])}"
                    f" | {fmt(d['cpu_ms_per_update'], 2)} ms | {versus} |"
                )
    lines += ["", END]
    return "\n".join(lines)


def write_doc(text: str) -> None:
    doc = DOC.read_text()
    if START in doc and END in doc:
        head, rest = doc.split(START, 1)
        tail = rest.split(END, 1)[1]
        DOC.write_text(head + text + tail)
    else:
        DOC.write_text(doc.rstrip("\n") + "\n\n## Over a real network\n\n" + text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--docs", action="store_true", help="write the docs after --quick too")
    parser.add_argument(
        "--docs-only", action="store_true", help="rewrite the docs from bench/results/network.json"
    )
    parser.add_argument("--commit", default="", help="the commit measured, for the docs")
    args = parser.parse_args()
    data = load_result("network") if args.docs_only else asyncio.run(bench(args.quick))
    if data is None:
        raise SystemExit("no bench/results/network.json yet: run python -m bench.network first")
    if not args.quick or args.docs or args.docs_only:
        write_doc(render(data, args.commit))


if __name__ == "__main__":
    main()
