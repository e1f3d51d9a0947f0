"""`flows/schedules.yaml` (campaigns, quiet hours) and `flows/places.yaml` (meeting places)."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.content.problems import Problem, line_of, read_yaml
from bot.engine.durations import parse_duration


def _hhmm(value: Any) -> time:
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"bad time {value!r}: use HH:MM, like 09:30") from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Strict):
    start: time
    end: time

    _times = field_validator("start", "end", mode="before")(_hhmm)


class Reminder(_Strict):
    """A reminder relative to an appointment: `days_before` + `at` local time, or `before`."""

    name: str
    flow: str
    days_before: int | None = Field(default=None, ge=1, le=14)
    at: time | None = None
    before: timedelta | None = None

    @field_validator("at", mode="before")
    @classmethod
    def _at(cls, value: Any) -> time | None:
        return None if value is None else _hhmm(value)

    @field_validator("before", mode="before")
    @classmethod
    def _before(cls, value: Any) -> timedelta | None:
        return None if value is None else parse_duration(str(value))

    def model_post_init(self, _: Any) -> None:
        if (self.days_before is None) == (self.before is None):
            raise ValueError("give either days_before with at, or before")
        if self.days_before is not None and self.at is None:
            raise ValueError("days_before needs at (HH:MM)")


class WeeklyCheckin(_Strict):
    flow: str
    answer_window: timedelta
    times: dict[str, time]  # option value in the onboarding flow → local time

    @field_validator("answer_window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> timedelta:
        return parse_duration(str(value))

    @field_validator("times", mode="before")
    @classmethod
    def _times(cls, value: Any) -> dict[str, time]:
        return {str(k): _hhmm(v) for k, v in dict(value).items()}


_OFFSET = re.compile(r"^(\d+)(w|mo)$")


def parse_offset(text: str) -> tuple[int, str]:
    """`2w` (weeks) or `3mo` (calendar months) after a date."""
    match = _OFFSET.match(str(text).strip())
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"bad offset {text!r}: use weeks like 2w or months like 3mo")
    return int(match.group(1)), match.group(2)


class Followups(_Strict):
    """Check-ins after the trajectory ends, at a tapering rhythm."""

    flow: str
    at: time
    after: list[str]
    answer_window: timedelta

    _at = field_validator("at", mode="before")(_hhmm)

    @field_validator("after")
    @classmethod
    def _offsets(cls, value: list[str]) -> list[str]:
        for item in value:
            parse_offset(item)
        return value

    @field_validator("answer_window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> timedelta:
        return parse_duration(str(value))


class Campaign(_Strict):
    """A question of your own during the trajectory: `flow` every `every` (2w, 1mo …,
    counted from the start of the trajectory), at local time `at`; unanswered, it closes
    after `answer_window`. Declared in schedules.yaml, no code needed."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    flow: str
    every: str
    at: time
    answer_window: timedelta = timedelta(days=3)

    _at = field_validator("at", mode="before")(_hhmm)

    @field_validator("every")
    @classmethod
    def _every(cls, value: str) -> str:
        amount, _ = parse_offset(value)
        if amount < 1:
            raise ValueError("every must be at least 1w or 1mo")
        return value

    @field_validator("answer_window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> timedelta:
        return value if isinstance(value, timedelta) else parse_duration(str(value))


class Silence(_Strict):
    """When a participant counts as silent: unanswered messages, or days without contact."""

    after_messages: int = Field(default=3, ge=1)
    after_days: int = Field(default=21, ge=1)


class Trajectory(_Strict):
    max_months: int = Field(default=6, ge=1)
    remind_at_months: int = Field(default=5, ge=1)


class Schedules(_Strict):
    timezone: str = "Europe/Amsterdam"
    quiet_hours: Window
    appointment_reminders: list[Reminder]
    weekly_checkin: WeeklyCheckin
    appointment_days_ahead: int = Field(default=14, ge=1, le=60)
    appointment_times: list[time]
    attendance_after: timedelta = timedelta(hours=1)
    followups: Followups
    campaigns: list[Campaign] = []
    silence: Silence = Silence()
    trajectory: Trajectory = Trajectory()
    daily_at: time = time(9, 0)  # when the daily scans run, local time
    retention_months: int = Field(default=24, ge=1)  # erase data this long after the end

    @field_validator("attendance_after", mode="before")
    @classmethod
    def _after(cls, value: Any) -> timedelta:
        return value if isinstance(value, timedelta) else parse_duration(str(value))

    @field_validator("daily_at", mode="before")
    @classmethod
    def _daily(cls, value: Any) -> time:
        return value if isinstance(value, time) else _hhmm(value)

    @field_validator("appointment_times", mode="before")
    @classmethod
    def _slots(cls, value: Any) -> list[time]:
        return [_hhmm(v) for v in value]


class Place(_Strict):
    id: str
    name: str
    address: str
    example: bool = False  # shipped as an example: a coordinator replaces it before use


def _validated(model: type[_Strict], path: Path, data: Any, problems: list[Problem]) -> Any:
    try:
        return model.model_validate(dict(data) if isinstance(data, dict) else data)
    except ValidationError as err:
        for error in err.errors():
            loc = [k for k in error["loc"] if isinstance(k, str | int)]
            where = ".".join(str(k) for k in loc) or "file"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(Problem(str(path), line_of(data, *loc), f"{where}: {message}"))
    return None


def load_schedules(directory: Path, problems: list[Problem]) -> Schedules | None:
    path = directory / "schedules.yaml"
    if not path.exists():
        problems.append(Problem(str(path), 1, "schedules.yaml is missing"))
        return None
    data = read_yaml(path, problems)
    return None if data is None else _validated(Schedules, path, data, problems)


def load_places(directory: Path, problems: list[Problem], *, examples: bool = False) -> list[Place]:
    """The meeting places; with `examples`, a warning for each one marked `example: true`."""
    path = directory / "places.yaml"
    if not path.exists():
        return []
    data = read_yaml(path, problems)
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("places"), list):
        problems.append(Problem(str(path), 1, "places.yaml needs a list under `places:`"))
        return []
    places = []
    lines: dict[str, int] = {}
    for i, item in enumerate(data["places"]):
        before = len(problems)
        place = _validated(Place, path, item, problems)
        if place is not None and len(problems) == before:
            places.append(place)
            lines[place.id] = line_of(data, "places", i)
        elif len(problems) > before:
            problems[-1] = Problem(str(path), line_of(data, "places", i), problems[-1].message)
    if examples:
        problems.extend(
            Problem.warn(
                str(path),
                lines[p.id],
                f"place {p.id!r} is an example ({p.address}): put in the real name and "
                "address, then remove `example: true`",
            )
            for p in places
            if p.example
        )
    return places
