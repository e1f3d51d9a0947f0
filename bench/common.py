"""Shared pieces of the benchmarks: statistics, results, machine facts, the instrumented
emulator, seeding SQLite and pickle files, and the bot subprocesses.

Process model: the benchmark script (the *driver*) runs the Bot API emulator in its own
process and acts as the participants; the bot under test (Coachbot or the baseline) runs
in a child process (`python -m bench.child` / `python -m bench.baseline_bot`) that talks
to the emulator over HTTP on 127.0.0.1, as it would to Telegram. So the bot's CPU time
and memory are its own (read from /proc), and on a 2-core machine the emulator and the
bot each have a core.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import pickle
import platform
import signal
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import bot as _bot_package
from bot.sandbox.emulator import ApiError, ChatState, Emulator, MessageRecord
from storage.times import to_db

REPO = Path(__file__).resolve().parents[1]  # where bench/ lives; results go here
# Where the bot under test and its content (flows/, messages/) come from: normally the same
# checkout; with PYTHONPATH pointing at another tree (e.g. an export of a commit) that one.
CODE_ROOT = Path(_bot_package.__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
TOKEN = "123456:BENCH-TOKEN"
AMS = ZoneInfo("Europe/Amsterdam")
# A Wednesday: the weekly check-in of the "morning" participants is due at 10:00.
CHECKIN_AT = datetime(2026, 10, 21, 10, 0, tzinfo=AMS)
# A Monday late morning, inside the delivery window (restart benchmark).
MONDAY = datetime(2026, 10, 19, 11, 0, tzinfo=AMS)
COACH_TG = 1000
FIRST_TG = 100_000
LANGUAGES = ("nl", "en", "tr", "ar")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- statistics ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def med(values: Iterable[float]) -> float:
    found = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(found) if found else math.nan


def latency_summary(samples_s: Sequence[float]) -> dict[str, float]:
    """p50/p99/max in milliseconds."""
    return {
        "n": len(samples_s),
        "p50_ms": percentile(samples_s, 50) * 1000,
        "p99_ms": percentile(samples_s, 99) * 1000,
        "max_ms": (max(samples_s) * 1000) if samples_s else math.nan,
    }


def fmt(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    return f"{value:,.{digits}f}"


def ratio(a: float, b: float) -> float:
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return math.nan
    if b == 0:
        return math.inf if a > 0 else math.nan
    return a / b


# --- results and machine --------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    load = "unknown"
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return {
        "loadavg": load,
        "cpu": model,
        "nproc": os.cpu_count(),
        "mem_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def write_result(name: str, data: dict[str, Any], results_dir: Path | None = None) -> Path:
    folder = results_dir or RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    payload = {"benchmark": name, "machine": machine(), **data}
    path.write_text(json.dumps(payload, indent=2, default=_json_default) + "\n")
    return path


def load_result(name: str, results_dir: Path | None = None) -> dict[str, Any] | None:
    path = (results_dir or RESULTS) / f"{name}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value).__name__)


def work_dir(name: str, results_dir: Path | None = None) -> Path:
    """A scratch folder on the real disk (not tmpfs): databases, pickles, child logs."""
    folder = (results_dir or RESULTS) / "work" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- the instrumented emulator --------------------------------------------------------------


class BenchEmulator(Emulator):
    """The project's emulator, plus timestamps of every bot message and cheap waiting.

    The stock emulator keeps every event and call in lists that `wait_for_bot_message`
    scans; at tens of thousands of messages that scan, not the bot, would be measured.
    Here the call log and event list are not kept (a count per method is), and waiting is
    on counters. Everything a bot sees over HTTP is unchanged.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(token=TOKEN, **kwargs)
        self.sent_times: list[float] = []  # monotonic time of each new bot message
        self.bot_count: dict[int, int] = {}  # chat → bot messages so far
        self.question: dict[int, tuple[int, list[str]]] = {}  # chat → (message_id, callbacks)
        self.question_log: list[tuple[float, int]] = []  # (arrival, chat) of each question
        self.method_counts: dict[str, int] = {}
        self.limited = 0  # 429 answers given because of enforce_limits
        self.reply_at: dict[int, float] = {}
        # chat → when the bot first reacted visibly to the press (answered the callback or
        # edited a message), as the server saw it
        self.reacted_at: dict[int, float] = {}
        self._query_chat: dict[str, int] = {}  # callback query id → chat
        self._pending: set[int] = set()
        self._all_replied = asyncio.Event()
        self._total_target = 0
        self._total_reached = asyncio.Event()

    # hooks into the emulator core
    def _store(self, chat: ChatState, message: dict[str, Any], outgoing: bool) -> MessageRecord:
        record = super()._store(chat, message, outgoing)
        if outgoing:
            now = time.monotonic()
            chat_id = chat.chat["id"]
            self.sent_times.append(now)
            self.bot_count[chat_id] = self.bot_count.get(chat_id, 0) + 1
            markup = message.get("reply_markup") or {}
            data = [
                b["callback_data"]
                for row in markup.get("inline_keyboard", [])
                for b in row
                if "callback_data" in b
            ]
            if data:
                self.question[chat_id] = (message["message_id"], data)
                self.question_log.append((now, chat_id))
            if chat_id in self._pending:
                self._pending.discard(chat_id)
                self.reply_at[chat_id] = now
                if not self._pending:
                    self._all_replied.set()
            if len(self.sent_times) >= self._total_target > 0:
                self._total_reached.set()
        return record

    def _event(self, chat_id: int, message_id: int, kind: str, outgoing: bool) -> None:
        self._seq += 1  # no event list, no wake-ups: nobody here long-polls for events

    def _log(
        self, method: str, values: dict[str, Any], error: ApiError | None, **extra: Any
    ) -> dict[str, Any]:
        self.method_counts[method] = self.method_counts.get(method, 0) + 1
        if method == "answerCallbackQuery":
            chat = self._query_chat.pop(str(values.get("callback_query_id")), None)
        elif method.startswith("editMessage"):
            chat = int(values.get("chat_id") or 0)
        else:
            chat = None
        if chat is not None and chat in self._pending and chat not in self.reacted_at:
            self.reacted_at[chat] = time.monotonic()
        return {"method": method, "ok": error is None}

    def _check_limits(self, method: str, params: dict[str, Any]) -> None:
        try:
            super()._check_limits(method, params)
        except ApiError:
            self.limited += 1
            raise

    # acting and waiting
    def seed_user(self, user_id: int, name: str, language: str = "nl") -> None:
        """A user who has written to the bot before (so the bot may message them)."""
        self.add_user(user_id, name, language_code=language)
        self._users[user_id].started = True

    @property
    def total_sent(self) -> int:
        return len(self.sent_times)

    async def wait_total(self, count: int, timeout: float) -> bool:
        """Until `count` bot messages have arrived in all; False on timeout."""
        if self.total_sent >= count:
            return True
        self._total_target = count
        self._total_reached = asyncio.Event()
        try:
            async with asyncio.timeout(timeout):
                await self._total_reached.wait()
            return True
        except TimeoutError:
            return False
        finally:
            self._total_target = 0

    def press(self, chat_id: int, option: int) -> float:
        """Press button `option` of the newest question in the chat; returns the press time.

        The chat is armed: the next new bot message there is its reply (see `wait_replies`).
        """
        message_id, data = self.question[chat_id]
        self._pending.add(chat_id)
        self._all_replied.clear()
        self.reply_at.pop(chat_id, None)
        self.reacted_at.pop(chat_id, None)
        at = time.monotonic()
        update = self.press_button(chat_id, message_id, data[option % len(data)])
        self._query_chat[update["callback_query"]["id"]] = chat_id
        return at

    def arm(self, chat_id: int) -> None:
        self._pending.add(chat_id)
        self._all_replied.clear()
        self.reply_at.pop(chat_id, None)

    async def wait_replies(self, timeout: float) -> bool:
        if not self._pending:
            return True
        try:
            async with asyncio.timeout(timeout):
                await self._all_replied.wait()
            return True
        except TimeoutError:
            return False

    def unanswered(self) -> set[int]:
        pending = set(self._pending)
        self._pending.clear()
        return pending


