"""What the `coachbot` subcommands check before they start work, and how they say it.

A mistake on the command line (a folder that does not exist, a file that is not a database,
a port out of range) is the user's, not a bug: it gets one line on stderr,
`coachbot: <what is wrong>; <what to do>`, and exit code 2 (as argparse's own errors). Work
that fails once started (a disk that is full, a Bot API that refuses) exits 1. Neither shows a
traceback; only a bug does (and `coachbot run` blanks the token in it).

Output folders: `report --out FILE` writes into an existing folder only (a typo in the path
must not leave new folders behind); `backup --out FILE` and `export --out DIR` make missing
folders (0700), as the nightly backup job relies on (docs/reliability.md).
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from pathlib import Path
from typing import NoReturn

from bot.errors import CoachbotError

USAGE = 2  # exit code: the command line asks for something that cannot be
FAILED = 1  # exit code: the work was tried and failed

SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file


class CommandError(CoachbotError):
    """A mistake in the command line or what it names: one line for the user."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code


def fail(problem: CommandError | str, code: int | None = None) -> int:
    """Print `coachbot: problem` on stderr; returns the exit code."""
    print(f"coachbot: {problem}", file=sys.stderr)
    if code is not None:
        return code
    return problem.code if isinstance(problem, CommandError) else FAILED


class Parser(argparse.ArgumentParser):
    """argparse, with its errors in one line (the usage it printed first buried them)."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"{self.prog}: {message}; see {self.prog} --help\n")


# -- argument types (argparse turns their ArgumentTypeError into a usage line and exit 2) ----


def port(text: str) -> int:
    """A TCP port, 0–65535 (0: any free port)."""
    number = _int(text)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"not a port (0-65535): {text}")
    return number


def positive(text: str) -> int:
    """A whole number of 1 or more."""
    number = _int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text}")
    return number


def seconds(text: str) -> float:
    """A number of seconds, 0 or more."""
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(number) or number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 seconds or more: {text}")
    return number


def http_url(text: str) -> str:
    """An http:// or https:// address."""
    if not text.startswith(("http://", "https://")) or len(text) <= len("https://"):
        raise argparse.ArgumentTypeError(f"not an http:// or https:// address: {text!r}")
    return text


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


# -- paths -----------------------------------------------------------------------------------


def existing_database(path: str | Path) -> Path:
    """A database file that is there (report, export, log, backup read one)."""
    db = Path(path)
    if db.is_dir():
        raise CommandError(f"{db} is a folder, not a database file; give --db the SQLite file")
    if not db.exists():
        raise CommandError(
            f"no database at {db}; give --db the file `coachbot run` uses "
            "(default ./coachbot.sqlite3 in the current folder)"
        )
    _is_sqlite(db)
    return db


def database(path: str | Path) -> Path:
    """A database file that is there, or can be made in an existing folder (invite)."""
    db = database_place(path)
    if db.exists():
        _is_sqlite(db)
    return db


def database_place(path: str | Path) -> Path:
    """Where a database can be: not a folder, and in a folder that exists."""
    db = Path(path)
    if db.is_dir():
        raise CommandError(f"{db} is a folder, not a database file; give --db a file name")
    _existing_folder(db.parent, "--db")
    return db


def output_file(path: Path, example: str) -> Path:
    """A file to write in an existing folder: the folder is never made."""
    if path.is_dir():
        raise CommandError(f"{path} is a folder; give --out a file name, e.g. {path / example}")
    _existing_folder(path.parent, "--out")
    return path


def output_folder(path: Path, option: str = "--out") -> Path:
    """A folder to write in, made (with missing folders above it) when it is not there."""
    if path.exists() and not path.is_dir():
        raise CommandError(f"{path} is a file; give {option} a folder")
    _no_file_above(path, option)
    return path


def backup_file(path: Path) -> Path:
    """A file to write, in a folder that is made when it is not there."""
    if path.is_dir():
        raise CommandError(
            f"{path} is a folder; give --out a file name, e.g. {path / 'coachbot-backup.sqlite3'}"
        )
    _no_file_above(path, "--out")
    return path


def content_folder(path: Path | None) -> Path | None:
    """The folder given with --content (None: the shipped content) must be a folder."""
    if path is None:
        return None
    if not path.exists():
        raise CommandError(
            f"no folder {path}; --content wants the folder that holds flows/ and messages/ "
            "(`coachbot init DIR` makes one)"
        )
    if not path.is_dir():
        raise CommandError(f"{path} is a file; --content wants the folder that holds flows/")
    return path


def _existing_folder(folder: Path, option: str) -> None:
    _no_file_above(folder / "-", option)
    if not folder.exists():
        raise CommandError(
            f"the folder {folder} does not exist; make it first (mkdir -p "
            f"{shlex.quote(str(folder))}) or give {option} another path"
        )


def _no_file_above(path: Path, option: str) -> None:
    """The nearest of the folders above `path` that exists is a folder, not a file."""
    for above in path.parents:
        if above.exists() or above.is_symlink():
            if not above.is_dir():
                raise CommandError(f"{above} is a file, not a folder; give {option} another path")
            return


def _is_sqlite(db: Path) -> None:
    try:
        with db.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError as err:
        raise CommandError(f"cannot read the database {db}: {err.strerror or err}") from None
    if head and head != SQLITE_HEADER:  # an empty file is an empty database to SQLite
        raise CommandError(f"{db} is not a SQLite database; give --db the file `coachbot run` uses")
