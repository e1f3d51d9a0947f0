"""The sandbox's HTTP side and time travel, without a browser; and `coachbot run` itself."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import CoachbotApp, Options
from bot.sandbox.demo import FIRST_COACH_ID, FIRST_PARTICIPANT_ID, Driver, start_token
from bot.sandbox.web import Sandbox
from bot.sandbox.web_resume import note_path
from tests.browser.conftest import AMS, REPO, START, add_participant, plan_appointment
from tests.e2e.harness import buttons

NIGHT = datetime(2026, 10, 19, 23, 0, tzinfo=AMS)


async def call(sandbox: Any, method: str, path: str, body: Any = None, **headers: str) -> Any:
    async with aiohttp.ClientSession() as http:
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["json"] = body
        async with http.request(method, sandbox.url.rstrip("/") + path, **kwargs) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text


async def test_next_with_nothing_scheduled_stays_put(make_sandbox: Any) -> None:
    sandbox = await make_sandbox()
    status, result = await call(sandbox, "POST", "/api/travel", {"step": "next"})
    assert status == 200
    assert result["note"] == "nothing is scheduled" and result["stops"] == 0
    assert sandbox.clock.now() == START
    status, result = await call(sandbox, "POST", "/api/travel", {"step": "hour"})
    assert result["state"]["time"]["clock"] == "12:00"
    status, result = await call(sandbox, "POST", "/api/travel", {"step": "backwards"})
    assert status == 400 and "unknown step" in result["error"]


async def test_a_week_ahead_stops_at_each_check_in(make_sandbox: Any) -> None:
    """+1 week fires the weekly question on its day, not a week late (and expired)."""
    sandbox = await make_sandbox()
    emu, driver = sandbox.emulator, Driver(sandbox.emulator)
    coach = FIRST_COACH_ID
    driver.skip_all(coach)
    emu.send_command(coach, "/newparticipant")
    await driver.next(coach)
    emu.send_text(coach, "Daan")
    await driver.answer(coach, "Nederlands")
    token = start_token((await driver.next(coach, "start="))["text"])
    _, invites = await call(sandbox, "GET", "/api/invites")
    assert [(i["name"], i["status"]) for i in invites] == [("Daan", "open")]

    _, added = await call(
        sandbox, "POST", "/api/phones", {"link": f"https://t.me/x?start={token}", "name": "D"}
    )
    daan = added["user_id"]
    assert daan == FIRST_PARTICIPANT_ID
    for label in ("Nederlands", "Ja", "Woensdag", "Middag"):
        await driver.answer(daan, label)
    await driver.next(coach, "Daan")
    _, invites = await call(sandbox, "GET", "/api/invites")
    assert invites[0]["status"] == "used"
    _, state = await call(sandbox, "GET", "/api/state")
    assert state["next"]["what"] == "checkin" and state["next"]["label"] == "Wed 21 Oct 14:00"

    _, result = await call(sandbox, "POST", "/api/travel", {"step": "week"})
    assert result["state"]["time"]["day"] == "Monday 26 October 2026"
    question = await driver.next(daan, "Hoi Daan")
    # Its two-day answer window ended on the way: a closed question shows no live buttons.
    assert not buttons(question)
    messages = sandbox.messages(daan)
    stamped = next(m for m in messages if m["message_id"] == question["message_id"])
    assert stamped["sandbox"]["day"] == "Wednesday 21 October 2026"
    assert stamped["sandbox"]["time"] == "14:00"


async def test_what_is_coming_names_a_question_set_aside_behind_an_open_one(
    make_sandbox: Any,
) -> None:
    """Daan leaves the day-before reminder unanswered; his weekly question sets it aside.
    No timer says so: "coming" does, and that the reminder expires before his question
    closes."""
    sandbox = await make_sandbox()
    await add_participant(sandbox, "Daan")  # weekly question: Wednesday 14:00
    await plan_appointment(sandbox, "Daan", "22 Oct", "15:00")  # reminder Wednesday 10:00
    await sandbox.machine.travel_to(datetime(2026, 10, 21, 14, 30, tzinfo=AMS))

    _, state = await call(sandbox, "GET", "/api/state")
    coming = [(c["what"], c["who"], c["why"], c["label"], c["expires"]) for c in state["coming"]]
    assert ("checkin", "Daan", "open", "Fri 23 Oct 14:00", None) in coming
    assert coming[-1] == ("reminder_day_before", "Daan", "set_aside", None, "Thu 22 Oct 15:00")
    assert state["next"]["why"] == "" and state["next"]["what"] == "reminder_soon"
    assert not state["quiet"]["active"]


async def test_at_night_unasked_messages_wait_for_the_morning_and_the_page_says_so(
    make_sandbox: Any,
) -> None:
    sandbox = await make_sandbox(start=NIGHT)
    _, state = await call(sandbox, "GET", "/api/state")
    assert state["quiet"] == {"active": True, "start": "09:00", "end": "20:00", "until": "09:00"}

    await add_participant(sandbox, "Daan", night=True)  # "Daan joined" for the coach waits
    coach_messages = len(sandbox.emulator.bot_messages(FIRST_COACH_ID))
    _, state = await call(sandbox, "GET", "/api/state")
    held = state["coming"][0]
    assert (held["who"], held["why"], held["label"]) == ("Sanne", "quiet_hours", "Tue 20 Oct 09:00")
    assert "Daan joined" in held["text"] and state["next"] == held

    status, result = await call(sandbox, "POST", "/api/travel", {"step": "window"})
    assert status == 200 and result["state"]["time"]["clock"] == "09:00"
    assert not result["state"]["quiet"]["active"]
    note = sandbox.emulator.bot_messages(FIRST_COACH_ID)[coach_messages]
    assert "Daan joined" in note["text"]
    assert sandbox.messages(FIRST_COACH_ID)[-1]["sandbox"]["time"] == "09:00"
    status, result = await call(sandbox, "POST", "/api/travel", {"step": "window"})
    assert status == 400 and "not quiet hours" in result["error"]


async def test_a_chosen_button_that_has_a_tick_gets_no_second_one(make_sandbox: Any) -> None:
    sandbox = await make_sandbox()
    await add_participant(sandbox, "Daan")
    await plan_appointment(sandbox, "Daan", "19 Oct", "13:00")  # today
    driver = Driver(sandbox.emulator)
    driver.skip_all(FIRST_COACH_ID)
    await sandbox.machine.travel_to(datetime(2026, 10, 19, 14, 0, tzinfo=AMS))
    await driver.answer(FIRST_COACH_ID, "Came")
    await driver.next(FIRST_COACH_ID)  # the bot's thanks: the edit went out before it
    chosen = [
        label
        for message in sandbox.emulator.bot_messages(FIRST_COACH_ID)
        for label, _ in buttons(message)
        if "Came" in label
    ]
    assert chosen == ["✅ Came"]


async def test_phones_refuse_bad_input_and_strangers_get_the_bot_s_answer(
    make_sandbox: Any,
) -> None:
    sandbox = await make_sandbox()
    status, result = await call(sandbox, "POST", "/api/phones", {"kind": "participant"})
    assert status == 400 and "invite link" in result["error"]
    status, result = await call(sandbox, "POST", "/api/phones", {"kind": "stranger"})
    stranger = result["user_id"]
    reply = await Driver(sandbox.emulator).next(stranger)
    assert "link" in reply["text"]
    status, result = await call(sandbox, "POST", "/api/phones", {"kind": "coach", "name": "Kim"})
    reply = await Driver(sandbox.emulator).next(result["user_id"])
    assert "Kim" in reply["text"]
    status, result = await call(sandbox, "POST", f"/api/phones/{stranger}/text", {"text": ""})
    assert status == 400


async def test_only_this_address_and_same_site_json_posts(make_sandbox: Any) -> None:
    sandbox = await make_sandbox()
    status, _ = await call(sandbox, "GET", "/api/state", Host="evil.example:80")
    assert status == 403
    status, _ = await call(
        sandbox, "POST", "/api/travel", {"step": "day"}, Origin="http://evil.example"
    )
    assert status == 403
    async with (
        aiohttp.ClientSession() as http,
        http.post(sandbox.url + "api/travel", data="step=day") as response,
    ):
        assert response.status == 415
    status, _ = await call(sandbox, "GET", "/static/..%2Fweb.py")
    assert status == 404
    assert sandbox.clock.now() == START


def test_coachbot_run_without_token_serves_the_demo_on_localhost(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--demo", "--sandbox-port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 45
        assert process.stdout is not None
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            match = re.search(r"open (http://127\.0\.0\.1:\d+/)", line)
            url = match.group(1) if match else None
        assert url, process.stderr.read() if process.stderr else "no output"
        with urllib.request.urlopen(url + "api/state", timeout=10) as response:
            state = json.load(response)
        with urllib.request.urlopen(url, timeout=10) as response:
            html = response.read().decode()
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=20)
    assert code == 0
    assert [p["name"] for p in state["phones"]] == ["Sanne", "Daan", "Ayşe", "Amira"]
    # The sandbox clock started at the real time (the demo ends there too).
    sandbox_now = datetime.fromisoformat(state["time"]["at"])
    assert abs(sandbox_now - datetime.now(UTC)) < timedelta(minutes=5)
    assert not re.search(r"""(?:src|href)=["'](?!/)""", html)
    assert not (tmp_path / "coachbot.sqlite3").exists()  # the sandbox used a temporary file


