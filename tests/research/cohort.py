"""A small, hand-computed cohort written straight into a fresh database with sqlite3.

October 2026, Europe/Amsterdam. Coach Sanne has eight participants (P1–P8), coach Ahmed
three (Q1–Q3). The expected figures are worked out in the comments and in test_report.py.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from storage.times import to_db

AMS = ZoneInfo("Europe/Amsterdam")
NAMES = {
    "coach": ["Sanne Zwartkop", "Ahmed Quillfeather"],
    "P": [
        "Xandrilla",
        "Yorvette",
        "Zebulonia",
        "Wilhemko",
        "Vosperina",
        "Ulfricka",
        "Tamsolde",
        "Rudolfina",
    ],
    "Q": ["Quorathel", "Pemberlyn", "Ostranda"],
}


def at(day: int, hour: int = 10, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=AMS)


@dataclass
class Writer:
    """Inserts rows the way the bot would have written them."""

    conn: sqlite3.Connection
    runs: int = 0
    telegram: int = 555_000_100
    ids: dict[str, int] = field(default_factory=dict)

    def person(
        self,
        key: str,
        role: str,
        name: str,
        *,
        coach: str | None = None,
        status: str = "active",
        consent: datetime | None = None,
        created: datetime | None = None,
        linked: bool = True,
    ) -> int:
        self.telegram += 7
        cur = self.conn.execute(
            "INSERT INTO people (role, name, language, telegram_id, coach_id, status, consent_at,"
            " trajectory_start, created_at) VALUES (?, ?, 'nl', ?, ?, ?, ?, ?, ?)",
            (
                role,
                name,
                self.telegram if linked else None,
                self.ids[coach] if coach else None,
                status,
                to_db(consent) if consent else None,
                to_db(consent) if consent else None,
                to_db(created or at(1, 9)),
            ),
        )
        self.ids[key] = int(cur.lastrowid or 0)
        return self.ids[key]

    def event(self, when: datetime, type: str, who: str, **kw: object) -> None:
        person = self.ids[who]
        coach = self.conn.execute("SELECT coach_id FROM people WHERE id = ?", (person,)).fetchone()
        self.conn.execute(
            "INSERT INTO events (at, type, person_id, coach_id, flow_id, step, value, ref,"
            " latency_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                to_db(when),
                type,
                person,
                coach[0],
                kw.get("flow"),
                kw.get("step"),
                kw.get("value"),
                kw.get("ref"),
                kw.get("latency"),
            ),
        )

    def ask(
        self,
        when: datetime,
        who: str,
        flow: str,
        answer: tuple[str, str, float] | None,
        ref: str | None = None,
    ) -> int:
        """A flow run that sent a question and maybe got (step, value, latency) back."""
        self.runs += 1
        run = f"run:{self.runs}"
        self.event(when, "flow_started", who, flow=flow, ref=run)
        self.event(when, "message_sent", who, value="unsolicited", ref=run)
        if answer is not None:
            step, value, latency = answer
            self.event(
                when + timedelta(seconds=latency),
                "answer",
                who,
                flow=flow,
                step=step,
                value=value,
                ref=run,
                latency=latency,
            )
        return self.runs

    def wave_language(self, when: datetime, who: str, wave: str, moment: str, code: str) -> None:
        """The chat language noted when a questionnaire was sent or completed."""
        self.conn.execute(
            "INSERT INTO survey_languages (person_id, wave, moment, language, at)"
            " VALUES (?, ?, ?, ?, ?)",
            (self.ids[who], wave, moment, code, to_db(when)),
        )

    def appointment(self, who: str, starts: datetime) -> int:
        cur = self.conn.execute(
            "INSERT INTO appointments (participant_id, coach_id, starts_at, place, created_at,"
            " updated_at) VALUES (?, (SELECT coach_id FROM people WHERE id = ?), ?, 'Wijkcentrum',"
            " ?, ?)",
            (self.ids[who], self.ids[who], to_db(starts), to_db(at(1)), to_db(at(1))),
        )
        return int(cur.lastrowid or 0)


def build(path: Path) -> Writer:
    """Write the cohort into the database at `path` (already created and migrated)."""
    conn = sqlite3.connect(path)
    w = Writer(conn)
    w.person("sanne", "coach", NAMES["coach"][0])
    w.person("ahmed", "coach", NAMES["coach"][1])
    statuses = ["active"] * 5 + ["unreachable", "declined", "invited"]
    for i, name in enumerate(NAMES["P"], start=1):
        w.person(
            f"P{i}",
            "participant",
            name,
            coach="sanne",
            status=statuses[i - 1],
            consent=at(2, 11) if i <= 6 else None,
            linked=i <= 7,
        )
    for i, (name, status) in enumerate(
        zip(NAMES["Q"], ["active", "active", "invited"], strict=True), start=1
    ):
        w.person(
            f"Q{i}",
            "participant",
            name,
            coach="ahmed",
            status=status,
            consent=at(2, 11) if i <= 2 else None,
        )

    # Reach. Invited: all 11. Linked: P1–P7 and Q1–Q3 (10). Consented: P1–P6, Q1, Q2 (8).
    # Declined: P7. Active (answered after consenting): P1–P6 and Q1 (7).
    for key in [f"P{i}" for i in range(1, 9)] + ["Q1", "Q2", "Q3"]:
        w.event(at(1, 9), "invited", key)
    for key in [f"P{i}" for i in range(1, 8)] + ["Q1", "Q2", "Q3"]:
        w.event(at(2, 10), "linked", key)
    for key in [f"P{i}" for i in range(1, 7)] + ["Q1", "Q2"]:
        w.event(at(2, 11), "consented", key)
    w.event(at(2, 11), "consent_declined", "P7")
    w.ask(at(3, 12), "Q1", "contact_coach", ("why", "other", 30))

    # Check-ins: Monday 5 October, P1–P5 answer (60…300 s), P6 does not; Monday 12 October,
    # P1–P3 answer (600, 900, 1200 s). 8 of 12 answered = 67%; median of the eight = 270 s.
    moods = ["great", "great", "okay", "bad", "okay"]
    for i in range(1, 7):
        answer = ("how_are_you", moods[i - 1], 60.0 * i) if i <= 5 else None
        w.ask(at(5, 10), f"P{i}", "checkin", answer)
    for i in range(1, 7):
        answer = ("how_are_you", "okay", 300.0 * (i + 1)) if i <= 3 else None
        w.ask(at(12, 10), f"P{i}", "checkin", answer)

    # Reminders for appointments of P1–P5 (100…400 s; P5 no answer): 4 of 5 = 80%, median
    # 250 s. P6's appointment had no reminder. Attendance: P1, P2, P6 came, P3 and P5 did
    # not, P4 cancelled: missed 2 of 5 = 40%.
    answers = ["coming", "coming", "coming", "cannot", None]
    outcome = ["came", "came", "no_show", "cancelled", "no_show", "came"]
    for i in range(1, 7):
        starts = at(20 + i, 14)
        appointment = w.appointment(f"P{i}", starts)
        ref = f"appointment:{appointment}"
        w.event(at(1, 12), "appointment_planned", f"P{i}", ref=ref)
        if i <= 5:
            chosen = answers[i - 1]
            w.ask(
                starts - timedelta(days=1),
                f"P{i}",
                "reminder_day_before",
                ("remind", chosen, 100.0 * i) if chosen else None,
            )
            if chosen:
                kind = "appointment_confirmed" if chosen == "coming" else "appointment_declined"
                w.event(
                    starts - timedelta(days=1) + timedelta(seconds=100 * i), kind, f"P{i}", ref=ref
                )
        w.event(starts + timedelta(hours=2), f"attendance_{outcome[i - 1]}", f"P{i}", ref=ref)

    # Silent: P5 and P6; unreachable: P6 (status unreachable too).
    w.event(at(15), "silent_flagged", "P5")
    w.event(at(15), "silent_flagged", "P6")
    w.event(at(16), "unreachable", "P6")

    # Ladder: P1 1→3, P2 2→4, P3 2→2, P4 3→4, P5 1→2 (5 pairs, mean +1.2); P6 intake 2,
    # monthly 3. Up 4, same 1, down 0.
    for i, (start, end) in enumerate([(1, 3), (2, 4), (2, 2), (3, 4), (1, 2)], start=1):
        w.event(at(2, 12), "ladder_recorded", f"P{i}", value=str(start), ref="intake")
        w.event(at(29, 12), "ladder_recorded", f"P{i}", value=str(end), ref="end")
    w.event(at(2, 12), "ladder_recorded", "P6", value="2", ref="intake")
    w.event(at(20, 12), "ladder_recorded", "P6", value="3", ref="monthly")

    # Questionnaire. life_satisfaction T0 P1–P6: 5 6 4 7 5 3 (mean 5.00); T1 P1–P5:
    # 7 7 5 8 6 (mean 6.60); differences 2 1 1 1 1: mean 1.2, sd √0.2, se 0.2,
    # t(0.975, 4) = 2.7764 → 95% CI 0.645 to 1.755.
    # trust_people T0 P1–P4 (4 people: hidden); P5 skipped it.
    for i, value in enumerate(["5", "6", "4", "7", "5", "3"], start=1):
        w.ask(at(2, 13), f"P{i}", "intake_survey", ("life_satisfaction", value, 20))
    for i, value in enumerate(["8", "7", "6", "5", "skip"], start=1):
        w.ask(at(2, 13), f"P{i}", "intake_survey", ("trust_people", value, 20))
    for i, value in enumerate(["7", "7", "5", "8", "6"], start=1):
        w.ask(at(29, 13), f"P{i}", "evaluation_survey", ("life_satisfaction", value, 20))
    conn.commit()
    conn.close()
    return w
