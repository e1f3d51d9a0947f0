"""The house's rules, checked on the source: SQL only in storage/, storage below the bot,
python-telegram-bot only in the Telegram channel (and the wiring that starts it)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|PRAGMA|CREATE|WITH|BEGIN|COMMIT)\b", re.I)
# The sandbox's Bot API emulator speaks HTTP, not SQL; its words are not statements.
NOT_SQL = ("bot/sandbox/emulator/",)


def _sources(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py"))


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text("utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def sql_outside_storage() -> list[str]:
    found = []
    for path in _sources("bot"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(NOT_SQL):
            continue
        for line, text in _strings(path):
            if SQL.match(text) and (
                " FROM " in text.upper()
                or " INTO " in text.upper()
                or text.upper().lstrip().startswith(("PRAGMA", "UPDATE"))
            ):
                found.append(f"{rel}:{line}: {text[:60]!r}")
    return found


def test_no_sql_outside_storage() -> None:
    assert sql_outside_storage() == []


def test_the_sql_check_can_see_sql(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text('Q = "SELECT * FROM people WHERE id = ?"\n')
    assert any(SQL.match(text) for _, text in _strings(planted))


def test_storage_imports_nothing_of_the_bot_but_its_errors() -> None:
    wrong = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in _sources("storage")
        for module in _imports(path)
        if module.startswith("bot") and module != "bot.errors"
    }
    assert wrong == set()


def test_only_the_telegram_channel_imports_python_telegram_bot() -> None:
    allowed = ("bot/channels/telegram/", "bot/sandbox/", "bot/app.py", "bot/cli.py")
    wrong = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in _sources("bot")
        if not path.relative_to(ROOT).as_posix().startswith(allowed)
        for module in _imports(path)
        if module == "telegram" or module.startswith("telegram.")
    }
    assert wrong == set()


def test_host_actions_never_import_the_flow_host() -> None:
    wrong = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in [*_sources("bot/host/actions"), ROOT / "bot/host/tools.py"]
        for module in _imports(path)
        if module in ("bot.host.flows", "bot.host.inbound", "bot.dispatcher")
    }
    assert wrong == set()
