"""`coachbot run` as a child process the test can SIGKILL, restart and stop cleanly.

Every child writes its stdout and stderr to one log file (each start under a header), so
a failing test can show what the bot said last.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

READY = "coachbot is running"  # printed by `coachbot run` once it polls and dispatches
# `coachbot run` prints READY just before it installs its SIGTERM handler: a SIGTERM sent in
# between kills it like SIGKILL (seen on a busy machine). A clean stop waits this long first.
SETTLE = 0.5


class BotProcess:
    def __init__(
        self, db_path: Path, api_url: str, token: str, log_path: Path, content_dir: Path
    ) -> None:
        self.db_path = db_path
        self.api_url = api_url
        self.token = token
        self.log_path = log_path
        self.content_dir = content_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._log: IO[bytes] | None = None
        self._log_offset = 0  # where the current child's output begins
        self._ready_at: float | None = None

    def start(self) -> None:
        assert self.proc is None, "the previous child is still running"
        self.starts += 1
        self._ready_at = None
        self._log = self.log_path.open("ab")
        self._log.write(f"\n===== start {self.starts} =====\n".encode())
        self._log.flush()
        self._log_offset = self._log.tell()
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": self.token,
            "PYTHONUNBUFFERED": "1",  # so READY reaches the log file at once
        }
        env.pop("TELEGRAM_API_URL", None)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "run",
                "--db",
                str(self.db_path),
                "--api-url",
                self.api_url,
                "--content",
                str(self.content_dir),
            ],
            env=env,
            cwd=self.db_path.parent,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def exited_by_itself(self) -> int | None:
        """The return code if the child ended without being told to (a crash), else None."""
        return None if self.proc is None else self.proc.poll()

    async def wait_ready(self, timeout: float) -> None:
        """Until the child printed READY; fails if it dies first or takes too long."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while READY not in self.current_output():
            code = self.exited_by_itself()
            if code is not None:
                raise AssertionError(f"the bot exited by itself with code {code} while starting")
            if loop.time() > deadline:
                raise AssertionError(f"the bot did not get ready within {timeout:.0f} s")
            await asyncio.sleep(0.02)
        self._ready_at = loop.time()

    def current_output(self) -> str:
        with self.log_path.open("rb") as handle:
            handle.seek(self._log_offset)
            return handle.read().decode(errors="replace")

    async def kill(self) -> int | None:
        """SIGKILL and wait for the end; returns the child's return code before the kill
        (None when it was still running, as it should be)."""
        assert self.proc is not None
        before = self.proc.poll()
        if before is None:
            self.proc.send_signal(signal.SIGKILL)
        await self._reap(timeout=30.0)
        return before

    async def terminate(self, timeout: float) -> int:
        """SIGTERM (a clean stop) and wait; SIGKILL if it does not end in time."""
        assert self.proc is not None
        if self._ready_at is None:
            await self.wait_ready(timeout=60)
        assert self._ready_at is not None
        settled = self._ready_at + SETTLE - asyncio.get_running_loop().time()
        if settled > 0:
            await asyncio.sleep(settled)
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = await self._reap(timeout)
        except TimeoutError:
            self.proc.kill()
            await self._reap(timeout=30.0)
            raise AssertionError(
                f"the bot did not stop within {timeout:.0f} s of SIGTERM"
            ) from None
        return code

    async def _reap(self, timeout: float) -> int:
        assert self.proc is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (code := self.proc.poll()) is None:
            if loop.time() > deadline:
                raise TimeoutError
            await asyncio.sleep(0.005)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    async def wait_lock_free(self, timeout: float = 30.0) -> None:
        """A new bot refuses to start while an old one holds `<db>.lock`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        path = Path(f"{self.db_path}.lock")
        while not _lock_free(path):
            if loop.time() > deadline:
                raise AssertionError(f"{path} still locked {timeout:.0f} s after the kill")
            await asyncio.sleep(0.01)

    def cleanup(self) -> None:
        """For `finally`: no child outlives the test."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(timeout=30)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return "(no output)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def _lock_free(path: Path) -> bool:
    if not path.exists():
        return True
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True
