"""`coachbot check` on the texts: variables each message gets, Latin words in catalogs of
another script, long button labels (in graphemes) and unreviewed catalogs.

Each case copies the shipped content, changes one text and expects the problem at the
exact line (found by a marker, as in test_check.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.content.bundle import HOST_KEYS, check_content
from bot.content.catalog import load_catalogs
from bot.content.flows import load_flows
from bot.content.labels import MAX_LABEL, graphemes, label_keys
from bot.content.problems import Problem
from bot.content.variables import HOST_VARS
from tests.content.test_check import ROOT, Break, apply, copy_shipped

THANKS_TR = '  checkin.thanks: "Teşekkürler! İyi haftalar. 🌷"\n'


def problems_at(tmp_path: Path, case: Break, *, full: bool = False) -> tuple[list[Problem], int]:
    """Break the copy; (problems in the broken file, the marker's line)."""
    path, line = apply(copy_shipped(tmp_path), case)
    _, problems = check_content(tmp_path, full=full)
    return [p for p in problems if p.path == path], line


# --- variables ---------------------------------------------------------------------------


def test_a_misspelt_variable_is_reported_with_file_line_and_name(tmp_path: Path) -> None:
    case = Break(
        "messages/tr.yaml",
        THANKS_TR,
        '  checkin.thanks: "Teşekkürler {{ nmae }}! İyi haftalar. 🌷"\n',
        "",
        "{{ nmae }}",
    )
    path, line = apply(copy_shipped(tmp_path), case)
    content, problems = check_content(tmp_path)
    mine = [str(p) for p in problems if "nmae" in p.message]
    assert mine == [
        f"{path}:{line}: undefined variable 'nmae' in message 'checkin.thanks' "
        "(it gets: answers, coach, followup_months, language, name, retention_months, until)"
    ]
    assert content is not None  # Turkish falls back to Dutch: the bot can still run


def test_a_misspelt_variable_in_dutch_stops_the_bot(tmp_path: Path) -> None:
    case = Break(
        "messages/nl.yaml",
        "    Je coach {{ coach }} nodigt je uit",
        "    Je coach {{ caoch }} nodigt je uit",
        "",
        "{{ caoch }}",
    )
    path, line = apply(copy_shipped(tmp_path), case)  # inside a `|` block: its own line
    content, problems = check_content(tmp_path)
    assert [(p.path, p.line, p.fatal) for p in problems if "'caoch'" in p.message] == [
        (path, line, True)
    ]
    assert content is None  # Dutch has nothing to fall back on


def test_a_variable_of_a_coach_flow_is_undefined_in_a_participant_flow(tmp_path: Path) -> None:
    mine, line = problems_at(
        tmp_path,
        Break(
            "messages/tr.yaml",
            THANKS_TR,
            '  checkin.thanks: "Teşekkürler {{ participant }}!"\n',
            "",
            "Teşekkürler {{ participant }}",
        ),
    )
    assert [(p.line, p.message.split(" (")[0]) for p in mine] == [
        (line, "undefined variable 'participant' in message 'checkin.thanks'")
    ]


def test_a_host_message_gets_what_the_host_passes(tmp_path: Path) -> None:
    mine, line = problems_at(
        tmp_path,
        Break(
            "messages/tr.yaml",
            '  relay.from_coach: "💬 Koçunuz {{ coach }}:"\n',
            '  relay.from_coach: "💬 {{ name }}, koçunuz {{ coach }} ({{ until }}):"\n',
            "",
            "relay.from_coach:",
        ),
    )
    # name and coach are passed (outbox.say adds the name); until is not.
    assert [p.message.split(" (")[0] for p in mine] == [
        "undefined variable 'until' in message 'relay.from_coach'"
    ]
    assert mine[0].line == line


def test_a_message_that_cannot_render_is_reported_by_the_full_check(tmp_path: Path) -> None:
    case = Break(
        "messages/tr.yaml",
        "{{ r.marker }} {{ r.name }}",
        "{{ r.marker }} {{ r.nmae }}",
        "caseload.list",
        "{{ r.nmae }}",
    )
    quick, _ = problems_at(tmp_path / "quick", case)
    assert quick == []  # rendering with samples is left to `coachbot check`
    mine, line = problems_at(tmp_path / "full", case, full=True)
    errors = [p for p in mine if not p.warning]
    assert [(p.line, p.fatal) for p in errors] == [(line, False)]
    assert "cannot be rendered" in errors[0].message and "nmae" in errors[0].message


def test_an_unknown_filter_is_a_syntax_error_at_load(tmp_path: Path) -> None:
    mine, line = problems_at(
        tmp_path,
        Break(
            "messages/tr.yaml",
            THANKS_TR,
            '  checkin.thanks: "Teşekkürler {{ until | dat }}"\n',
            "",
            "{{ until | dat }}",
        ),
    )
    assert [(p.line, p.message) for p in mine] == [
        (line, "message 'checkin.thanks': template syntax error: no filter named 'dat'")
    ]


def test_every_host_key_declares_its_variables() -> None:
    flow_keys = set(load_flows(ROOT / "flows", []).keys)
    assert HOST_KEYS - set(HOST_VARS) == set()
    assert set(HOST_VARS) - HOST_KEYS <= flow_keys  # a flow's text the host sends too


# --- Latin words in Arabic, Persian and Tigrinya -------------------------------------


def test_a_latin_word_in_arabic_is_a_warning_at_its_line(tmp_path: Path) -> None:
    mine, line = problems_at(
        tmp_path,
        Break(
            "messages/ar.yaml",
            '  stop.confirm: "هل نوقف كل الرسائل من هذه الدردشة؟"\n',
            '  stop.confirm: "{{ name }}، هل نوقف Berichten؟ /stop في Telegram `coachbot log`"\n',
            "",
            "Berichten",
        ),
        full=True,
    )
    latin = [p for p in mine if "Latin word" in p.message]
    # Only the Dutch word: not the placeholder, the command, the brand or the code.
    assert [(p.line, p.warning, p.message) for p in latin] == [
        (line, True, "Latin word 'Berichten' in message 'stop.confirm' (not translated?)")
    ]


def test_latin_words_are_not_looked_for_in_a_latin_script_catalog(tmp_path: Path) -> None:
    mine, _ = problems_at(
        tmp_path,
        Break("messages/tr.yaml", THANKS_TR, '  checkin.thanks: "Danke!"\n', "", None),
        full=True,
    )
    assert [p for p in mine if "Latin word" in p.message] == []


# --- button labels ----------------------------------------------------------------------


def test_an_emoji_with_a_skin_tone_counts_as_one_character() -> None:
    assert len("👍🏽") == 2 and graphemes("👍🏽") == 1
    assert graphemes("🇳🇱") == 1  # a flag: two regional letters
    assert graphemes("▶️ Start") == 7  # the play sign with its emoji variation selector


@pytest.mark.parametrize(("length", "warned"), [(MAX_LABEL, False), (MAX_LABEL + 1, True)])
def test_a_label_over_20_characters_is_a_warning(tmp_path: Path, length: int, warned: bool) -> None:
    label = "Evet " + "👍🏽" * (length - 5)  # 5 letters and thumbs with a skin tone
    assert graphemes(label) == length and len(label) > MAX_LABEL + 1
    mine, line = problems_at(
        tmp_path,
        Break(
            "messages/tr.yaml", '  common.yes: "Evet 👍"\n', f'  common.yes: "{label}"\n', "", label
        ),
        full=True,
    )
    long = [(p.line, p.warning, p.message) for p in mine if "button label" in p.message]
    expected = f"button label 'common.yes' has {length} characters; at most 20 fit on a phone"
    assert long == ([(line, True, expected)] if warned else [])


def test_no_shipped_label_is_over_20_characters() -> None:
    labels = label_keys(load_flows(ROOT / "flows", []).flows)
    catalogs = load_catalogs(ROOT / "messages", [])
    too_long = {
        (code, key): text
        for code, catalog in catalogs.items()
        for key, text in catalog.messages.items()
        if key in labels and graphemes(text) > MAX_LABEL
    }
    assert len(labels) > 80 and too_long == {}


# --- reviews ----------------------------------------------------------------------------


@pytest.mark.parametrize(("marker", "warned"), [("false", True), ("true", False)])
def test_an_unreviewed_catalog_is_a_warning(tmp_path: Path, marker: str, warned: bool) -> None:
    mine, line = problems_at(
        tmp_path,
        Break(
            "messages/so.yaml",
            "reviewed: false  # by a native speaker\n",
            f"reviewed: {marker}  # by a native speaker\n",
            "",
            "reviewed:",
        ),
        full=True,
    )
    found = [(p.line, p.warning) for p in mine if "not reviewed" in p.message]
    assert found == ([(line, True)] if warned else [])


# --- the shipped content and the command ------------------------------------------------


def test_the_full_check_of_the_shipped_content_finds_no_errors() -> None:
    content, problems = check_content(ROOT, full=True)
    assert content is not None
    assert [str(p) for p in problems if not p.warning] == []
    kinds = {p.message.split(" ")[0] for p in problems}
    # Unreviewed catalogs, words for a reviewer, and the example meeting places.
    assert kinds <= {"catalog", "Latin", "place"}


def run_check(content: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "check", "--content", str(content)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_python_m_bot_check_passes_with_warnings_and_fails_on_an_undefined_variable(
    tmp_path: Path,
) -> None:
    warned = copy_shipped(tmp_path / "warned")
    path, line = apply(
        warned,
        Break(
            "messages/tr.yaml",
            '  common.yes: "Evet 👍"\n',
            '  common.yes: "Evet, elbette, tabii ki 👍"\n',
            "",
            "common.yes",
        ),
    )
    result = run_check(warned)
    assert result.returncode == 0, result.stdout + result.stderr
    printed = result.stdout.splitlines()
    assert (
        f"{path}:{line}: warning: button label 'common.yes' has 25 characters; at most 20 "
        "fit on a phone" in printed
    )
    assert printed[0].startswith("ok: ") and printed[0].endswith(f"{len(printed) - 1} warning(s)")

    broken = copy_shipped(tmp_path / "broken")
    path, line = apply(
        broken,
        Break(
            "messages/tr.yaml",
            THANKS_TR,
            '  checkin.thanks: "Teşekkürler {{ nmae }}!"\n',
            "",
            "{{ nmae }}",
        ),
    )
    result = run_check(broken)
    assert result.returncode == 1
    assert any(
        out.startswith(f"{path}:{line}: undefined variable 'nmae'")
        for out in result.stdout.splitlines()
    ), result.stdout
    assert "1 problem(s) found" in result.stderr
    assert "ok:" not in result.stdout
