"""Writing outgoing messages as outbox rows, inside the caller's transaction.

Texts are rendered here, in the recipient's language, and cleared from the row once
sent. The dispatcher does the sending after commit. `about` names the participant a
message to a coach is about, so that the coach can answer by replying to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.content.labels import graphemes
from bot.deps import Deps
from bot.engine.model import SCALE_OPTIONS
from storage import outbox as storage_outbox
from storage.db import Conn
from storage.outbox import Button, Copy, EditButtons, Keyboard, Payload, Text
from storage.people import Person


@dataclass(frozen=True)
class Meta:
    """Row details besides the content: timing, and what the row belongs to."""

    unsolicited: bool = False  # obeys the delivery policy: window, pause and stop
    due: datetime | None = None
    expires: datetime | None = None
    run_id: int | None = None
    seq: int | None = None
    about: int | None = None
    tag: str | None = None


def layout(buttons: Sequence[Button]) -> Keyboard:
    """Rows of buttons that fit a phone (the one place that decides).

    A 0–10 scale takes two rows, 0–5 and 6–10, and its extra answers ("rather not say",
    "later") share one row below: three rows instead of thirteen. Other buttons go many
    to a row when short, one to a row when long (length in graphemes, as a reader sees it).
    """
    if tuple(b.label for b in buttons[: len(SCALE_OPTIONS)]) == SCALE_OPTIONS:
        numbers, extras = buttons[: len(SCALE_OPTIONS)], buttons[len(SCALE_OPTIONS) :]
        half = (len(numbers) + 1) // 2
        return _rows(numbers[:half], half) + _rows(numbers[half:], half) + _rows(extras, 2)
    # In order, as many to a row as its longest label allows: four moods two by two, then
    # "not now" and a long "don't ask again" each on a row of their own.
    rows: list[tuple[Button, ...]] = []
    row: tuple[Button, ...] = ()
    for button in buttons:
        widened = (*row, button)
        if row and len(widened) > _per_row(max(graphemes(b.label) for b in widened)):
            rows.append(row)
            widened = (button,)
        row = widened
    return (*rows, row) if row else tuple(rows)


def _per_row(longest: int) -> int:
    return 6 if longest <= 3 else 4 if longest <= 6 else 2 if longest <= 14 else 1


def _rows(buttons: Sequence[Button], per_row: int) -> Keyboard:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def render(
    deps: Deps,
    person: Person | None,
    key: str,
    vars: Mapping[str, Any],
    language: str | None = None,
) -> str:
    lang = language or (person.language if person else None)
    return deps.content.catalogs.render(key, lang, vars, deps.content.tz)


async def insert(
    conn: Conn,
    deps: Deps,
    person: Person | None,
    chat_id: int,
    payload: Payload,
    meta: Meta = Meta(),
) -> int:
    return await storage_outbox.add(
        conn,
        deps.clock.now(),
        person_id=person.id if person else None,
        chat_id=chat_id,
        payload=payload,
        unsolicited=meta.unsolicited,
        due=meta.due,
        expires=meta.expires,
        run_id=meta.run_id,
        seq=meta.seq,
        about=meta.about,
        tag=meta.tag,
    )


async def message(
    conn: Conn,
    deps: Deps,
    person: Person | None,
    chat_id: int,
    text: str,
    *,
    buttons: Sequence[Button] = (),
    unsolicited: bool = False,
    due: datetime | None = None,
    expires: datetime | None = None,
    run_id: int | None = None,
    seq: int | None = None,
    about: int | None = None,
    tag: str | None = None,
    qr: str | None = None,
    document: dict[str, Any] | None = None,
    last_row: Sequence[Button] = (),
) -> int:
    """Queue a text (with buttons, or as the caption of a QR picture or a document).
    `last_row` buttons share one row below the others (a list's "previous" and "next")."""
    keyboard = layout(buttons) + ((tuple(last_row),) if last_row else ())
    payload = Text(text, keyboard, qr, document)
    meta = Meta(unsolicited, due, expires, run_id, seq, about, tag)
    return await insert(conn, deps, person, chat_id, payload, meta)


async def say(
    conn: Conn,
    deps: Deps,
    person: Person,
    key: str,
    vars: Mapping[str, Any] | None = None,
    *,
    unsolicited: bool = False,
    due: datetime | None = None,
    expires: datetime | None = None,
    about: int | None = None,
    tag: str | None = None,
) -> int | None:
    """Render `key` for `person` and queue it; None when the person has no chat."""
    if person.address is None:
        return None
    text = render(deps, person, key, {"name": person.name, **(vars or {})})
    return await message(
        conn,
        deps,
        person,
        person.address.id,
        text,
        unsolicited=unsolicited,
        due=due,
        expires=expires,
        about=about,
        tag=tag,
    )


async def copy(
    conn: Conn,
    deps: Deps,
    person: Person,
    from_chat_id: int,
    message_id: int,
    *,
    about: int | None = None,
    unsolicited: bool = False,
) -> int | None:
    """Pass a message on without storing its content (the messenger copies it)."""
    if person.address is None:
        return None
    meta = Meta(unsolicited=unsolicited, about=about)
    payload = Copy(from_chat_id, message_id)
    return await insert(conn, deps, person, person.address.id, payload, meta)


async def edit_buttons(
    conn: Conn,
    deps: Deps,
    person: Person,
    message_id: int,
    buttons: Sequence[Button],
) -> int | None:
    """Replace the buttons of a message already sent (none: remove them)."""
    if person.address is None:
        return None
    payload = EditButtons(message_id, layout(buttons))
    return await insert(conn, deps, person, person.address.id, payload)
