"""/caseload for a large caseload, through the real bot and the emulator: ten people to a
page, unreachable and quiet people first, "previous" and "next" below; a name on any page
opens that person's menu, and a button of a page that was turned away from (or of a list
closed days ago) answers truthfully instead of acting on whoever stands there now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.host.invites import create_person
from storage.people import TELEGRAM, Address, Role, Status, by_address, update
from storage.times import to_db
from tests.e2e.harness import COACH, Harness, buttons, register_coach

NAMES = [
    "Amal", "Amina", "Ayşe", "Bilal", "Dawit", "Elif", "Emre", "Fatima", "Hamid", "Hodan",
    "Idris", "Jamal", "Karim", "Leyla", "Mariam", "Nasrin", "Omar", "Parisa", "Rahel", "Reza",
    "Saida", "Samir", "Tesfay", "Yusuf", "Zahra",
]  # fmt: skip
QUIET = ("Samir", "Elif")  # gone silent: first, by name
UNREACHABLE = "Omar"  # first too
FIRST = ["Elif", "Omar", "Samir"]
NEXT = "next ▶️"
PREVIOUS = "◀️ previous"


async def caseload_of(h: Harness, names: list[str]) -> dict[str, int]:
    """Sanne's participants, written straight into the database (the caseload is what is
    tested here, not how people join)."""
    now = h.clock.now()
    made: dict[str, int] = {}
    async with h.deps.db.transaction() as conn:
        coach = await by_address(conn, Address(TELEGRAM, COACH))
        assert coach is not None
        for name in names:
            pid = await create_person(conn, now, Role.PARTICIPANT, name, coach_id=coach.id)
            await update(conn, pid, status=Status.ACTIVE.value, language="en")
            made[name] = pid
        for name in set(QUIET) & set(made):
            await update(conn, made[name], silent_since=to_db(now - timedelta(days=15)))
        if UNREACHABLE in made:
            await update(conn, made[UNREACHABLE], status=Status.UNREACHABLE.value)
    return made


def live(message: dict[str, Any]) -> list[str]:
    return [label for label, data in buttons(message) if data != "x"]


def names_on(message: dict[str, Any]) -> list[str]:
    return [label for label in live(message) if label not in (NEXT, PREVIOUS)]


def lines_of(message: dict[str, Any]) -> list[str]:
    """The names the text lists, in order (a line is `marker name · language · …`)."""
    found = []
    for line in message["text"].splitlines():
        if " · EN · " in line:
            found.append(line.split(" · ")[0].split(" ", 1)[1])
    return found


async def settle(h: Harness) -> None:
    for _ in range(30):
        await h.tick()


async def keyboard_now(h: Harness, message: dict[str, Any]) -> list[tuple[str, str]]:
    await settle(h)
    found = [m for m in h.emu.bot_messages(COACH) if m["message_id"] == message["message_id"]]
    return buttons(found[-1])


async def toast(h: Harness, message: dict[str, Any], label: str) -> str | None:
    """Press `label` on `message` as the chat still shows it, even if its buttons went;
    return the bot's short answer to the press."""
    data = next(d for text, d in buttons(message) if text == label)
    update_ = h.emu.press_button(COACH, message["message_id"], data, force=True)
    query = update_["callback_query"]["id"]
    for _ in range(100):
        if h.emu.callback_answer(query):
            break
        await h.tick()
    return (h.emu.callback_answer(query) or {}).get("text")


async def open_pages(h: Harness) -> list[dict[str, Any]]:
    """/caseload, then "next" until the last page; every page as it came."""
    h.emu.send_command(COACH, "/caseload")
    pages = [await h.next_message(COACH, "Your participants")]
    while NEXT in live(pages[-1]):
        await h.press(COACH, NEXT)
        pages.append(await h.next_message(COACH, "Your participants"))
    return pages


