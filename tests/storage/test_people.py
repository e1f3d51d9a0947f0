"""storage.people: who is found by each query, in which order, and as typed records."""

from __future__ import annotations

from datetime import timedelta

from storage import appointments, events, people, timers
from storage.db import Conn
from storage.people import Role, Status
from storage.times import to_db
from tests.storage.seed import NOW, person


async def test_a_new_person_is_invited_and_remembers_when_they_were_added(conn: Conn) -> None:
    coach = await people.add(conn, NOW, Role.COACH, "Sanne")
    pid = await people.add(conn, NOW, Role.PARTICIPANT, "Ayşe", coach_id=coach, language="tr")
    found = await people.by_id(conn, pid)
    assert found is not None
    assert (found.role, found.name, found.language, found.coach_id) == (
        Role.PARTICIPANT,
        "Ayşe",
        "tr",
        coach,
    )
    assert found.status == Status.INVITED
    assert found.created_at == to_db(NOW) and found.consent_at is None


async def test_the_caseload_overview_skips_declined_people_and_shows_the_next_live_appointment(
    conn: Conn,
) -> None:
    coach = await person(conn, "Sanne", role=Role.COACH)
    other = await person(conn, "Bram", role=Role.COACH)
    zeynep = await person(conn, "zeynep", coach_id=coach)
    amir = await person(conn, "Amir", status=Status.STOPPED, coach_id=coach)
    await person(conn, "Daan", status=Status.DECLINED, coach_id=coach)
    await person(conn, "Eva", coach_id=other)
    soon, later = NOW + timedelta(days=1), NOW + timedelta(days=2)
    await appointments.add(conn, NOW, zeynep, coach, NOW - timedelta(days=1), "Hatert", None)
    cancelled = await appointments.add(conn, NOW, zeynep, coach, soon, "Hatert", None)
    await appointments.cancel(conn, NOW, cancelled)
    await appointments.add(conn, NOW, zeynep, coach, later, "Hatert", None)

    lines = await people.caseload_overview(conn, coach, NOW)

    # Amir stopped: after those still in their trajectory.
    assert [(x.person.id, x.next_appointment) for x in lines] == [(zeynep, later), (amir, None)]


async def test_the_caseload_puts_unreachable_and_quiet_people_first_then_by_name_ended_last(
    conn: Conn,
) -> None:
    coach = await person(conn, "Sanne", role=Role.COACH)
    quiet = {"silent_since": to_db(NOW - timedelta(days=20))}
    ended = {"trajectory_end": to_db(NOW - timedelta(days=3))}
    made = {
        "bo": await person(conn, "bo", coach_id=coach),
        "Zeynep quiet": await person(conn, "Zeynep", coach_id=coach, **quiet),
        "Cem unreachable": await person(conn, "Cem", status=Status.UNREACHABLE, coach_id=coach),
        "Ada invited": await person(conn, "Ada", status=Status.INVITED, coach_id=coach),
        "Aziz quiet": await person(conn, "aziz", coach_id=coach, **quiet),
        "Eva paused": await person(conn, "Eva", status=Status.PAUSED, coach_id=coach),
        "Amir stopped": await person(conn, "Amir", status=Status.STOPPED, coach_id=coach),
        "Ali ended": await person(conn, "Ali", coach_id=coach, **ended),
        # Quiet but ended, or paused: not flagged (the overview shows 🏁 and ⏸️ for them).
        "Dirk ended quiet": await person(conn, "Dirk", coach_id=coach, **ended, **quiet),
        "Bram paused quiet": await person(
            conn, "Bram", status=Status.PAUSED, coach_id=coach, **quiet
        ),
        "bo again": await person(conn, "bo", coach_id=coach),  # same name: by id
    }
    named = {v: k for k, v in made.items()}

    lines = await people.caseload_overview(conn, coach, NOW)

    assert [named[x.person.id] for x in lines] == [
        "Aziz quiet",
        "Cem unreachable",
        "Zeynep quiet",
        "Ada invited",
        "bo",
        "bo again",
        "Bram paused quiet",
        "Eva paused",
        "Ali ended",
        "Amir stopped",
        "Dirk ended quiet",
    ]


async def test_participants_of_a_coach_are_all_of_them_whatever_their_status(conn: Conn) -> None:
    coach = await person(conn, "Sanne", role=Role.COACH)
    other = await person(conn, "Bram", role=Role.COACH)
    a = await person(conn, "A", coach_id=coach)
    b = await person(conn, "B", status=Status.DECLINED, coach_id=coach)
    await person(conn, "C", coach_id=other)
    await person(conn, "Backup", role=Role.COACH, coach_id=coach)  # not a participant

    assert [p.id for p in await people.participants_of(conn, coach)] == [a, b]


async def test_the_reachable_coordinator_is_active_linked_and_the_first(conn: Conn) -> None:
    assert await people.first_reachable_coordinator(conn) is None
    await person(conn, "Gone", role=Role.COORDINATOR, status=Status.DEACTIVATED, telegram_id=1)
    await person(conn, "Unlinked", role=Role.COORDINATOR)
    first = await person(conn, "Mia", role=Role.COORDINATOR, telegram_id=2)
    await person(conn, "Noor", role=Role.COORDINATOR, telegram_id=3)

    found = await people.first_reachable_coordinator(conn)

    assert found is not None and found.id == first


