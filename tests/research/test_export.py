"""The research export: stable pseudonyms, no names or Telegram ids, a complete codebook."""

from __future__ import annotations

import argparse
import csv
import re
import sqlite3
from pathlib import Path

import pytest

from bot.research.cli import register
from bot.research.pseudonym import (
    ENV_SECRET,
    ENV_SECRET_FILE,
    Pseudonyms,
    SecretError,
    load_secret,
)
from tests.research import cohort
from tests.research.conftest import OTHER_SECRET, SECRET

FILES = ["participants.csv", "events.csv", "answers_long.csv", "answers_wide.csv"]


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="coachbot")
    register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return int(args.func(args))


def export(db: Path, out: Path, secret: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENV_SECRET, secret)
    monkeypatch.delenv(ENV_SECRET_FILE, raising=False)
    assert run("export", "--db", str(db), "--out", str(out)) == 0
    return out


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def pseudonyms_in(folder: Path) -> set[str]:
    return {row["participant"] for row in read(folder / "participants.csv")}


def test_pseudonyms_are_stable_and_depend_on_the_secret(
    cohort_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = export(cohort_path, tmp_path / "one", SECRET, monkeypatch)
    second = export(cohort_path, tmp_path / "two", SECRET, monkeypatch)
    other = export(cohort_path, tmp_path / "other", OTHER_SECRET, monkeypatch)
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert len(pseudonyms_in(first)) == 11
    assert all(re.fullmatch(r"P-[0-9a-f]{12}", p) for p in pseudonyms_in(first))
    assert pseudonyms_in(first).isdisjoint(pseudonyms_in(other))
    coaches = {row["coach"] for row in read(first / "participants.csv")}
    assert len(coaches) == 2 and all(c.startswith("C-") for c in coaches)


def test_no_names_and_no_telegram_ids_anywhere(
    cohort_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = export(cohort_path, tmp_path / "out", SECRET, monkeypatch)
    with sqlite3.connect(cohort_path) as conn:
        people = conn.execute("SELECT id, name, telegram_id FROM people").fetchall()
    telegram_ids = [str(t) for _, _, t in people if t is not None]
    names = [n for _, n, _ in people]
    assert len(telegram_ids) == 12 and len(names) == 13
    files = sorted(out.iterdir())
    assert [f.name for f in files] == sorted([*FILES, "codebook.md", "codebook.csv"])
    for path in files:
        text = path.read_text(encoding="utf-8")
        for secret_bit in [*names, *(n.split()[0] for n in names), *telegram_ids]:
            assert secret_bit not in text, f"{secret_bit} in {path.name}"
        assert SECRET not in text


def test_contents(cohort_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = export(cohort_path, tmp_path / "out", SECRET, monkeypatch)
    p = Pseudonyms(SECRET.encode())
    w = cohort.Writer  # ids are given in insertion order: coaches 1–2, P1–P8 = 3–10
    assert w is not None
    p1, p5 = p.of(3), p.of(7)
    people = {row["participant"]: row for row in read(out / "participants.csv")}
    assert people[p1]["consent_date"] == "2026-10-02"
    assert people[p1]["status"] == "active" and people[p1]["language"] == "nl"
    assert people[p.of(9)]["status"] == "declined"
    assert people[p1]["coach"] == p.of(1, "coach")

    events = read(out / "events.csv")
    assert {e["participant"] for e in events} <= set(people)
    answer = next(e for e in events if e["participant"] == p1 and e["flow"] == "checkin")
    assert answer["at"].endswith("Z") and answer["type"] == "flow_started"

    wide = {row["participant"]: row for row in read(out / "answers_wide.csv")}
    assert (wide[p1]["life_satisfaction_T0"], wide[p1]["life_satisfaction_T1"]) == ("5", "7")
    assert wide[p5]["trust_people_T0"] == "skip"
    assert wide[p.of(8)]["life_satisfaction_T1"] == ""  # P6 has no T1
    long = read(out / "answers_long.csv")
    assert len(long) == 6 + 5 + 5
    assert {r["wave"] for r in long} == {"T0", "T1"}


def test_codebook_describes_every_column_and_event_type(
    cohort_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = export(cohort_path, tmp_path / "out", SECRET, monkeypatch)
    book = read(out / "codebook.csv")
    columns = {(r["file"], r["column"]) for r in book if not r["code"]}
    for name in FILES:
        with (out / name).open(encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        for column in header:
            generic = re.sub(r"^.+_(T[01])$", r"<item>_\1", column)
            assert (name, column) in columns or (name, generic) in columns, (name, column)
    types = {r["code"] for r in book if r["column"] == "type"}
    assert {e["type"] for e in read(out / "events.csv")} <= types
    items = {r["code"] for r in book if r["column"] == "item" and r["code"]}
    assert {"life_satisfaction", "trust_people"} <= items  # plus those of the shipped flows
    statuses = {r["code"] for r in book if r["column"] == "status"}
    assert {r["status"] for r in read(out / "participants.csv")} <= statuses
    md = (out / "codebook.md").read_text(encoding="utf-8")
    for heading in ("## participants.csv", "## events.csv", "### Event types", "`ladder_recorded`"):
        assert heading in md


def test_export_without_a_secret_refuses(
    cohort_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.delenv(ENV_SECRET, raising=False)
    monkeypatch.delenv(ENV_SECRET_FILE, raising=False)
    assert run("export", "--db", str(cohort_path), "--out", str(tmp_path / "x")) == 2
    assert ENV_SECRET in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_secret_sources(tmp_path: Path) -> None:
    file = tmp_path / "secret.txt"
    file.write_text(f"{SECRET}\n", encoding="utf-8")
    assert load_secret(file, env={}) == SECRET.encode()
    assert load_secret(env={ENV_SECRET_FILE: str(file)}) == SECRET.encode()
    assert load_secret(env={ENV_SECRET: OTHER_SECRET, ENV_SECRET_FILE: str(file)}) == (
        OTHER_SECRET.encode()
    )
    with pytest.raises(SecretError, match="shorter"):
        load_secret(env={ENV_SECRET: "short"})
    with pytest.raises(SecretError, match="no export secret"):
        load_secret(env={})
    with pytest.raises(SecretError, match="cannot read"):
        load_secret(tmp_path / "missing.txt", env={})