async def test_25_people_in_three_pages_and_a_name_on_page_3_opens_their_menu(
    harness: Harness,
) -> None:
    h = harness
    await register_coach(h)
    await caseload_of(h, NAMES)

    pages = await open_pages(h)

    assert [p["text"].splitlines()[0] for p in pages] == [
        f"👥 Your participants (25) · page {n} of 3:" for n in (1, 2, 3)
    ]
    on_pages = [names_on(p) for p in pages]
    assert [len(names) for names in on_pages] == [10, 10, 5]
    everyone = [name for names in on_pages for name in names]
    assert sorted(everyone) == sorted(NAMES)  # each person on exactly one page
    assert everyone[:3] == FIRST  # quiet and unreachable first, by name
    assert everyone[3:] == sorted(set(NAMES) - set(FIRST))
    assert [lines_of(p) for p in pages] == on_pages  # the lines name the buttons' people
    assert pages[0]["text"].splitlines()[1:4] == [
        "🔇 Elif · EN · active",
        "⚠️ Omar · EN · unreachable",
        "🔇 Samir · EN · active",
    ]
    # The page buttons share their own row, below the names.
    rows = [[b["text"] for b in row] for row in pages[1]["reply_markup"]["inline_keyboard"]]
    assert rows[-1] == [PREVIOUS, NEXT]
    assert [[b["text"] for b in r] for r in pages[2]["reply_markup"]["inline_keyboard"]][-1] == [
        PREVIOUS
    ]
    # A page that was turned keeps its text and loses its buttons.
    assert await keyboard_now(h, pages[0]) == []
    assert await keyboard_now(h, pages[1]) == []

    chosen = on_pages[2][2]  # "Yusuf"
    await h.press(COACH, chosen)
    menu = await h.next_message(COACH, "what would you like to do")
    assert menu["text"].startswith(f"{chosen}: ")
    assert len(live(menu)) == 9
    pick = await h.deps.db.scalar(
        "SELECT value FROM events WHERE type = 'answer' AND flow_id = 'caseload'"
        " AND step = 'pick' ORDER BY id DESC LIMIT 1"
    )
    made = await h.deps.db.scalar("SELECT id FROM people WHERE name = ?", (chosen,))
    assert pick == str(made)


async def test_back_a_page_and_an_old_page_says_it_is_out_of_date(harness: Harness) -> None:
    h = harness
    await register_coach(h)
    await caseload_of(h, NAMES)
    h.emu.send_command(COACH, "/caseload")
    first = await h.next_message(COACH, "page 1 of 3")
    await h.press(COACH, NEXT)
    second = await h.next_message(COACH, "page 2 of 3")
    before = len(h.emu.bot_messages(COACH))

    # Page 1 as the chat may still show it: its first name now stands for nobody.
    assert await toast(h, first, names_on(first)[0]) == (
        "This list is out of date. Please use the newest message. 👇"
    )
    await settle(h)
    assert len(h.emu.bot_messages(COACH)) == before  # no menu for anyone
    stale = await h.deps.db.fetchall("SELECT value FROM events WHERE type = 'stale_press'")
    assert [r["value"] for r in stale] == ["outdated"]

    await h.press(COACH, PREVIOUS)
    again = await h.next_message(COACH, "page 1 of 3")
    assert names_on(again) == names_on(first) and live(again)[-1] == NEXT
    assert await keyboard_now(h, second) == []
    await h.press(COACH, FIRST[0])
    await h.next_message(COACH, f"{FIRST[0]}: what would you like to do")


async def test_a_page_left_open_for_days_still_names_the_same_person(harness: Harness) -> None:
    h = harness
    await register_coach(h)
    made = await caseload_of(h, NAMES)
    h.emu.send_command(COACH, "/caseload")
    await h.next_message(COACH, "page 1 of 3")
    await h.press(COACH, NEXT)
    second = await h.next_message(COACH, "page 2 of 3")
    shown = names_on(second)
    # Meanwhile the first person of page 2 goes quiet: a new /caseload would list them
    # first, but this page's buttons still stand for the people they name.
    async with h.deps.db.transaction() as conn:
        await update(conn, made[shown[0]], silent_since=to_db(h.clock.now()))
    await h.advance(timedelta(days=3))
    await h.press(COACH, shown[1])
    await h.next_message(COACH, f"{shown[1]}: what would you like to do")


async def test_a_list_closed_by_a_later_command_says_so_days_later(harness: Harness) -> None:
    h = harness
    await register_coach(h)
    await caseload_of(h, NAMES)
    h.emu.send_command(COACH, "/caseload")
    await h.next_message(COACH, "page 1 of 3")
    await h.press(COACH, NEXT)
    second = await h.next_message(COACH, "page 2 of 3")
    await settle(h)  # a person reads before they type
    h.emu.send_command(COACH, "/caseload")  # the same command again starts it afresh
    fresh = await h.next_message(COACH, "page 1 of 3")
    assert await keyboard_now(h, second) == []
    await h.advance(timedelta(days=3))
    assert await toast(h, second, names_on(second)[0]) == "This question is closed."
    await settle(h)
    assert not any("what would you like to do" in t for t in h.all_texts(COACH))
    assert live(fresh)  # the new list still works


async def test_ten_people_are_one_page_without_page_buttons_and_none_say_so(
    harness: Harness,
) -> None:
    h = harness
    await register_coach(h)
    h.emu.send_command(COACH, "/caseload")
    await h.next_message(COACH, "no participants yet")
    await caseload_of(h, NAMES[:10])
    h.emu.send_command(COACH, "/caseload")
    page = await h.next_message(COACH, "Your participants (10):")
    assert "page" not in page["text"].splitlines()[0]
    assert sorted(live(page)) == sorted(NAMES[:10])
