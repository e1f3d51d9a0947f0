"""Telegram's rate limits on sending, answered with 429 like Telegram (off by default)."""

from __future__ import annotations

import collections
import math
import time
from typing import Any

from bot.sandbox.emulator.answers import ApiError

SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendVoice", "copyMessage", "forwardMessage"}
)


class RateLimits:
    """Sliding windows per chat, per group and overall over the send methods."""

    def __init__(self) -> None:
        self.settings: dict[str, float | None] | None = None
        self._sent: dict[str, collections.deque[float]] = {}

    def enforce(
        self,
        per_chat_per_sec: float | None = 1,
        global_per_sec: float | None = 30,
        per_group_per_min: float | None = 20,
    ) -> None:
        """Limit send methods to these rates (None = no limit); forgets earlier sends."""
        self.settings = {
            "chat": per_chat_per_sec,
            "global": global_per_sec,
            "group": per_group_per_min,
        }
        self._sent.clear()

    def disable(self) -> None:
        self.settings = None

    def check(self, method: str, params: dict[str, Any]) -> None:
        """Count a call; raise a 429 ApiError when it would exceed a limit."""
        limits = self.settings
        if limits is None or method not in SEND_METHODS:
            return
        now = time.monotonic()
        chat_id = str(params.get("chat_id"))
        checks: list[tuple[str, float, float]] = []
        if chat_id.startswith("-") and limits["group"]:
            checks.append((f"group:{chat_id}", 60.0, limits["group"]))
        elif limits["chat"]:
            rate = limits["chat"]
            checks.append((f"chat:{chat_id}", max(1.0, 1 / rate), max(1.0, rate)))
        if limits["global"]:
            checks.append(("global", 1.0, limits["global"]))
        for key, window, cap in checks:
            sent = self._sent.setdefault(key, collections.deque())
            while sent and sent[0] <= now - window:
                sent.popleft()
            if len(sent) >= int(cap):
                retry = max(1, math.ceil(sent[0] + window - now))
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry}", {"retry_after": retry}
                )
        for key, _, _ in checks:
            self._sent[key].append(now)
