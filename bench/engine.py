"""Benchmark 1, the engine alone: `python -m bench.engine [--quick]`.

Pure `bot.engine.runner` on the shipped flows: no database, no Telegram, no rendering.
A *step* is one engine call (`start` or `advance` with an answer) — what the host does per
inbound event or timer. A run is a complete flow from start to `Finished`:

- checkin: start → ask mood; answer (the four moods in turn); a low mood asks whether the
  coach should get in touch → answer yes/no. 2 or 3 steps per run.
- onboarding (the questionnaire): start → language → consent → day → time. 5 steps.

Also measured: the same runs with the run state serialised to JSON and back between steps,
as the host stores it in `runs.state`.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import CODE_ROOT, fmt, med, write_result
from bot.content.bundle import load_content
from bot.engine import runner
from bot.engine.model import Flow, Option

MOODS = ("great", "okay", "not_great", "bad")
LANGUAGE_SOURCE = {
    "languages": [Option(c, text=c) for c in ("nl", "en", "tr", "ar")],
}


def _answer(flow: Flow, state: runner.RunState, value: str, roundtrip: bool) -> runner.Result:
    if roundtrip:
        state = runner.RunState.from_json(json.loads(json.dumps(state.to_json())))
    result = runner.advance(flow, state, runner.Answer(seq=state.seq, value=value))
    if roundtrip:
        json.dumps(result.state.to_json())
    return result


def checkin_run(flow: Flow, i: int, roundtrip: bool) -> int:
    result = runner.start(flow)
    mood = MOODS[i % 4]
    result = _answer(flow, result.state, mood, roundtrip)
    steps = 2
    if not result.state.finished:
        result = _answer(flow, result.state, "yes" if i % 8 < 4 else "no", roundtrip)
        steps += 1
    assert result.state.finished, result
    return steps


def onboarding_run(flow: Flow, i: int, roundtrip: bool) -> int:
    result = runner.start(flow, {}, LANGUAGE_SOURCE)
    steps = 1
    for value in ("en", "yes", "wed", "morning"):
        result = _answer(flow, result.state, value, roundtrip)
        steps += 1
    assert result.state.finished, result
    return steps


def measure(run: Callable[[Flow, int, bool], int], flow: Flow, seconds: float, rt: bool) -> dict:
    runs = steps = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(100):
            steps += run(flow, runs, rt)
            runs += 1
        now = time.perf_counter()
        if now >= deadline:
            break
    elapsed = now - started
    return {"steps_per_s": steps / elapsed, "runs_per_s": runs / elapsed, "runs": runs}


def bench(
    quick: bool = False, repeats: int | None = None, results_dir: Path | None = None
) -> dict[str, Any]:
    content = load_content(CODE_ROOT)
    seconds = 0.05 if quick else 1.0
    repeats = repeats or (1 if quick else 5)
    flows = {"checkin": checkin_run, "onboarding": onboarding_run}
    results: dict[str, Any] = {}
    for name, run in flows.items():
        flow = content.flows[name]
        for roundtrip in (False, True):
            key = f"{name}{'+json' if roundtrip else ''}"
            samples = [measure(run, flow, seconds, roundtrip) for _ in range(repeats)]
            results[key] = {
                "steps_per_s": med(s["steps_per_s"] for s in samples),
                "runs_per_s": med(s["runs_per_s"] for s in samples),
                "us_per_step": 1e6 / med(s["steps_per_s"] for s in samples),
                "samples": samples,
            }
    summary = "; ".join(
        f"{k}: {fmt(v['steps_per_s'], 0)} steps/s ({fmt(v['us_per_step'], 1)} µs/step)"
        for k, v in results.items()
    )
    data = {
        "quick": quick,
        "seconds_per_sample": seconds,
        "repeats": repeats,
        "flows": results,
        "line": f"engine {summary}",
    }
    write_result("engine", data, results_dir)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    print(bench(args.quick, args.repeats)["line"])


if __name__ == "__main__":
    main()
