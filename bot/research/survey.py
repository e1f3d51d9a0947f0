"""The T0/T1 questionnaire as data: items, final answers per wave, and the change per item.

Answers are `answer` events of the flows `intake_survey` (T0) and `evaluation_survey` (T1);
the step id is the item id and the value its code ("skip" when the participant chose "I'd
rather not say"). When an item was answered twice in a wave, the last answer counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.research.instrument import Baseline, baseline_for, source_of
from bot.research.rows import EventRow, Scope, Snapshot, SurveyLanguageRow
from bot.research.stats import mean, paired_difference
from bot.research.suppress import Count, Measure

WAVES = {"intake_survey": "T0", "evaluation_survey": "T1"}
SKIP = "skip"
SKIP_MEANING = "skipped (“I'd rather not say”)"
LATER = "later"  # "continue later": not an answer, the question comes again
SPECIAL = {SKIP: SKIP_MEANING, LATER: "paused to continue later (not an answer)"}


@dataclass(frozen=True)
class Item:
    """A questionnaire item: id (the step id), English question, answer type and codes.

    `scores` turns answer codes into numbers for means: a 0–10 scale scores its number, a
    choice scores the position of its option (1 = the first option shown), so "poor … excellent"
    is 1 … 5 and "at least weekly … rarely or never" is 1 … 6.

    `source` is "pilot" for an item of the Nijmegen pilot's questionnaire, "new" for one of
    Coachbot's own, "" for an item found only in the data; `baseline` is the pilot's T0 mean,
    set only when the item is asked with the pilot's Dutch words and scale
    (`instrument.baseline_for`).
    """

    id: str
    label: str
    answer: str = "unknown"
    codes: tuple[tuple[str, str], ...] = ()
    scores: tuple[tuple[str, float], ...] = ()
    source: str = ""
    baseline: Baseline | None = None

    def score(self, value: str | None) -> float | None:
        """The number for an answer code (None for skipped, unknown or missing)."""
        if value is None or value in SPECIAL:
            return None
        found = dict(self.scores).get(value)
        if found is not None:
            return found
        try:
            return float(value)
        except ValueError:
            return None

    def scale_ends(self) -> tuple[tuple[float, str], tuple[float, str]] | None:
        """((1, "poor"), (5, "excellent")): the scores and meanings of a choice item's first
        and last option (None for other items)."""
        if self.answer != "choice" or len(self.scores) < 2:
            return None
        meaning = dict(self.codes)
        (low, a), (high, b) = self.scores[0], self.scores[-1]
        return (a, meaning.get(low, low)), (b, meaning.get(high, high))

    @property
    def scale(self) -> str:
        """ "1 = poor … 5 = excellent" for a choice item with scores ("" otherwise)."""
        ends = self.scale_ends()
        if ends is None:
            return ""
        (a, low), (b, high) = ends
        return f"{a:g} = {low} … {b:g} = {high}"


@dataclass(frozen=True)
class Answer:
    person_id: int
    wave: str
    item: str
    value: str | None
    at: datetime


def items_from_content(content: Any, language: str = "en") -> list[Item]:
    """Items in the order the questionnaire flows ask them (empty without those flows), with
    their questions and answers in `language` (English for exports, the report's language
    for the report; Dutch where that catalog lacks a text)."""
    if content is None:
        return []
    catalogs = getattr(content.catalogs, "by_code", {})
    wanted, dutch = catalogs.get(language), catalogs.get("nl")
    asked: dict[str, str] = dutch.messages if dutch is not None else {}
    messages: dict[str, str] = {**asked, **(wanted.messages if wanted is not None else {})}
    found: dict[str, Item] = {}
    for flow_id in WAVES:
        flow = content.flows.get(flow_id)
        if flow is None:
            continue
        for step in flow.steps.values():
            if step.kind != "ask" or step.id in found:
                continue
            codes, scores = _codes(step, messages)
            answer = str(step.answer or "unknown")
            found[step.id] = Item(
                step.id,
                _plain(messages.get(step.message or "", "")) or step.id,
                answer,
                codes,
                scores,
                source=source_of(step.id).value,
                baseline=baseline_for(
                    step.id, asked.get(step.message or ""), answer, step.minimum, step.maximum
                ),
            )
    return list(found.values())


def _codes(
    step: Any, messages: dict[str, str]
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, float], ...]]:
    """(code, meaning) and (code, score) of an item's answers."""
    codes: list[tuple[str, str]] = []
    scores: list[tuple[str, float]] = []
    if str(step.answer) == "scale":
        low, high = step.minimum or 0, step.maximum if step.maximum is not None else 10
        for n in range(low, high + 1):
            codes.append((str(n), f"{n} on a scale {low}–{high}"))
            scores.append((str(n), float(n)))
    for option in step.options:
        if option.value in SPECIAL:
            continue
        label = _plain(messages.get(option.label or "", "")) or option.text or option.value
        scores.append((option.value, float(len(scores) + 1)))
        codes.append((option.value, label))
    codes += [(code, meaning) for code, meaning in SPECIAL.items()]
    return tuple(codes), tuple(scores)


