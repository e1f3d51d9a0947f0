"""A Telegram Bot API emulator on 127.0.0.1 for tests and the sandbox.

Run it standalone, for a bot in another process or a UI: ``python -m bot.sandbox.emulator
--port 8081``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bot.sandbox.emulator.facade import Emulator
from bot.sandbox.emulator.webhook import LOCAL_HOSTS


async def _serve(args: argparse.Namespace) -> None:
    emulator = Emulator(args.token, args.bot_username, args.host, args.port, seed=args.seed)
    emulator.set_round_trip(args.round_trip_ms / 1000, args.jitter)
    await emulator.start()
    print(f"Telegram emulator: base_url={emulator.base_url} token={emulator.token}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main() -> None:
    """Run the emulator as a standalone process (for a bot in another process or a UI)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", choices=sorted(LOCAL_HOSTS))
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--bot-username", default="coachbot_test_bot")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--round-trip-ms",
        type=float,
        default=0.0,
        help="network round trip added to every Bot API call (Telegram: 50-250 ms)",
    )
    parser.add_argument("--jitter", type=float, default=0.0, help="0..1: each way varies ±jitter/2")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
