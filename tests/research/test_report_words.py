"""The report speaks the coordinator's language, words hidden figures, places time truly,
defines its caseload, and stays small enough to mail."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast

import pytest
from jinja2 import meta

from bot.clock import ManualClock
from bot.content.catalog import load_catalogs, make_environment
from bot.host.documents import make_document
from bot.research import charts, svg
from bot.research.attendance import ANSWER_LABELS, OUTCOME_LABELS
from bot.research.coaches import coaches, in_trajectory
from bot.research.engagement import CATEGORIES, MOODS, MoodWeek
from bot.research.instrument import ITEMS
from bot.research.ladder import RUNGS
from bot.research.report import build_report, shipped_content
from bot.research.rows import PersonRow, Scope, Snapshot
from bot.research.suppress import MIN_GROUP, Count, Measure, Share, Shown, shown
from bot.research.survey import WAVES
from bot.research.texts import FOLDER, LOCALES, Words, catalogs, pick
from storage.db import Database
from tests.research import cohort, demo

REPO = Path(__file__).resolve().parents[2]
RESEARCH = REPO / "bot" / "research"
OCTOBER = {"start": date(2026, 10, 1), "end": date(2026, 10, 31)}
MEGABYTE = 1_000_000


class _Visible(HTMLParser):
    """The words a reader sees: text outside <style> and <script>, and tooltips."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        self.words += [v for k, v in attrs if k in ("title", "aria-label") and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.words.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.words).split())


def foreign(language: str, other: str) -> set[str]:
    """Pieces of text of `other`'s catalog that `language`'s catalog never uses."""
    texts = catalogs()
    mine = " ".join(texts[language].values())
    pieces = set()
    for text in texts[other].values():
        for piece in re.split(r"\{\{.*?\}\}|\{%.*?%\}", text):
            piece = " ".join(piece.split()).strip(" .,:;()[]–-·“”")
            if len(piece) >= 5 and re.search(r"[A-Za-z]{3}", piece) and piece not in mine:
                pieces.add(piece)
    return pieces


