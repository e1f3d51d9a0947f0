"""`coachbot check`: each kind of content mistake is reported as `path:line: problem`.

Every case copies the shipped flows/ and messages/, breaks one thing, and expects the
problem at the exact line of the break (found by a marker in the broken file).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from bot.content.bundle import check_content

ROOT = Path(__file__).resolve().parents[2]
LINE_FORMAT = re.compile(r"^.+:\d+: .+$")


@dataclass(frozen=True)
class Break:
    file: str  # relative to the content folder
    old: str  # text that occurs exactly once in the shipped file
    new: str
    phrase: str  # part of the expected problem message
    at: str | None  # marker on the problem's line in the broken file; None → line 1


CASES = {
    "yaml-syntax-error": Break(
        "flows/checkin.yaml",
        "    answer: choice\n",
        "    answer: choice: oops\n",
        "YAML syntax error",
        "choice: oops",
    ),
    "unknown-step-in-next": Break(
        "flows/checkin.yaml",
        "    next: thanks\n",
        "    next: thank_you\n",
        "unknown step 'thank_you' in next",
        "next: thank_you",
    ),
    "unreachable-step": Break(
        "flows/checkin.yaml",
        "  take_care:\n",
        "  orphan:\n    say: checkin.thanks\n    next: end\n  take_care:\n",
        "step 'orphan' is unreachable",
        "  orphan:",
    ),
    "message-missing-in-one-language": Break(
        "messages/tr.yaml",
        '  checkin.thanks: "Teşekkürler! İyi haftalar. 🌷"\n',
        "",
        "missing message 'checkin.thanks'",
        None,
    ),
    "goodbye-missing-for-an-end-reason": Break(
        "messages/tr.yaml",
        "  trajectory.ended.stopped: |\n"
        "    Koçun {{ coach }} ile çalışma süren bitti. Bu sorun değil. 🌷\n",
        "  trajectory.ended.stopt: |\n"
        "    Koçun {{ coach }} ile çalışma süren bitti. Bu sorun değil. 🌷\n",
        "missing message 'trajectory.ended.stopped'",
        None,
    ),
    "template-syntax-error": Break(
        "messages/tr.yaml",
        '  checkin.thanks: "Teşekkürler! İyi haftalar. 🌷"\n',
        '  checkin.thanks: "Teşekkürler {{ name !"\n',
        "message 'checkin.thanks': template syntax error",
        "checkin.thanks:",
    ),
    "unknown-answer-type": Break(
        "flows/checkin.yaml",
        "    answer: yes_no\n",
        "    answer: maybe\n",
        "unknown answer type 'maybe'",
        "answer: maybe",
    ),
    "bad-duration-in-timeout": Break(
        "flows/checkin.yaml",
        "decline.stop.checkin}\n    timeout: 2d\n",
        "decline.stop.checkin}\n    timeout: 2 days\n",
        "bad duration '2 days'",
        "timeout: 2 days",
    ),
    "unknown-action-in-do": Break(
        "flows/checkin.yaml",
        "    do: notify_coach\n",
        "    do: email_coach\n",
        "unknown action 'email_coach'",
        "do: email_coach",
    ),
    "unknown-options-from": Break(
        "flows/new_appointment.yaml",
        "    options_from: places\n",
        "    options_from: rooms\n",
        "unknown options_from 'rooms'",
        "options_from: rooms",
    ),
    "page-not-a-whole-number": Break(
        "flows/caseload.yaml",
        "    page: 10\n",
        "    page: ten\n",
        "page must be a whole number ≥ 1",
        "page: ten",
    ),
    "page-on-a-question-without-options-from": Break(
        "flows/checkin.yaml",
        "    answer: choice\n",
        "    answer: choice\n    page: 4\n",
        "only a choice with options_from can have pages",
        "page: 4",
    ),
    "schedule-bad-time": Break(
        "flows/schedules.yaml",
        '  start: "09:00"\n',
        '  start: "25:99"\n',
        "bad time '25:99'",
        '"25:99"',
    ),
    "step-with-say-and-ask": Break(
        "flows/checkin.yaml",
        "    say: checkin.take_care\n",
        "    say: checkin.take_care\n    ask: checkin.want_contact\n",
        "needs exactly one of say, ask or do",
        "  take_care:",
    ),
}

# Cases that once pointed at the wrong line (kept with the reason they exist).
IMPRECISE = {
    "schedule-unknown-weekly-flow": (
        Break(
            "flows/schedules.yaml",
            "  flow: checkin\n",
            "  flow: check_in\n",
            "unknown flow 'check_in'",
            "flow: check_in",
        ),
        "bundle._check_schedules reports line_of(data, 'weekly_checkin'), the section's line, "
        "not the line of its `flow:`",
    ),
    "schedule-unknown-reminder-flow": (
        Break(
            "flows/schedules.yaml",
            "    flow: reminder_soon\n",
            "    flow: reminder_later\n",
            "unknown flow 'reminder_later'",
            "flow: reminder_later",
        ),
        "bundle._check_schedules reports the `appointment_reminders:` line for every reminder, "
        "so the user cannot tell which reminder is wrong",
    ),
    "unknown-step-in-a-branch": (
        Break(
            "flows/checkin.yaml",
            "      yes: tell_coach\n",
            "      yes: tell_coahc\n",
            "unknown step 'tell_coahc' in next",
            "yes: tell_coahc",
        ),
        "flows._check_links reports line_of(raw, 'next') for a branch, the `next:` line, not "
        "the line of the branch that names the unknown step",
    ),
    "template-error-inside-a-block-message": (
        Break(
            "messages/nl.yaml",
            "    Je coach {{ coach }} nodigt je uit",
            "    Je coach {{ coach } nodigt je uit",
            "message 'onboarding.hello': template syntax error",
            "{{ coach } nodigt",
        ),
        "catalog.load_catalogs adds err.lineno - 1 to the key's line, but a `|` block starts on "
        "the line after the key: every error in a block message is reported one line too high",
    ),
}
ALL = [pytest.param(case, id=name) for name, case in CASES.items()] + [
    pytest.param(case, id=name) for name, (case, _why) in IMPRECISE.items()
]


def copy_shipped(target: Path) -> Path:
    for name in ("flows", "messages"):
        shutil.copytree(ROOT / name, target / name)
    return target


def apply(content: Path, case: Break) -> tuple[str, int]:
    """Break the copy; return the broken file's path and the expected line."""
    path = content / case.file
    text = path.read_text(encoding="utf-8")
    assert text.count(case.old) == 1, f"the shipped {case.file} changed; update this case"
    text = text.replace(case.old, case.new)
    path.write_text(text, encoding="utf-8")
    if case.at is None:
        return str(path), 1
    lines = [n for n, line in enumerate(text.splitlines(), 1) if case.at in line]
    assert len(lines) == 1, f"marker {case.at!r} must be on exactly one line"
    return str(path), lines[0]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "check", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def assert_cli_output(
    code: int, stdout: str, stderr: str, path: str, line: int, phrase: str
) -> None:
    assert code == 1
    printed = stdout.splitlines()
    assert printed and all(LINE_FORMAT.match(out) for out in printed), printed
    assert any(out.startswith(f"{path}:{line}: ") and phrase in out for out in printed), printed
    assert "problem(s) found" in stderr


