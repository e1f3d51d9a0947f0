"""The benchmarks at tiny sizes: they run and produce sane numbers (no timing assertions).

This keeps bench/ from rotting as the bot changes; the real numbers come from
`python -m bench.all` (docs/benchmarks.md).
"""

from __future__ import annotations

import math
from pathlib import Path

from bench import baseline, engine, inbound, outbound, restart
from bench.common import percentile


def finite_positive(value: float) -> bool:
    return isinstance(value, float | int) and math.isfinite(value) and value > 0


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([3.0], 99) == 3.0
    assert math.isnan(percentile([], 50))


def test_engine(tmp_path: Path) -> None:
    data = engine.bench(quick=True, results_dir=tmp_path)
    for name in ("checkin", "onboarding", "checkin+json", "onboarding+json"):
        assert finite_positive(data["flows"][name]["steps_per_s"])
    assert (tmp_path / "engine.json").exists()
    assert data["line"].startswith("engine ")


async def test_inbound_both_bots(tmp_path: Path) -> None:
    data = await inbound.bench(
        quick=True, kinds=("coachbot", "baseline"), results_dir=tmp_path, levels=(1, 4)
    )
    for kind in ("coachbot", "baseline"):
        for level in ("1", "4"):
            figures = data["summary"][kind][level]
            assert figures["unanswered"] == 0, (kind, level, figures)
            assert finite_positive(figures["p99_ms"]) and figures["p99_ms"] < 30_000
            assert finite_positive(figures["updates_per_s"])
            assert finite_positive(figures["cpu_ms_per_update"])


async def test_outbound_and_restart_and_ratios(tmp_path: Path) -> None:
    both = ("coachbot", "baseline")
    out = await outbound.bench(
        quick=True,
        kinds=both,
        results_dir=tmp_path,
        n=30,
        window=2.0,
        scenarios=("off/timers", "telegram"),
    )
    for kind in both:
        burst = out["summary"][kind]["off/timers"]
        assert burst["sent"] == 30
        assert finite_positive(burst["cpu_ms_per_message"])
        assert finite_positive(burst["msgs_per_s"])
        limited = out["summary"][kind]["telegram/timers"]
        assert limited["rate_per_s"] <= 31  # the emulator lets no more through
    back = await restart.bench(
        quick=True, kinds=both, results_dir=tmp_path, sizes=((20, 40), (60, 120)), settle=0.3
    )
    for kind in both:
        figures = back["summary"][kind]["60/120"]
        assert finite_positive(figures["first_send_s"]) and figures["first_send_s"] < 60
        assert finite_positive(figures["peak_rss_mib"])
    rows = baseline.comparisons({"levels": (), "summary": {}}, out, back)
    assert any(r["figure"] == "burst off/timers: messages/s" for r in rows)
    assert all("ratio" in r for r in rows)
