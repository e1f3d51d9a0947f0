"""Content problems, reported as `path:line: problem` (`path:line: warning: problem`).

Three kinds, from worst to mildest:
- fatal: the bot cannot run on this content (a broken flow, a Dutch text missing);
- error: the bot runs (Dutch fills in), but `coachbot check` fails (exit 1);
- warning: worth a look (a long button label, an unreviewed catalog); the check passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from bot.errors import CoachbotError


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    # A non-fatal problem (a text missing in a language other than Dutch) is reported by
    # `coachbot check` but the bot still runs, falling back to Dutch for that text.
    fatal: bool = True
    # A warning never fails the check (and is never fatal).
    warning: bool = False

    def __post_init__(self) -> None:
        if self.warning and self.fatal:
            raise ValueError("a warning cannot be fatal")

    @classmethod
    def warn(cls, path: str, line: int, message: str) -> Problem:
        return cls(path, line, message, fatal=False, warning=True)

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return f"{self.path}:{self.line}: {kind}{self.message}"


class ContentError(CoachbotError):
    """Content could not be loaded; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def read_yaml(path: Path, problems: list[Problem]) -> Any:
    """Parse a YAML file keeping line numbers; a syntax error becomes a Problem."""
    yaml = YAML(typ="rt")
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        problems.append(Problem(str(path), line, f"YAML syntax error: {err.problem}"))
    except (OSError, UnicodeDecodeError) as err:
        problems.append(Problem(str(path), 1, f"cannot read file: {err}"))
    return None


def line_of(node: Any, *keys: str | int) -> int:
    """1-based line of the deepest key in `keys` that exists in the parsed YAML."""
    line: int = (node.lc.line + 1) if hasattr(node, "lc") else 1
    for key in keys:
        try:
            if isinstance(node, CommentedMap) and key in node:
                line = node.lc.key(key)[0] + 1
                node = node[key]
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
                line = node.lc.item(key)[0] + 1
                node = node[key]
            else:
                break
        except (AttributeError, KeyError, TypeError):
            break
    return line
