"""The `report`, `export` and `log` subcommands; `bot/cli.py` calls `register`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from bot import cli_args
from bot.cli_args import USAGE, CommandError, fail
from bot.clock import DEFAULT_TZ
from bot.research.pseudonym import Pseudonyms, SecretError, load_secret

DEFAULT_DB = "coachbot.sqlite3"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from err


def register(subparsers: Any) -> None:
    """Add `report`, `export` and `log` to the `coachbot` command."""
    report = subparsers.add_parser(
        "report",
        help="write the engagement report as one HTML file",
        description="Write the engagement report (reach, answers, attendance, moods, ladder, "
        "T0/T1 change, per coach) as one self-contained HTML file, in Dutch or English. "
        "Figures about fewer than 5 people are hidden.",
    )
    _db(report)
    report.add_argument("--from", dest="start", type=_date, help="first day (YYYY-MM-DD)")
    report.add_argument("--to", dest="end", type=_date, help="last day, inclusive (YYYY-MM-DD)")
    report.add_argument("--coach", help="only this coach's participants (first name)")
    report.add_argument("--content", type=Path, help="flows/ and messages/ for item labels")
    report.add_argument(
        "--lang", choices=("nl", "en"), default="nl", help="language of the report (default nl)"
    )
    report.add_argument(
        "--out", type=Path, required=True, help="HTML file to write, in a folder that exists"
    )
    report.set_defaults(func=_report)

    export = subparsers.add_parser(
        "export",
        help="write pseudonymised CSV files and a codebook for researchers",
        description="Write participants.csv, events.csv, answers_long.csv, answers_wide.csv, "
        "codebook.md and codebook.csv to DIR. Pseudonyms are a keyed hash with the secret "
        "from COACHBOT_EXPORT_SECRET or COACHBOT_EXPORT_SECRET_FILE (or --secret-file). "
        "DIR and missing folders above it are made (0700).",
    )
    _db(export)
    _secret(export)
    export.add_argument("--content", type=Path, help="flows/ and messages/ for the codebook")
    export.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write")
    export.set_defaults(func=_export)

    log = subparsers.add_parser(
        "log",
        help="list engagement events (pseudonymised) in the terminal",
        description="List engagement events, oldest first, with pseudonyms instead of people. "
        "The pseudonyms are made with the secret from COACHBOT_EXPORT_SECRET or "
        "COACHBOT_EXPORT_SECRET_FILE (or --secret-file), as in `coachbot export`.",
    )
    _db(log)
    _secret(log)
    log.add_argument("--participant", metavar="PSEUDONYM", help="only this person (P-…)")
    log.add_argument("--since", type=_date, help="only from this day on (YYYY-MM-DD)")
    log.set_defaults(func=_log)


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=DEFAULT_DB, help=f"SQLite file (default ./{DEFAULT_DB})")


def _secret(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--secret-file", type=Path, help="file with the pseudonym secret (default: environment)"
    )


def _open(args: argparse.Namespace, work: Callable[[Any], Awaitable[int]]) -> int:
    try:
        cli_args.existing_database(args.db)
    except CommandError as err:
        return fail(err)

    async def run() -> int:
        from storage.db import Database

        db = await Database.open(args.db)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())


def _content(directory: Path | None) -> Any:
    from bot.content.bundle import check_content
    from bot.research.report import shipped_content

    if directory is None:
        return shipped_content()
    cli_args.content_folder(directory)
    content, problems = check_content(directory)
    for problem in problems:
        print(problem, file=sys.stderr)
    if content is None:
        raise CommandError(f"{directory} has content problems; see `coachbot check --content`")
    return content


def _report(args: argparse.Namespace) -> int:
    from bot.research.report import UnknownCoach, build_report
    from bot.research.survey import items_from_content

    if args.start and args.end and args.start > args.end:
        return fail("--from is after --to", USAGE)
    try:
        cli_args.output_file(args.out, "report.html")
        content = _content(args.content)
        items = items_from_content(content, args.lang)
    except CommandError as err:
        return fail(err)

    async def work(db: Any) -> int:
        try:
            html, text = await build_report(
                db,
                start=args.start,
                end=args.end,
                coach=args.coach,
                tz=DEFAULT_TZ,
                items=items,
                content=content,
                language=args.lang,
            )
        except UnknownCoach as err:
            return fail(str(err), USAGE)
        args.out.write_text(html, encoding="utf-8")
        print(text)
        print(f"wrote {args.out}")
        return 0

    return _open(args, work)


def _pseudonyms(args: argparse.Namespace) -> Pseudonyms | None:
    try:
        return Pseudonyms(load_secret(args.secret_file))
    except SecretError as err:
        fail(str(err))
        return None


def _export(args: argparse.Namespace) -> int:
    from bot.research.export import export
    from bot.research.rows import load
    from bot.research.survey import items_from_content

    pseudonyms = _pseudonyms(args)
    if pseudonyms is None:
        return 2
    try:
        cli_args.output_folder(args.out)
        content = _content(args.content)
    except CommandError as err:
        return fail(err)

    async def work(db: Any) -> int:
        done = export(
            await load(db),
            pseudonyms,
            args.out,
            tz=DEFAULT_TZ,
            items=items_from_content(content),
            content=content,
        )
        print(
            f"wrote {', '.join(done.files)} to {done.folder}: {done.participants} participants, "
            f"{done.events} events, {done.answers} questionnaire answers"
        )
        return 0

    return _open(args, work)


def _log(args: argparse.Namespace) -> int:
    from bot.research import log
    from bot.research.rows import load

    pseudonyms = _pseudonyms(args)
    if pseudonyms is None:
        return 2

    async def work(db: Any) -> int:
        snapshot = await load(db)
        people = {pseudonyms.of(p.id, p.role) for p in snapshot.people}
        if args.participant and args.participant.strip() not in people:
            return fail(
                f"nobody in {args.db} has the pseudonym {args.participant}; pseudonyms depend "
                "on the export secret: is it the one the pseudonym was made with?",
                USAGE,
            )
        found = log.select(
            snapshot, pseudonyms, participant=args.participant, since=args.since, tz=DEFAULT_TZ
        )
        for line in log.lines(found, snapshot, pseudonyms, DEFAULT_TZ):
            print(line)
        if args.participant and not found:
            since = f" since {args.since}" if args.since else ""
            print(f"no events for {args.participant}{since}", file=sys.stderr)
        return 0

    return _open(args, work)
