"""Content problems, reported as `path:line: problem` (`path:line: warning: problem`).

Three kinds, from worst to mildest:
- fatal: the bot cannot run on this content (a broken flow, a Dutch text missing);
- error: the bot runs (Dutch fills in), but `coachbot check` fails (exit 1);
- warning: worth a look (a long button label, an unreviewed catalog); the check passes.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ruamel.yaml
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


def cache_dir() -> Path | None:
    """Where parsed content is kept between starts: `COACHBOT_CACHE_DIR`, else the user's
    cache folder; None (no cache) when `COACHBOT_CACHE_DIR` is empty."""
    configured = os.environ.get("COACHBOT_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "coachbot" / "content"


def _cache_key(data: bytes) -> str:
    # The parse depends on the bytes, the parser and the pickle format of this Python.
    salt = f"{ruamel.yaml.__version__}/{sys.version_info[:2]}/{pickle.HIGHEST_PROTOCOL}"
    return hashlib.sha256(salt.encode() + data).hexdigest()


def _from_cache(folder: Path, key: str) -> Any:
    """The parse stored under `key`, or None. Only a file of our own, in a folder no one else
    may write, is read: unpickling runs code."""
    path = folder / f"{key}.pickle"
    try:
        for checked in (folder, path):
            stat = checked.stat()
            if stat.st_uid != os.getuid() or stat.st_mode & 0o022:
                return None
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # missing, unreadable or from another version: parse again
        return None


def _to_cache(folder: Path, key: str, value: Any) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        with tmp.open("wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.chmod(tmp, 0o600)
        os.replace(tmp, folder / f"{key}.pickle")
    except Exception:  # a read-only home, a full disk: the next start parses again
        return


def read_yaml(path: Path, problems: list[Problem]) -> Any:
    """Parse a YAML file keeping line numbers; a syntax error becomes a Problem.

    Parsing with line numbers is slow (ruamel's round-trip parser is pure Python: about
    0.1 s per catalog, most of a start-up), so a parse is kept in the cache folder under the
    hash of the file's bytes and reused while the file is unchanged."""
    try:
        data = path.read_bytes()
        folder = cache_dir()
        key = _cache_key(data)
        if folder is not None:
            cached = _from_cache(folder, key)
            if cached is not None:
                return cached
        parsed = YAML(typ="rt").load(data.decode("utf-8"))
        if folder is not None and parsed is not None:
            _to_cache(folder, key, parsed)
        return parsed
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
