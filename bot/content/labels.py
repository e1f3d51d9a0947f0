"""Button labels: which message keys are labels, and how long a label may be.

Length is counted in graphemes, the characters a reader sees: "👍🏽" (thumb and skin
tone), "🇳🇱" (two regional letters) and "é" written as e plus an accent are one each.
"""

from __future__ import annotations

from collections.abc import Mapping

import regex

from bot.engine.model import PAGE_LABELS, YES_NO_OPTIONS, AnswerType, Flow

# Longer labels are cut off on a phone when buttons share a row, and even alone in a row
# they crowd out the question. `coachbot check` warns about longer ones.
MAX_LABEL = 20

_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> int:
    """How many characters a reader sees in `text` (extended grapheme clusters)."""
    return len(_GRAPHEME.findall(text))


def label_keys(flows: Mapping[str, Flow]) -> set[str]:
    """Every message key shown on a button: options' labels, "yes"/"no" of a yes/no
    question, "previous"/"next" of a paged one. Buttons the host makes from data (names,
    days, times, places) have no key."""
    found: set[str] = set()
    for flow in flows.values():
        for step in flow.steps.values():
            found.update(o.label for o in step.options if o.label)
            if step.answer == AnswerType.YES_NO:
                found.update(f"common.{v}" for v in YES_NO_OPTIONS)
            if step.page:
                found.update(PAGE_LABELS.values())
    return found
