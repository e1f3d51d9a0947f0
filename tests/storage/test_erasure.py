"""storage.erasure: the schema decides what is exported and erased; who is due for erasure."""

from __future__ import annotations

from datetime import timedelta

from storage import appointments, erasure, events, invites, outbox, people, runs, timers
from storage.db import Conn
from storage.outbox import Text
from storage.people import Role, Status
from storage.runs import RunStatus
from storage.times import to_db
from tests.storage.seed import NOW, person


async def _ayse_with_everything(conn: Conn) -> tuple[int, int]:
    """A coach and a participant with a row in every table that can point at her."""
    coach = await person(conn, "Sanne", role=Role.COACH, telegram_id=100)
    ayse = await person(
        conn, "Ayşe", coach_id=coach, telegram_id=200, language="tr", checkin_day="mon"
    )
    await runs.add(conn, NOW, ayse, "checkin", RunStatus.ACTIVE, {"seq": 1}, None)
    await timers.add(conn, NOW, ayse, "flow", {"flow": "checkin"}, NOW, ref="checkin:x")
    await outbox.add(conn, NOW, person_id=ayse, chat_id=200, payload=Text("hi"))
    await outbox.add(
        conn,
        NOW,
        person_id=coach,
        chat_id=100,
        payload=Text("about Ayşe"),
        about=ayse,
    )
    await invites.issue(conn, NOW, ayse, "hash", NOW + timedelta(days=7))
    await appointments.add(conn, NOW, ayse, coach, NOW, "Dukenburg", "Meijhorst 1")
    await events.log_event(conn, NOW, "consented", ayse, coach)
    return coach, ayse


async def test_the_tables_pointing_at_a_person_are_read_from_the_schema(conn: Conn) -> None:
    found = await erasure.person_tables(conn)

    assert found["outbox"] == ["person_id", "about_id"]
    assert found["appointments"] == ["participant_id"]
    for table in ("runs", "timers", "invites", "events"):
        assert found[table] == ["person_id"]
    assert "people" not in found and "periodic" not in found


async def test_the_export_holds_every_row_about_the_person(conn: Conn) -> None:
    coach, ayse = await _ayse_with_everything(conn)

    data = await erasure.export(conn, ayse)

    assert [r["name"] for r in data["people"]] == ["Ayşe"]
    assert len(data["outbox"]) == 2  # to her, and the coach's message about her
    for table in ("runs", "timers", "invites", "appointments", "events"):
        assert len(data[table]) == 1, table
        assert all(coach not in (r.get("person_id"), r.get("participant_id")) for r in data[table])


async def test_erasing_keeps_only_pseudonymous_events_and_appointment_facts(conn: Conn) -> None:
    coach, ayse = await _ayse_with_everything(conn)

    await erasure.erase(conn, ayse)

    data = await erasure.export(conn, ayse)
    for table in ("runs", "timers", "outbox", "invites"):
        assert data[table] == [], table
    assert [e["type"] for e in data["events"]] == ["consented"]
    [kept] = data["appointments"]
    # The export shows no one else's id (the coach is "(someone else)"); the row keeps it.
    assert (kept["place"], kept["address"], kept["coach_id"]) == (
        erasure.ERASED,
        None,
        "(someone else)",
    )
    rows = await conn.execute_fetchall("SELECT coach_id FROM appointments")
    assert [r["coach_id"] for r in rows] == [coach]
    erased = await people.by_id(conn, ayse)
    assert erased is not None
    assert (erased.name, erased.status, erased.address, erased.language) == (
        erasure.ERASED,
        Status.STOPPED,
        None,
        None,
    )
    assert erased.checkin_day is None
    coach_messages = await erasure.export(conn, coach)
    assert [r["about_id"] for r in coach_messages["outbox"]] == [None]  # kept, unlinked


async def test_retention_finds_long_ended_trajectories_and_old_refusals_not_yet_erased(
    conn: Conn,
) -> None:
    ended_before = NOW - timedelta(days=400)
    created_before = NOW - timedelta(days=300)
    long_ended = await person(conn, "Ended", trajectory_end=to_db(ended_before - timedelta(1)))
    await person(conn, "Recent", trajectory_end=to_db(ended_before + timedelta(1)))
    old_refusal = await person(
        conn, "Declined", status=Status.DECLINED, created=created_before - timedelta(1)
    )
    await person(conn, "New refusal", status=Status.STOPPED, created=created_before)
    await person(conn, "Old active", created=created_before - timedelta(1))
    forgotten = await person(
        conn, "Forgotten", status=Status.STOPPED, created=created_before - timedelta(1)
    )
    await erasure.erase(conn, forgotten)
    await person(
        conn, "Coach", role=Role.COACH, status=Status.STOPPED, created=created_before - timedelta(1)
    )

    found = await erasure.due_for_retention(conn, ended_before, created_before, after=0, limit=10)

    assert [p.id for p in found] == [long_ended, old_refusal]
    assert await erasure.due_for_retention(
        conn, ended_before, created_before, after=long_ended, limit=1
    ) == [p for p in found if p.id == old_refusal]
