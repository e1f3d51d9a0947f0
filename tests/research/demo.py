"""A larger, seeded, made-up cohort for the example report (docs/report-example.png).

    python -m tests.research.demo OUT_DIR [PNG]   # demo.sqlite3 and report.html in OUT_DIR

Four coaches, 56 participants, April–September 2026. Nothing here is real data.
"""

from __future__ import annotations

import asyncio
import random
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.research.report import build_report
from storage.db import Database
from tests.research.cohort import AMS, Writer

COACHES = ["Sanne", "Ahmed", "Marieke", "Youssef"]
HEALTH = ["poor", "fair", "good", "very_good", "excellent"]
CONTACT = ["weekly", "3_month", "2_month", "monthly", "less", "never"]
# (item id as in flows/intake_survey.yaml, low, high, T0 mean, change, codes of a choice item)
ITEMS: list[tuple[str, int, int, float, float, list[str] | None]] = [
    ("life_satisfaction", 0, 10, 6.0, 0.8, None),
    ("meaningful", 0, 10, 6.6, 0.6, None),
    ("trust_people", 0, 10, 5.4, 0.2, None),
    ("trust_municipality", 0, 10, 7.3, 0.1, None),
    ("at_home", 0, 10, 7.9, 0.2, None),
    ("health_mental", 1, 5, 2.6, 0.3, HEALTH),
    ("solve_difficult", 1, 5, 3.1, 0.4, None),
    ("contact_friends", 1, 6, 3.2, -0.5, CONTACT),
    ("find_volunteer_work", 1, 5, 2.9, 0.7, None),
]
START = datetime(2026, 4, 1, 9, 0, tzinfo=AMS)


def _code(value: float, low: int, high: int, codes: list[str] | None) -> str:
    number = max(low, min(high, round(value)))
    return codes[number - 1] if codes else str(number)


def build(path: Path, seed: int = 4) -> None:
    import sqlite3

    rnd = random.Random(seed)
    w = Writer(sqlite3.connect(path))
    for name in COACHES:
        w.person(name, "coach", name)
    for n in range(56):
        key, coach = f"p{n}", COACHES[n % 4]
        invited = START + timedelta(days=rnd.randint(0, 50), hours=rnd.randint(0, 6))
        linked = rnd.random() < 0.86
        consent = linked and rnd.random() < 0.88
        status = "active" if consent else ("declined" if linked else "invited")
        consent_at = invited + timedelta(days=rnd.randint(1, 6)) if consent else None
        w.person(
            key,
            "participant",
            f"Demo {n}",
            coach=coach,
            status=status,
            consent=consent_at,
            created=invited,
            linked=linked,
        )
        w.event(invited, "invited", key)
        if not linked:
            continue
        w.event(invited + timedelta(hours=20), "linked", key)
        if consent_at is None:
            w.event(invited + timedelta(days=1), "consent_declined", key)
            continue
        w.event(consent_at, "consented", key)
        _trajectory(w, rnd, key, consent_at)
    w.conn.commit()
    w.conn.close()


