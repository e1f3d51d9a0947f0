"""Coordinators and research: the engagement report, the pseudonymised export and the log.

Everything here only reads the database: `rows.load` reads a snapshot through
`storage.research` (without participants' names or Telegram ids), pure functions turn it
into figures, and `report`, `export` and `log` present them. Small groups are suppressed
in `suppress`; pseudonyms come from `pseudonym`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_report"]


def __getattr__(name: str) -> Any:
    # Lazy, so `coachbot run` does not load the report just to register the subcommands.
    if name == "build_report":
        from bot.research.report import build_report

        return build_report
    raise AttributeError(name)
