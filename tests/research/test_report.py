"""The report's figures against the hand-computed cohort in cohort.py."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest

from bot.research import charts
from bot.research.figures import Figures, compute
from bot.research.instrument import baseline_for
from bot.research.report import UnknownCoach, build_report, make_scope, shipped_content
from bot.research.rows import Snapshot, load
from bot.research.suppress import HIDDEN, Count, Measure, Share
from bot.research.survey import items_from_content
from bot.research.texts import Words
from storage.db import Database
from tests.research import cohort

OCTOBER = {"start": date(2026, 10, 1), "end": date(2026, 10, 31)}
FEW = '<span class="hid">hidden: fewer than 5 people</span>'  # a hidden cell, in English


async def figures_for(db: Database, **kw: object) -> tuple[Snapshot, Figures]:
    snapshot = await load(db)
    scope, names = make_scope(
        snapshot,
        start=kw.get("start"),  # type: ignore[arg-type]
        end=kw.get("end"),  # type: ignore[arg-type]
        coach=kw.get("coach"),  # type: ignore[arg-type]
        tz=cohort.AMS,
    )
    return snapshot, compute(snapshot, scope, (), names)


def raw(c: Count) -> tuple[int, int]:
    return c.n, c.people


async def test_reach_funnel(cohort_db: Database) -> None:
    _, f = await figures_for(cohort_db, **OCTOBER)
    assert [c.n for c in (f.funnel.invited, f.funnel.linked, f.funnel.consented)] == [11, 10, 8]
    assert f.funnel.active.n == 7
    assert str(f.funnel.declined) == HIDDEN and f.funnel.declined.n == 1
    assert f.participants.n == 11


async def test_response_rates_and_reply_times(cohort_db: Database) -> None:
    _, f = await figures_for(cohort_db, **OCTOBER)
    reminders, checkins, followups = f.responses
    assert (reminders.asked.n, reminders.answered.n) == (5, 4)
    assert (reminders.rate.part, reminders.rate.whole) == (4, 5)
    assert str(reminders.rate) == HIDDEN  # only four people answered
    assert reminders.median_reply_s.value == 250
    assert reminders.median_reply_s.hidden
    assert (checkins.asked.n, checkins.asked.people) == (12, 6)
    assert (checkins.answered.n, checkins.answered.people) == (8, 5)
    assert str(checkins.rate) == "67%"
    assert checkins.median_reply_s.value == 270
    assert followups.asked.n == 0 and str(followups.rate) == HIDDEN


async def test_attendance_against_reminder_answers(cohort_db: Database) -> None:
    _, f = await figures_for(cohort_db, **OCTOBER)
    a = f.attendance
    assert a.has_data
    table = {answer: [c.n for c in cells] for answer, cells in a.table}
    assert table == {"coming": [2, 1, 0], "cannot": [0, 0, 1], "none": [1, 1, 0]}
    assert all(c.hidden for _, cells in a.table for c in cells)
    assert (a.no_show_rate.part, a.no_show_rate.whole) == (2, 5)
    assert str(a.no_show_rate) == HIDDEN
    [october] = a.months
    assert october.month == date(2026, 10, 1)
    assert (october.recorded.n, october.recorded.people) == (6, 6)


async def test_moods_per_week(cohort_db: Database) -> None:
    _, f = await figures_for(cohort_db, **OCTOBER)
    first, second = f.moods
    assert first.week == date(2026, 10, 5) and second.week == date(2026, 10, 12)
    assert [c.n for c in first.moods] == [2, 2, 0, 1]
    assert str(first.answers) == "5"
    assert all(str(c) == HIDDEN for c in first.moods)
    assert raw(second.answers) == (3, 3) and str(second.answers) == HIDDEN


async def test_silent_and_unreachable(cohort_db: Database) -> None:
    _, f = await figures_for(cohort_db, **OCTOBER)
    s = f.silence
    assert (s.silent.n, s.unreachable.n, s.unreachable_now.n) == (2, 1, 1)
    assert s.has_silent_data and all(c.hidden for c in (s.silent, s.unreachable))


async def test_ladder_transitions(cohort_db: Database) -> None:
    _, f = await figures_for(cohort_db, **OCTOBER)
    lad = f.ladder
    assert lad.pairs.n == 5 and str(lad.pairs) == "5"
    assert (lad.up.n, lad.same.n, lad.down.n) == (4, 1, 0)
    assert str(lad.up) == HIDDEN
    assert lad.mean_change.format(".1f", signed=True) == "+1.2"
    assert [c.n for c in lad.at_intake] == [2, 3, 1, 0, 0, 0]
    assert [c.n for c in lad.at_end] == [0, 2, 1, 2, 0, 0]
    assert [c.n for c in lad.latest] == [0, 2, 2, 2, 0, 0]  # P6's monthly record counts
    assert lad.matrix[0][2].n == 1  # P1: 1 → 3


async def test_t0_t1_means_and_paired_change(cohort_db: Database) -> None:
    _, f = await figures_for(cohort_db, **OCTOBER)
    sv = f.surveys
    assert (sv.t0_people.n, sv.t1_people.n) == (6, 5)
    life, trust = sv.items
    assert life.item.id == "life_satisfaction"
    assert (life.t0.n, life.t0_mean.format(".2f")) == (6, "5.00")
    assert (life.t1.n, life.t1_mean.format(".2f")) == (5, "6.60")
    assert life.pairs.n == 5
    assert life.diff.value == pytest.approx(1.2)
    assert life.low.value == pytest.approx(0.6447, abs=1e-4)
    assert life.high.value == pytest.approx(1.7553, abs=1e-4)
    assert trust.t0.n == 4 and trust.t0_mean.format() == HIDDEN
    assert trust.t0_skipped.n == 1 and str(trust.t0_skipped) == HIDDEN
    assert str(trust.diff) == HIDDEN


async def test_per_coach(cohort_db: Database) -> None:
    _, f = await figures_for(cohort_db, **OCTOBER)
    sanne, ahmed = f.coaches
    assert sanne.name == cohort.NAMES["coach"][0]
    # Caseload: in trajectory now. P1–P5 (active, said yes); not P6 (unreachable), P7
    # (declined) or P8 (invited, not yet said yes). Ahmed: Q1 and Q2, not Q3 (invited).
    assert (str(sanne.caseload), str(sanne.all_time), str(sanne.engaged)) == ("5", "8", "6")
    assert raw(sanne.appointments) == (6, 6)
    assert str(sanne.checkin_rate) == "67%"
    assert (ahmed.caseload.n, ahmed.all_time.n, ahmed.engaged.n) == (2, 3, 1)
    assert all(str(c) == HIDDEN for c in (ahmed.caseload, ahmed.all_time, ahmed.engaged))


async def test_period_limits_reach_and_answers_but_not_change(cohort_db: Database) -> None:
    _, f = await figures_for(cohort_db, start=date(2026, 10, 10), end=date(2026, 10, 31))
    assert f.funnel.invited.n == 0  # everyone was invited on 1 October
    checkins = f.responses[1]
    assert (checkins.asked.n, checkins.answered.n) == (6, 3)
    assert f.ladder.pairs.n == 5  # measurements count up to the end of the period
    _, early = await figures_for(cohort_db, end=date(2026, 10, 20))
    assert early.ladder.pairs.n == 0
    assert [c.n for c in early.ladder.latest] == [2, 2, 2, 0, 0, 0]  # intake, P6 monthly


def _walk(value: object) -> list[Count | Share | Measure]:
    found: list[Count | Share | Measure] = []
    if isinstance(value, Count | Share | Measure):
        found.append(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            found += _walk(getattr(value, field.name))
    elif isinstance(value, tuple | list):
        for item in value:
            found += _walk(item)
    return found


async def test_a_coach_with_fewer_than_five_people_shows_no_number(cohort_db: Database) -> None:
    _, f = await figures_for(cohort_db, coach="ahmed", **OCTOBER)
    assert f.coach_names == (cohort.NAMES["coach"][1],)
    figures = _walk(f)
    assert len(figures) > 50
    assert all(x.shown is None for x in figures)
    html, text = await build_report(
        cohort_db, coach="Ahmed Quillfeather", tz=cohort.AMS, language="en", **OCTOBER
    )
    # Every figure cell (not the item's question, not the pilot's published mean) holds
    # hidden words or a label, never a number.
    cells = re.findall(r'<td(?: class="(?:both)")?>(.*?)</td>', html, re.S)
    figures = [re.sub(r'<span class="hid">[^<]*</span>', "", c) for c in cells]
    numbers = [c for c in figures if re.search(r"\d", c) and not re.match(r"\d\. ", c)]
    assert cells and not numbers
    assert FEW in html
    assert '<svg class="chart"' not in html  # nothing to draw, so no chart
    assert not re.search(r"\d+%|\b\d+ (invited|linked|consented|active)", text)
    assert "Reached: hidden invited, hidden linked" in text


async def test_unknown_coach(cohort_db: Database) -> None:
    with pytest.raises(UnknownCoach):
        await build_report(cohort_db, coach="Nobody", tz=cohort.AMS)


async def test_charts_draw_hidden_values_as_words_without_a_bar(cohort_db: Database) -> None:
    _, f = await figures_for(cohort_db, **OCTOBER)
    draw = charts.Charts(Words.load("en", cohort.AMS))
    svg = str(draw.responses(f.responses))
    # Reminders (four people answered) and follow-ups (none) are hidden: no bar, the word.
    assert len(re.findall(r'<rect [^>]*class="bar s0"', svg)) == 1
    assert re.findall(r'<text [^>]*class="v">([^<]*)</text>', svg) == ["67%"]
    hidden = re.findall(r'<text [^>]*class="hid"><title>([^<]*)</title>([^<]*)</text>', svg)
    assert hidden == [("hidden: fewer than 5 people", "hidden")] * 2
    assert draw.attendance(f.attendance) == ""  # every cell hidden: no chart at all


async def test_html_page(cohort_db: Database) -> None:
    html, text = await build_report(cohort_db, tz=cohort.AMS, language="en", **OCTOBER)
    assert '<html lang="en">' in html
    assert "<script src" not in html and "<link" not in html and "<img" not in html
    assert len(re.findall(r'<svg class="chart" id="chart-\d+"', html)) >= 5
    for heading in (
        "Who did we reach?",
        "Who answers?",
        "Who came?",
        "How are people doing?",
        "Who went quiet?",
        "Who moved up the ladder?",
        "What changed between T0 and T1?",
        "Per coach",
    ):
        assert heading in html
    assert "<td>Check-ins</td><td>12</td><td>8</td><td>67%</td><td>4 min</td>" in html
    assert "+1.20" in html and "0.64 to 1.76" in html
    for name in cohort.NAMES["P"] + cohort.NAMES["Q"]:
        assert name not in html and name not in text
    assert text.splitlines()[1] == "Reached: 11 invited, 10 linked, 8 consented, 7 active"
    assert "check-ins 67% (median reply 4 min)" in text


def survey_row(html: str, item: str) -> str:
    """The cells of one item's row in the T0/T1 table (without the label cell)."""
    found = re.search(rf'<tr data-item="{item}"><td class="item">.*?</td>(.*?)</tr>', html, re.S)
    assert found is not None, item
    return " ".join(found.group(1).split())


