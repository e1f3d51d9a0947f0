"""Checks on the texts themselves, in every language.

On every load (cheap, and what the bot relies on):
- a message uses only the variables it is given (`variables.py`); any other is an error
  at its line: `messages/tr.yaml:12: undefined variable 'nmae' in message …`. The bot
  would send the Dutch text instead; in Dutch itself there is nothing to fall back on, so
  there it is fatal.

With `full` (what `coachbot check` runs; these only inform, or fall back to Dutch):
- every message with filters, attributes, loops or tests is rendered with sample values;
  one that fails is an error at its line;
- a word in Latin letters in a catalog written in another script (Arabic, Persian,
  Tigrinya) is a warning, unless it is a placeholder, a /command, `code`, a link, or in
  LATIN_WORDS;
- a button label longer than MAX_LABEL graphemes is a warning;
- a catalog not reviewed by a native speaker (`reviewed: false`) is a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import regex
from jinja2 import meta, nodes

from bot.content.catalog import FALLBACK, Catalog, make_environment
from bot.content.labels import MAX_LABEL, graphemes, label_keys
from bot.content.problems import Problem
from bot.content.schedules import Schedules
from bot.content.variables import (
    FLOW,
    FOLLOWUP,
    HOST_VARS,
    NOTIFY,
    NUDGE,
    PAGED,
    REMINDER,
    STAFF,
    STARTED_WITH,
    nudge_texts,
    sample,
)
from bot.engine.model import Flow, StepKind

# Latin words a catalog in another script may use as they are.
LATIN_WORDS = frozenset(
    {
        "Coachbot",  # the bot's name
        "Telegram",  # the app's name
        "QR",  # as printed on the invite picture
        # Telegram's own button, quoted as the app shows it: Telegram has no Tigrinya
        # interface, so a Tigrinya reader sees the English one.
        "Reply",
        # Dutch words of the letters a participant gets, given beside the translation so
        # the word on paper is recognised (the consent texts).
        "gemeente",
        "uitkering",
    }
)
# Stripped before looking for Latin words: placeholders and tags, `code`, /commands, links.
_NOT_WORDS = regex.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|`[^`]*`|(?<!\w)/[a-z_]+|https?://\S+", regex.S
)
_LATIN_WORD = regex.compile(r"\p{Latin}+(?:['’-]\p{Latin}+)*")
_LETTER = regex.compile(r"\p{L}")


def check_texts(
    flows: Mapping[str, Flow],
    catalogs: Mapping[str, Catalog],
    schedules: Schedules | None,
    problems: list[Problem],
    *,
    full: bool = False,
) -> None:
    """Append the problems of every catalog's texts (see the module docstring)."""
    provided = provided_variables(flows, schedules)
    labels = label_keys(flows)
    for code, catalog in sorted(catalogs.items()):
        _check_variables(catalog, provided, problems, fatal=code == FALLBACK, render=full)
        if not full:
            continue
        if not _latin_script(catalog):
            _check_latin_words(catalog, problems)
        _check_labels(catalog, labels, problems)
        if not catalog.reviewed:
            problems.append(
                Problem.warn(
                    catalog.path,
                    catalog.reviewed_line,
                    "catalog not reviewed by a native speaker (reviewed: false)",
                )
            )


def provided_variables(
    flows: Mapping[str, Flow], schedules: Schedules | None
) -> dict[str, frozenset[str]]:
    """Message key → the variables every place that renders it passes."""
    uses: dict[str, list[frozenset[str]]] = {}

    def use(key: str, names: Iterable[str]) -> None:
        uses.setdefault(key, []).append(frozenset(names))

    reminders = {r.flow for r in schedules.appointment_reminders} if schedules else set()
    followup = schedules.followups.flow if schedules else None
    for flow in flows.values():
        started = STARTED_WITH.get(flow.id, frozenset())
        started |= REMINDER if flow.id in reminders else frozenset()
        started |= FOLLOWUP if flow.id == followup else frozenset()
        staff = STAFF if flow.audience in ("coach", "coordinator") else frozenset()
        for step in flow.steps.values():
            if step.kind in (StepKind.SAY, StepKind.ASK) and step.message:
                paged = PAGED if step.page else frozenset()
                use(step.message, FLOW | staff | started | paged)
            elif step.kind == StepKind.DO and step.message:
                use(step.message, NOTIFY | started)
    for key in label_keys(flows):
        use(key, ())
    for key, _path, _line in nudge_texts(flows):
        use(key, NUDGE)
    for key, names in HOST_VARS.items():
        use(key, names)
    return {key: frozenset.intersection(*sets) for key, sets in uses.items()}


