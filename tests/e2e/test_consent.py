"""First contact, end to end: what the onboarding and the other privacy texts say is what
the bot does.

A participant invited by a coach gets the onboarding in their language, with the retention
rendered from `retention_months` in `flows/schedules.yaml` (a copy of the content with
another value gives the other number). Then each statement is checked against the running
bot: every group named as a receiver receives (the coach; a colleague while the coach is
away; the new coach after a handover; coordinators get figures without names; researchers
get answers without names or messages through `coachbot export`), groups not named get
nothing; the commands named work for a participant; saying no keeps what the "declined"
text names, until the retention it names.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.sandbox.emulator import Emulator
from storage.people import Role
from tests.e2e.conftest import START
from tests.e2e.harness import (
    AMS,
    COACH,
    REPO,
    Harness,
    answer,
    buttons,
    invite_participant,
    onboard,
    register_coach,
    start_token,
)
from tests.e2e.process import child_env, coachbot

AMAL = 7_770_001_234  # a Telegram id that cannot appear by chance in a date or pseudonym
TOM = 1002  # Sanne's colleague, her backup while she is away
LIES = 1003  # another coach: not Amal's, not the backup
KIM = 9001  # coordinator
SECRET = "an-export-secret-for-the-consent-test"
DUTCH = ["Nederlands", "Ja", "Geen vraag per week"]


def content_with(tmp_path: Path, retention_months: int) -> Path:
    """A copy of the shipped flows and messages with another retention setting."""
    folder = tmp_path / "content"
    for part in ("flows", "messages"):
        shutil.copytree(REPO / part, folder / part)
    schedules = folder / "flows" / "schedules.yaml"
    text, count = re.subn(
        r"(?m)^retention_months: \d+$",
        f"retention_months: {retention_months}",
        schedules.read_text("utf-8"),
    )
    assert count == 1
    schedules.write_text(text, "utf-8")
    return folder


async def started(emu: Emulator, tmp_path: Path, content: Path = REPO) -> Harness:
    h = Harness(emu, tmp_path, START, content_dir=content)
    await h.start()
    return h


async def onboarding_bubbles(h: Harness, user: int, token: str) -> list[dict[str, Any]]:
    """Open the invite link, choose Dutch; every bubble up to the consent question."""
    h.emu.add_user(user, "A", language_code="nl")
    h.emu.send_command(user, "/start", args=token)
    await answer(h, user, "Nederlands")
    bubbles = []
    while True:
        message = await h.next_message(user)
        bubbles.append(message)
        if buttons(message):
            return bubbles


def commands_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w/])/([a-z]+)\b", text))


# --- the onboarding, with the retention from the settings ---------------------------------


async def check_onboarding(h: Harness, retention: int) -> None:
    await register_coach(h)
    token = await invite_participant(h, "Amal", "Nederlands")
    bubbles = await onboarding_bubbles(h, AMAL, token)
    texts = [b["text"] for b in bubbles]
    explain, who_sees, how_long, consent = texts  # one idea per bubble, then the question
    assert "automatische assistent van de gemeente" in explain and "Sanne" in explain
    assert all(w in who_sees.lower() for w in ("onderzoekers", "collega", "nieuwe coach"))
    assert f"nog {retention} maanden" in how_long
    assert "nog 6 maanden af en toe" in how_long  # the last follow-up: 6mo in schedules.yaml
    assert commands_in(how_long) == {"mydata", "forget", "stop"}
    assert "vrijwillig" in consent and "uitkering" in consent
    assert [t for t, _ in buttons(bubbles[-1])] == ["Ja 👍", "Nee"]
    other_numbers = set(re.findall(r"\d+", "\n".join(texts))) - {str(retention), "6"}
    assert other_numbers == set(), other_numbers  # no number typed into the texts
    await h.press(AMAL, "Ja")
    await answer(h, AMAL, "Geen vraag per week")
    await h.next_message(AMAL, "/coach")
    await h.next_message(COACH, "Amal")


async def test_a_new_participant_gets_the_onboarding_with_the_configured_retention(
    emu: Emulator, tmp_path: Path
) -> None:
    h = await started(emu, tmp_path)
    try:
        await check_onboarding(h, 24)
    finally:
        await h.stop()


async def test_another_retention_setting_changes_the_onboarding_text(
    emu: Emulator, tmp_path: Path
) -> None:
    h = await started(emu, tmp_path, content_with(tmp_path, 11))
    try:
        await check_onboarding(h, 11)
    finally:
        await h.stop()


# --- who sees what ----------------------------------------------------------------------


async def world(h: Harness) -> None:
    """Sanne (Amal's coach), Tom and Lies (coaches), Kim (coordinator); Amal joined."""
    await register_coach(h)
    await register_coach(h, TOM, "Tom")
    await register_coach(h, LIES, "Lies")
    link = await h.staff_link(Role.COORDINATOR, "Kim")
    h.emu.add_user(KIM, "Kim", language_code="en")
    h.emu.send_command(KIM, "/start", args=start_token(link))
    await h.next_message(KIM, "coordinator")
    token = await invite_participant(h, "Amal", "Nederlands")
    await onboard(h, AMAL, token, DUTCH, "nl")
    await h.next_message(COACH, "Amal")


def chats_with(h: Harness, words: str) -> set[int]:
    return {c for c in (COACH, TOM, LIES, KIM) if any(words in t for t in h.all_texts(c))}


async def test_the_coach_and_the_colleague_while_away_read_messages_and_no_one_else(
    harness: Harness,
) -> None:
    h = harness
    await world(h)
    # "Je coach: je berichten."
    h.emu.send_text(AMAL, "Mijn kat heeft jongen")
    await h.next_message(COACH, "Amal")
    await h.next_message(COACH, "Mijn kat heeft jongen")
    assert chats_with(h, "Mijn kat heeft jongen") == {COACH}
    # "Is je coach er niet? Dan leest een collega je berichten."
    h.emu.send_command(COACH, "/away")
    await answer(h, COACH, "26 Oct")
    await answer(h, COACH, "Tom")
    await h.next_message(COACH, "You are away until")
    h.emu.send_text(AMAL, "Ik ben ziek vandaag")
    await h.next_message(TOM, "Ik ben ziek vandaag")
    assert chats_with(h, "Ik ben ziek vandaag") == {TOM}
    # Coordinators and other coaches never saw the participant's name or messages.
    assert chats_with(h, "Amal") == {COACH, TOM}


async def test_a_new_coach_gets_the_participant_and_coordinators_see_the_name_only_then(
    harness: Harness,
) -> None:
    h = harness
    await world(h)
    assert chats_with(h, "Amal") == {COACH}
    # "Krijg je een nieuwe coach? Dan krijgt die je gegevens." A coordinator arranges it,
    # and sees the name while doing so.
    h.emu.send_command(KIM, "/handover")
    for label in ("Sanne", "Amal", "Lies"):
        await answer(h, KIM, label)
    await h.next_message(KIM, "Moved 1")
    await h.next_message(LIES, "Amal")
    coach_of = (
        "SELECT c.name FROM people p JOIN people c ON c.id = p.coach_id WHERE p.telegram_id = ?"
    )
    assert await h.deps.db.scalar(coach_of, (AMAL,)) == "Lies"
    h.emu.send_command(LIES, "/caseload")
    overview = await h.next_message(LIES, "Your participants")
    assert "Amal" in overview["text"]
    h.emu.send_command(COACH, "/caseload")
    await h.next_message(COACH, "no participants")
    h.emu.send_text(AMAL, "Hallo nieuwe coach")
    await h.next_message(LIES, "Hallo nieuwe coach")
    assert chats_with(h, "Hallo nieuwe coach") == {LIES}


async def test_when_the_coach_has_stopped_a_coordinator_reads_until_the_handover(
    harness: Harness,
) -> None:
    """ "Is je coach er niet? Dan leest een collega je berichten": with no coach at all
    (stopped by a coordinator), that colleague is the coordinator, until a new coach."""
    h = harness
    await world(h)
    h.emu.send_command(KIM, "/coaches")
    for label in ("Sanne", "Stop"):
        await answer(h, KIM, label)
    await h.next_message(KIM, "Sanne is stopped")
    h.emu.send_text(AMAL, "Is er iemand?")
    await h.next_message(KIM, "Is er iemand?")
    assert chats_with(h, "Is er iemand?") == {KIM}
    h.emu.send_command(KIM, "/handover")
    for label in ("Sanne", "Amal", "Tom"):
        await answer(h, KIM, label)
    await h.next_message(KIM, "Moved 1")
    h.emu.send_text(AMAL, "Dag Tom")
    await h.next_message(TOM, "Dag Tom")
    assert chats_with(h, "Dag Tom") == {TOM}


async def test_coordinators_get_figures_and_researchers_answers_without_names(
    harness: Harness, tmp_path: Path
) -> None:
    h = harness
    await world(h)
    h.emu.send_text(AMAL, "Mijn kat heeft jongen")
    await h.next_message(COACH, "Mijn kat heeft jongen")
    # "Coördinatoren van de gemeente: cijfers zonder namen."
    h.emu.send_command(KIM, "/report")
    doc = await h.emu.wait_for_bot_message(KIM, predicate=lambda m: "document" in m, timeout=20)
    html = h.emu.files.get(doc["document"]["file_id"]).data.decode()
    for secret in ("Amal", str(AMAL), "Mijn kat"):
        assert secret not in html and secret not in doc["caption"]
    assert "Amal" not in "\n".join(h.all_texts(KIM))

    # "Onderzoekers: je taal, je antwoorden en wanneer je de chat gebruikt. Zonder je naam,
    # zonder je berichten." The export as researchers get it: the real command.
    out = tmp_path / "export"
    env = child_env(None, COACHBOT_EXPORT_SECRET=SECRET)
    result = await coachbot(
        "export", "--db", str(h.db_path), "--out", str(out), token=None, cwd=tmp_path, env=env
    )
    assert result.code == 0, result.output
    everything = "\n".join(p.read_text("utf-8") for p in sorted(out.iterdir()))
    for secret in ("Amal", "Mijn kat"):
        assert secret not in everything, secret
    assert not re.search(rf"(?<!\d){AMAL}(?!\d)", everything)
    participants = (out / "participants.csv").read_text("utf-8").splitlines()
    assert len(participants) == 2 and participants[1].startswith("P-")
    pseudonym, _coach, language = participants[1].split(",")[:3]
    assert language == "nl"
    events = [line.split(",") for line in (out / "events.csv").read_text("utf-8").splitlines()]
    own = [e for e in events if e[0] == pseudonym]
    answers = {(e[4], e[5], e[6]) for e in own if e[2] == "answer"}
    assert ("onboarding", "consent", "yes") in answers  # the answers …
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e[3]) for e in own)  # … and when


