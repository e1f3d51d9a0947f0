"""Telegram's pace: about one message per second per chat (short bursts pass), and at most
30 new messages in any sliding second for the whole bot. Real (monotonic) time, not the
injected clock: the limits are Telegram's, whatever time the sandbox shows."""

from __future__ import annotations

from collections import deque


class Bucket:
    """A token bucket on the event loop's monotonic clock (real pacing, not sandbox time)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, 0.0

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def give_back(self) -> None:
        """A token taken for a message that turned out not to be sent."""
        self.tokens = min(self.burst, self.tokens + 1)


class Window:
    """At most `limit` sends in any `span` seconds, counted as Telegram counts: a sliding
    window. Unlike a bucket without burst it loses no capacity to a late wake-up or a
    moment spent firing timers; the span has a small margin for the network's jitter."""

    def __init__(self, limit: float, span: float = 1.02) -> None:
        self.limit, self.span = max(1, int(limit)), span
        self.sent: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self.sent and now - self.sent[0] >= self.span:
            self.sent.popleft()

    def take(self, now: float) -> bool:
        self._expire(now)
        if len(self.sent) < self.limit:
            self.sent.append(now)
            return True
        return False

    def wait(self, now: float) -> float:
        self._expire(now)
        return 0.0 if len(self.sent) < self.limit else self.sent[0] + self.span - now

    def give_back(self) -> None:
        if self.sent:
            self.sent.pop()
