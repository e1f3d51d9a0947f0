"""`flows/schedules.yaml` (campaigns, quiet hours) and `flows/places.yaml` (meeting places)."""

from __future__ import annotations

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


class Schedules(_Strict):
    timezone: str = "Europe/Amsterdam"
    quiet_hours: Window
    appointment_reminders: list[Reminder]
    weekly_checkin: WeeklyCheckin
    appointment_days_ahead: int = Field(default=14, ge=1, le=60)
    appointment_times: list[time]

    @field_validator("appointment_times", mode="before")
    @classmethod
    def _slots(cls, value: Any) -> list[time]:
        return [_hhmm(v) for v in value]


class Place(_Strict):
    id: str
    name: str
    address: str


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


def load_places(directory: Path, problems: list[Problem]) -> list[Place]:
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
    for i, item in enumerate(data["places"]):
        before = len(problems)
        place = _validated(Place, path, item, problems)
        if place is not None and len(problems) == before:
            places.append(place)
        elif len(problems) > before:
            problems[-1] = Problem(str(path), line_of(data, "places", i), problems[-1].message)
    return places