def occurs(piece: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", text) is not None


# --- the catalogs ---------------------------------------------------------------------


def test_the_report_catalogs_are_dutch_and_english_with_the_same_keys_and_variables() -> None:
    problems: list[Any] = []
    loaded = load_catalogs(REPO / FOLDER, problems)
    assert problems == []
    assert sorted(loaded) == ["en", "nl"]
    assert {c: loaded[c].locale for c in loaded} == LOCALES  # dates and numbers follow it
    nl, en = loaded["nl"].messages, loaded["en"].messages
    assert (sorted(set(nl) - set(en)), sorted(set(en) - set(nl))) == ([], [])

    def variables(text: str) -> set[str]:
        return meta.find_undeclared_variables(make_environment().parse(text))

    assert {k: variables(nl[k]) for k in nl} == {k: variables(en[k]) for k in nl}


def used_keys() -> set[str]:
    """Every key the template and the code ask for, dynamic keys spelled out."""
    source = (RESEARCH / "report.html.j2").read_text("utf-8")
    source += "".join(p.read_text("utf-8") for p in RESEARCH.glob("*.py"))
    found = re.findall(r"""\bt\(\s*["']([a-z_.0-9]+)["']""", source)
    keys = {k for k in found if not k.endswith(".")}  # "rung." ~ n: spelled out below
    keys |= {f"outcome.{o}" for o in OUTCOME_LABELS} | {f"answer.{a}" for a in ANSWER_LABELS}
    keys |= {f"mood.{m}" for m in MOODS} | {f"rung.{n}" for n in RUNGS}
    keys |= {charts.kind_key(k) for k in CATEGORIES} | {f"item.{i.id}" for i in ITEMS}
    keys |= {f"duration.{u}" for u in ("seconds", "minutes", "hours", "days")}
    keys |= {f"reach.{s}" for s in ("invited", "linked", "consented", "active")}
    return keys


def test_every_text_the_report_uses_is_in_the_catalogs_and_none_is_left_over() -> None:
    texts = catalogs()
    used = used_keys()
    assert sorted(used - set(texts["nl"])) == []
    assert sorted(set(texts["nl"]) - used) == []


def test_every_questionnaire_item_has_a_short_name_in_both_languages() -> None:
    content = shipped_content()
    asked = {
        step.id
        for flow in WAVES
        for step in content.flows[flow].steps.values()
        if step.kind == "ask"
    }
    assert asked == {i.id for i in ITEMS}  # the flows ask the pilot's items (instrument.py)
    for language in ("nl", "en"):
        words = Words.load(language)
        names = {i.id: words.t(f"item.{i.id}") for i in ITEMS}
        assert all(name and "_" not in name for name in names.values()), names
        assert len(set(names.values())) == len(ITEMS)


def test_the_language_is_dutch_unless_english_is_asked_for() -> None:
    codes = ("nl", "en", "en-GB", "EN", "tr", "ar", None, "")
    assert [pick(c) for c in codes] == ["nl", "en", "en", "en", "nl", "nl", "nl", "nl"]


# --- one language at a time ------------------------------------------------------------


@pytest.mark.parametrize(("language", "other"), [("nl", "en"), ("en", "nl")])
async def test_the_report_has_no_words_of_the_other_language(
    cohort_db: Database, language: str, other: str
) -> None:
    html, text = await build_report(cohort_db, tz=cohort.AMS, language=language, **OCTOBER)
    assert f'<html lang="{language}">' in html
    seen = visible(html)
    assert Words.load(language).t("reach.title") in seen
    pieces = foreign(language, other)
    assert len(pieces) > 100  # the check has teeth
    assert sorted(p for p in pieces if occurs(p, seen)) == []
    assert sorted(p for p in pieces if occurs(p, text)) == []
    # The question under each item comes from the bot's catalog of the same language.
    question = shipped_content().catalogs.by_code[other].messages["survey.at_home"]
    assert question.split("?")[0] not in seen
    # No raw item keys for people to read.
    assert not re.search(r"\b(life_satisfaction|trust_people|at_home)\b", seen)


async def test_a_dutch_report_writes_numbers_and_dates_the_dutch_way(cohort_db: Database) -> None:
    html, _ = await build_report(cohort_db, tz=cohort.AMS, **OCTOBER)
    assert '<html lang="nl">' in html
    row = re.search(r'<tr data-item="life_satisfaction">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "<b>Tevredenheid met het leven</b>" in row.group(1)
    assert '<td>6</td><td>5,00</td><td class="pilot">5,98</td>' in row.group(1)
    assert "<td>+1,20</td>" in row.group(1) and "0,64 tot 1,76" in row.group(1)
    assert "1 okt 2026 – 31 okt 2026" in html


# --- hidden figures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("figure", "expected"),
    [
        (Count(7, 4), Shown.FEW),
        (Count(0, 0), Shown.FEW),
        (Count(9, 9, forced=True), Shown.WITHHELD),
        (Count(9, 9), Shown.VALUE),
        (Share(4, 5, 5, 4), Shown.FEW),
        (Share(5, 8, 8, 5), Shown.VALUE),
        (Measure(2.5, 4), Shown.FEW),
        (Measure(None, 7), Shown.NONE),
        (Measure(2.5, 7), Shown.VALUE),
    ],
)
def test_what_may_be_shown_agrees_with_the_suppression_rules(
    figure: Count | Share | Measure, expected: Shown
) -> None:
    assert shown(figure) is expected
    assert (expected is Shown.VALUE) == (figure.shown is not None)


def test_a_hidden_figure_is_words_in_a_style_of_its_own() -> None:
    nl, en = Words.load("nl"), Words.load("en")
    assert nl.cell(Count(7, 4)) == '<span class="hid">verborgen: minder dan 5 personen</span>'
    assert en.cell(Share(4, 5, 5, 4)) == '<span class="hid">hidden: fewer than 5 people</span>'
    assert en.cell(Count(9, 9, forced=True)) == (
        '<span class="hid">hidden: would reveal a small group</span>'
    )
    assert en.cell(Measure(None, 7)) == "–"
    assert nl.cell(Measure(2.345, 7), 2) == "2,35"
    assert en.cell(Measure(2.675, 7), 2) == "2.67"  # rounded as the figures always were
    assert en.cell(Measure(250, 4), time=True).startswith('<span class="hid">')


async def test_hidden_cells_show_the_words_and_the_rule_is_explained_once(
    cohort_db: Database,
) -> None:
    html, text = await build_report(cohort_db, tz=cohort.AMS, **OCTOBER)
    few = "verborgen: minder dan 5 personen"
    # Four of five people answered the reminders: answered, rate and reply time are hidden.
    row = re.search(r"<tr><td>Herinneringen</td>(.*?)</tr>", html)
    assert row is not None
    assert row.group(1) == (
        f'<td>5</td><td><span class="hid">{few}</span></td>'
        f'<td><span class="hid">{few}</span></td><td><span class="hid">{few}</span></td>'
    )
    spans = re.findall(r'<span class="hid">([^<]*)</span>', html)
    assert len(spans) > 40
    assert set(spans) <= {few, "verborgen: zou een kleine groep verraden"}
    assert "&lt;5" not in html and "<5" not in text and "<5" not in visible(html)
    style = re.search(r"\n  \.hid \{([^}]*)\}", html)
    assert style is not None and "font-style: italic" in style.group(1)
    assert "color: var(--hid)" in style.group(1)
    rule = Words.load("nl").t("hidden.rule.few", n=MIN_GROUP)
    assert visible(html).count(rule) == 1
    assert html.count('id="hidden-rule"') == 1
    # The chat summary says "verborgen" and says why, once.
    assert "Bereikt: 11 uitgenodigd, 10 gekoppeld, 8 ja gezegd, 7 actief" in text
    assert "Beantwoord: herinneringen verborgen" in text
    assert text.splitlines()[-1] == "Cijfers over minder dan 5 personen staan er als “verborgen”."


# --- time axes ---------------------------------------------------------------------------


def _week(monday: date) -> MoodWeek:
    return MoodWeek(monday, Count(20, 20), tuple(Count(5, 5) for _ in MOODS))


def test_the_mood_chart_places_weeks_by_date_and_leaves_empty_weeks_empty() -> None:
    # Weeks of 1, 8 and 29 December: 15 and 22 December had no answers.
    weeks = [_week(date(2025, 12, 1)), _week(date(2025, 12, 8)), _week(date(2025, 12, 29))]
    drawn = str(charts.Charts(Words.load("en")).moods(weeks))
    cell = r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="[\d.]+" class="cell q'
    found = re.findall(cell, drawn)
    assert len(found) == 3 * len(MOODS)  # no cells for the empty weeks
    xs = sorted({float(x) for x, _, _ in found})
    assert len(xs) == 3
    step = xs[1] - xs[0]
    assert step > 0 and xs[2] - xs[1] == pytest.approx(3 * step, abs=0.2)
    frame = re.search(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" [^>]*class="frame"', drawn)
    assert frame is not None and float(frame.group(2)) == pytest.approx(5 * step, abs=0.5)
    assert "no answers that week" in drawn


def test_month_bars_leave_a_month_without_data_empty() -> None:
    marks = (svg.Mark(10.0, "10%"), svg.Mark(20.0, "20%"))
    drawn = svg.month_bars(
        "chart-1",
        [date(2026, 4, 1), date(2026, 6, 1)],
        [svg.Series("", marks, "s3")],
        "did not come (%)",
        Words.load("en").month,
        percent=True,
    )
    xs = [float(x) for x in re.findall(r'<rect x="([\d.]+)"[^>]*class="bar s3"', drawn)]
    slot = (svg.WIDTH - 42 - 6) / 3  # April, May, June
    assert len(xs) == 2 and xs[1] - xs[0] == pytest.approx(2 * slot, abs=0.2)
    assert ">May<" in drawn  # the empty month keeps its place and its name


# --- caseload ----------------------------------------------------------------------------

START = datetime(2026, 9, 1, 10, tzinfo=UTC)


def _person(pid: int, status: str, started: bool = True, ended: bool = False) -> PersonRow:
    return PersonRow(
        pid,
        "participant",
        "nl",
        1,
        status,
        START if started else None,
        START if started else None,
        datetime(2026, 10, 1, tzinfo=UTC) if ended else None,
        START,
    )


def test_caseload_counts_only_participants_in_trajectory() -> None:
    coach = PersonRow(1, "coach", "nl", None, "active", None, None, None, START, "Sanne")
    people = [
        *(_person(10 + i, "active") for i in range(5)),
        _person(20, "paused"),
        _person(21, "active", ended=True),  # trajectory ended, still gets follow-ups
        _person(22, "invited", started=False),
        _person(23, "stopped"),
        _person(24, "unreachable"),
        _person(25, "declined", started=False),
    ]
    [row] = coaches(Snapshot((coach, *people), ()), Scope(cohort.AMS))
    assert (row.caseload.n, str(row.caseload)) == (6, "6")
    assert row.all_time.n == 11
    assert [in_trajectory(p) for p in people[5:]] == [True, False, False, False, False, False]


async def test_the_report_says_what_caseload_means(cohort_db: Database) -> None:
    html, _ = await build_report(cohort_db, tz=cohort.AMS, **OCTOBER)
    definition = re.search(r'<p class="explain" id="caseload-definition">([^<]*)</p>', html)
    assert definition is not None
    assert "nu in traject" in definition.group(1) and "beëindigd" in definition.group(1)
    assert "<th>caseload (nu in traject)</th>" in html
    assert re.search(r"<tr><td>Sanne Zwartkop</td><td>5</td>", html)


# --- size --------------------------------------------------------------------------------


def test_the_demo_report_is_small_enough_to_mail(tmp_path: Path) -> None:
    html = asyncio.run(demo.write_report(tmp_path))  # 56 participants, six months
    size = html.stat().st_size
    assert size <= MEGABYTE, size
    text = html.read_text(encoding="utf-8")
    assert len(re.findall(r'<svg class="chart"', text)) >= 9
    assert "plotly" not in text.lower() and "<script src" not in text


# --- the command and the chat --------------------------------------------------------------


def _coachbot(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=180,
        check=False,
    )


def test_coachbot_report_lang_en_writes_an_english_report(
    cohort_path: Path, tmp_path: Path
) -> None:
    period = ["--db", str(cohort_path), "--from", "2026-10-01", "--to", "2026-10-31"]
    out = tmp_path / "en" / "report.html"
    out.parent.mkdir()  # report never makes folders
    done = _coachbot("report", "--lang", "en", *period, "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Reached: 11 invited, 10 linked, 8 consented, 7 active" in done.stdout
    html = out.read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Who did we reach?" in html
    assert "Wie hebben we bereikt?" not in html

    dutch = tmp_path / "report.html"
    done = _coachbot("report", *period, "--out", str(dutch), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Bereikt: 11 uitgenodigd" in done.stdout
    assert '<html lang="nl">' in dutch.read_text(encoding="utf-8")

    refused = _coachbot("report", "--lang", "tr", *period, "--out", str(dutch), cwd=tmp_path)
    assert refused.returncode == 2 and "--lang" in refused.stderr


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "en"), ("nl", "nl"), ("tr", "nl"), ("ar", "nl"), (None, "nl")]
)
async def test_the_chats_report_is_in_the_coordinators_language(
    cohort_db: Database, language: str | None, expected: str
) -> None:
    deps = cast(
        Any,
        type(
            "Deps",
            (),
            {
                "db": cohort_db,
                "content": shipped_content(),
                "clock": ManualClock(datetime(2026, 11, 2, 9, tzinfo=UTC)),
            },
        ),
    )
    name, data, summary = await make_document(deps, {"kind": "report", "language": language})
    html = data.decode("utf-8")
    assert name == "coachbot-report.html"
    assert f'<html lang="{expected}">' in html
    title = Words.load(expected).t("summary.title", period="", coaches="").split(",")[0]
    assert summary.startswith(title)


# --- charts show only what tables show --------------------------------------------------------

NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?%?")


def test_every_number_in_a_chart_is_in_a_table_of_its_section(tmp_path: Path) -> None:
    html = asyncio.run(demo.write_report(tmp_path)).read_text(encoding="utf-8")
    sections = re.findall(r'<section id="(\w+)">(.*?)</section>', html, re.S)
    checked = 0
    for name, body in sections:
        tables = " ".join(visible(t) for t in re.findall(r"<table>.*?</table>", body, re.S))
        in_tables = set(NUMBER.findall(tables))
        for chart in re.findall(r'<svg class="chart".*?</svg>', body, re.S):
            labels = re.findall(r'<text [^>]*class="v[^"]*">([^<]*)</text>', chart)
            tips = re.findall(r"<title>([^<]*)</title>", chart)
            numbers = set(NUMBER.findall(" ".join(labels + tips)))
            assert numbers <= in_tables, (name, sorted(numbers - in_tables))
            checked += len(numbers)
    assert checked > 50


def test_a_content_folder_may_rename_an_item_and_keeps_every_other_text(tmp_path: Path) -> None:
    folder = tmp_path / FOLDER
    folder.mkdir(parents=True)
    (folder / "nl.yaml").write_text(
        "language: nl\nname: Nederlands\ndirection: ltr\nlocale: nl_NL\nmessages:\n"
        '  item.life_satisfaction: "Levensgeluk"\n',
        encoding="utf-8",
    )
    words = Words.load("nl", content_dir=tmp_path)
    assert words.t("item.life_satisfaction") == "Levensgeluk"
    assert words.t("reach.title") == "Wie hebben we bereikt?"
    assert Words.load("en", content_dir=tmp_path).t("item.life_satisfaction") == (
        "Life satisfaction"
    )