async def quiet(emu: BenchEmulator, still: float = 0.3, timeout: float = 30.0) -> None:
    """Wait until the bot has sent nothing for `still` seconds."""
    deadline = time.monotonic() + timeout
    last = emu.total_sent
    while time.monotonic() < deadline:
        await asyncio.sleep(still)
        if emu.total_sent == last:
            return
        last = emu.total_sent


# --- seeding --------------------------------------------------------------------------------


def participant_tg(i: int) -> int:
    return FIRST_TG + i


def create_schema(path: Path) -> None:
    """An empty Coachbot database made by the bot's own migrations."""
    from storage.db import Database

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)

    async def make() -> None:
        db = await Database.open(path)
        await db.close()

    asyncio.run(make()) if not _loop_running() else _run_in_thread(make)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _run_in_thread(factory: Any) -> None:
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(factory())
        except BaseException as err:  # surfaced below
            errors.append(err)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@dataclass
class Seed:
    """What to put in a Coachbot database before the bot starts."""

    participants: int
    checkin_day: str | None = "wed"  # every participant's weekly check-in: Wednesday morning
    checkin_timers_at: datetime | None = None  # a pending check-in timer due then, for each
    outbox_rows: int = 0  # pending unsolicited messages, spread over the participants
    outbox_due: datetime | None = None
    languages: Sequence[str] = LANGUAGES
    # The daily scans (silence, trajectory length) already ran on this day, as they have
    # on a bot that runs all day; None leaves them to the first dispatcher tick.
    daily_done_on: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def daily_jobs() -> list[str]:
    """The names of the daily jobs of the bot code under test: `bot.host.daily.DAILY_JOBS`,
    or, in code from before it existed, `due_today(conn, deps, "name")` in its source."""
    import re

    from bot.host import daily as periodic

    jobs = getattr(periodic, "DAILY_JOBS", None)
    if jobs is not None:
        return sorted(jobs)
    source = Path(periodic.__file__).read_text()
    return sorted(set(re.findall(r"due_today\(\s*conn,\s*deps,\s*\"([a-z0-9_]+)\"", source)))