@pytest.mark.parametrize("case", ALL)
def test_check_content_reports_the_problem_at_its_line(tmp_path, case):
    path, line = apply(copy_shipped(tmp_path), case)
    content, problems = check_content(tmp_path)
    mine = [p for p in problems if p.path == path and case.phrase in p.message]
    assert [p.line for p in mine] == [line], problems
    # Only a text missing in a language other than Dutch lets the bot run (Dutch fills in).
    fatal = not (
        path.endswith(".yaml") and "missing message" in case.phrase and not path.endswith("nl.yaml")
    )
    assert (content is None) == fatal
    assert all(p.fatal == fatal for p in mine)


@pytest.mark.parametrize("case", [pytest.param(c, id=n) for n, c in CASES.items()])
def test_the_check_command_prints_path_line_problem_and_exits_1(tmp_path, capsys, case):
    path, line = apply(copy_shipped(tmp_path), case)
    code = cli_main(["check", "--content", str(tmp_path)])
    out, err = capsys.readouterr()
    assert_cli_output(code, out, err, path, line, case.phrase)


# A real `python -m bot check` for a few cases; the table above runs main() in-process.
@pytest.mark.parametrize("name", ["unknown-step-in-next", "template-syntax-error"])
def test_python_m_bot_check_exits_1_on_broken_content(tmp_path, name):
    case = CASES[name]
    path, line = apply(copy_shipped(tmp_path), case)
    result = run_cli("--content", str(tmp_path))
    assert_cli_output(result.returncode, result.stdout, result.stderr, path, line, case.phrase)


@pytest.mark.parametrize("case", [pytest.param(c, id=n) for n, (c, _) in IMPRECISE.items()])
def test_imprecise_problems_are_still_reported_in_the_right_file(tmp_path, case):
    path, _ = apply(copy_shipped(tmp_path), case)
    _, problems = check_content(tmp_path)
    assert any(p.path == path and case.phrase in p.message for p in problems), problems


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(
            (
                "flows/checkin.yaml",
                "checkin}\n    timeout: 2d\n",
                "checkin}\n    timeout: 99999999999w\n",
            ),
            id="flow-timeout",
        ),
        pytest.param(
            ("flows/schedules.yaml", "  answer_window: 2d\n", "  answer_window: 99999999999w\n"),
            id="schedule-answer-window",
        ),
    ],
)
def test_a_huge_duration_is_a_problem_not_a_crash(tmp_path, broken):
    file, old, new = broken
    path, line = apply(copy_shipped(tmp_path), Break(file, old, new, "", "99999999999w"))
    _, problems = check_content(tmp_path)
    assert any(p.path == path and p.line == line for p in problems)


def test_a_non_numeric_max_is_a_problem(tmp_path):
    case = Break(
        "flows/new_appointment.yaml", "    max: 120\n", "    max: lots\n", "max", "max: lots"
    )
    path, line = apply(copy_shipped(tmp_path), case)
    _, problems = check_content(tmp_path)
    assert any(p.path == path and p.line == line and "max" in p.message for p in problems)


# --- the shipped content -----------------------------------------------------------------


def test_the_shipped_content_has_no_problems():
    content, problems = check_content(ROOT)
    assert problems == []
    assert content is not None


def test_the_cli_accepts_the_shipped_content_with_a_summary():
    result = run_cli()
    assert result.returncode == 0, result.stdout
    summary, *warnings = result.stdout.splitlines()
    assert summary.startswith("ok:") and "flows" in summary and "languages" in summary
    # Warnings (unreviewed catalogs, words for a reviewer) are listed, and do not fail.
    assert all(LINE_FORMAT.match(w) and ": warning: " in w for w in warnings), warnings
    assert summary.endswith(f"{len(warnings)} warning(s)")


def test_a_missing_folder_is_reported(tmp_path):
    (tmp_path / "flows").mkdir()
    content, problems = check_content(tmp_path)
    assert content is None
    assert [(p.path, p.message) for p in problems] == [
        (str(tmp_path / "messages"), "folder is missing")
    ]
