"""Parsed content is kept between starts (bot/content/problems.py: read_yaml): the same
result as a fresh parse, line numbers included, and never a file it should not trust."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.content.problems import Problem, line_of, read_yaml

TEXT = "language: nl\nmessages:\n  a: hallo\n  b: |\n    regel een\n    regel twee\n"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("COACHBOT_CACHE_DIR", str(folder))
    return folder


def parse(path: Path) -> tuple[object, list[Problem]]:
    problems: list[Problem] = []
    return read_yaml(path, problems), problems


def test_a_cached_parse_is_the_parse_with_its_line_numbers(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "nl.yaml"
    path.write_text(TEXT)
    fresh, _ = parse(path)
    assert len(list(cache.glob("*.pickle"))) == 1
    cached, problems = parse(path)
    assert problems == [] and cached == fresh
    assert line_of(cached, "messages", "b") == line_of(fresh, "messages", "b") == 4
    assert type(cached["messages"]["b"]) is type(fresh["messages"]["b"])  # a block scalar


def test_a_changed_file_is_parsed_again(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "nl.yaml"
    path.write_text(TEXT)
    parse(path)
    path.write_text(TEXT.replace("hallo", "dag"))
    again, _ = parse(path)
    assert again["messages"]["a"] == "dag"


def test_a_broken_or_foreign_cache_file_is_not_used(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "nl.yaml"
    path.write_text(TEXT)
    parse(path)
    (stored,) = cache.glob("*.pickle")
    stored.write_bytes(b"not a pickle")
    assert parse(path)[0]["messages"]["a"] == "hallo"
    (stored,) = cache.glob("*.pickle")
    os.chmod(stored, 0o666)  # others may write it: it could hold anything
    stored.write_bytes(b"\x80\x04K*.")  # a pickle of 42
    assert parse(path)[0]["messages"]["a"] == "hallo"


def test_a_syntax_error_is_reported_and_not_cached(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "nl.yaml"
    path.write_text("messages:\n  a: [unclosed\n")
    for _ in range(2):
        value, problems = parse(path)
        assert value is None and "YAML syntax error" in problems[0].message
    assert not list(cache.glob("*.pickle"))


def test_an_empty_cache_setting_turns_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACHBOT_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "nl.yaml"
    path.write_text(TEXT)
    assert parse(path)[0]["messages"]["a"] == "hallo"
    assert not (tmp_path / "xdg").exists()
