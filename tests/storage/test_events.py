"""storage.events: reading the engagement log back as typed events."""

from __future__ import annotations

from datetime import timedelta

from storage import events
from storage.db import Conn
from tests.storage.seed import NOW, person


async def test_the_latest_event_of_a_type_is_the_last_one_logged(conn: Conn) -> None:
    pid = await person(conn, "Ayşe")
    other = await person(conn, "Sara")
    assert await events.latest(conn, pid, "survey_requested") is None
    await events.log_event(conn, NOW, "survey_requested", pid, value="T0")
    await events.log_event(conn, NOW + timedelta(days=1), "survey_requested", pid, value="T1")
    await events.log_event(conn, NOW + timedelta(days=2), "survey_requested", other, value="T0")

    found = await events.latest(conn, pid, "survey_requested")

    assert found is not None
    assert (found.type, found.value, found.at) == (
        "survey_requested",
        "T1",
        NOW + timedelta(days=1),
    )


async def test_exists_narrows_by_value_and_by_time(conn: Conn) -> None:
    pid = await person(conn, "Ayşe")
    await events.log_event(conn, NOW, "survey_completed", pid, value="T0")

    assert await events.exists(conn, pid, "survey_completed")
    assert await events.exists(conn, pid, "survey_completed", value="T0", since=NOW)
    assert not await events.exists(conn, pid, "survey_completed", value="T1")
    assert not await events.exists(
        conn, pid, "survey_completed", since=NOW + timedelta(microseconds=1)
    )
    assert not await events.exists(conn, pid, "ladder_recorded")


async def test_events_of_several_types_come_oldest_first(conn: Conn) -> None:
    pid = await person(conn, "Ayşe")
    await events.log_event(conn, NOW, "survey_requested", pid, value="T0")
    await events.log_event(conn, NOW, "answer", pid, flow_id="intake_survey", step="q1", value="2")
    await events.log_event(conn, NOW, "survey_completed", pid, value="T0")

    found = await events.of_types(conn, pid, ("survey_completed", "survey_requested"))

    assert [e.type for e in found] == ["survey_requested", "survey_completed"]


async def test_answers_since_a_moment_are_per_step_the_latest_winning(conn: Conn) -> None:
    pid = await person(conn, "Ayşe")
    flow = "intake_survey"
    await events.log_event(conn, NOW - timedelta(days=1), "answer", pid, flow_id=flow, step="q0")
    await events.log_event(conn, NOW, "answer", pid, flow_id=flow, step="q1", value="1")
    await events.log_event(conn, NOW, "answer", pid, flow_id="checkin", step="mood", value="ok")
    await events.log_event(conn, NOW, "answer", pid, flow_id=flow, step="q1", value="3")
    await events.log_event(conn, NOW, "answer", pid, flow_id=flow, step="q2", value="skip")

    assert await events.answers(conn, pid, flow, NOW) == {"q1": "3", "q2": "skip"}