async def test_the_pilots_baseline_stands_beside_the_cohorts_t0_mean(cohort_db: Database) -> None:
    html, _ = await build_report(cohort_db, tz=cohort.AMS, language="en", **OCTOBER)
    assert "<th>mean T0</th><th>pilot T0 (N=53)</th>" in html
    # Six people answered life_satisfaction at T0: mean 5.00, beside the pilot's 5.98.
    assert survey_row(html, "life_satisfaction").startswith(
        '<td>6</td><td>5.00</td><td class="pilot">5.98</td>'
    )
    # Four answered trust_people: their mean stays hidden; the pilot's figure is shown.
    assert survey_row(html, "trust_people").startswith(
        f'<td>{FEW}</td><td>{FEW}</td><td class="pilot">5.36</td>'
    )
    for item, mean in (("meaningful", "6.57"), ("trust_municipality", "7.26"), ("at_home", "7.91")):
        assert f'<td class="pilot">{mean}</td>' in survey_row(html, item)
    # Items without a reported mean (health, self-reliance, contact) get no comparison.
    for item in ("health_physical", "solve_difficult", "contact_family", "find_volunteer_work"):
        assert '<td class="pilot">–</td>' in survey_row(html, item)
    # The means chart marks it: only life_satisfaction has a mean to draw beside it.
    pilot = re.findall(r'<path [^>]*class="mark pilot"><title>([^<]*)</title>', html)
    assert pilot == ["Life satisfaction: 5.98"]


async def test_a_reworded_item_loses_the_comparison(cohort_db: Database) -> None:
    shipped = items_from_content(shipped_content())
    reworded = [
        dataclasses.replace(i, baseline=baseline_for(i.id, "Hoe blij ben je?", i.answer))
        if i.id == "life_satisfaction"
        else i
        for i in shipped
    ]
    html, _ = await build_report(cohort_db, tz=cohort.AMS, items=reworded, language="en", **OCTOBER)
    assert '<td>6</td><td>5.00</td><td class="pilot">–</td>' in survey_row(
        html, "life_satisfaction"
    )
    assert '<td class="pilot">5.36</td>' in survey_row(html, "trust_people")
    assert 'class="mark pilot"' not in html  # life_satisfaction was the only one drawn
