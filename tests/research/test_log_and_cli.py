"""`coachbot log`, `coachbot report` and the shared CLI plumbing."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.research.cli import register
from bot.research.pseudonym import ENV_SECRET, ENV_SECRET_FILE, Pseudonyms
from tests.research.conftest import SECRET


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="coachbot")
    register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return int(args.func(args))


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_SECRET, SECRET)
    monkeypatch.delenv(ENV_SECRET_FILE, raising=False)


def test_log_lists_pseudonymised_events(cohort_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert run("log", "--db", str(cohort_path)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "time",
        "person",
        "coach",
        "event",
        "flow/step",
        "value",
        "ref",
        "latency",
    ]
    assert len(out) > 100
    assert "Xandrilla" not in "\n".join(out)
    p1 = Pseudonyms(SECRET.encode()).of(3)
    assert any(p1 in line and "invited" in line for line in out)


def test_log_for_one_participant_since_a_day(
    cohort_path: Path, capsys: pytest.CaptureFixture
) -> None:
    p1 = Pseudonyms(SECRET.encode()).of(3)
    assert run("log", "--db", str(cohort_path), "--participant", p1, "--since", "2026-10-21") == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert lines and all(p1 in line for line in lines)
    assert all(line >= "2026-10-21" for line in lines)
    assert any("attendance_came" in line for line in lines)
    assert any("evaluation_survey/life_satisfaction" in line and " 7 " in line for line in lines)


def test_log_unknown_pseudonym(cohort_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert run("log", "--db", str(cohort_path), "--participant", "P-000000000000") == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "nobody" in captured.err and "P-000000000000" in captured.err


def test_log_known_pseudonym_without_events_in_the_time(
    cohort_path: Path, capsys: pytest.CaptureFixture
) -> None:
    p1 = Pseudonyms(SECRET.encode()).of(3)
    assert run("log", "--db", str(cohort_path), "--participant", p1, "--since", "2099-01-01") == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1 and "no events" in captured.err


def test_report_command(cohort_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "report.html"
    argv = ["report", "--db", str(cohort_path), "--from", "2026-10-01", "--to", "2026-10-31"]
    assert run(*argv, "--out", str(out)) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "Bereikt: 11 uitgenodigd" in capsys.readouterr().out  # Dutch unless --lang en
    assert run(*argv, "--lang", "en", "--out", str(out)) == 0
    assert "Reached: 11 invited" in capsys.readouterr().out
    assert run(*argv, "--coach", "sanne", "--out", str(out)) == 0
    assert "Sanne Zwartkop" in capsys.readouterr().out
    assert run(*argv, "--coach", "nobody", "--out", str(out)) == 2
    assert "no coach called" in capsys.readouterr().err


def test_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert run("report", "--db", str(tmp_path / "none.sqlite3"), "--out", "x.html") == 2
    assert "no database" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite3").exists()
    with pytest.raises(SystemExit):
        run("report", "--from", "yesterday", "--out", "x.html")
    assert run("report", "--from", "2026-10-31", "--to", "2026-10-01", "--out", "x.html") == 2
