"""Every command, called wrongly, says what is wrong in one line and exits non-zero.

Each case runs the real `python -m bot …` as a child process in a folder holding a good
database, a file that is not a database, a folder and a plain file; none may print a
traceback. `coachbot log | head -2` ends quietly too.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.process import REPO, child_env, closed_port_url
from tests.research.conftest import SECRET, make_cohort

TOKEN_SECRET = "AAHf0rG3dCliErrorsSecretPart"
TOKEN = f"7654321:{TOKEN_SECRET}"
TIMEOUT = 60  # seconds; a case still running after this hangs
GOOD_DB = "good.sqlite3"  # a migrated database with people and events
NOT_A_DB = "spreadsheet.sqlite3"
FOLDER = "a-folder"
FILE = "a-file.txt"


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    code: int
    says: tuple[str, ...]  # words in the one line on stderr
    env: dict[str, str | None] = field(default_factory=dict)  # None: unset
    details: bool = False  # lines listing content problems may come before the line
    after: Callable[[Path], bool] | None = None  # true when the folder is as it should be


def case(*argv: str, code: int = 2, says: tuple[str, ...] = (), **kwargs: object) -> Case:
    return Case(argv, code, says, **kwargs)  # type: ignore[arg-type]


NO_SECRET: dict[str, str | None] = {"COACHBOT_EXPORT_SECRET": None}
REPORT = ("report", "--db", GOOD_DB)
EXPORT = ("export", "--db", GOOD_DB)
LOG = ("log", "--db", GOOD_DB)
INVITE = ("invite", "coach", "--name", "Sanne", "--bot-username", "nijmegen_bot")
BACKUP = ("backup", "--db", GOOD_DB)
UNREACHABLE = "UNREACHABLE"  # replaced by a URL where nothing listens

CASES: dict[str, Case] = {
    # coachbot …
    "unknown-command": case("serve", says=("invalid choice: 'serve'", "coachbot --help")),
    # run
    "run-db-in-a-missing-folder": case(
        "run", "--db", "missing/x.sqlite3", code=1, says=("cannot start", "does not exist")
    ),
    "run-db-is-a-folder": case("run", "--db", FOLDER, code=1, says=("cannot start", "is a folder")),
    "run-db-under-a-file": case(
        "run", "--db", f"{FILE}/x.sqlite3", code=1, says=("cannot start", "is a file")
    ),
    "run-db-not-sqlite": case(
        "run",
        "--db",
        NOT_A_DB,
        "--api-url",
        UNREACHABLE,
        "--startup-timeout",
        "0",
        code=1,
        says=("cannot start", "file is not a database"),
        env={"TELEGRAM_BOT_TOKEN": TOKEN},
    ),
    "run-content-missing": case("run", "--content", "missing", says=("no folder missing",)),
    "run-content-is-a-file": case("run", "--content", FILE, says=("is a file", "--content")),
    "run-sandbox-port-out-of-range": case("run", "--sandbox-port", "99999", says=("not a port",)),
    "run-webhook-port-not-a-number": case(
        "run", "--webhook-port", "https", says=("--webhook-port", "not a whole number")
    ),
    "run-startup-timeout-negative": case(
        "run", "--startup-timeout", "-5", says=("--startup-timeout", "0 seconds or more")
    ),
    "run-startup-timeout-env-not-a-number": case(
        "run", says=("COACHBOT_STARTUP_TIMEOUT",), env={"COACHBOT_STARTUP_TIMEOUT": "soon"}
    ),
    "run-api-url-not-http": case(
        "run", "--api-url", "api.telegram.org/bot", says=("--api-url", "http://")
    ),
    "run-webhook-without-secret": case(
        "run", "--webhook-url", "https://bot.example.org/hook", says=("--webhook-secret",)
    ),
    "run-demo-with-a-token": case(
        "run", "--demo", says=("sandbox mode",), env={"TELEGRAM_BOT_TOKEN": TOKEN}
    ),
    "run-unknown-option": case("run", "--port", "80", says=("unrecognized arguments",)),
    # invite
    "invite-unknown-role": case("invite", "boss", "--name", "Kim", says=("invalid choice",)),
    "invite-without-name": case("invite", "coach", says=("--name",)),
    "invite-name-without-letters": case(
        "invite", "coach", "--name", " !? ", "--bot-username", "b", says=("--name",)
    ),
    "invite-without-username-or-token": case(
        "invite", "coach", "--name", "Kim", says=("--bot-username", "TELEGRAM_BOT_TOKEN")
    ),
    "invite-db-in-a-missing-folder": case(
        *INVITE, "--db", "missing/x.sqlite3", says=("folder missing does not exist", "mkdir")
    ),
    "invite-db-is-a-folder": case(*INVITE, "--db", FOLDER, says=("is a folder",)),
    "invite-db-not-sqlite": case(*INVITE, "--db", NOT_A_DB, says=("not a SQLite database",)),
    "invite-getme-unreachable": case(
        "invite",
        "coach",
        "--name",
        "Kim",
        "--db",
        "new.sqlite3",
        "--api-url",
        UNREACHABLE,
        code=1,
        says=("could not ask the Bot API", "--bot-username"),
        env={"TELEGRAM_BOT_TOKEN": TOKEN},
    ),
    # report
    "report-without-out": case(*REPORT, says=("required: --out",)),
    "report-out-in-a-missing-folder": case(
        *REPORT,
        "--out",
        "missing/report.html",
        says=("folder missing does not exist", "mkdir -p missing"),
        after=lambda cwd: not (cwd / "missing").exists(),
    ),
    "report-out-is-a-folder": case(*REPORT, "--out", FOLDER, says=("is a folder", "--out")),
    "report-out-under-a-file": case(*REPORT, "--out", f"{FILE}/r.html", says=("is a file",)),
    "report-no-database": case(
        "report", "--db", "none.sqlite3", "--out", "r.html", says=("no database at none",)
    ),
    "report-db-not-sqlite": case(
        "report", "--db", NOT_A_DB, "--out", "r.html", says=("not a SQLite database",)
    ),
    "report-db-is-a-folder": case(
        "report", "--db", FOLDER, "--out", "r.html", says=("is a folder",)
    ),
    "report-bad-date": case(*REPORT, "--from", "2026-02-30", "--out", "r.html", says=("--from",)),
    "report-from-after-to": case(
        *REPORT, "--from", "2026-10-31", "--to", "2026-10-01", "--out", "r.html", says=("--from",)
    ),
    "report-unknown-coach": case(
        *REPORT, "--coach", "Nobody", "--out", "r.html", says=("no coach called",)
    ),
    "report-content-missing": case(
        *REPORT, "--content", "missing", "--out", "r.html", says=("no folder missing",)
    ),
    "report-content-broken": case(
        *REPORT,
        "--content",
        FOLDER,
        "--out",
        "r.html",
        says=("content problems", "coachbot check"),
        details=True,
    ),
    # export
    "export-without-secret": case(
        *EXPORT, "--out", "x", says=("COACHBOT_EXPORT_SECRET",), env=NO_SECRET
    ),
    "export-short-secret": case(
        *EXPORT, "--out", "x", says=("shorter",), env={"COACHBOT_EXPORT_SECRET": "short"}
    ),
    "export-secret-file-missing": case(
        *EXPORT, "--secret-file", "none.txt", "--out", "x", says=("none.txt",), env=NO_SECRET
    ),
    "export-out-is-a-file": case(*EXPORT, "--out", FILE, says=("is a file", "folder")),
    "export-out-under-a-file": case(*EXPORT, "--out", f"{FILE}/x", says=("is a file",)),
    "export-no-database": case(
        "export", "--db", "none.sqlite3", "--out", "x", says=("no database",)
    ),
    "export-db-not-sqlite": case(
        "export", "--db", NOT_A_DB, "--out", "x", says=("not a SQLite database",)
    ),
    # log
    "log-without-secret": case(*LOG, says=("COACHBOT_EXPORT_SECRET",), env=NO_SECRET),
    "log-unknown-participant": case(
        *LOG, "--participant", "P-doesnotexist", says=("P-doesnotexist", "export secret")
    ),
    "log-bad-date": case(*LOG, "--since", "last week", says=("--since", "YYYY-MM-DD")),
    "log-no-database": case("log", "--db", "none.sqlite3", says=("no database",)),
    "log-db-not-sqlite": case("log", "--db", NOT_A_DB, says=("not a SQLite database",)),
    "log-db-is-a-folder": case("log", "--db", FOLDER, says=("is a folder",)),
    # backup
    "backup-without-out": case(*BACKUP, says=("required: --out",)),
    "backup-no-database": case(
        "backup", "--db", "none.sqlite3", "--out", "b.sqlite3", says=("no database",)
    ),
    "backup-db-not-sqlite": case(
        "backup", "--db", NOT_A_DB, "--out", "b.sqlite3", says=("not a SQLite database",)
    ),
    "backup-out-is-a-folder": case(*BACKUP, "--out", FOLDER, says=("is a folder",)),
    "backup-out-under-a-file": case(*BACKUP, "--out", f"{FILE}/b.sqlite3", says=("is a file",)),
    "backup-keep-zero": case(
        *BACKUP,
        "--out",
        "kept.sqlite3",
        "--keep",
        "0",
        says=("--keep", "1 or more"),
        after=lambda cwd: not (cwd / "kept.sqlite3").exists(),
    ),
    # check
    "check-content-missing": case("check", "--content", "missing", says=("no folder missing",)),
    "check-content-is-a-file": case("check", "--content", FILE, says=("is a file",)),
    "check-content-broken": case(
        "check", "--content", FOLDER, code=1, says=("problem(s) found",), details=True
    ),
    # init
    "init-into-a-file": case("init", FILE, says=("is a file",)),
    "init-under-a-file": case("init", f"{FILE}/content", says=("is a file",)),
}


def error_lines(stderr: str) -> list[str]:
    """The lines on stderr that are not log records (those start with a date)."""
    return [line for line in stderr.splitlines() if line.strip() and not line[:4].isdigit()]


def environment(extra: dict[str, str | None]) -> dict[str, str]:
    env = child_env(None, PYTHONPATH=str(REPO), COACHBOT_EXPORT_SECRET=SECRET)
    env.pop("COACHBOT_EXPORT_SECRET_FILE", None)
    for name, value in extra.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def coachbot(
    argv: tuple[str, ...], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    url = closed_port_url()
    return subprocess.run(
        [sys.executable, "-m", "bot", *(url if a == UNREACHABLE else a for a in argv)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-errors")
    make_cohort(folder / GOOD_DB)
    (folder / NOT_A_DB).write_bytes(b"name;street;phone\n" * 300)
    (folder / FOLDER).mkdir()
    (folder / FILE).write_text("not a folder\n")
    return folder


@pytest.fixture(scope="module")
def results(workspace: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every case, two at a time (each is a process of its own)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            name: pool.submit(coachbot, c.argv, workspace, environment(c.env))
            for name, c in CASES.items()
        }
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_a_wrong_command_line_gets_one_clear_line_and_a_non_zero_exit(
    name: str, results: dict[str, subprocess.CompletedProcess[str]], workspace: Path
) -> None:
    expected, result = CASES[name], results[name]
    output = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr, output
    assert result.returncode == expected.code, output
    lines = error_lines(result.stderr)
    assert lines, output
    if not expected.details:
        assert len(lines) == 1, output
    assert lines[-1].startswith("coachbot"), output
    for word in expected.says:
        assert word in lines[-1], output
    assert TOKEN_SECRET not in result.stdout + result.stderr
    if expected.after is not None:
        assert expected.after(workspace), output


def test_every_command_in_help_has_wrong_calls_above() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        env=environment({}),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    ).stdout
    commands = set(re.findall(r"^ {4}([a-z]+) ", listed, re.MULTILINE))  # under COMMAND
    assert {"run", "invite", "report", "export", "log", "backup", "check", "init"} <= commands
    covered = {c.argv[0] for c in CASES.values()}
    assert commands <= covered, commands - covered


def copy_of_good_db(workspace: Path, to: Path) -> Path:
    to.write_bytes((workspace / GOOD_DB).read_bytes())
    to.chmod(0o600)  # else a warning on stderr: it holds personal data
    return to


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process may not write in: made read-only, or, for root (whom no mode
    stops), /sys when the kernel refuses files there."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        return locked
    try:
        Path("/sys/coachbot-probe").write_text("")
    except OSError:
        return Path("/sys")
    pytest.skip("no folder here refuses root")


@pytest.mark.parametrize(
    "command",
    [(*REPORT, "--out", "r.html"), (*BACKUP, "--out", "b.sqlite3")],
    ids=["report", "backup"],
)
def test_a_folder_without_write_permission_gets_one_line(
    tmp_path: Path, workspace: Path, command: tuple[str, ...]
) -> None:
    locked = unwritable_folder(tmp_path)
    copy_of_good_db(workspace, tmp_path / GOOD_DB)
    *argv, name = command
    try:
        result = coachbot((*argv, str(locked / name)), tmp_path, environment({}))
    finally:
        if locked.parent == tmp_path:
            locked.chmod(0o700)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("coachbot:"), result.stderr
    assert str(locked / name) in lines[0], result.stderr
    assert "Permission denied" in lines[0] or "not permitted" in lines[0], result.stderr


def many_events(workspace: Path, tmp_path: Path) -> Path:
    """A copy of the good database with 32 times its events: more than a pipe holds."""
    db = copy_of_good_db(workspace, tmp_path / "busy.sqlite3")
    with sqlite3.connect(db) as conn:
        for _ in range(5):
            conn.execute(
                "INSERT INTO events (at, type, person_id, coach_id, flow_id, step, value, ref,"
                " latency_s) SELECT at, type, person_id, coach_id, flow_id, step, value, ref,"
                " latency_s FROM events"
            )
    return db


def test_log_into_a_reader_that_stops_after_two_lines_ends_quietly(
    workspace: Path, tmp_path: Path
) -> None:
    db = many_events(workspace, tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "log", "--db", str(db)],
        cwd=tmp_path,
        env=environment({}),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    first = [process.stdout.readline(), process.stdout.readline()]
    process.stdout.close()  # as `head -2` does
    stderr = process.stderr.read()
    code = process.wait(timeout=TIMEOUT)
    assert first[0].split()[:2] == ["time", "person"] and first[1].strip()
    assert "Traceback" not in stderr and "Exception" not in stderr, stderr
    assert stderr == ""
    assert code == 1  # as Python's own advice for a closed pipe has it


def test_log_piped_into_head_in_a_shell(workspace: Path, tmp_path: Path) -> None:
    db = many_events(workspace, tmp_path)
    command = f'"{sys.executable}" -m bot log --db "{db}" | head -2'
    result = subprocess.run(
        ["sh", "-c", command],
        cwd=tmp_path,
        env=environment({}),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0  # head's
    assert len(result.stdout.splitlines()) == 2
    assert result.stderr == ""


def test_run_help_names_the_database_each_mode_uses() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--help"],
        env=environment({}),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    ).stdout
    flat = " ".join(shown.split())
    assert "default ./coachbot.sqlite3; in sandbox mode a temporary file" in flat


def test_the_sandbox_uses_the_database_given_even_when_it_has_the_default_name(
    tmp_path: Path,
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--db", "coachbot.sqlite3", "--sandbox-port", "0"],
        cwd=tmp_path,
        env=environment({}),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    running = ""
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line or line.startswith("coachbot is running"):
                running = line
                break
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    assert "(database coachbot.sqlite3)" in running, running
    assert process.stderr is not None
    assert code == 0, process.stderr.read()[-2000:]  # why it did not stop cleanly
    assert (tmp_path / "coachbot.sqlite3").exists()


def locked_database(tmp_path: Path) -> sqlite3.OperationalError:
    """The error of a write while another connection holds the write lock (SQLITE_BUSY)."""
    path = tmp_path / "busy.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE t (x)")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        sqlite3.connect(path, timeout=0).execute("INSERT INTO t VALUES (1)")
    except sqlite3.OperationalError as err:
        return err
    finally:
        holder.close()
    raise AssertionError("the write got through")


def test_failures_outside_the_code_get_one_line_and_bugs_keep_their_traceback(
    tmp_path: Path,
) -> None:
    from bot.cli import _cannot_continue
    from storage.db import DatabaseError

    said = _cannot_continue(DatabaseError("cannot open the database x: file is not a database"))
    assert said == "cannot open the database x: file is not a database"
    assert _cannot_continue(PermissionError(13, "Permission denied", "/srv/r.html")) == (
        "cannot use /srv/r.html: Permission denied"
    )
    assert "database is locked" in str(_cannot_continue(locked_database(tmp_path)))
    with pytest.raises(sqlite3.OperationalError) as bug:
        sqlite3.connect(":memory:").execute("SELECT nothing FROM nowhere")
    assert _cannot_continue(bug.value) is None  # a mistake in the SQL: a traceback
    assert _cannot_continue(ValueError("a bug")) is None
