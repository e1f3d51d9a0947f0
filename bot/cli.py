"""The `coachbot` command: run, check, init, invite, backup (and report, export, log).

Every mistake on the command line ends in one line on stderr and a non-zero exit code, never a
traceback (`bot/cli_args.py` says which code and how); so does a reader that stops reading
(`coachbot log | head`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import signal
import sqlite3
import sys
import traceback
from pathlib import Path

from bot import cli_args
from bot.cli_args import USAGE, CommandError, fail
from bot.clock import Clock, SystemClock

# The content modules (pydantic, Jinja2, Babel) are imported by the commands that need them:
# `--help` and a wrong command line answer without waiting for them.

DEFAULT_DB = "coachbot.sqlite3"
# Files Coachbot creates (database, -wal, -shm, lock, backups, exports) are 0600 and its
# folders 0700: they hold personal data. The files are also chmod-ed where they are made.
UMASK = 0o077


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return USAGE
    previous = os.umask(UMASK)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a reader that went away shows here, not at exit
        return code
    except BrokenPipeError:
        # `coachbot log | head`: the reader has what it wanted. As the signal module's "Note
        # on SIGPIPE" advises: stdout to devnull, so that the flush at exit fails no more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130  # as a shell reports Ctrl+C
    except CommandError as err:
        return fail(err)
    except Exception as err:
        why = _cannot_continue(err)
        if why is None:
            raise  # a bug: its traceback says where
        return fail(why)
    finally:
        os.umask(previous)  # for callers in the same process (tests)


def _cannot_continue(err: Exception) -> str | None:
    """One line for the failures of the world outside (files, the database), which are no
    bug; None for anything else."""
    from storage.db import DatabaseError

    if isinstance(err, DatabaseError):
        return str(err)
    if isinstance(err, sqlite3.Error) and _sqlite_code(err) in OUTSIDE:
        return f"database error: {err}"
    if isinstance(err, OSError):  # a full disk, a folder that vanished, no permission
        where = [str(name) for name in (err.filename, err.filename2) if name is not None]
        if where:
            return f"cannot use {' or '.join(where)}: {err.strerror or err}"
        return str(err.strerror or err)
    return None


# SQLite's primary result codes for trouble outside the code (another writer, the disk, a
# damaged or foreign file); any other sqlite3 error is a bug and keeps its traceback.
OUTSIDE = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_CORRUPT,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_NOTADB,
}


def _sqlite_code(err: sqlite3.Error) -> int | None:
    code = getattr(err, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def build_parser() -> argparse.ArgumentParser:
    parser = cli_args.Parser(
        prog="coachbot",
        description="Coachbot: a Telegram assistant for participation coaches and the "
        "people they coach.",
    )
    sub = parser.add_subparsers(metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the bot (sandbox mode when no token is set)",
        description="Run the bot. The token comes from TELEGRAM_BOT_TOKEN; "
        "without it the bot runs in sandbox mode against the "
        "built-in Bot API emulator on 127.0.0.1.",
    )
    run.add_argument(
        "--db",
        default=None,
        help=f"SQLite file (default ./{DEFAULT_DB}; in sandbox mode a temporary file, "
        "removed when the bot stops). Its folder must exist.",
    )
    run.add_argument(
        "--content",
        type=Path,
        default=None,
        help="folder with flows/ and messages/ (default: the shipped content)",
    )
    run.add_argument(
        "--api-url",
        type=cli_args.http_url,
        default=os.environ.get("TELEGRAM_API_URL"),
        help="Bot API base URL as python-telegram-bot takes it, e.g. "
        "http://127.0.0.1:8081/bot (or TELEGRAM_API_URL)",
    )
    run.add_argument(
        "--webhook-url",
        type=cli_args.http_url,
        default=None,
        help="public HTTPS URL for webhook mode (default: long polling)",
    )
    run.add_argument(
        "--webhook-secret",
        default=os.environ.get("TELEGRAM_WEBHOOK_SECRET"),
        help="secret token Telegram sends with each webhook call "
        "(or TELEGRAM_WEBHOOK_SECRET); required with --webhook-url",
    )
    run.add_argument("--webhook-listen", default="127.0.0.1", help="address to listen on")
    run.add_argument(
        "--webhook-port", type=cli_args.port, default=8443, help="port to listen on (default 8443)"
    )
    run.add_argument(
        "--sandbox-port",
        type=cli_args.port,
        default=None,
        help="port of the sandbox web page (sandbox mode only; default 8080, or any free "
        "port when taken; 0 = any)",
    )
    run.add_argument(
        "--sandbox-host",
        default="127.0.0.1",
        help="address the sandbox web page listens on (default 127.0.0.1, this computer only)",
    )
    run.add_argument(
        "--startup-timeout",
        type=cli_args.seconds,
        default=None,
        metavar="SECONDS",
        help="how long start-up keeps trying a Bot API that fails for now (5xx, no "
        "connection, timeouts) before it exits non-zero (or COACHBOT_STARTUP_TIMEOUT; "
        "default 60)",
    )
    run.add_argument(
        "--demo",
        action="store_true",
        help="sandbox mode: start with a coach, three participants, an appointment tomorrow "
        "and a finished check-in",
    )
    run.set_defaults(func=_run)

    check = sub.add_parser(
        "check",
        help="validate flows, schedules and message catalogs (exit 1 on errors; "
        "warnings do not fail)",
    )
    check.add_argument(
        "--content",
        type=Path,
        default=None,
        help="folder with flows/ and messages/ (default: the shipped content)",
    )
    check.set_defaults(func=_check)

    init = sub.add_parser("init", help="copy the shipped flows/ and messages/ into DIR")
    init.add_argument("dir", type=Path, metavar="DIR", help="folder to copy into (made if missing)")
    init.set_defaults(func=_init)

    invite = sub.add_parser(
        "invite", help="print a single-use invite link for a coach or coordinator"
    )
    invite.add_argument("role", choices=["coach", "coordinator"])
    invite.add_argument("--name", required=True, help="first name shown to others")
    invite.add_argument(
        "--db",
        default=DEFAULT_DB,
        help=f"SQLite file, made when it is not there (default ./{DEFAULT_DB}); the one "
        "`coachbot run` uses",
    )
    invite.add_argument(
        "--bot-username",
        default=None,
        help="bot username for the link (default: asked from getMe with TELEGRAM_BOT_TOKEN)",
    )
    invite.add_argument(
        "--api-url",
        type=cli_args.http_url,
        default=os.environ.get("TELEGRAM_API_URL"),
        help="Bot API base URL for getMe (or TELEGRAM_API_URL)",
    )
    invite.set_defaults(func=_invite)

    backup = sub.add_parser(
        "backup",
        help="make a consistent copy of the database, also while the bot runs",
        description="Copy the SQLite database with SQLite's online backup API. Safe while "
        "the bot runs; restore by stopping the bot and putting the copy in place.",
    )
    backup.add_argument("--db", default=DEFAULT_DB, help=f"SQLite file (default ./{DEFAULT_DB})")
    backup.add_argument(
        "--out",
        required=True,
        type=Path,
        help="file to write the copy to; missing folders are made (0700)",
    )
    backup.add_argument(
        "--keep",
        type=cli_args.positive,
        default=14,
        help="copies named like --out (apart from digits) to keep in its folder (default 14)",
    )
    backup.set_defaults(func=_backup)
    register_research(sub)
    return parser


def register_research(sub: argparse._SubParsersAction[cli_args.Parser]) -> None:
    """`report`, `export` and `log` for coordinators and researchers."""
    from bot.research.cli import register

    register(sub)


def _backup(args: argparse.Namespace) -> int:
    from storage.backup import backup_database

    cli_args.existing_database(args.db)
    cli_args.backup_file(args.out)
    try:
        pages = backup_database(Path(args.db), args.out)
    except (OSError, sqlite3.Error, RuntimeError) as err:
        print(f"coachbot: backup failed: {err}", file=sys.stderr)
        return 1
    print(f"backed up {args.db} to {args.out} ({pages} pages, integrity ok)")
    from storage.backup_rotation import keep

    removed = keep(args.out, args.keep, spare=[Path(args.db)])
    print(f"kept the newest {args.keep} copies; removed {len(removed)} older ones")
    return 0


def _content_dir(arg: Path | None) -> Path:
    from bot.content.bundle import shipped_content_dir

    return arg if arg is not None else shipped_content_dir()


def _check(args: argparse.Namespace) -> int:
    """Every problem as `path:line: problem`; exit 1 on any error, warnings only inform
    (then the `ok:` summary comes first, as without warnings)."""
    from bot.content.bundle import check_content

    directory = _content_dir(cli_args.content_folder(args.content))
    content, problems = check_content(directory, full=True)
    warnings = [p for p in problems if p.warning]
    errors = len(problems) - len(warnings)
    if errors or content is None:
        for problem in problems:
            print(problem)
        print(f"coachbot: {errors} problem(s) found, {len(warnings)} warning(s)", file=sys.stderr)
        return 1
    print(
        f"ok: {len(content.flows)} flows, {len(content.catalogs.codes)} languages "
        f"({', '.join(content.catalogs.codes)}), "
        f"{len(content.schedules.appointment_reminders)} reminders, "
        f"{len(content.places)} places; {len(warnings)} warning(s)"
    )
    for warning in warnings:
        print(warning)
    return 0


def _init(args: argparse.Namespace) -> int:
    from bot.content.bundle import shipped_content_dir

    source = shipped_content_dir()
    cli_args.output_folder(args.dir, "DIR")
    for name in ("flows", "messages"):
        target = args.dir / name
        if target.exists():
            print(f"{target} already exists; nothing copied", file=sys.stderr)
            return 1
    for name in ("flows", "messages"):
        shutil.copytree(source / name, args.dir / name)
    print(f"copied flows/ and messages/ to {args.dir}; run with --content {args.dir}")
    return 0


def _invite(args: argparse.Namespace) -> int:
    return asyncio.run(_invite_async(args))


async def _invite_async(args: argparse.Namespace) -> int:
    from bot.channels.telegram.links import deep_link
    from bot.deps import random_token
    from bot.host.invites import create_person, new_invite
    from bot.host.names import normalise_name, usable
    from storage.db import Database
    from storage.people import Role

    name = normalise_name(args.name)
    if not usable(name):
        return fail("--name needs at least one letter or digit", USAGE)
    cli_args.database(args.db)
    if name != args.name:
        print(f"the name is stored as {name!r}", file=sys.stderr)
    username = args.bot_username or await _ask_username(args.api_url)
    from bot.content.bundle import check_content, shipped_content_dir

    content = check_content(shipped_content_dir())[0]
    if content is None:
        return fail("the shipped content is broken; run coachbot check")
    from bot.deps import Deps, Settings

    db = await Database.open(args.db)
    try:
        deps = Deps(
            db=db,
            clock=SystemClock(),
            content=content,
            invite_link=lambda token: deep_link(username, token),
            settings=Settings(bot_username=username),
            new_token=random_token,
        )
        async with db.transaction() as conn:
            person_id = await create_person(conn, deps.clock.now(), Role(args.role), name)
            token, expires = await new_invite(conn, deps, person_id)
    finally:
        await db.close()
    print(deep_link(username, token))
    print(f"single use, valid until {expires:%Y-%m-%d %H:%M} UTC", file=sys.stderr)
    return 0


async def _ask_username(api_url: str | None) -> str:
    """The bot's username, from getMe with TELEGRAM_BOT_TOKEN."""
    from telegram import Bot
    from telegram.error import TelegramError

    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    if not token:
        raise CommandError("give --bot-username, or set TELEGRAM_BOT_TOKEN to ask getMe")
    try:
        async with Bot(token, base_url=api_url) if api_url else Bot(token) as bot:
            return bot.username
    except TelegramError as err:  # its message may hold the token
        why = Redactor(token, "%(message)s")(err.message)
        raise CommandError(
            f"could not ask the Bot API for the bot's username ({why}); check "
            "TELEGRAM_BOT_TOKEN and --api-url, or give --bot-username",
            cli_args.FAILED,
        ) from None


