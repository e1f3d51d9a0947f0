"""People acting in the sandbox: the first coach, and the ``--demo`` caseload.

Everything here goes through the emulator as a person on a phone would (``/start`` with an
invite, ``/newparticipant``, pressing buttons), so the database holds real state made by the
real flows, not rows written by hand. Only the first invite of a coach is created directly,
as ``coachbot invite coach`` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.host.invites import create_person, new_invite
from bot.schedule.timing import WEEKDAYS, local
from storage.people import Role

if TYPE_CHECKING:
    from bot.app import CoachbotApp
    from bot.sandbox.emulator import Emulator
    from bot.sandbox.web_travel import TimeMachine

START_TOKEN = re.compile(r"start=([A-Za-z0-9_-]{1,64})")
FIRST_COACH_ID = 1001
FIRST_PARTICIPANT_ID = 2001


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button of a message."""
    markup = message.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


def start_token(text: str) -> str | None:
    """The start parameter of an invite link (or the token itself)."""
    match = START_TOKEN.search(text)
    if match:
        return match.group(1)
    text = text.strip()
    return text if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", text) else None


def next_user_id(emulator: Emulator, role: Role | None) -> int:
    """A fresh Telegram user id: coaches from 1001, everyone else from 2001."""
    first = FIRST_COACH_ID if role == Role.COACH else FIRST_PARTICIPANT_ID
    taken = {int(u["id"]) for u in emulator.state()["users"]}
    user_id = first
    while user_id in taken:
        user_id += 1
    return user_id


async def open_coach_invite(
    app: CoachbotApp, emulator: Emulator, name: str, language_code: str = "en"
) -> int:
    """Create a coach with a single-use invite and open it on a new phone; returns its id."""
    deps = app.deps
    assert deps is not None
    async with deps.db.transaction() as conn:
        person_id = await create_person(conn, deps.clock.now(), Role.COACH, name)
        token, _ = await new_invite(conn, deps, person_id)
    user_id = next_user_id(emulator, Role.COACH)
    emulator.add_user(user_id, name, language_code)
    emulator.send_command(user_id, "/start", args=token)
    return user_id


class Driver:
    """Acts as people on their phones and waits for the bot's answers."""

    def __init__(self, emulator: Emulator, timeout: float = 15.0) -> None:
        self.emulator = emulator
        self.timeout = timeout
        self._seen: dict[int, int] = {}  # chat → the last bot message consumed

    async def next(self, chat_id: int, contains: str | None = None) -> dict[str, Any]:
        """The next bot message in a chat not consumed yet (containing ``contains``)."""
        seen = self._seen.get(chat_id, 0)

        def wanted(message: dict[str, Any]) -> bool:
            text = message.get("text") or message.get("caption") or ""
            return contains is None or contains in text

        found = next(
            (
                m
                for m in self.emulator.bot_messages(chat_id)
                if m["message_id"] > seen and wanted(m)
            ),
            None,
        )
        if found is None:
            found = await self.emulator.wait_for_bot_message(
                chat_id, predicate=wanted, timeout=self.timeout, after=seen
            )
        self._seen[chat_id] = found["message_id"]
        return found

    async def question(self, chat_id: int) -> dict[str, Any]:
        """The next bot message that has buttons."""
        while True:
            message = await self.next(chat_id)
            if buttons(message):
                return message

    async def answer(self, chat_id: int, label: str) -> None:
        """Wait for a question with a button containing ``label`` and press it."""
        while True:
            message = await self.question(chat_id)
            for text, data in buttons(message):
                if label in text:
                    self.emulator.press_button(chat_id, message["message_id"], data)
                    return

    async def answer_nth(self, chat_id: int, index: int) -> str:
        """Press the ``index``-th button of the next question; returns its label."""
        message = await self.question(chat_id)
        text, data = buttons(message)[index]
        self.emulator.press_button(chat_id, message["message_id"], data)
        return text

    def skip_all(self, chat_id: int) -> None:
        """Treat every bot message so far as read."""
        sent = self.emulator.bot_messages(chat_id)
        if sent:
            self._seen[chat_id] = sent[-1]["message_id"]


@dataclass(frozen=True)
class DemoPerson:
    name: str
    language: str  # the bot's language for them (and their phone's)
    checkin_day: str  # a WEEKDAYS code
    checkin_time: str  # morning/afternoon/evening