async def test_colleagues_are_other_active_staff_by_role_then_name_ignoring_case(
    conn: Conn,
) -> None:
    me = await person(conn, "Sanne", role=Role.COACH)
    bram = await person(conn, "bram", role=Role.COACH)
    carla = await person(conn, "Carla", role=Role.COACH)
    mia = await person(conn, "Mia", role=Role.COORDINATOR)
    await person(conn, "Away", role=Role.COACH, status=Status.DEACTIVATED)
    await person(conn, "Ayşe", coach_id=me)

    assert [p.id for p in await people.colleagues(conn, me)] == [bram, carla, mia]


async def test_coaches_are_those_who_joined_including_deactivated_ones(conn: Conn) -> None:
    sanne = await person(conn, "Sanne", role=Role.COACH)
    bram = await person(conn, "Bram", role=Role.COACH, status=Status.DEACTIVATED)
    await person(conn, "New", role=Role.COACH, status=Status.INVITED)
    await person(conn, "Mia", role=Role.COORDINATOR)

    found = await people.coaches(conn)

    assert [(p.id, p.status) for p in found] == [(bram, Status.DEACTIVATED), (sanne, Status.ACTIVE)]


async def test_only_active_participants_with_a_day_and_no_pending_checkin_need_one_planned(
    conn: Conn,
) -> None:
    planned = await person(conn, "Planned", checkin_day="mon")
    await timers.add(conn, NOW, planned, "flow", {}, NOW, ref="checkin:2026-10-26")
    lapsed = await person(conn, "Lapsed", checkin_day="tue")
    await timers.add(conn, NOW, lapsed, "flow", {}, NOW, ref="checkin:2026-10-20")
    await timers.cancel_ref(conn, lapsed, "checkin:2026-10-20")
    other_timer = await person(conn, "Other", checkin_day="wed")
    await timers.add(conn, NOW, other_timer, "flow", {}, NOW, ref="followup:1")
    await person(conn, "None", checkin_day="none")
    await person(conn, "Unset")
    await person(conn, "Paused", status=Status.PAUSED, checkin_day="mon")
    await person(conn, "Coach", role=Role.COACH, checkin_day="mon")

    found = await people.active_without_pending_checkin(conn)

    assert sorted(p.id for p in found) == [lapsed, other_timer]


async def test_silent_candidates_come_a_page_at_a_time_in_id_order(conn: Conn) -> None:
    ids = [await person(conn, f"P{i}") for i in range(5)]
    await person(conn, "Flagged", silent_since=to_db(NOW))
    await person(conn, "Paused", status=Status.PAUSED)
    await person(conn, "Coach", role=Role.COACH)

    first = await people.silent_candidates(conn, after=0, limit=3)
    rest = await people.silent_candidates(conn, after=first[-1].id, limit=3)

    assert [p.id for p in first] == ids[:3]
    assert [p.id for p in rest] == ids[3:]


async def test_open_trajectories_unnotified_are_running_and_not_yet_reminded(conn: Conn) -> None:
    start = to_db(NOW - timedelta(days=150))
    active = await person(conn, "Active", trajectory_start=start)
    paused = await person(conn, "Paused", status=Status.PAUSED, trajectory_start=start)
    await person(conn, "Told", trajectory_start=start, five_month_notified_at=to_db(NOW))
    await person(conn, "Ended", trajectory_start=start, trajectory_end=to_db(NOW))
    await person(conn, "Stopped", status=Status.STOPPED, trajectory_start=start)
    await person(conn, "Not started")

    found = await people.open_trajectories_unnotified(conn, after=0, limit=10)

    assert [p.id for p in found] == [active, paused]


async def test_the_ladder_is_due_a_month_after_the_last_record_or_question_or_the_start(
    conn: Conn,
) -> None:
    cutoff = NOW - timedelta(days=30)
    old_start = to_db(NOW - timedelta(days=60))
    never_asked = await person(conn, "Never", trajectory_start=old_start)
    await person(conn, "New", trajectory_start=to_db(NOW - timedelta(days=10)))
    recorded_long_ago = await person(
        conn, "Long ago", status=Status.PAUSED, trajectory_start=old_start
    )
    await events.log_event(conn, NOW - timedelta(days=31), "ladder_recorded", recorded_long_ago)
    asked_lately = await person(conn, "Asked", trajectory_start=old_start)
    await events.log_event(conn, NOW - timedelta(days=40), "ladder_recorded", asked_lately)
    await events.log_event(conn, NOW - timedelta(days=5), "ladder_asked", asked_lately)
    exactly = await person(conn, "Exactly", trajectory_start=old_start)
    await events.log_event(conn, cutoff, "ladder_asked", exactly)
    await person(conn, "Ended", trajectory_start=old_start, trajectory_end=to_db(NOW))
    await person(conn, "Stopped", status=Status.STOPPED, trajectory_start=old_start)

    found = await people.ladder_due(conn, cutoff, after=0, limit=10)

    assert [p.id for p in found] == [never_asked, recorded_long_ago, exactly]
    assert [p.id for p in await people.ladder_due(conn, cutoff, after=never_asked, limit=1)] == [
        recorded_long_ago
    ]
