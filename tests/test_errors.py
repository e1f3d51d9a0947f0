"""The error tree drawn in bot/errors.py is true: every exception class defined in `bot` and
`storage` is a CoachbotError drawn under its real parent, or listed with a reason outside it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass
from types import ModuleType

import pytest

import bot
import bot.errors
import storage
from bot.errors import CoachbotError

SKIPPED = ("bot.sandbox.emulator",)  # Telegram's side in the sandbox: not Coachbot's errors
ROOT = "CoachbotError"
OUTSIDE_HEADER = "Not under CoachbotError, and why:"
STEP = 4  # characters per level of the drawing
ENTRY = re.compile(
    r"^(?P<branch>(?:│   |    )*(?:[├└]── )?)(?P<name>[A-Za-z_]\w*) \((?P<module>[\w.]+)\)"
    r"\s{2,}(?P<when>\S.*)$"
)


@dataclass(frozen=True)
class Entry:
    name: str
    module: str
    when: str
    depth: int
    branch: str
    parent: str | None  # the name of the entry it is drawn under

    @property
    def key(self) -> tuple[str, str]:
        return (self.module, self.name)


def _entry(line: str, parent: str | None = None, depth: int = 0) -> Entry:
    match = ENTRY.match(line)
    assert match, f"bot/errors.py: cannot read {line!r} as `Name (module)  when`"
    return Entry(match["name"], match["module"], match["when"], depth, match["branch"], parent)


def parse_tree(doc: str) -> list[Entry]:
    """The drawn tree: from the `CoachbotError (…)` line to the first blank line."""
    lines = doc.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(ROOT + " (")]
    assert len(starts) == 1, "bot/errors.py draws no tree (or two) starting at CoachbotError"
    block: list[str] = []
    for line in lines[starts[0] :]:
        if not line.strip():
            break
        block.append(line)
    entries: list[Entry] = []
    path: list[str] = []  # the names of the current line's ancestors, root first
    for line in block:
        match = ENTRY.match(line)
        assert match, f"bot/errors.py: cannot read tree line {line!r}"
        branch = match["branch"]
        assert len(branch) % STEP == 0, f"bot/errors.py: ragged indentation in {line!r}"
        depth = len(branch) // STEP
        assert (depth == 0) == (not entries), f"bot/errors.py: one root, first: {line!r}"
        assert depth <= len(path), f"bot/errors.py: {line!r} skips a level"
        path = path[:depth]
        entries.append(_entry(line, path[-1] if path else None, depth))
        path.append(match["name"])
    return entries


def parse_outside(doc: str) -> list[Entry]:
    """The classes listed, with a reason, after `Not under CoachbotError, and why:`."""
    lines = doc.splitlines()
    if OUTSIDE_HEADER not in lines:
        return []
    found: list[Entry] = []
    for line in lines[lines.index(OUTSIDE_HEADER) + 1 :]:
        if not line.strip():
            if found:
                break
            continue
        found.append(_entry(line.strip()))
    return found


def drawn(entries: list[Entry]) -> list[str]:
    """The branch prefix each entry should have, from the parent/child structure alone."""
    children: dict[str | None, list[str]] = {}
    for entry in entries:
        children.setdefault(entry.parent, []).append(entry.name)
    by_name = {e.name: e for e in entries}

    def last(name: str) -> bool:
        parent = by_name[name].parent
        return parent is not None and children[parent][-1] == name

    prefixes = []
    for entry in entries:
        if entry.parent is None:
            prefixes.append("")
            continue
        ancestors = []
        up = entry.parent
        while up is not None and by_name[up].parent is not None:
            ancestors.append("    " if last(up) else "│   ")
            up = by_name[up].parent
        prefixes.append("".join(reversed(ancestors)) + ("└── " if last(entry.name) else "├── "))
    return prefixes


def exception_classes(packages: tuple[ModuleType, ...]) -> dict[tuple[str, str], type]:
    """Every exception class defined at the top of a module of `packages` (imported)."""
    found: dict[tuple[str, str], type] = {}
    for package in packages:
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            name = info.name
            if name.startswith(SKIPPED) or name.rsplit(".", 1)[-1] == "__main__":
                continue  # __main__ would run the command line
            module = importlib.import_module(name)
            for value in vars(module).values():
                if (
                    inspect.isclass(value)
                    and issubclass(value, BaseException)
                    and value.__module__ == module.__name__
                ):
                    found[(value.__module__, value.__qualname__)] = value
    return found


def resolve(entry: Entry) -> type:
    value = getattr(importlib.import_module(entry.module), entry.name, None)
    assert inspect.isclass(value) and issubclass(value, BaseException), (
        f"bot/errors.py names {entry.name} ({entry.module}), but there is no such exception"
    )
    assert value.__module__ == entry.module, f"{entry.name} is defined in {value.__module__}"
    return value


DOC = bot.errors.__doc__ or ""
TREE = parse_tree(DOC)
OUTSIDE = parse_outside(DOC)


def test_the_tree_grows_from_coachbot_error() -> None:
    assert TREE[0].key == ("bot.errors", ROOT)
    assert resolve(TREE[0]) is CoachbotError
    names = [e.name for e in TREE + OUTSIDE]
    assert len(names) == len(set(names)), "a class is drawn twice in bot/errors.py"


def test_every_exception_class_is_drawn() -> None:
    declared = {e.key for e in TREE} | {e.key for e in OUTSIDE}
    missing = sorted(set(exception_classes((bot, storage))) - declared)
    assert not missing, (
        "put these under CoachbotError and draw them in bot/errors.py's tree (or list them "
        f"under {OUTSIDE_HEADER!r} with the reason): {missing}"
    )


@pytest.mark.parametrize("entry", TREE[1:], ids=lambda e: e.name)
def test_each_branch_is_the_real_base_class(entry: Entry) -> None:
    cls = resolve(entry)
    parents = {e.name: resolve(e) for e in TREE}
    ours = [base for base in cls.__bases__ if issubclass(base, CoachbotError)]
    assert ours == [parents[entry.parent or ""]], (
        f"{entry.name} is drawn under {entry.parent}, but its Coachbot base is "
        f"{[b.__name__ for b in ours] or 'none'}"
    )


@pytest.mark.parametrize("entry", OUTSIDE, ids=lambda e: e.name)
def test_what_is_listed_outside_is_really_outside(entry: Entry) -> None:
    assert not issubclass(resolve(entry), CoachbotError), (
        f"{entry.name} is a CoachbotError now: draw it in the tree instead"
    )


def test_the_drawing_is_well_formed() -> None:
    assert [e.branch for e in TREE] == drawn(TREE)
    assert all(e.when for e in TREE + OUTSIDE)
