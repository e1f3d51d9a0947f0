"""Coachbot in a child process for the benchmarks: `python -m bench.child --db … --api-url …`.

It is the real `CoachbotApp` (python-telegram-bot, long polling, dispatcher, JobQueue) with
one difference: the clock. `OffsetClock` runs at real speed but reads `--at` at the real
Unix time `--t0`, so reminders seeded for Wednesday 10:00 come due at a moment the driver
chose. Prints `READY {json}` once polling, `STATS {json}` after SIGTERM.

`--limits off` lifts the dispatcher's own pacing (Settings) and, in code from before
finding 5 (docs/benchmarks.md), python-telegram-bot's AIORateLimiter that `bot.app`
installed; `--limits settings` lifts only the Settings; `--limits telegram` keeps both.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import signal
import sys
import time
from datetime import datetime, timedelta

T_PROCESS = time.monotonic()  # as early as possible: imports are part of a restart

from telegram.ext import AIORateLimiter  # noqa: E402

import bot.app  # noqa: E402
from bench.common import CODE_ROOT, TOKEN, emit  # noqa: E402
from bot.app import CoachbotApp, Options  # noqa: E402
from bot.deps import Settings  # noqa: E402

T_IMPORTED = time.monotonic()


class OffsetClock:
    """Real time, shifted: reads `at` when the wall clock reads `t0`."""

    def __init__(self, at: datetime, t0: float) -> None:
        self.at = at
        self.t0 = t0

    def now(self) -> datetime:
        return self.at + timedelta(seconds=time.time() - self.t0)


def settings_for(limits: str, poll_interval: float | None) -> Settings:
    settings = Settings()
    if limits in ("off", "settings"):
        settings.per_chat_rate = settings.per_chat_burst = 1e9
        settings.global_rate = 1e9
    if limits == "off" and hasattr(bot.app, "AIORateLimiter"):
        # Older bot.app builds AIORateLimiter(max_retries=0): 30 requests/s for every call with a
        # chat_id. "Limiter off" has to lift that too, or it caps everything at 30/s.
        bot.app.AIORateLimiter = lambda max_retries=0: AIORateLimiter(  # type: ignore[misc]
            overall_max_rate=0, group_max_rate=0, max_retries=max_retries
        )
    if poll_interval is not None:
        settings.poll_interval = poll_interval
    return settings


async def run(args: argparse.Namespace) -> None:
    at = datetime.fromisoformat(args.at)
    clock = OffsetClock(at, args.t0)
    options = Options(
        token=TOKEN,
        db_path=args.db,
        content_dir=CODE_ROOT,
        api_url=args.api_url,
        poll_timeout=10,
    )
    app = CoachbotApp(options, clock, settings_for(args.limits, args.poll_interval))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    t_start = time.monotonic()
    await app.start()
    t_ready = time.monotonic()
    emit(
        "READY",
        {
            "imports_s": T_IMPORTED - T_PROCESS,
            "start_s": t_ready - t_start,
            "cpu_s": time.process_time(),
        },
    )
    await stop.wait()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    emit("STATS", {"cpu_s": time.process_time(), "maxrss_kb": usage.ru_maxrss})
    await app.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--at", required=True, help="ISO time the clock reads at --t0")
    parser.add_argument("--t0", type=float, required=True, help="real Unix time of --at")
    parser.add_argument("--limits", choices=("off", "settings", "telegram"), default="telegram")
    parser.add_argument("--poll-interval", type=float, default=None)
    parser.add_argument("--profile", default=None, help="write a pyinstrument HTML profile")
    args = parser.parse_args()
    if args.profile:
        from pathlib import Path

        from pyinstrument import Profiler

        Path(args.profile).parent.mkdir(parents=True, exist_ok=True)

        profiler = Profiler(async_mode="disabled", interval=0.0005)
        profiler.start()
        try:
            asyncio.run(run(args))
        finally:
            profiler.stop()
            with open(args.profile, "w") as out:
                out.write(profiler.output_html())
            with open(args.profile + ".txt", "w") as out:
                out.write(profiler.output_text(unicode=False, show_all=False))
            if profiler.last_session is not None:
                profiler.last_session.save(args.profile + ".pyisession")
    else:
        asyncio.run(run(args))
    sys.exit(0)


if __name__ == "__main__":
    main()
