"""storage.preferences: kinds stopped one by one, kept through pause and stop, all back at
once; and a planned nudge's text, kept only while its timer is pending."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from storage import erasure, people, preferences, timers
from storage.db import Conn, Database, _statements, migrations
from storage.people import Role, Status
from storage.preferences import Kind
from tests.storage.seed import NOW, person


async def test_a_kind_is_stopped_once_and_the_others_stay(conn: Conn) -> None:
    ada = await person(conn, "Ada")
    assert await preferences.stop(conn, NOW, ada, Kind.CHECKIN)
    assert not await preferences.stop(conn, NOW + timedelta(days=1), ada, Kind.CHECKIN)
    assert await preferences.stopped(conn, ada) == {Kind.CHECKIN}
    when = await conn.execute_fetchall("SELECT stopped_at FROM stopped_kinds")
    assert [r["stopped_at"] for r in when] == ["2026-10-19T09:00:00.000000Z"]  # the first


async def test_a_status_change_leaves_the_stopped_kinds_alone(conn: Conn) -> None:
    ada = await person(conn, "Ada")
    await preferences.stop(conn, NOW, ada, Kind.REMINDER)
    for status in (Status.PAUSED, Status.STOPPED, Status.ACTIVE):
        await people.update(conn, ada, status=status.value)
        assert await preferences.stopped(conn, ada) == {Kind.REMINDER}


async def test_restart_brings_every_kind_back_in_a_fixed_order(conn: Conn) -> None:
    ada = await person(conn, "Ada")
    bo = await person(conn, "Bo")
    for kind in (Kind.NUDGE, Kind.CHECKIN):
        await preferences.stop(conn, NOW, ada, kind)
    await preferences.stop(conn, NOW, bo, Kind.NUDGE)
    assert await preferences.restart_all(conn, ada) == [Kind.CHECKIN, Kind.NUDGE]
    assert await preferences.stopped(conn, ada) == frozenset()
    assert await preferences.restart_all(conn, ada) == []
    assert await preferences.stopped(conn, bo) == {Kind.NUDGE}


async def test_the_stopped_kinds_are_in_my_data_and_go_with_an_erasure(conn: Conn) -> None:
    ada = await person(conn, "Ada")
    await preferences.stop(conn, NOW, ada, Kind.CHECKIN)
    data = await erasure.export(conn, ada)
    assert [r["kind"] for r in data["stopped_kinds"]] == ["checkin"]
    await erasure.erase(conn, ada)
    assert await preferences.stopped(conn, ada) == frozenset()


async def test_a_planned_nudge_keeps_its_text_only_while_pending(conn: Conn) -> None:
    coach = await person(conn, "Sanne", role=Role.COACH)
    ada = await person(conn, "Ada", coach_id=coach)
    payload = {"flow": "nudge_message", "vars": {"text": "Tot morgen!"}}
    for ref in ("nudge:7", "nudge:8"):
        await timers.add(conn, NOW, ada, "flow", payload, NOW + timedelta(hours=1), ref=ref)
    found = await timers.pending_nudges(conn, coach)
    assert [(n.participant, n.due_at) for n in found] == [("Ada", NOW + timedelta(hours=1))] * 2
    assert await timers.cancel_nudge(conn, coach, found[0].id) == "Ada"
    assert await timers.cancel_nudge(conn, coach, found[0].id) is None  # gone already
    other = await person(conn, "Bram", role=Role.COACH)
    assert await timers.cancel_nudge(conn, other, found[1].id) is None  # not theirs
    assert await timers.claim(conn, found[1].id)
    rows = await conn.execute_fetchall("SELECT payload, status FROM timers ORDER BY id")
    assert [(json.loads(r["payload"]), r["status"]) for r in rows] == [
        ({"flow": "nudge_message", "vars": {}}, "cancelled"),
        ({"flow": "nudge_message", "vars": {}}, "done"),
    ]


async def test_migration_006_turns_a_waiting_outbox_nudge_into_a_timer(tmp_path: Path) -> None:
    path = tmp_path / "before.sqlite3"
    with closing(sqlite3.connect(path)) as raw:
        for number, _name, sql in migrations():
            if number < 6:
                for statement in _statements(sql):
                    raw.execute(statement)
        raw.execute("PRAGMA user_version=5")
        raw.execute(
            "INSERT INTO people (id, role, name, status, created_at)"
            " VALUES (1, 'participant', 'Ada', 'active', '2026-10-19T09:00:00.000000Z')"
        )
        for status in ("pending", "sent"):
            raw.execute(
                "INSERT INTO outbox (person_id, chat_id, kind, payload, due_at, status,"
                " created_at, tag) VALUES (1, 501, 'message', ?, ?, ?, ?, 'nudge')",
                (
                    json.dumps({"text": "Tot morgen!"}),
                    "2026-10-20T08:00:00.000000Z",
                    status,
                    "2026-10-19T09:00:00.000000Z",
                ),
            )
        raw.commit()
    db = await Database.open(path)
    try:
        rows = await db.fetchall("SELECT person_id, payload, ref, due_at, status FROM timers")
        assert [dict(r) for r in rows] == [
            {
                "person_id": 1,
                "payload": json.dumps(
                    {"flow": "nudge_message", "vars": {"text": "Tot morgen!"}},
                    separators=(",", ":"),
                ),
                "ref": "nudge:outbox:1",
                "due_at": "2026-10-20T08:00:00.000000Z",
                "status": "pending",
            }
        ]
        left = await db.fetchall("SELECT status, payload FROM outbox ORDER BY id")
        assert [(r["status"], r["payload"]) for r in left] == [
            ("cancelled", "{}"),  # moved to the timer, its text with it
            ("sent", json.dumps({"text": "Tot morgen!"})),  # not waiting: untouched
        ]
    finally:
        await db.close()