def seed_coachbot(path: Path, seed: Seed, now: datetime) -> None:
    """People (a coach and active, consented participants linked to Telegram), their
    pending check-in timers and, optionally, a backlog of outbox rows, straight in SQLite.

    This is what the database of a running installation holds; the bot's own inserts
    (timers.add, outbox._insert) write the same columns."""
    create_schema(path)
    created = to_db(now - timedelta(days=30))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO people (id, role, name, language, telegram_id, status, created_at)"
        " VALUES (1, 'coach', 'Sanne', 'en', ?, 'active', ?)",
        (COACH_TG, created),
    )
    people = (
        (
            i + 2,
            f"P{i}",
            seed.languages[i % len(seed.languages)],
            participant_tg(i),
            created,
            seed.checkin_day,
            "morning" if seed.checkin_day else None,
            created,
        )
        for i in range(seed.participants)
    )
    conn.executemany(
        "INSERT INTO people (id, role, name, language, telegram_id, coach_id, status,"
        " consent_at, checkin_day, checkin_time, trajectory_start, created_at)"
        " VALUES (?, 'participant', ?, ?, ?, 1, 'active', ?, ?, ?, ?, ?)",
        ((p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[4], p[7]) for p in people),
    )
    columns = {row[1] for row in conn.execute("PRAGMA table_info(people)")}
    if "last_contact_at" in columns:  # in touch recently: nobody counts as silent
        conn.execute(
            "UPDATE people SET last_contact_at = ? WHERE role = 'participant'",
            (to_db(now - timedelta(days=1)),),
        )
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    if seed.daily_done_on is not None and "periodic" in tables:
        conn.executemany(
            "INSERT INTO periodic (job, last_day) VALUES (?, ?)",
            [(job, seed.daily_done_on.isoformat()) for job in daily_jobs()],
        )
    if seed.checkin_timers_at is not None:
        due = seed.checkin_timers_at
        ref = f"checkin:{due.astimezone(AMS).date().isoformat()}"
        payload = json.dumps({"flow": "checkin", "vars": {}})
        conn.executemany(
            "INSERT INTO timers (person_id, kind, payload, ref, due_at, expires_at, created_at)"
            " VALUES (?, 'flow', ?, ?, ?, ?, ?)",
            (
                (i + 2, payload, ref, to_db(due), to_db(due + timedelta(days=2)), created)
                for i in range(seed.participants)
            ),
        )
    if seed.outbox_rows:
        due = seed.outbox_due or now
        text = "Reminder: tomorrow at 10:00 you have an appointment with Sanne at Lindenholt."
        rows = (
            (
                (i % seed.participants) + 2,
                participant_tg(i % seed.participants),
                json.dumps({"text": f"{text} #{i}"}, ensure_ascii=False),
                to_db(due),
                to_db(due + timedelta(days=1)),
                to_db(due - timedelta(minutes=5)),
            )
            for i in range(seed.outbox_rows)
        )
        conn.executemany(
            "INSERT INTO outbox (person_id, chat_id, kind, payload, unsolicited, due_at,"
            " expires_at, created_at) VALUES (?, ?, 'message', ?, 1, ?, ?, ?)",
            rows,
        )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def seed_baseline(
    path: Path,
    participants: int,
    reminders: int = 0,
    reminder_due: datetime | None = None,
    checkin_day: str | None = "wed",
) -> None:
    """The baseline bot's PicklePersistence file: participants in user_data (as a
    hand-written bot keeps them), pending reminders in bot_data."""
    user_data = {
        participant_tg(i): {
            "name": f"P{i}",
            "language": LANGUAGES[i % len(LANGUAGES)],
            "coach": COACH_TG,
            "status": "active",
            "consented": True,
            "checkin_day": checkin_day,
            "checkin_time": "morning" if checkin_day else None,
        }
        for i in range(participants)
    }
    user_data[COACH_TG] = {"name": "Sanne", "role": "coach"}
    due = (reminder_due or MONDAY).timestamp()
    text = "Reminder: tomorrow at 10:00 you have an appointment with Sanne at Lindenholt."
    bot_data = {
        "reminders": {
            i: {"chat_id": participant_tg(i % participants), "due": due, "text": f"{text} #{i}"}
            for i in range(reminders)
        }
    }
    data = {
        "conversations": {},
        "user_data": user_data,
        "chat_data": {},
        "bot_data": bot_data,
        "callback_data": None,
    }
    with path.open("wb") as file:
        pickle.dump(data, file, protocol=pickle.HIGHEST_PROTOCOL)


