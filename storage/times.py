"""The one codec for stored times: aware datetimes in, sortable UTC text out, and back."""

from __future__ import annotations

from datetime import UTC, datetime


def to_db(when: datetime) -> str:
    """UTC ISO text that sorts correctly in SQLite."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_db(text: str) -> datetime:
    # fromisoformat reads the trailing Z since Python 3.11, in C (strptime is Python: 30×
    # slower). A value without a zone is not one we wrote; never read it as local time.
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"not a stored UTC time: {text!r}")
    return value.astimezone(UTC)
