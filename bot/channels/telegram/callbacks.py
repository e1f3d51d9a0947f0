"""Buttons as Telegram sees them: a Press encoded in callback data, and back.

`a:<run>:<seq>:<option>` stays far below Telegram's 64 bytes; an inert button (a choice
already made) carries `x`. Anything else pressed decodes to None: stale or forged.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit

from storage.outbox import Keyboard, Press

INERT = "x"
_LARGEST = 2**62  # beyond any id SQLite can hold: forged


def encode(press: Press | None) -> str:
    if press is None:
        return INERT
    data = f"a:{press.run_id}:{press.seq}:{press.option}"
    assert len(data.encode()) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
    return data


def decode(data: str | None) -> Press | None:
    parts = (data or "").split(":")
    if len(parts) != 4 or parts[0] != "a":
        return None
    try:
        run_id, seq, option = (int(p) for p in parts[1:])
    except ValueError:
        return None
    if not all(0 <= n < _LARGEST for n in (run_id, seq, option)):
        return None
    return Press(run_id, seq, option)


def keyboard(rows: Keyboard) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=encode(b.press)) for b in row]
            for row in rows
        ]
    )
