"""Injected faults: make the next calls of a Bot API method fail, stall or hang up."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Any

from bot.sandbox.emulator.answers import ApiError

FAULT_KINDS = frozenset(
    {"400", "403", "429", "500", "502", "slow", "slow_after", "drop", "drop_after"}
)
_FAULT_TEXTS = {
    "400": "Bad Request: injected fault",
    "403": "Forbidden: bot was blocked by the user",
    "500": "Internal Server Error",
    "502": "Bad Gateway",
}


@dataclass
class Fault:
    """An injected failure for the next ``remaining`` calls of ``method``."""

    method: str
    kind: str
    remaining: int
    retry_after: int | None = None
    delay: float | None = None
    description: str | None = None

    def error(self) -> ApiError:
        """The answer of an error fault (not "slow", "slow_after", "drop" or "drop_after")."""
        if self.kind == "429":
            retry = self.retry_after if self.retry_after is not None else 1
            text = self.description or f"Too Many Requests: retry after {retry}"
            return ApiError(429, text, {"retry_after": retry})
        return ApiError(int(self.kind), self.description or _FAULT_TEXTS[self.kind])


class RoundTrip:
    """The network between bot and Telegram: every Bot API call waits half the round trip
    before it runs (the request travelling) and half after (the answer travelling), so a
    message exists at the server before its caller knows. ``jitter`` widens each half by a
    uniform ±jitter/2 share, as a real network does."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.jitter = 0.0
        self._rng = random.Random(0)

    def set(self, seconds: float, jitter: float = 0.0) -> None:
        if seconds < 0 or not 0 <= jitter <= 1:
            raise ValueError("round trip must be >= 0 s and jitter between 0 and 1")
        self.seconds, self.jitter = seconds, jitter

    def half(self) -> float:
        """One way, in seconds (0 when no round trip is set)."""
        if not self.seconds:
            return 0.0
        spread = 1 + self.jitter * (self._rng.random() - 0.5)
        return self.seconds / 2 * spread

    async def travel(self) -> None:
        if self.seconds:
            await asyncio.sleep(self.half())


class Faults:
    """The faults waiting for their calls, first injected first used."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def inject(
        self,
        method: str,
        kind: str | int,
        count: int = 1,
        retry_after: int | None = None,
        delay: float | None = None,
        description: str | None = None,
    ) -> None:
        """Fail the next ``count`` calls of ``method`` (canonical name, or ``"*"``)."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(FAULT_KINDS)}")
        self._faults.append(Fault(method, kind, count, retry_after, delay, description))

    def clear(self) -> None:
        self._faults.clear()

    def take(self, method: str) -> Fault | None:
        """The fault for this call of ``method``, if any (it counts as used)."""
        for fault in self._faults:
            if fault.method in ("*", method):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        """The waiting faults as JSON-ready dicts."""
        return [vars(f).copy() for f in self._faults]
