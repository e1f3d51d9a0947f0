"""storage.appointments: records round-trip, owners are checked, lists and updates."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from storage import appointments
from storage.appointments import Appointment, AppointmentStatus, Attendance
from storage.db import Conn, migrations
from storage.people import Role
from tests.storage.seed import NOW, person

AMS = ZoneInfo("Europe/Amsterdam")


def _check_values(column: str) -> set[str]:
    sql = "\n".join(text for _, _, text in migrations())
    table = sql[sql.index("CREATE TABLE appointments") :]
    found = re.search(column + r" IN \(([^)]*)\)", table)
    assert found is not None
    return set(re.findall(r"'([a-z_]+)'", found.group(1)))


def test_the_enums_match_the_check_constraints_of_the_schema() -> None:
    assert {s.value for s in AppointmentStatus} == _check_values("status")
    assert {a.value for a in Attendance} == _check_values("attendance")


async def _coach_and_participant(conn: Conn) -> tuple[int, int]:
    coach = await person(conn, "Sanne", role=Role.COACH)
    return coach, await person(conn, "Ayşe", coach_id=coach)


async def test_an_added_appointment_reads_back_as_a_planned_record_with_an_aware_time(
    conn: Conn,
) -> None:
    coach, ayse = await _coach_and_participant(conn)
    starts = (NOW + timedelta(days=2)).astimezone(AMS)
    aid = await appointments.add(conn, NOW, ayse, coach, starts, "Dukenburg", "Meijhorst 1")

    found = await appointments.of_coach(conn, coach, aid)

    assert found == Appointment(
        aid, ayse, coach, starts, "Dukenburg", "Meijhorst 1", AppointmentStatus.PLANNED, None
    )
    assert found.starts_at.utcoffset() == timedelta(0)


async def test_an_appointment_is_found_only_for_its_own_coach_or_participant(conn: Conn) -> None:
    coach, ayse = await _coach_and_participant(conn)
    other = await person(conn, "Bram", role=Role.COACH)
    aid = await appointments.add(conn, NOW, ayse, coach, NOW, "Hatert", None)

    assert await appointments.of_coach(conn, other, aid) is None
    assert await appointments.of_coach(conn, coach, None) is None
    assert await appointments.of_participant(conn, other, aid) is None
    assert await appointments.of_participant(conn, ayse, None) is None
    found = await appointments.of_participant(conn, ayse, aid)
    assert found is not None and found.id == aid


async def test_upcoming_appointments_of_a_coach_skip_past_and_cancelled_ones_soonest_first(
    conn: Conn,
) -> None:
    coach, ayse = await _coach_and_participant(conn)
    await appointments.add(conn, NOW, ayse, coach, NOW - timedelta(hours=1), "Hatert", None)
    later = await appointments.add(conn, NOW, ayse, coach, NOW + timedelta(days=3), "Hatert", None)
    soon = await appointments.add(conn, NOW, ayse, coach, NOW + timedelta(days=1), "Hatert", None)
    gone = await appointments.add(conn, NOW, ayse, coach, NOW + timedelta(days=2), "Hatert", None)
    await appointments.cancel(conn, NOW, gone)

    found = await appointments.upcoming_of_coach(conn, coach, NOW)

    assert [(x.id, x.participant) for x in found] == [(soon, "Ayşe"), (later, "Ayşe")]
    assert found[0].starts_at == NOW + timedelta(days=1)
    assert len(await appointments.upcoming_of_coach(conn, coach, NOW, limit=1)) == 1


async def test_recent_appointments_with_one_participant_are_in_the_window_latest_first(
    conn: Conn,
) -> None:
    coach, ayse = await _coach_and_participant(conn)
    sara = await person(conn, "Sara", coach_id=coach)
    since = NOW - timedelta(days=30)
    await appointments.add(conn, NOW, ayse, coach, since - timedelta(days=1), "Hatert", None)
    first = await appointments.add(conn, NOW, ayse, coach, since, "Hatert", None)
    second = await appointments.add(conn, NOW, ayse, coach, NOW - timedelta(days=2), "Hatert", None)
    await appointments.add(conn, NOW, ayse, coach, NOW + timedelta(hours=1), "Hatert", None)
    await appointments.add(conn, NOW, sara, coach, NOW - timedelta(days=1), "Hatert", None)

    found = await appointments.recent_of_participant(conn, coach, ayse, since, NOW)

    assert [x.id for x in found] == [second, first]


async def _status(conn: Conn, coach: int, appointment_id: int) -> AppointmentStatus:
    found = await appointments.of_coach(conn, coach, appointment_id)
    assert found is not None
    return found.status


async def test_a_participant_answer_does_not_revive_a_cancelled_appointment(conn: Conn) -> None:
    coach, ayse = await _coach_and_participant(conn)
    kept = await appointments.add(conn, NOW, ayse, coach, NOW, "Hatert", None)
    gone = await appointments.add(conn, NOW, ayse, coach, NOW, "Hatert", None)
    await appointments.cancel(conn, NOW, gone)
    sara = await person(conn, "Sara", coach_id=coach)

    await appointments.answer(conn, NOW, kept, ayse, AppointmentStatus.CONFIRMED)
    await appointments.answer(conn, NOW, gone, ayse, AppointmentStatus.CONFIRMED)
    await appointments.answer(conn, NOW, kept, sara, AppointmentStatus.DECLINED)  # not hers

    assert await _status(conn, coach, kept) == AppointmentStatus.CONFIRMED
    assert await _status(conn, coach, gone) == AppointmentStatus.CANCELLED


async def test_a_rescheduled_appointment_is_planned_again_at_the_new_time(conn: Conn) -> None:
    coach, ayse = await _coach_and_participant(conn)
    aid = await appointments.add(conn, NOW, ayse, coach, NOW, "Hatert", None)
    await appointments.answer(conn, NOW, aid, ayse, AppointmentStatus.DECLINED)
    new_time = NOW + timedelta(days=3)

    await appointments.reschedule(conn, NOW, aid, new_time)

    found = await appointments.of_coach(conn, coach, aid)
    assert found is not None
    assert (found.starts_at, found.status) == (new_time, AppointmentStatus.PLANNED)


async def test_attendance_is_recorded_as_the_enum(conn: Conn) -> None:
    coach, ayse = await _coach_and_participant(conn)
    aid = await appointments.add(conn, NOW, ayse, coach, NOW, "Hatert", None)

    await appointments.set_attendance(conn, NOW, aid, Attendance.NO_SHOW)

    found = await appointments.of_coach(conn, coach, aid)
    assert found is not None and found.attendance == Attendance.NO_SHOW


async def test_a_handover_moves_only_the_upcoming_appointments(conn: Conn) -> None:
    coach, ayse = await _coach_and_participant(conn)
    new = await person(conn, "Bram", role=Role.COACH)
    past = await appointments.add(conn, NOW, ayse, coach, NOW - timedelta(days=1), "Hatert", None)
    coming = await appointments.add(conn, NOW, ayse, coach, NOW + timedelta(days=1), "Hatert", None)

    await appointments.hand_over_upcoming(conn, NOW, ayse, new)

    assert await appointments.of_coach(conn, coach, past) is not None
    assert await appointments.of_coach(conn, new, coming) is not None
    assert await appointments.of_coach(conn, coach, coming) is None