def _plain(text: str) -> str:
    """A one-line label from a message template (template tags and emoji kept out)."""
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "…", text)
    return " ".join(text.split())


def final_answers(events: Iterable[EventRow]) -> dict[tuple[int, str, str], Answer]:
    """The last answer per (person, wave, item)."""
    answers: dict[tuple[int, str, str], Answer] = {}
    for e in events:
        wave = WAVES.get(e.flow_id or "")
        if e.type != "answer" or wave is None or e.person_id is None or not e.step:
            continue
        if e.value == LATER:
            continue  # "continue later" answers nothing; the question is asked again
        answers[(e.person_id, wave, e.step)] = Answer(e.person_id, wave, e.step, e.value, e.at)
    return answers


def wave_languages(rows: Iterable[SurveyLanguageRow]) -> dict[tuple[int, str], str]:
    """The chat language of each (person, wave), from the languages noted when it was sent
    and when it was completed: "ar"; or "nl+ar", in the order noted, when the language
    changed during the wave (or between two sendings of it), so that single answers may have
    been given in either."""
    seen: dict[tuple[int, str], list[str]] = {}
    for row in sorted(rows, key=lambda r: r.at):
        codes = seen.setdefault((row.person_id, row.wave), [])
        if row.language not in codes:
            codes.append(row.language)
    return {key: "+".join(codes) for key, codes in seen.items()}


def ordered_items(known: Sequence[Item], seen: Iterable[str]) -> list[Item]:
    """Known items in questionnaire order, then items only found in the data (by id)."""
    ids = {i.id for i in known}
    extra = sorted(set(seen) - ids)
    return [*known, *(Item(i, i) for i in extra)]


@dataclass(frozen=True)
class ItemChange:
    """T0 and T1 means of one item, and the paired difference with its 95% interval."""

    item: Item
    t0: Count
    t0_mean: Measure
    t0_skipped: Count
    t1: Count
    t1_mean: Measure
    t1_skipped: Count
    pairs: Count
    diff: Measure
    low: Measure
    high: Measure


@dataclass(frozen=True)
class Surveys:
    has_data: bool
    t0_people: Count
    t1_people: Count
    items: tuple[ItemChange, ...]


def surveys(snapshot: Snapshot, scope: Scope, known: Sequence[Item]) -> Surveys:
    """Every answer up to the end of the period counts: the question is who changed."""
    ids = {p.id for p in snapshot.participants() if scope.covers(p)}
    answers = final_answers(e for e in snapshot.events if e.person_id in ids and scope.by_end(e.at))
    waves: dict[str, set[int]] = {"T0": set(), "T1": set()}
    for person, wave, _ in answers:
        waves[wave].add(person)
    results = []
    for item in ordered_items(known, {key[2] for key in answers}):
        values: dict[str, dict[int, float]] = {"T0": {}, "T1": {}}
        skipped: dict[str, set[int]] = {"T0": set(), "T1": set()}
        for (person, wave, item_id), answer in answers.items():
            if item_id != item.id:
                continue
            number = item.score(answer.value)
            if number is not None:
                values[wave][person] = number
            elif answer.value == SKIP:
                skipped[wave].add(person)
        both = sorted(set(values["T0"]) & set(values["T1"]))
        paired = paired_difference([values["T1"][p] - values["T0"][p] for p in both])
        results.append(
            ItemChange(
                item=item,
                t0=Count.of(values["T0"]),
                t0_mean=Measure(mean(list(values["T0"].values())), len(values["T0"])),
                t0_skipped=Count.of(skipped["T0"]),
                t1=Count.of(values["T1"]),
                t1_mean=Measure(mean(list(values["T1"].values())), len(values["T1"])),
                t1_skipped=Count.of(skipped["T1"]),
                pairs=Count.of(both),
                diff=Measure(paired.mean, paired.n),
                low=Measure(paired.low, paired.n),
                high=Measure(paired.high, paired.n),
            )
        )
    return Surveys(
        has_data=bool(answers),
        t0_people=Count.of(waves["T0"]),
        t1_people=Count.of(waves["T1"]),
        items=tuple(results),
    )
