"""Message catalogs (`messages/<lang>.yaml`): jinja2 templates per key, Babel for dates.

Dutch is the fallback: a key missing in a language, or a template that fails at run
time, is rendered in Dutch (and logged by key, never by text). If even that fails a
safe generic sentence goes out: never a blank message, never a crash.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from bot.clock import DEFAULT_TZ
from bot.content.problems import Problem, line_of, read_yaml

log = logging.getLogger(__name__)

FALLBACK = "nl"
SAFE_TEXT = "🙂 …"  # last resort when no template renders at all


@dataclass
class Catalog:
    code: str
    name: str  # the language's own name, shown on its button
    direction: str  # ltr | rtl
    locale: str  # Babel locale, e.g. "tr_TR"
    reviewed: bool  # reviewed by a native speaker
    messages: dict[str, str]
    path: str = ""
    lines: dict[str, int] = field(default_factory=dict)  # the line of each key
    # The line of each message's first line of text: the key's line, or the next one for a
    # block (`|`); a template's line 3 is file line `starts[key] + 2`.
    starts: dict[str, int] = field(default_factory=dict)
    reviewed_line: int = 1
    # Each message parsed once, at load (the check reads its variables from it).
    trees: dict[str, nodes.Template] = field(default_factory=dict, repr=False, compare=False)

    def line_in(self, key: str, template_line: int | None) -> int:
        """The file line of line `template_line` (1-based) of message `key`."""
        start = self.starts.get(key, self.lines.get(key, 1))
        return start + max(template_line or 1, 1) - 1


def _when(value: Any, ctx: Context) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    tz: tzinfo = ctx.get("_tz") or DEFAULT_TZ
    return when.astimezone(tz)


# Languages that write month names in full. Persian uses the Afghan (Dari) month names
# (`locale: fa_AF`: جنوری, مارچ, اگست, close to the Dutch januari, maart, augustus that
# Iranian and Afghan readers in the Netherlands both see on their letters); CLDR's Dari
# abbreviations (جنو, جول, دسم) are not in use, so "MMM" becomes "MMMM" there.
FULL_MONTHS = frozenset({"fa"})
_SHORT_MONTH = re.compile(r"(?<!M)MMM(?!M)")


@lru_cache(maxsize=64)
def date_pattern(fmt: str, locale: str) -> str:
    """`fmt` as the language writes it: "d MMM" → "d MMMM" for Persian, else unchanged."""
    if Locale.parse(locale).language in FULL_MONTHS:
        return _SHORT_MONTH.sub("MMMM", fmt)
    return fmt


@pass_context
def _date(ctx: Context, value: Any, fmt: str = "EEEE d MMMM") -> str:
    locale = ctx.get("_locale", "nl_NL")
    return format_date(_when(value, ctx).date(), date_pattern(fmt, locale), locale=locale)


# The 24-hour clock in every language: the coach sees 14:30, so does the participant.
# Babel's "short" time is 12-hour in Arabic, Somali and Tigrinya ("2:30 م").
CLOCK = "HH:mm"


@pass_context
def _time(ctx: Context, value: Any, fmt: str = CLOCK) -> str:
    when = _when(value, ctx)
    return format_time(when, fmt, tzinfo=when.tzinfo, locale=ctx.get("_locale", "nl_NL"))


@pass_context
def _datetime(ctx: Context, value: Any, fmt: str = f"EEEE d MMMM {CLOCK}") -> str:
    when, locale = _when(value, ctx), ctx.get("_locale", "nl_NL")
    return format_datetime(when, date_pattern(fmt, locale), tzinfo=when.tzinfo, locale=locale)


def make_environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
    env.filters.update(date=_date, time=_time, datetime=_datetime)
    return env


class Catalogs:
    """All languages; renders a key for a language with fallback to Dutch."""

    def __init__(self, catalogs: Mapping[str, Catalog]) -> None:
        if FALLBACK not in catalogs:
            raise ValueError("the Dutch catalog (messages/nl.yaml) is required as fallback")
        # Dutch first, then the others by code: the order of the language buttons.
        self.by_code = {c: catalogs[c] for c in sorted(catalogs, key=lambda c: (c != FALLBACK, c))}
        self._env = make_environment()
        self._cache: dict[tuple[str, str], Template] = {}

    @property
    def codes(self) -> list[str]:
        return list(self.by_code)

    def pick(self, code: str | None) -> str:
        """A supported language code for `code` (e.g. Telegram's `en-GB`), or Dutch."""
        if code:
            base = code.lower().split("-")[0].split("_")[0]
            if base in self.by_code:
                return base
        return FALLBACK

    def direction(self, code: str) -> str:
        return self.by_code[self.pick(code)].direction

    def render(
        self,
        key: str,
        code: str | None,
        vars: Mapping[str, Any] | None = None,
        tz: tzinfo = DEFAULT_TZ,
    ) -> str:
        """The text for `key` in language `code`, falling back to Dutch, never empty."""
        lang = self.pick(code)
        for attempt in dict.fromkeys((lang, FALLBACK)):
            catalog = self.by_code[attempt]
            try:
                template = self._template(key, attempt)
                if template is None:
                    log.warning("message key %s missing in %s", key, attempt)
                    continue
                text = template.render({**(vars or {}), "_tz": tz, "_locale": catalog.locale})
            except Exception as err:  # any template failure must not silence the bot
                log.error("message %s in %s failed to render: %s", key, attempt, type(err).__name__)
                continue
            if text.strip():
                return text.strip()
        return SAFE_TEXT

    def _template(self, key: str, code: str) -> Template | None:
        cached = self._cache.get((code, key))
        if cached is None:
            source = self.by_code[code].messages.get(key)
            if source is None:
                return None
            cached = self._env.from_string(source)
            self._cache[(code, key)] = cached
        return cached


def load_catalogs(directory: Path, problems: list[Problem]) -> dict[str, Catalog]:
    """Every `<lang>.yaml` in `directory`, with template syntax checked."""
    env = make_environment()
    catalogs: dict[str, Catalog] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = read_yaml(path, problems)
        if data is None:
            continue
        p = str(path)
        if not isinstance(data, dict) or not isinstance(data.get("messages"), dict):
            problems.append(Problem(p, 1, "a catalog needs language, name, direction and messages"))
            continue
        missing = [k for k in ("language", "name", "direction", "locale") if k not in data]
        if missing:
            problems.append(Problem(p, 1, f"catalog is missing {', '.join(missing)}"))
            continue
        code = str(data["language"])
        if code != path.stem:
            problems.append(
                Problem(
                    p,
                    line_of(data, "language"),
                    f"language {code!r} does not match file name {path.stem!r}",
                )
            )
        if data["direction"] not in ("ltr", "rtl"):
            problems.append(Problem(p, line_of(data, "direction"), "direction must be ltr or rtl"))
        messages: dict[str, str] = {}
        lines: dict[str, int] = {}
        starts: dict[str, int] = {}
        trees: dict[str, nodes.Template] = {}
        for key, text in data["messages"].items():
            line = line_of(data, "messages", key)
            lines[str(key)] = line
            # A block scalar (`|`) starts on the line after its key.
            block = isinstance(text, LiteralScalarString | FoldedScalarString)
            start = starts[str(key)] = data["messages"].lc.value(key)[0] + (2 if block else 1)
            if not isinstance(text, str) or not text.strip():
                problems.append(Problem(p, line, f"message {key!r} is empty"))
                continue
            if "{" not in text:  # plain text: no template to parse (most messages)
                messages[str(key)] = str(text)
                continue
            try:
                tree = env.parse(text)
            except TemplateSyntaxError as err:
                problems.append(
                    Problem(
                        p,
                        start + (err.lineno or 1) - 1,
                        f"message {key!r}: template syntax error: {err.message}",
                    )
                )
                continue
            # Parsing does not know filters: `{{ when | dat }}` would fail only when sent.
            unknown = _unknown_filter(env, tree)
            if unknown is not None:
                problems.append(
                    Problem(
                        p,
                        start + unknown.lineno - 1,
                        f"message {key!r}: template syntax error: no filter named {unknown.name!r}",
                    )
                )
                continue
            messages[str(key)] = str(text)
            trees[str(key)] = tree
        catalogs[code] = Catalog(
            code,
            str(data["name"]),
            str(data["direction"]),
            str(data["locale"]),
            bool(data.get("reviewed", False)),
            messages,
            p,
            lines,
            starts,
            line_of(data, "reviewed") if "reviewed" in data else 1,
            trees,
        )
    return catalogs


def _unknown_filter(env: SandboxedEnvironment, tree: nodes.Template) -> nodes.Filter | None:
    return next((f for f in tree.find_all(nodes.Filter) if f.name not in env.filters), None)
