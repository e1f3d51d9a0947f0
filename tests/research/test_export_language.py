"""The export says in which language each questionnaire wave was answered: the real
`python -m bot export` on a cohort database, and the language noted by the bot itself."""

from __future__ import annotations

import asyncio
import csv
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.research.pseudonym import ENV_SECRET, Pseudonyms
from storage.db import Database
from tests.research import cohort
from tests.research.cohort import at
from tests.research.conftest import SECRET

REPO = Path(__file__).resolve().parents[2]


def coachbot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, ENV_SECRET: SECRET},
    )


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


async def migrated(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


def cohort_with_languages(path: Path) -> cohort.Writer:
    """The hand-computed cohort; P1 answered T0 and T1 in Dutch, P2 T0 in Arabic and T1
    partly in Arabic, partly in English (she switched during the wave), P3 T0 in Tigrinya."""
    asyncio.run(migrated(path))
    writer = cohort.build(path)
    writer.conn = sqlite3.connect(path)
    for who, wave, sent, completed in [
        ("P1", "T0", "nl", "nl"),
        ("P1", "T1", "nl", "nl"),
        ("P2", "T0", "ar", "ar"),
        ("P2", "T1", "ar", "en"),
        ("P3", "T0", "ti", "ti"),
    ]:
        day = 2 if wave == "T0" else 29
        writer.wave_language(at(day, 12, 30), who, wave, "sent", sent)
        writer.wave_language(at(day, 13, 5), who, wave, "completed", completed)
    writer.conn.commit()
    writer.conn.close()
    return writer


def test_export_writes_each_waves_language_beside_the_answers(tmp_path: Path) -> None:
    db = tmp_path / "cohort.sqlite3"
    writer = cohort_with_languages(db)
    result = coachbot("export", "--db", str(db), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "16 questionnaire answers" in result.stdout

    p = Pseudonyms(SECRET.encode())
    p1, p2, p3, p4 = (p.of(writer.ids[k]) for k in ("P1", "P2", "P3", "P4"))
    long = read(tmp_path / "out" / "answers_long.csv")
    assert list(long[0]) == ["participant", "wave", "item", "value", "answered_at", "language"]
    language = {(r["participant"], r["wave"], r["item"]): r["language"] for r in long}
    assert language[(p1, "T0", "life_satisfaction")] == "nl"
    assert language[(p2, "T0", "trust_people")] == "ar"
    assert language[(p2, "T1", "life_satisfaction")] == "ar+en"  # changed during the wave
    assert language[(p3, "T0", "life_satisfaction")] == "ti"
    assert language[(p4, "T0", "life_satisfaction")] == ""  # not noted

    wide = {r["participant"]: r for r in read(tmp_path / "out" / "answers_wide.csv")}
    assert (wide[p1]["language_T0"], wide[p1]["language_T1"]) == ("nl", "nl")
    assert (wide[p2]["language_T0"], wide[p2]["language_T1"]) == ("ar", "ar+en")
    assert (wide[p3]["language_T0"], wide[p3]["language_T1"]) == ("ti", "")

    book = read(tmp_path / "out" / "codebook.csv")
    described = {(r["file"], r["column"]) for r in book if not r["code"]}
    assert ("answers_long.csv", "language") in described
    assert {("answers_wide.csv", "language_T0"), ("answers_wide.csv", "language_T1")} <= described
    sources = {r["code"]: r["meaning"] for r in book if r["column"] == "item source"}
    assert len(sources) == 13 and all(m.startswith("pilot item") for m in sources.values())
    assert "5.98 (N=53)" in sources["life_satisfaction"]
    assert "seed line 1608" in sources["life_satisfaction"]
    assert "pilot T0 mean" not in sources["health_physical"]  # no mean in the report
    assert "the question's words are Coachbot's" in sources["health_physical"]
    assert "the question's words are Coachbot's" not in sources["contact_family"]
    assert "### Questionnaire items: source" in (tmp_path / "out" / "codebook.md").read_text(
        encoding="utf-8"
    )