class Demo:
    """Seeds a coach, three participants, a finished check-in and an appointment tomorrow."""

    def __init__(self, app: CoachbotApp, emulator: Emulator, machine: TimeMachine) -> None:
        assert app.deps is not None
        self.app = app
        self.emulator = emulator
        self.machine = machine
        self.catalogs = app.deps.content.catalogs
        self.schedules = app.deps.content.schedules
        self.tz = app.deps.content.tz
        self.driver = Driver(emulator)
        self.coach = 0

    def text(self, key: str, language: str) -> str:
        return self.catalogs.render(key, language)

    def last_checkin_slot(self, now: datetime) -> tuple[datetime, str, str]:
        """The latest weekday check-in moment at least 5 minutes before ``now``."""
        times = self.schedules.weekly_checkin.times
        today = now.astimezone(self.tz).date()
        for back in range(8):
            day = today - timedelta(days=back)
            if WEEKDAYS[day.weekday()] not in ("mon", "tue", "wed", "thu", "fri"):
                continue
            for name, at in sorted(times.items(), key=lambda item: item[1], reverse=True):
                when = local(day, at, self.tz)
                if when <= now - timedelta(minutes=5):
                    return when, WEEKDAYS[day.weekday()], name
        raise RuntimeError("no check-in moment in the last week")  # pragma: no cover

    async def run(self) -> int:
        """Play the demo; returns the coach's Telegram user id. The clock ends at 'now'."""
        clock = self.machine.clock
        now = clock.now()
        slot, day, part = self.last_checkin_slot(now)
        # Start half an hour before that check-in, inside the delivery window.
        clock.set(slot - timedelta(minutes=30))
        self.coach = await open_coach_invite(self.app, self.emulator, "Sanne", "en")
        await self.driver.next(self.coach)

        daan = DemoPerson("Daan", "nl", day, part)
        daan_id = await self.invite_and_onboard(daan)
        await self.machine.travel_to(slot)  # how are you this week?
        await self.driver.answer(daan_id, self.text("checkin.how_are_you.okay", "nl"))
        await self.driver.next(daan_id)  # thanks

        # Still at the check-in moment, inside the delivery window: the notes to the coach
        # ("… joined") are unasked messages, held back in quiet hours (now may be 22:00).
        ayse = DemoPerson("Ayşe", "tr", "wed", "morning")
        await self.invite_and_onboard(ayse)
        amira = DemoPerson("Amira", "ar", "thu", "afternoon")
        amira_id = await self.invite_and_onboard(amira)
        self.emulator.send_text(amira_id, "شكرًا! أراكِ قريبًا 🌷")
        await self.driver.next(amira_id)  # passed on to the coach
        await self.machine.travel_to(max(now, clock.now()))

        await self.plan_tomorrow(ayse.name, "10:00")
        await self.machine.settle()
        return self.coach

    async def invite_and_onboard(self, person: DemoPerson) -> int:
        """/newparticipant on the coach's phone, then the participant opens the link."""
        d, coach = self.driver, self.coach
        self.emulator.send_command(coach, "/newparticipant")
        await d.next(coach)  # first name?
        self.emulator.send_text(coach, person.name)
        await d.answer(coach, self.catalogs.by_code[person.language].name)
        link = await d.next(coach, "start=")
        token = start_token(link.get("text") or "")
        assert token is not None
        user_id = next_user_id(self.emulator, Role.PARTICIPANT)
        self.emulator.add_user(user_id, person.name, person.language)
        self.emulator.send_command(user_id, "/start", args=token)
        lang = person.language
        await d.answer(user_id, self.catalogs.by_code[lang].name)
        await d.answer(user_id, self.text("common.yes", lang))
        await d.answer(user_id, self.text(f"onboarding.checkin_day.{person.checkin_day}", lang))
        await d.answer(user_id, self.text(f"onboarding.checkin_time.{person.checkin_time}", lang))
        await d.next(coach, person.name)  # "… joined"
        d.skip_all(user_id)
        return user_id

    async def plan_tomorrow(self, who: str, at: str) -> None:
        """/appointment: the coach plans a meeting tomorrow at ``at`` in the first place."""
        d, coach = self.driver, self.coach
        self.emulator.send_command(coach, "/appointment")
        await d.answer(coach, who)
        await d.answer_nth(coach, 1)  # the days start today: the second is tomorrow
        await d.answer(coach, at)
        await d.answer_nth(coach, 0)
        await d.next(coach, who)  # planned