# --- the commands named, and saying no --------------------------------------------------


async def test_the_commands_the_onboarding_names_work_for_the_participant(
    harness: Harness,
) -> None:
    h = harness
    await register_coach(h)
    token = await invite_participant(h, "Amal", "Nederlands")
    bubbles = await onboarding_bubbles(h, AMAL, token)
    named = set().union(*(commands_in(b["text"]) for b in bubbles))
    assert named == {"mydata", "forget", "stop"}
    await h.press(AMAL, "Ja")
    await answer(h, AMAL, "Geen vraag per week")
    await h.next_message(AMAL, "/coach")

    h.emu.send_command(AMAL, "/mydata")
    doc = await h.emu.wait_for_bot_message(AMAL, predicate=lambda m: "document" in m, timeout=5)
    assert doc["document"]["file_name"] == "coachbot-my-data.json"
    h.emu.send_command(AMAL, "/forget")
    await h.next_message(AMAL, "Wil je dat we je gegevens wissen?")
    await h.press(AMAL, "Nee")
    await h.next_message(AMAL, "er wordt niets gewist")
    h.emu.send_command(AMAL, "/stop")
    await h.next_message(AMAL, "Wil je stoppen")
    await h.press(AMAL, "Ja")
    await h.next_message(AMAL, "geen berichten meer")
    status = await h.deps.db.scalar("SELECT status FROM people WHERE telegram_id = ?", (AMAL,))
    assert status == "stopped"
    refusals = ("Sorry, dat kan hier niet.", "Die opdracht ken ik niet")
    assert not any(r in t for r in refusals for t in h.all_texts(AMAL))


