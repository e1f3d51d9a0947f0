"""The research export: pseudonymised CSV files and their codebook in one folder.

No names, no Telegram ids, no message texts: `rows.load` never reads them, and every person
appears only as a pseudonym from `pseudonym.Pseudonyms`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from bot.research import codebook
from bot.research.pseudonym import Pseudonyms
from bot.research.rows import PARTICIPANT, PersonRow, Snapshot
from bot.research.survey import WAVES, Item, final_answers, ordered_items, wave_languages

Table = tuple[list[str], list[list[str]]]


@dataclass(frozen=True)
class Exported:
    folder: Path
    files: tuple[str, ...]
    participants: int
    events: int
    answers: int


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _date(at: datetime | None, tz: tzinfo) -> str:
    return at.astimezone(tz).date().isoformat() if at else ""


def _names(columns: Sequence[tuple[str, str]]) -> list[str]:
    return [name for name, _ in columns]


def participants_table(snapshot: Snapshot, p: Pseudonyms, tz: tzinfo) -> Table:
    invited: dict[int, datetime] = {}
    for e in snapshot.events:
        if e.type == "invited" and e.person_id is not None:
            invited.setdefault(e.person_id, e.at)
    rows = [
        [
            p.of(person.id),
            p.of(person.coach_id, "coach"),
            person.language or "",
            person.status,
            _date(invited.get(person.id, person.created_at), tz),
            _date(person.consent_at, tz),
            _date(person.trajectory_start, tz),
            _date(person.trajectory_end, tz),
            person.end_reason or "",
        ]
        for person in snapshot.participants()
    ]
    return _names(codebook.PARTICIPANTS), sorted(rows)


def events_table(snapshot: Snapshot, p: Pseudonyms) -> Table:
    roles = {person.id: person.role for person in snapshot.people}
    rows = [
        [
            p.of(e.person_id),
            p.of(e.coach_id, "coach") if e.coach_id is not None else "",
            e.type,
            _utc(e.at),
            e.flow_id or "",
            e.step or "",
            e.value or "",
            e.ref or "",
            "" if e.latency_s is None else f"{e.latency_s:.1f}",
        ]
        for e in snapshot.events
        if roles.get(e.person_id or -1) == PARTICIPANT
    ]
    return _names(codebook.EVENTS), rows


def answers_tables(snapshot: Snapshot, p: Pseudonyms, items: Sequence[Item]) -> tuple[Table, Table]:
    """(long, wide) questionnaire answers of participants, with each wave's chat language."""
    participants: dict[int, PersonRow] = {x.id: x for x in snapshot.participants()}
    answers = final_answers(e for e in snapshot.events if e.person_id in participants)
    languages = wave_languages(snapshot.languages)
    long_rows = sorted(
        [
            p.of(a.person_id),
            a.wave,
            a.item,
            a.value or "",
            _utc(a.at),
            languages.get((a.person_id, a.wave), ""),
        ]
        for a in answers.values()
    )
    order = [i.id for i in items]
    header = (
        ["participant", "coach"]
        + [f"language_{w}" for w in ("T0", "T1")]
        + [f"{i}_{w}" for i in order for w in ("T0", "T1")]
    )
    wide = []
    for person_id in sorted({a.person_id for a in answers.values()}):
        row = [p.of(person_id), p.of(participants[person_id].coach_id, "coach")]
        row += [languages.get((person_id, wave), "") for wave in ("T0", "T1")]
        for item in order:
            for wave in ("T0", "T1"):
                answer = answers.get((person_id, wave, item))
                row.append(answer.value or "" if answer else "")
        wide.append(row)
    return (_names(codebook.ANSWERS_LONG), long_rows), (header, sorted(wide))


def _write(path: Path, table: Table) -> None:
    header, rows = table
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def export(
    snapshot: Snapshot,
    pseudonyms: Pseudonyms,
    folder: Path,
    *,
    tz: tzinfo,
    items: Sequence[Item] = (),
    content: Any = None,
) -> Exported:
    """Write participants.csv, events.csv, answers_long.csv, answers_wide.csv and codebooks."""
    folder.mkdir(parents=True, exist_ok=True)
    seen = {e.step for e in snapshot.events if e.type == "answer" and e.flow_id in WAVES and e.step}
    all_items = ordered_items(items, seen)
    people = participants_table(snapshot, pseudonyms, tz)
    events = events_table(snapshot, pseudonyms)
    long_table, wide_table = answers_tables(snapshot, pseudonyms, all_items)
    tables: Iterable[tuple[str, Table]] = (
        ("participants.csv", people),
        ("events.csv", events),
        ("answers_long.csv", long_table),
        ("answers_wide.csv", wide_table),
    )
    for name, table in tables:
        _write(folder / name, table)
    rows = codebook.entries(snapshot, all_items, content)
    codebook.write_csv(folder / "codebook.csv", rows)
    (folder / "codebook.md").write_text(
        codebook.render_markdown(rows, all_items, str(tz)), encoding="utf-8"
    )
    return Exported(
        folder,
        (
            "participants.csv",
            "events.csv",
            "answers_long.csv",
            "answers_wide.csv",
            "codebook.md",
            "codebook.csv",
        ),
        len(people[1]),
        len(events[1]),
        len(long_table[1]),
    )
