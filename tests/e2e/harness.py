"""A running Coachbot against the emulator: real PTB HTTP calls, a real SQLite file,
the real dispatcher and JobQueue, and a ManualClock the test moves."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import CoachbotApp, Options
from bot.channels.telegram.links import deep_link
from bot.clock import ManualClock
from bot.deps import Settings
from bot.host.invites import create_person, new_invite
from bot.sandbox.emulator import Emulator
from storage.people import Role

REPO = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST-TOKEN"
AMS = ZoneInfo("Europe/Amsterdam")


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


class Harness:
    def __init__(
        self,
        emu: Emulator,
        tmp_path: Path,
        start: datetime,
        content_dir: Path = REPO,
        settings: Settings | None = None,
    ) -> None:
        self.emu = emu
        self.settings = settings or Settings(
            poll_interval=0.05, per_chat_rate=20, per_chat_burst=20
        )
        self.content_dir = content_dir
        self.db_path = tmp_path / "coachbot.sqlite3"
        self.clock = ManualClock(start)
        self.app: CoachbotApp | None = None
        self._seen: dict[int, int] = {}  # chat → id of the last bot message consumed

    async def start(self) -> CoachbotApp:
        options = Options(
            token=TOKEN,
            db_path=self.db_path,
            content_dir=self.content_dir,
            api_url=self.emu.base_url,
            poll_timeout=1,
        )
        self.app = CoachbotApp(options, self.clock, self.settings)
        await self.app.start()
        return self.app

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def deps(self) -> Any:
        assert self.app is not None and self.app.deps is not None
        return self.app.deps

    async def staff_link(self, role: Role, name: str) -> str:
        async with self.deps.db.transaction() as conn:
            person_id = await create_person(conn, self.clock.now(), role, name)
            token, _ = await new_invite(conn, self.deps, person_id)
        return deep_link(self.deps.settings.bot_username, token)

    async def tick(self) -> None:
        assert self.app is not None and self.app.dispatcher is not None
        await self.app.dispatcher.tick()

    async def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        await self.tick()

    async def travel_to(self, when: datetime) -> None:
        self.clock.set(when)
        await self.tick()

    async def next_message(
        self, chat_id: int, contains: str | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """The next bot message in this chat that the test has not consumed yet."""
        seen = self._seen.get(chat_id, 0)

        def wanted(message: dict[str, Any]) -> bool:
            return contains is None or contains in (message.get("text") or "")

        found = next(
            (m for m in self.emu.bot_messages(chat_id) if m["message_id"] > seen and wanted(m)),
            None,
        )
        if found is None:
            found = await self.emu.wait_for_bot_message(
                chat_id, predicate=wanted, timeout=timeout, after=seen
            )
        self._seen[chat_id] = found["message_id"]
        return found

    def all_texts(self, chat_id: int) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.emu.bot_messages(chat_id)]

    async def press(self, chat_id: int, label: str | Callable[[str], bool]) -> None:
        """Press the button whose label contains `label`, on the newest message showing it."""
        match = label if callable(label) else (lambda text: label in text)
        for message in reversed(self.emu.bot_messages(chat_id)):
            for text, data in buttons(message):
                if match(text) and data != "x":  # "x": an answered question's marker
                    self.emu.press_button(chat_id, message["message_id"], data)
                    return
        raise AssertionError(
            f"no button {label!r} in chat {chat_id}: "
            f"{[buttons(m) for m in self.emu.bot_messages(chat_id)[-3:]]}"
        )


COACH = 1001


async def register_coach(h: Harness, user: int = COACH, name: str = "Sanne") -> None:
    link = await h.staff_link(Role.COACH, name)
    h.emu.add_user(user, name, language_code="en")
    h.emu.send_command(user, "/start", args=start_token(link))
    await h.next_message(user, name)


async def invite_participant(h: Harness, name: str, language_label: str, coach: int = COACH) -> str:
    """The coach's /newparticipant flow; returns the participant's start token."""
    h.emu.send_command(coach, "/newparticipant")
    await h.next_message(coach, "first name")
    h.emu.send_text(coach, name)
    while not any(language_label in t for t, _ in buttons(await h.next_message(coach))):
        pass
    await h.press(coach, language_label)
    link_message = await h.next_message(coach, "start=")
    return start_token(link_message["text"])


async def onboard(
    h: Harness, user: int, token: str, answers: list[str], language_code: str = "nl"
) -> None:
    """Open the invite link and press one button per question."""
    h.emu.add_user(user, "P", language_code=language_code)
    h.emu.send_command(user, "/start", args=token)
    for label in answers:
        while not any(label in t for t, _ in buttons(await h.next_message(user))):
            pass
        await h.press(user, label)
    await h.next_message(user, "/coach")  # the closing "all set" message


async def plan_appointment(
    h: Harness, who: str, day_label: str, time_label: str, place_label: str, coach: int = COACH
) -> None:
    h.emu.send_command(coach, "/appointment")
    for label in (who, day_label, time_label, place_label):
        while not any(label in t for t, _ in buttons(await h.next_message(coach))):
            pass
        await h.press(coach, label)
    await h.next_message(coach, who)


async def answer(h: Harness, chat: int, label: str) -> dict[str, Any]:
    """Wait for the next question offering `label`, and press it."""
    while True:
        message = await h.next_message(chat)
        if any(label in text for text, data in buttons(message) if data != "x"):
            await h.press(chat, label)
            return message


def start_token(link: str) -> str:
    match = re.search(r"start=([A-Za-z0-9_-]+)", link)
    assert match, link
    return match.group(1)
