"""A flow is plain data: steps that say, ask or do, linked by `next`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

END = "end"  # reserved `next` target: the flow is finished
DEFAULT = "default"  # `next` key taken when no answer-specific branch matches


class StepKind(StrEnum):
    SAY = "say"
    ASK = "ask"
    DO = "do"


class AnswerType(StrEnum):
    CHOICE = "choice"
    YES_NO = "yes_no"
    SCALE = "scale"  # 0–10
    NUMBER = "number"
    TEXT = "text"


YES_NO_OPTIONS = ("yes", "no")
SCALE_OPTIONS = tuple(str(n) for n in range(11))

# The buttons that turn the pages of a long choice (`page:` on a question): reserved values,
# never an answer, with one wording for every paged question.
PREVIOUS_PAGE = "page:previous"
NEXT_PAGE = "page:next"
PAGE_LABELS = {PREVIOUS_PAGE: "page.previous", NEXT_PAGE: "page.next"}


@dataclass(frozen=True)
class Option:
    """One button. `label` is a message key; `text` is a ready label (names, dates)."""

    value: str
    label: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Step:
    id: str
    kind: StepKind
    message: str | None = None  # message key said or asked (or sent to the coach by `do`)
    answer: AnswerType | None = None
    options: tuple[Option, ...] = ()
    options_from: str | None = None  # dynamic options the host supplies (participants, days…)
    page: int | None = None  # show the dynamic options this many at a time, with ◀️ / ▶️
    minimum: int | None = None
    maximum: int | None = None
    timeout: timedelta | None = None
    on_timeout: str | None = None
    retries: int = 2  # re-asks after an invalid answer before giving up
    on_invalid: str | None = None
    action: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    next: Mapping[str, str] = field(default_factory=dict)
    line: int = 0

    def target(self, answer: str | None) -> str | None:
        """Where to go after this step, given the answer value (if any)."""
        if answer is not None and answer in self.next:
            return self.next[answer]
        return self.next.get(DEFAULT)


@dataclass(frozen=True)
class Flow:
    id: str
    audience: str  # participant | coach | any
    start: str
    steps: Mapping[str, Step]
    path: str = ""
    line: int = 0
    sources: tuple[str, ...] = ()  # names of dynamic option sources used by any step