class Redactor(logging.Formatter):
    """Formats log records (tracebacks included) with the bot token blanked out.

    python-telegram-bot puts the token in an error message, and request URLs hold it; this
    is the last line of defence for everything `coachbot run` writes to stderr."""

    def __init__(self, token: str, fmt: str) -> None:
        super().__init__(fmt)
        secret = token.partition(":")[2]
        self._secrets = [s for s in (token, secret) if len(s) >= 8]

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def format(self, record: logging.LogRecord) -> str:
        return self(super().format(record))


def _run(args: argparse.Namespace) -> int:
    redact = Redactor(
        os.environ.get("TELEGRAM_BOT_TOKEN") or "",
        "%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.basicConfig(level=logging.INFO)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(redact)
    if args.webhook_url and not args.webhook_secret:
        return fail("--webhook-url needs --webhook-secret (or TELEGRAM_WEBHOOK_SECRET)", USAGE)
    cli_args.content_folder(args.content)
    if args.db is not None:
        try:
            cli_args.database_place(args.db)
        except CommandError as err:  # as every other start that cannot work: exit 1
            return fail(f"cannot start: {err}", 1)
    try:
        return asyncio.run(_run_async(args, redact))
    except KeyboardInterrupt:
        return 0
    except Exception:  # a bug: show where, but never the token
        print(redact(traceback.format_exc()), end="", file=sys.stderr)
        return 1


def _cannot_start(err: Exception) -> str | None:
    """The one line that says why the bot did not start, for the failures that are not a
    bug (a traceback would only bury it); None for anything else."""
    from telegram.error import InvalidToken, TelegramError

    from bot.content.problems import ContentError
    from bot.errors import AlreadyRunning
    from storage.db import DatabaseError

    if isinstance(err, InvalidToken):
        return f"Telegram rejected the bot token ({err.message}); check TELEGRAM_BOT_TOKEN"
    if isinstance(err, TelegramError):
        return f"the Bot API refused: {err.message}"
    if isinstance(err, ContentError):
        return f"content problems:\n{err}"
    if isinstance(err, AlreadyRunning | DatabaseError | TimeoutError):
        return str(err)
    if isinstance(err, OSError):  # e.g. the webhook port is taken
        return f"{err.strerror or err}" + (f": {err.filename}" if err.filename else "")
    return None


async def _run_async(args: argparse.Namespace, redact: Redactor) -> int:
    from bot.app import STARTUP_TIMEOUT, CoachbotApp, Options

    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    api_url = args.api_url
    clock: Clock = SystemClock()
    settings = None
    sandbox = None
    if token and args.demo:
        return fail("--demo is for sandbox mode: unset TELEGRAM_BOT_TOKEN", USAGE)
    startup_timeout = args.startup_timeout
    if startup_timeout is None:
        try:
            startup_timeout = cli_args.seconds(
                os.environ.get("COACHBOT_STARTUP_TIMEOUT") or str(STARTUP_TIMEOUT)
            )
        except argparse.ArgumentTypeError as err:
            return fail(f"COACHBOT_STARTUP_TIMEOUT: {err}", USAGE)
    if not token:
        from bot.sandbox.web import Sandbox

        # The sandbox keeps its data in a temporary file unless --db is given explicitly.
        sandbox = Sandbox(
            host=args.sandbox_host,
            port=args.sandbox_port,
            db_path=args.db,
        )
        try:
            await sandbox.start_emulator()
        except ValueError as err:
            return fail(str(err), USAGE)
        token, api_url, clock = sandbox.token, sandbox.api_url, sandbox.clock
        settings = sandbox.settings
        args.db = str(sandbox.db_path)
        print("sandbox mode: no TELEGRAM_BOT_TOKEN, so the bot talks to the built-in emulator")
    if args.db is None:
        args.db = DEFAULT_DB
    options = Options(
        token=token,
        db_path=Path(args.db),
        content_dir=_content_dir(args.content),
        api_url=api_url,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        webhook_listen=args.webhook_listen,
        webhook_port=args.webhook_port,
        startup_timeout=startup_timeout,
    )
    # Handlers first: a SIGTERM during start-up must still end in a clean stop (and ends
    # the retrying of a Bot API that does not answer).
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    app = CoachbotApp(options, clock, settings)
    try:
        try:
            await app.start(abort=stop)
        except asyncio.CancelledError:
            if not stop.is_set():
                raise
            print("stopped during start-up", file=sys.stderr)
            return 0
        except Exception as err:
            # start() has closed everything again and released the lock: exit at once.
            why = _cannot_start(err)
            if why is None:
                raise
            print(redact(f"coachbot: cannot start: {why}"), file=sys.stderr)
            return 1
        if sandbox is not None:
            if args.demo:
                print("seeding the demo: a coach, three participants, an appointment…", flush=True)
            try:
                await sandbox.attach(app, demo=args.demo)
            except BaseException as err:
                await app.stop()  # a bug too: a running bot would keep the process alive
                if not isinstance(err, OSError | TimeoutError):
                    raise
                return fail(f"the sandbox could not start: {err}", 1)
            print(f"sandbox: open {sandbox.url} in your browser", flush=True)
            print(f"  (emulator control API: {sandbox.emulator.url}/_emu/state)")
        print(
            f"coachbot is running as @{app.settings.bot_username} (database {args.db}); "
            "Ctrl+C stops it"
        )
        stopped = asyncio.create_task(stop.wait())
        failed = asyncio.create_task(app.failed.wait())
        await asyncio.wait({stopped, failed}, return_when=asyncio.FIRST_COMPLETED)
        for waiting in (stopped, failed):
            waiting.cancel()
        await app.stop()
        if app.failed.is_set():
            print(redact(f"coachbot: stopped: {app.failure}"), file=sys.stderr)
            return 1
        return 0
    finally:
        if sandbox is not None:
            await sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