async def test_saying_no_keeps_what_the_text_names_until_the_retention_it_names(
    emu: Emulator, tmp_path: Path
) -> None:
    h = await started(emu, tmp_path, content_with(tmp_path, 3))
    try:
        await register_coach(h)
        token = await invite_participant(h, "Amal", "Nederlands")
        await onboarding_bubbles(h, AMAL, token)
        await h.press(AMAL, "Nee")
        declined = await h.next_message(AMAL, "Binnen 3 maanden")
        assert "voornaam, je Telegram-account, je taal en dat je nee zei" in declined["text"]
        assert commands_in(declined["text"]) == {"start"}
        told = await h.next_message(COACH, "Amal")
        assert "Telegram" in told["text"]

        db = h.deps.db
        row = (await db.fetchall("SELECT * FROM people WHERE telegram_id = ?", (AMAL,)))[0]
        assert (row["name"], row["status"]) == ("Amal", "declined")  # name, Telegram account
        language = await db.scalar(
            "SELECT value FROM events WHERE person_id = ? AND step = 'choose_language'",
            (row["id"],),
        )
        assert language == "nl"  # the language, in the log
        assert await db.scalar(
            "SELECT COUNT(*) FROM events WHERE person_id = ? AND type = 'consent_declined'",
            (row["id"],),
        )

        # "Wil je toch meedoen? Stuur /start." — the onboarding starts again.
        h.emu.send_command(AMAL, "/start")
        await answer(h, AMAL, "Nederlands")
        await answer(h, AMAL, "Nee")
        await h.next_message(AMAL, "Binnen 3 maanden")

        # "Binnen 3 maanden wissen we je naam en Telegram-account bij ons."
        await h.travel_to(START.replace(hour=9) + timedelta(days=88))
        name = "SELECT name FROM people WHERE id = ?"
        assert await db.scalar(name, (row["id"],)) == "Amal"
        await h.travel_to(datetime(2027, 1, 19, 9, 0, tzinfo=AMS))  # 3 months after the invite
        assert await db.scalar(name, (row["id"],)) == "—"
        assert await db.scalar("SELECT telegram_id FROM people WHERE id = ?", (row["id"],)) is None
    finally:
        await h.stop()