def _start_cli(args: list[str], cwd: Path) -> tuple[subprocess.Popen[str], str]:
    """`coachbot run` without a token; the process and the page's address."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", *args, "--sandbox-port", "0"],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 45
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        match = re.search(r"open (http://127\.0\.0\.1:\d+/)", line)
        if match:
            return process, match.group(1)
    process.kill()
    _, err = process.communicate(timeout=10)
    raise AssertionError(f"the sandbox did not start: {err}")


def _stop_cli(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return err


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_coachbot_run_resumes_a_sandbox_database_it_made(tmp_path: Path) -> None:
    db = tmp_path / "play.sqlite3"
    process, url = _start_cli(["--db", str(db)], tmp_path)
    try:
        kim = _post(url + "api/phones", {"kind": "coach", "name": "Kim"})["user_id"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            phones = _get(url + "api/state")["phones"]
            if [p["role"] for p in phones] == ["coach", "coach"]:
                break
            time.sleep(0.2)
        moved = _post(url + "api/travel", {"step": "day"})["state"]["time"]
        sanne_chat = _get(url + f"api/chats/{FIRST_COACH_ID}/messages")
    finally:
        _stop_cli(process)
    assert note_path(db).exists() and note_path(db).stat().st_mode & 0o077 == 0

    process, url = _start_cli(["--db", str(db)], tmp_path)
    try:
        state = _get(url + "api/state")
        resumed_chat = _get(url + f"api/chats/{FIRST_COACH_ID}/messages")
        # The bot still knows Kim's phone: a command gets its answer.
        _post(url + f"api/phones/{kim}/text", {"text": "/help"})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            kim_chat = _get(url + f"api/chats/{kim}/messages")
            if kim_chat[-1]["outgoing"] and kim_chat[-2].get("text") == "/help":
                break
            time.sleep(0.2)
    finally:
        err = _stop_cli(process)
    assert "resuming the sandbox" in err
    assert [(p["name"], p["role"]) for p in state["phones"]] == [
        ("Sanne", "coach"),
        ("Kim", "coach"),
    ]
    assert state["time"] == moved  # the sandbox time went on from where it stopped
    assert [(m["message_id"], m["sandbox"]) for m in resumed_chat] == [
        (m["message_id"], m["sandbox"]) for m in sanne_chat
    ]
    assert kim_chat[-1]["outgoing"] and kim_chat[-2]["text"] == "/help"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM people").fetchone()[0] == 2


async def test_a_sandbox_database_changed_after_it_stopped_is_not_resumed(
    tmp_path: Path,
) -> None:
    db = tmp_path / "play.sqlite3"
    sandbox = Sandbox(port=0, start=START, db_path=db)
    await sandbox.start_emulator()
    options = Options(
        token=sandbox.token, db_path=db, content_dir=REPO, api_url=sandbox.api_url, poll_timeout=1
    )
    app = CoachbotApp(options, sandbox.clock, sandbox.settings)
    await app.start()
    try:
        await sandbox.attach(app)
    finally:
        await app.stop()
        await sandbox.stop()
    assert note_path(db).exists()
    with sqlite3.connect(db) as conn:  # as if a real bot had run on it since
        conn.execute("UPDATE people SET name = 'Someone else'")
    before = db.read_bytes()
    with pytest.raises(ValueError, match="changed since the sandbox stopped"):
        await Sandbox(port=0, db_path=db).start_emulator()
    assert db.read_bytes() == before


def test_demo_needs_sandbox_mode(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "TELEGRAM_BOT_TOKEN": "1:x"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "sandbox mode" in result.stderr


def test_sandbox_never_touches_a_database_with_people(tmp_path: Path) -> None:
    used = tmp_path / "prod.sqlite3"
    with sqlite3.connect(used) as conn:
        conn.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO people (name) VALUES ('Sanne')")
    before = used.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--db", str(used), "--sandbox-port", "0"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "already holds 1 people" in result.stderr
    assert used.read_bytes() == before