def _undeclared(tree: nodes.Template, text: str) -> set[str]:
    """The variables a template reads from its context. Without tags (`{% for %}`, `{% set %}`)
    every name it loads comes from the context; jinja's own analysis, needed for tags, costs
    ten times as much and would be most of a start-up."""
    if "{%" in text:
        return set(meta.find_undeclared_variables(tree))
    return {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load"}


def _check_variables(
    catalog: Catalog,
    provided: Mapping[str, frozenset[str]],
    problems: list[Problem],
    *,
    fatal: bool,
    render: bool,
) -> None:
    env = make_environment()
    for key, text in catalog.messages.items():
        given = provided.get(key)
        if given is None or "{" not in text:  # unused, or plain text: nothing to hold
            continue
        tree = catalog.trees.get(key) or env.parse(text)
        missing = _undeclared(tree, text) - given
        if missing:
            can = ", ".join(sorted(given)) or "no variables"
            for name in sorted(missing):
                problems.append(
                    Problem(
                        catalog.path,
                        catalog.line_in(key, _first_line(tree, name)),
                        f"undefined variable {name!r} in message {key!r} (it gets: {can})",
                        fatal=fatal,
                    )
                )
            continue
        if not render or not _can_fail(tree):
            continue
        try:
            env.from_string(tree).render({**sample(given), "_locale": catalog.locale})
        except Exception as err:  # whatever fails here fails for a participant too
            line = catalog.line_in(key, _template_line(err))
            problems.append(
                Problem(
                    catalog.path,
                    line,
                    f"message {key!r} cannot be rendered: {err}",
                    fatal=False,  # found only by `coachbot check`, never at start-up
                )
            )


# A template made only of text and `{{ name }}` renders once its names are given; others
# (filters, attributes, loops, tests, arithmetic) are rendered with sample values to see.
_PLAIN = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name)


def _can_fail(tree: nodes.Template) -> bool:
    return any(not isinstance(node, _PLAIN) for node in tree.find_all(nodes.Node))


def _template_line(err: BaseException) -> int | None:
    """The template line an error was raised at (jinja2 maps its frames to `<template>`)."""
    line = getattr(err, "lineno", None)
    tb = err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line if isinstance(line, int) else None


def _first_line(tree: nodes.Template, name: str) -> int:
    lines = [n.lineno for n in tree.find_all(nodes.Name) if n.name == name and n.ctx == "load"]
    return min(lines, default=1)


def _latin_script(catalog: Catalog) -> bool:
    """Whether most letters of the catalog are Latin (nl, en, tr, so: yes; ar, fa, ti: no)."""
    text = "".join(catalog.messages.values())
    letters = len(_LETTER.findall(text))
    latin = sum(len(w) for w in regex.findall(r"\p{Latin}+", text))
    return latin * 2 >= letters


def _check_latin_words(catalog: Catalog, problems: list[Problem]) -> None:
    for key, text in catalog.messages.items():
        plain = _NOT_WORDS.sub(lambda m: "\n" * m.group().count("\n"), text)
        for line_no, line in enumerate(plain.splitlines() or [""], 1):
            words = [w for w in _LATIN_WORD.findall(line) if w not in LATIN_WORDS]
            for word in dict.fromkeys(words):
                problems.append(
                    Problem.warn(
                        catalog.path,
                        catalog.line_in(key, line_no),
                        f"Latin word {word!r} in message {key!r} (not translated?)",
                    )
                )


def _check_labels(catalog: Catalog, labels: set[str], problems: list[Problem]) -> None:
    for key in sorted(labels & set(catalog.messages)):
        length = graphemes(catalog.messages[key].strip())
        if length > MAX_LABEL:
            problems.append(
                Problem.warn(
                    catalog.path,
                    catalog.lines[key],
                    f"button label {key!r} has {length} characters; at most {MAX_LABEL} "
                    "fit on a phone",
                )
            )
