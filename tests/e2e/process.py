"""`coachbot …` as a real child process, for the tests of start-up, exit and files.

The child inherits this test's environment (so PYTHONPATH, when set, decides which Coachbot
runs), never a TELEGRAM_API_URL or COACHBOT_STARTUP_TIMEOUT from outside, and is waited
for without blocking the event loop that serves the emulator.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CANNOT_START = "coachbot: cannot start: "
HANG = 45.0  # seconds: a child still running after this hangs


@dataclass
class Exit:
    code: int
    stdout: str
    stderr: str
    seconds: float  # from spawn to exit

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def error_lines(self) -> list[str]:
        """The lines on stderr that are not log records (those start with a date)."""
        return [
            line for line in self.stderr.splitlines() if line.strip() and not line[:4].isdigit()
        ]


def child_env(token: str | None, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **extra}
    for name in ("TELEGRAM_API_URL", "COACHBOT_STARTUP_TIMEOUT", "TELEGRAM_BOT_TOKEN"):
        if name not in extra:
            env.pop(name, None)
    if token is not None:
        env["TELEGRAM_BOT_TOKEN"] = token
    return env


async def coachbot(
    *args: str,
    token: str | None,
    cwd: Path,
    env: dict[str, str] | None = None,
    sigterm_when: Callable[[], bool] | None = None,
) -> Exit:
    """Run `coachbot ARGS` to its end; SIGTERM it once `sigterm_when()` is true, if given."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env if env is not None else child_env(token),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    if sigterm_when is not None:
        deadline = time.monotonic() + HANG
        while proc.returncode is None and not sigterm_when() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=HANG)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise AssertionError(
            f"coachbot {' '.join(args)} still ran after {HANG:.0f} s (it hangs):\n"
            f"{out.decode(errors='replace')}{err.decode(errors='replace')}"
        ) from None
    assert proc.returncode is not None
    return Exit(
        proc.returncode,
        out.decode(errors="replace"),
        err.decode(errors="replace"),
        time.monotonic() - started,
    )


async def run_bot(
    db: Path,
    api_url: str,
    token: str,
    *extra: str,
    sigterm_when: Callable[[], bool] | None = None,
) -> Exit:
    """`coachbot run` on `db` against `api_url` with the repository's content."""
    return await coachbot(
        "run",
        "--db",
        str(db),
        "--api-url",
        api_url,
        "--content",
        str(REPO),
        *extra,
        token=token,
        cwd=db.parent if db.parent.exists() else db.parent.parent,
        sigterm_when=sigterm_when,
    )


def lock_is_free(db: Path) -> bool:
    path = Path(f"{db}.lock")
    if not path.exists():
        return True
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port_url() -> str:
    """A Bot API URL on 127.0.0.1 where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{free_port()}/bot"
