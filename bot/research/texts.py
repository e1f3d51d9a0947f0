"""The report's words, in the coordinator's language: Dutch (the default) or English.

The texts are catalogs like the bot's, `messages/report/nl.yaml` and `en.yaml` (flat keys
under `messages:`, jinja2 templates), kept apart from the seven participant catalogs: only
coordinators read the report. A `--content` folder may bring its own `messages/report/`;
its keys are laid over the shipped ones, so a deployment can name its own questionnaire
items (`item.<id>`) without copying every text.

`Words` also writes numbers, dates and hidden figures the way the language does:
5,98 and "verborgen: minder dan 5 personen" in Dutch, 5.98 and "hidden: fewer than 5
people" in English. Whether a figure may be shown is decided in `suppress`, never here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import get_decimal_symbol
from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from bot.clock import DEFAULT_TZ
from bot.content.catalog import Catalog, load_catalogs, make_environment
from bot.content.problems import Problem
from bot.research.suppress import MIN_GROUP, Count, Measure, Share, Shown, shown

LANGUAGES = ("nl", "en")
DEFAULT = "nl"
FOLDER = Path("messages") / "report"

Figure = Count | Share | Measure


def pick(code: str | None) -> str:
    """The report language for a language code: "en-GB" → "en"; "tr", "ar", None → "nl"."""
    base = (code or "").lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else DEFAULT


def shipped_folder() -> Path:
    from bot.content.bundle import shipped_content_dir

    return shipped_content_dir() / FOLDER


@cache
def _read(folder: Path) -> tuple[dict[str, Catalog], tuple[Problem, ...]]:
    problems: list[Problem] = []
    catalogs = load_catalogs(folder, problems) if folder.is_dir() else {}
    return catalogs, tuple(problems)


def catalogs(content_dir: Path | None = None) -> dict[str, dict[str, str]]:
    """Messages per language: the shipped catalogs, with `content_dir`'s laid over them."""
    shipped, _ = _read(shipped_folder())
    merged = {code: dict(c.messages) for code, c in shipped.items()}
    if content_dir is not None and (content_dir / FOLDER).resolve() != shipped_folder().resolve():
        own, _ = _read(content_dir / FOLDER)
        for code, catalog in own.items():
            merged.setdefault(code, {}).update(catalog.messages)
    return merged


LOCALES = {"nl": "nl_NL", "en": "en_GB"}


@dataclass
class Words:
    """Texts, numbers and dates of one report language."""

    language: str
    messages: Mapping[str, Mapping[str, str]]  # language → key → template
    tz: tzinfo = DEFAULT_TZ
    _cache: dict[str, Template] = field(default_factory=dict, repr=False)
    _env: SandboxedEnvironment = field(default_factory=make_environment, repr=False)

    @classmethod
    def load(
        cls, language: str | None = None, tz: tzinfo = DEFAULT_TZ, content_dir: Path | None = None
    ) -> Words:
        return cls(pick(language), catalogs(content_dir), tz)

    @property
    def locale(self) -> str:
        return LOCALES[self.language]

    @property
    def decimal(self) -> str:
        """The decimal mark: "," in Dutch, "." in English."""
        return str(get_decimal_symbol(self.locale))

    @property
    def comma(self) -> bool:
        """True when the language writes 5,98."""
        return self.decimal == ","

    def has(self, key: str) -> bool:
        return any(key in self.messages.get(code, {}) for code in (self.language, DEFAULT))

    def t(self, key: str, **vars: Any) -> str:
        """The text for `key` (the Dutch one when the language lacks it), on one line."""
        for code in dict.fromkeys((self.language, DEFAULT)):
            source = self.messages.get(code, {}).get(key)
            if source is None:
                continue
            if "{" not in source:  # most texts are plain: no template to run
                return " ".join(source.split())
            template = self._cache.get(f"{code}:{key}")
            if template is None:
                template = self._cache[f"{code}:{key}"] = self._env.from_string(source)
            context = {**vars, "_tz": self.tz, "_locale": LOCALES[code]}
            return " ".join(template.render(context).split())
        # No catalog has it, not even the Dutch one: a bug, which the catalog tests catch.
        raise KeyError(key)

    # --- numbers and dates ----------------------------------------------------------------

    def number(self, value: float, digits: int = 0, signed: bool = False) -> str:
        """5.98 → "5,98" (nl) or "5.98" (en); `signed` adds "+" to positive numbers.

        Rounded by Python's `format`, as the figures always were (babel would round 2.675
        up where `format` gives 2.67); only the decimal mark is the language's.
        """
        text = format(value, f"{'+' if signed else ''}.{digits}f")
        return text.replace(".", self.decimal) if self.decimal != "." else text

    def percent(self, share: float) -> str:
        """0.6667 → "67%" (rounded as `format` does)."""
        return f"{share:.0%}"

    def day(self, d: date | datetime) -> str:
        """5 okt 2026 / 5 Oct 2026."""
        return str(format_date(d, "d MMM yyyy", locale=self.locale))

    def short_day(self, d: date) -> str:
        return str(format_date(d, "d MMM", locale=self.locale))

    def month(self, d: date, with_year: bool = True) -> str:
        """okt 2026 / Oct 2026 (the month alone without the year)."""
        return str(format_date(d, "LLL yyyy" if with_year else "LLL", locale=self.locale))

    def moment(self, when: datetime) -> str:
        return str(
            format_datetime(when.astimezone(self.tz), "d MMM yyyy HH:mm", locale=self.locale)
        )

    def duration(self, seconds: float) -> str:
        """45 s, 12 min, 3 h 5 min (3 u 5 min), 2 d 4 h (2 d 4 u)."""
        s = round(seconds)
        if s < 60:
            return self.t("duration.seconds", s=s)
        if s < 3600:
            return self.t("duration.minutes", m=s // 60)
        if s < 86400:
            return self.t("duration.hours", h=s // 3600, m=s % 3600 // 60)
        return self.t("duration.days", d=s // 86400, h=s % 86400 // 3600)

    # --- figures --------------------------------------------------------------------------

    def figure(self, f: Figure, digits: int = 0, signed: bool = False, time: bool = False) -> str:
        """A figure as words: its number, "–" when there is nothing, or the hidden words."""
        state = shown(f)
        if state is Shown.FEW:
            return self.t("hidden.few", n=MIN_GROUP)
        if state is Shown.WITHHELD:
            return self.t("hidden.withheld")
        if state is Shown.NONE:
            return "–"
        if isinstance(f, Count):
            return self.number(f.n)
        value = f.shown
        assert value is not None  # Shown.VALUE
        if isinstance(f, Share):
            return self.percent(value)
        if time:
            return self.duration(value)
        return self.number(value, digits, signed)

    def cell(self, f: Figure, digits: int = 0, signed: bool = False, time: bool = False) -> Markup:
        """A figure for a table: a hidden one in a style of its own (`span.hid`)."""
        words = escape(self.figure(f, digits, signed, time))
        if shown(f) in (Shown.FEW, Shown.WITHHELD):
            return Markup(f'<span class="hid">{words}</span>')
        return Markup(words)

    def brief(self, f: Figure, digits: int = 0, signed: bool = False, time: bool = False) -> str:
        """A figure for the chat summary and charts: a hidden one as one short word."""
        if shown(f) in (Shown.FEW, Shown.WITHHELD):
            return self.t("hidden.short")
        return self.figure(f, digits, signed, time)
