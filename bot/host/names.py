"""Names as people type them, made safe to store and to put in messages.

One function for every way a name comes in (a coach adding a participant, a coordinator
inviting a coach, `coachbot invite --name`, any later rename): Unicode NFC; no control,
format or bidi-override characters (a line break in a name would inject a line into every
message that shows it; an override would turn the rest of the line around); runs of
whitespace become one space; at most a few combining marks on one letter; at most
MAX_NAME characters. A zero-width non-joiner stays only between two Arabic-script letters,
where Persian spelling needs it.
"""

from __future__ import annotations

import unicodedata

from bot import outbox
from bot.deps import Deps
from storage.db import Conn
from storage.people import Person

MAX_NAME = 40  # characters (code points)
MAX_MARKS = 4  # combining marks on one letter (Arabic may have two, Vietnamese three)
ZWNJ = "\u200c"
_DROP = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})  # control, format, surrogate, private, none
_ARABIC = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x0870, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)


def normalise_name(typed: str, limit: int = MAX_NAME) -> str:
    """The name to store for what was typed; "" when nothing usable is left (see
    `usable`). Idempotent: a stored name comes back unchanged."""
    name = typed
    for _ in range(8):  # a fixpoint; in practice the second round changes nothing
        again = _once(name, limit)
        if again == name:
            return name
        name = again
    return name


def usable(name: str) -> bool:
    """A stored name needs a letter or a digit (not only marks, symbols or "—")."""
    return any(unicodedata.category(c)[0] in "LN" for c in name)


def changed(typed: str, stored: str) -> bool:
    """Whether to tell the person who typed the name what was stored instead (spaces
    around it and invisible recomposition are not worth a note)."""
    return unicodedata.normalize("NFC", typed).strip() != stored


async def stored_name(conn: Conn, deps: Deps, typist: Person, typed: str) -> str | None:
    """The name to store for what `typist` typed; they are told what was stored when it
    differs from what they typed, or that the name cannot be used (then None)."""
    name = normalise_name(typed)
    if not usable(name):
        await outbox.say(conn, deps, typist, "names.unusable")
        return None
    if changed(typed, name):
        await outbox.say(conn, deps, typist, "names.changed", {"stored": name, "max": MAX_NAME})
    return name


def _once(text: str, limit: int) -> str:
    text = unicodedata.normalize("NFC", text)
    kept: list[str] = []
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Zl", "Zp"):
            if kept and kept[-1] != " ":
                kept.append(" ")
        elif char == ZWNJ or unicodedata.category(char) not in _DROP:
            kept.append(char)
    text = _joiners("".join(kept)).strip()
    text = _limit_marks(text)
    text = _joiners(text[:limit].rstrip()).strip()
    return unicodedata.normalize("NFC", text)


def _joiners(text: str) -> str:
    """Zero-width non-joiners only between two Arabic-script letters."""
    out: list[str] = []
    for i, char in enumerate(text):
        if char == ZWNJ and not (
            out and i < len(text) - 1 and _arabic_letter(out[-1]) and _arabic_letter(text[i + 1])
        ):
            continue
        if char == " " and out and out[-1] == " ":
            continue
        out.append(char)
    return "".join(out)


def _arabic_letter(char: str) -> bool:
    point = ord(char)
    return unicodedata.category(char).startswith("L") and any(
        lo <= point <= hi for lo, hi in _ARABIC
    )


def _limit_marks(text: str) -> str:
    """No mark without a letter before it, at most MAX_MARKS after one."""
    out: list[str] = []
    marks = 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Mc", "Me"):
            if not out or out[-1] == " " or marks >= MAX_MARKS:
                continue
            marks += 1
        else:
            marks = 0
        out.append(char)
    return "".join(out)
