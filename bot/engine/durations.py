"""Durations in flow files: `90m`, `2h`, `2d`, `1w`, or combined like `1d12h`."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*([wdhms])")
_WHOLE = re.compile(r"^\s*(?:\d+\s*[wdhms]\s*)+$")
_UNIT = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> timedelta:
    """Parse `2d`, `1d12h`… Raise ValueError with a plain explanation otherwise."""
    if not isinstance(text, str) or not _WHOLE.match(text):
        raise ValueError(f"bad duration {text!r}: use a number and a unit, like 30m, 2h, 2d or 1w")
    total = timedelta()
    try:
        for amount, unit in _PART.findall(text):
            total += timedelta(**{_UNIT[unit]: int(amount)})
    except OverflowError:
        raise ValueError(f"bad duration {text!r}: far too long") from None
    if total <= timedelta():
        raise ValueError(f"bad duration {text!r}: must be longer than zero")
    return total
