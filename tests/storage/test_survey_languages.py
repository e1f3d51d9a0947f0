"""The language of a questionnaire wave: noted for research, and personal data like the
person's own language: shown by /mydata, gone after erasure, while the answers stay."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from storage import erasure, events, research
from storage.db import Database
from storage.research import LanguageMoment
from tests.storage.seed import NOW, person


async def test_noted_languages_are_read_back_oldest_first(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "s.sqlite3")
    try:
        async with db.transaction():
            leila = await person(db.conn, "Leila", language="fa")
            later = NOW + timedelta(minutes=9)
            await research.record_survey_language(
                db.conn, later, leila, "T0", LanguageMoment.COMPLETED, "nl"
            )
            await research.record_survey_language(
                db.conn, NOW, leila, "T0", LanguageMoment.SENT, "fa"
            )
        rows = await research.survey_languages(db)
    finally:
        await db.close()
    assert [(r.person_id, r.wave, r.moment, r.language, r.at) for r in rows] == [
        (leila, "T0", "sent", "fa", NOW),
        (leila, "T0", "completed", "nl", later),
    ]


async def test_a_wave_is_t0_or_t1(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "s.sqlite3")
    try:
        leila = await person(db.conn, "Leila")
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            await research.record_survey_language(
                db.conn, NOW, leila, "T2", LanguageMoment.SENT, "nl"
            )
    finally:
        await db.close()


async def test_mydata_shows_them_and_erasure_deletes_them_but_keeps_the_answers(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "s.sqlite3")
    try:
        conn = db.conn
        ayse = await person(conn, "Ayşe", language="tr")
        await research.record_survey_language(conn, NOW, ayse, "T0", LanguageMoment.SENT, "tr")
        await events.log_event(
            conn, NOW, "answer", ayse, flow_id="intake_survey", step="at_home", value="8"
        )
        shown = await erasure.export(conn, ayse)
        assert [(r["wave"], r["language"]) for r in shown["survey_languages"]] == [("T0", "tr")]

        await erasure.erase(conn, ayse)

        after = await erasure.export(conn, ayse)
        assert after["survey_languages"] == []
        assert [(e["type"], e["value"]) for e in after["events"]] == [("answer", "8")]
        assert await research.survey_languages(db) == ()
    finally:
        await db.close()