def _trajectory(w: Writer, rnd: random.Random, key: str, start: datetime) -> None:
    keen = rnd.uniform(0.35, 0.95)
    drops = rnd.random() < 0.12
    if keen < 0.6 and rnd.random() < 0.8:
        w.event(start + timedelta(days=rnd.randint(20, 150)), "silent_flagged", key)
    months = rnd.randint(4, 6)
    end = start + timedelta(days=30 * months)
    rung = rnd.choice([1, 1, 2, 2, 2, 3, 3, 4])
    w.event(start + timedelta(hours=1), "ladder_recorded", key, value=str(rung), ref="intake")
    answered_t0 = rnd.random() < 0.9
    t0: dict[str, float] = {}
    for item, low, high, base, _change, codes in ITEMS:
        if not answered_t0:
            break
        value = rnd.gauss(base, (high - low) / 5)
        t0[item] = value
        answer = "skip" if rnd.random() < 0.06 else _code(value, low, high, codes)
        w.ask(start + timedelta(hours=2), key, "intake_survey", (item, answer, rnd.uniform(8, 40)))
    day = start + timedelta(days=7)
    stop = start + timedelta(days=rnd.randint(40, 90)) if drops else end
    while day < min(stop, datetime(2026, 10, 1, tzinfo=AMS)):
        mood = rnd.choices(["great", "okay", "not_great", "bad"], [3, 5, 2, 1])[0]
        answer = ("how_are_you", mood, rnd.lognormvariate(8, 1.2)) if rnd.random() < keen else None
        w.ask(day, key, "checkin", answer)
        if rnd.random() < 0.45:
            starts = day + timedelta(days=3, hours=4)
            appointment = w.appointment(key, starts)
            ref = f"appointment:{appointment}"
            w.event(day, "appointment_planned", key, ref=ref)
            said = rnd.choices(["coming", "cannot", None], [keen * 7, 1, 2 - keen])[0]
            w.ask(
                starts - timedelta(days=1),
                key,
                "reminder_day_before",
                ("remind", said, rnd.lognormvariate(7.5, 1.1)) if said else None,
            )
            if said:
                kind = "appointment_confirmed" if said == "coming" else "appointment_declined"
                w.event(starts - timedelta(hours=20), kind, key, ref=ref)
            if starts < datetime(2026, 10, 1, tzinfo=AMS):
                weights = {"coming": [9, 1, 0.3], "cannot": [0.5, 1, 6], None: [5, 4, 1]}[said]
                outcome = rnd.choices(["came", "no_show", "cancelled"], weights)[0]
                w.event(starts + timedelta(hours=3), f"attendance_{outcome}", key, ref=ref)
        if rnd.random() < 0.07 and rung < 6 and rnd.random() < keen:
            rung += 1
        if rnd.random() < 0.25:
            w.event(day + timedelta(days=1), "ladder_recorded", key, value=str(rung), ref="monthly")
        if rnd.random() < 0.3 * keen:
            w.event(day + timedelta(days=2), "message_relayed", key, value="text")
        day += timedelta(days=7)
    if drops:
        kind = "unreachable" if rnd.random() < 0.5 else "silent_flagged"
        w.event(stop + timedelta(days=3), kind, key)
        return
    if end >= datetime(2026, 10, 1, tzinfo=AMS):
        return
    w.event(end, "ladder_recorded", key, value=str(rung), ref="end")
    if t0 and rnd.random() < 0.85:
        for item, low, high, _base, change, codes in ITEMS:
            value = t0.get(item, 0) + rnd.gauss(change, (high - low) / 8)
            w.ask(end, key, "evaluation_survey", (item, _code(value, low, high, codes), 25))
    for weeks in (2, 4, 8):
        when = end + timedelta(weeks=weeks)
        if when < datetime(2026, 10, 1, tzinfo=AMS):
            answer = (
                ("how_are_things", "good", rnd.lognormvariate(9, 1))
                if rnd.random() < keen
                else None
            )
            w.ask(when, key, f"followup_{weeks}w", answer)


async def write_report(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.sqlite3"
    for old in folder.glob("demo.sqlite3*"):
        old.unlink()
    db = await Database.open(path)
    try:
        build(path)
        # Item wording and scales come from the shipped questionnaire flows.
        html, _ = await build_report(db, start=date(2026, 4, 1), end=date(2026, 9, 30), tz=AMS)
    finally:
        await db.close()
    out = folder / "report.html"
    out.write_text(html, encoding="utf-8")
    return out


if __name__ == "__main__":
    html = asyncio.run(write_report(Path(sys.argv[1] if len(sys.argv) > 1 else "demo")))
    print(html)
    if len(sys.argv) > 2:  # also a full-page screenshot in headless Chromium
        from tests.research.browser import open_page

        print(open_page(html, Path(sys.argv[2])))
