"""The engine is pure: no I/O library, no clock, no randomness (checked on the source AST)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "bot" / "engine"
MODULES = sorted(ENGINE.rglob("*.py"))

# Modules (and their submodules) the engine must not import.
FORBIDDEN_MODULES = (
    "telegram",
    "aiosqlite",
    "sqlite3",
    "apscheduler",
    "storage",
    "bot.clock",
    "uuid",
    "random",
    "secrets",
    "time",
    "os",
    "socket",
    "asyncio",
)
# Attribute calls that read the clock: datetime.now(), date.today(), …
CLOCK_READS = {"now", "utcnow", "today", "time_ns", "monotonic"}


def imported_names(tree: ast.AST, package: str = "bot.engine") -> set[str]:
    """Every module name imported, relative imports resolved against `package`."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def impurities(source: str) -> list[str]:
    """What makes this source impure, as readable lines (empty when pure)."""
    tree = ast.parse(source)
    found = []
    for name in sorted(imported_names(tree)):
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_MODULES):
            found.append(f"imports {name}")
        elif name.startswith("bot.") and not name.startswith("bot.engine"):
            found.append(f"imports {name} (outside the engine)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in CLOCK_READS:
            found.append(f"line {node.lineno}: reads the clock via .{node.attr}")
        if isinstance(node, ast.Name) and node.id in {"open", "print", "input"}:
            found.append(f"line {node.lineno}: uses {node.id}()")
    return found


def test_the_engine_has_modules_to_check():
    assert {p.name for p in MODULES} >= {"__init__.py", "model.py", "runner.py", "durations.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_engine_module_is_pure(path):
    assert impurities(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("import telegram", id="telegram"),
        pytest.param("from aiosqlite import connect", id="aiosqlite"),
        pytest.param("from apscheduler.schedulers import base", id="apscheduler"),
        pytest.param("from storage.db import Database", id="storage"),
        pytest.param("from bot.clock import SystemClock", id="bot.clock"),
        pytest.param("from ..clock import SystemClock", id="relative-bot.clock"),
        pytest.param("from bot import flowhost", id="host-module"),
        pytest.param("import uuid", id="uuid"),
        pytest.param("import random", id="random"),
        pytest.param("from secrets import token_hex", id="secrets"),
        pytest.param("import time", id="time"),
        pytest.param("from datetime import datetime\nx = datetime.now()", id="datetime.now"),
        pytest.param("import datetime\nx = datetime.date.today()", id="date.today"),
    ],
)
def test_the_checker_catches_impure_code(source):
    assert impurities(source) != []


def test_the_checker_allows_what_the_engine_needs():
    source = (
        "from datetime import timedelta, time\nfrom bot.engine.model import Flow\n"
        "from .model import Step\nimport re\n"
    )
    assert impurities(source) == []


def test_importing_the_engine_loads_no_io_library():
    code = (
        "import sys, bot.engine.runner, bot.engine.durations\n"
        "bad = ('telegram', 'aiosqlite', 'apscheduler', 'storage', 'bot.clock')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in bad or m == 'bot.clock'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
