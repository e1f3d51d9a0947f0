"""/caseload pages as a property: for any caseload size and any taps of "next", "previous",
an old page's button or a return after an interruption, the page shown is in range, its
buttons and its lines name the people of that page (ten at a time, in the overview's
order), and every person is on exactly one page. Driven through the pure engine with the
shipped flow, the host's own `caseload` source and the shipped texts of every language."""

from __future__ import annotations

import asyncio
import re
from functools import cache
from typing import Any, cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.bundle import Content, load_content, shipped_content_dir
from bot.engine.model import NEXT_PAGE, PAGE_LABELS, PREVIOUS_PAGE, Option
from bot.engine.runner import Answer, Ask, Resume, RunState, Stale, advance, start
from bot.host import sources
from bot.host.names import MAX_NAME
from bot.outbox.sending import MAX_TEXT

PER_PAGE = 10
NAME = re.compile(r"Name-(\d{3})-")
LANGUAGES = ("nl", "en", "tr", "ar", "fa", "so", "ti")
TAPS = ("next", "previous", "old page", "resume")


@cache
def content() -> Content:
    return load_content(shipped_content_dir())


def rows(count: int) -> list[dict[str, Any]]:
    """Lines as bot.host.caseload.caseload_rows makes them, as long as they get."""
    return [
        {
            "id": str(1000 + n),
            "name": f"Name-{n:03d}-".ljust(MAX_NAME, "x"),
            "language": "TI",
            "status": "unreachable",
            "marker": "⚠️",
            "last": "2026-10-01T09:00:00+02:00",
            "next": "2026-10-30T14:30:00+01:00",
            "mood": "😕",
            "survey": "T0✓ T1…",
        }
        for n in range(count)
    ]


def buttons_of(rows_: list[dict[str, Any]]) -> dict[str, list[Option]]:
    """The host's own source, given the run's vars (it reads nothing else)."""
    ask = sources.Ask(cast(Any, None), cast(Any, None), cast(Any, None), {"rows": rows_})
    return {"caseload": list(asyncio.run(sources.caseload(ask)))}


def check_page(asked: Ask, people: list[str], language: str) -> int:
    """The page `asked` shows is in range and shows its own ten people, in buttons and in
    lines; returns its number (from 1)."""
    pages = max(1, -(-len(people) // PER_PAGE))
    page = asked.vars["page"]
    assert 1 <= page <= pages and asked.vars["pages"] == pages
    own = people[(page - 1) * PER_PAGE : page * PER_PAGE]
    values = [o.value for o in asked.options]
    assert values == own + [PREVIOUS_PAGE] * (page > 1) + [NEXT_PAGE] * (page < pages)
    assert asked.vars["on_page"] == own
    text = content().catalogs.render(asked.key, language, asked.vars, content().tz)
    assert [str(1000 + int(n)) for n in NAME.findall(text)] == own
    assert len(text.encode("utf-16-le")) // 2 <= MAX_TEXT
    if language != "nl":  # its own words, not the Dutch fallback of a broken template
        dutch = content().catalogs.render(asked.key, "nl", asked.vars, content().tz)
        assert text.splitlines()[0] != dutch.splitlines()[0]
    return int(page)


def last_ask(actions: tuple[Any, ...]) -> Ask | None:
    asked = [a for a in actions if isinstance(a, Ask)]
    return asked[-1] if asked else None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    count=st.integers(min_value=1, max_value=95),
    taps=st.lists(st.sampled_from(TAPS), max_size=30),
    language=st.sampled_from(LANGUAGES),
)
def test_every_person_is_on_exactly_one_page_and_the_page_stays_in_range(
    count: int, taps: list[str], language: str
) -> None:
    flow = content().flows["caseload"]
    lines = rows(count)
    found = buttons_of(lines)
    people = [o.value for o in found["caseload"]]
    assert people == [r["id"] for r in lines]  # the buttons keep the overview's order
    result = start(flow, {"rows": lines}, found)
    state: RunState = result.state
    asked = last_ask(result.actions)
    assert asked is not None
    page = check_page(asked, people, language)
    seen: dict[int, list[str]] = {page: asked.vars["on_page"]}
    for tap in taps:
        before = state
        if tap == "old page":
            if state.seq == state.asked:
                continue  # no older page yet
            result = advance(flow, state, Answer(seq=state.asked, value=people[0]), found)
            assert result.actions == (Stale(),) and result.state == before
            continue
        if tap == "resume":
            result = advance(flow, state, Resume(), found)
        else:
            value = NEXT_PAGE if tap == "next" else PREVIOUS_PAGE
            if value not in {o.value for o in state.options}:
                continue  # not shown: there is nothing to tap
            result = advance(flow, state, Answer(seq=state.seq, value=value), found)
        asked = last_ask(result.actions)
        assert asked is not None and not result.state.answers  # turning is no answer
        state = result.state
        expected = page + {"next": 1, "previous": -1, "resume": 0}[tap]
        page = check_page(asked, people, language)
        assert page == expected
        seen[page] = asked.vars["on_page"]
    # Walk the rest of the way to the last page, then count who was on which page.
    while NEXT_PAGE in {o.value for o in state.options}:
        result = advance(flow, state, Answer(seq=state.seq, value=NEXT_PAGE), found)
        state = result.state
        asked = last_ask(result.actions)
        assert asked is not None
        page = check_page(asked, people, language)
        seen[page] = asked.vars["on_page"]
    while PREVIOUS_PAGE in {o.value for o in state.options}:
        result = advance(flow, state, Answer(seq=state.seq, value=PREVIOUS_PAGE), found)
        state = result.state
        asked = last_ask(result.actions)
        assert asked is not None
        page = check_page(asked, people, language)
        seen[page] = asked.vars["on_page"]
    on_some_page = [person for shown in seen.values() for person in shown]
    assert sorted(on_some_page) == sorted(people)  # everyone, and nobody twice
    # A name is taken as the person it names, on whatever page it was.
    chosen = state.options[0]
    assert chosen.value not in PAGE_LABELS
    picked = advance(flow, state, Answer(seq=state.seq, value=chosen.value), found)
    assert picked.state.answers == {"pick": chosen.value}