# --- the bot in a child process -------------------------------------------------------------


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_memory_kb(pid: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


class Child:
    """A bot in a subprocess; it prints `READY {json}` once polling and `STATS {json}` when
    it stops (on SIGTERM)."""

    def __init__(self, module: str, args: list[str], log_path: Path) -> None:
        self.module = module
        self.args = args
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self.spawned_at = 0.0
        self.spawned_wall = 0.0
        self.ready: dict[str, Any] = {}
        self._log: Any = None

    async def start(self) -> None:
        self._log = self.log_path.open("wb")
        paths = dict.fromkeys([str(CODE_ROOT), str(REPO)])
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(paths)}
        self.spawned_wall = time.time()
        self.spawned_at = time.monotonic()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            self.module,
            *self.args,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
            cwd=str(CODE_ROOT),
            env=env,
            preexec_fn=_die_with_parent,
        )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def _line(self, prefix: str, timeout: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise RuntimeError(
                        f"{self.module} exited before {prefix}; see {self.log_path}:\n"
                        + self.log_path.read_text()[-3000:]
                    )
                line = raw.decode().strip()
                if line.startswith(prefix + " "):
                    data: dict[str, Any] = json.loads(line[len(prefix) + 1 :])
                    return data

    async def wait_ready(self, timeout: float = 300.0) -> dict[str, Any]:
        self.ready = await self._line("READY", timeout)
        return self.ready

    def cpu(self) -> float:
        return proc_cpu_seconds(self.pid)

    def memory(self) -> dict[str, int]:
        return proc_memory_kb(self.pid)

    async def stop(self, timeout: float = 10.0) -> dict[str, Any]:
        assert self.proc is not None
        stats: dict[str, Any] = {}
        if "--profile" in self.args:
            timeout = max(timeout, 300.0)  # writing a long profile takes a while
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError, RuntimeError):
                stats = await self._line("STATS", timeout)
            try:
                async with asyncio.timeout(timeout):
                    await self.proc.wait()
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._log is not None:
            self._log.close()
        return stats


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the driver dies (Linux prctl)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def emit(prefix: str, data: dict[str, Any]) -> None:
    """For children: one machine-readable line on stdout."""
    sys.stdout.write(f"{prefix} {json.dumps(data)}\n")
    sys.stdout.flush()


def next_second(after: float) -> float:
    return float(math.ceil(after))
