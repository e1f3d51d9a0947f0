"""Keep a sandbox for another day: its database, with a note beside it, and resume it.

The bot keeps everything in its database, but the phones and chats live in the emulator's
memory and the sandbox time in a ManualClock. So a sandbox started with ``--db FILE`` writes
``FILE.sandbox`` when it stops: the emulator's users and chats, the sandbox time, the time
each message appeared at, the first coach, and the SHA-256 of the database as the bot left
it. Started again on the same file, the sandbox resumes only when that fingerprint matches.
A database the sandbox did not make (no note) or one that changed since it stopped (a real
bot ran on it, or the sandbox did not stop cleanly) is refused and never opened for writing.

Not kept: the bytes of photos (their messages stay, the page says the picture is gone).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage import views

if TYPE_CHECKING:
    from bot.sandbox.emulator import Emulator
    from bot.sandbox.web_travel import TimeMachine

NOTE_VERSION = 1
NOTE_SUFFIX = ".sandbox"


@dataclass(frozen=True)
class Saved:
    """What a stopped sandbox left in its note."""

    clock: datetime  # the sandbox time when it stopped
    coach_id: int | None
    world: dict[str, Any]  # the emulator's users and chats (snapshot_world)
    stamps: list[list[Any]]  # [chat id, message id, ISO time] (TimeMachine.stamps)


def note_path(db_path: Path) -> Path:
    """The note beside a sandbox database: ``sandbox.db`` → ``sandbox.db.sandbox``."""
    return db_path.with_name(db_path.name + NOTE_SUFFIX)


def fingerprint(db_path: Path) -> str:
    """SHA-256 of the database file."""
    digest = hashlib.sha256()
    with db_path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check(db_path: Path) -> Saved | None:
    """None for a new or empty database; what to resume for one this sandbox left.

    Raises ValueError for a database with people that the sandbox did not leave exactly so.
    Only reads: the database is opened read-only, if at all.
    """
    note = note_path(db_path)
    if not db_path.exists() or db_path.stat().st_size == 0:
        return None
    # The fingerprint first: reading the people count must not be what changes the file.
    found = fingerprint(db_path)
    wal = db_path.with_name(db_path.name + "-wal")
    unfinished = wal.exists() and wal.stat().st_size > 0
    people = views.people_in_file(db_path)
    if not people:
        return None
    if not note.exists():
        raise ValueError(
            f"{db_path} already holds {people} people: the sandbox only starts from an empty "
            "database, or resumes one it made itself (it keeps a note beside it, "
            f"{note.name}). Leave out --db (a temporary file is used) or set "
            "TELEGRAM_BOT_TOKEN."
        )
    try:
        data = json.loads(note.read_text("utf-8"))
        same = data["version"] == NOTE_VERSION and data["fingerprint"] == found
        saved = Saved(
            datetime.fromisoformat(data["clock"]),
            data.get("coach_id"),
            data["world"],
            data["stamps"],
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{note} cannot be read ({err}): {db_path} is not resumed") from None
    if not same or unfinished:
        raise ValueError(
            f"{db_path} changed since the sandbox stopped (or the sandbox did not stop "
            "cleanly), so it is not resumed: the sandbox only resumes a database exactly as "
            "it left it. Use a new --db file, or leave out --db."
        )
    return saved


def save(
    db_path: Path,
    clock: datetime,
    coach_id: int | None,
    emulator: Emulator,
    machine: TimeMachine,
) -> Path:
    """Write the note for a database the bot has closed; returns its path."""
    note = note_path(db_path)
    data = {
        "version": NOTE_VERSION,
        "fingerprint": fingerprint(db_path),
        "clock": clock.isoformat(),
        "coach_id": coach_id,
        "world": snapshot_world(emulator),
        "stamps": machine.stamps(),
    }
    partial = note.with_name(note.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    # Chats hold what people wrote: private to this user, like the database.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(data, file, ensure_ascii=False)
    partial.replace(note)
    return note


def snapshot_world(emulator: Emulator) -> dict[str, Any]:
    """The emulator's users and chats, JSON-ready; messages in the order they appeared."""
    world = emulator.world
    order = {(e["chat_id"], e["message_id"]): e["seq"] for e in world.events if e["kind"] == "new"}
    return {
        "next_update_id": world.next_update_id,
        "users": [
            {"user": state.user, "blocked": state.blocked, "started": state.started}
            for state in world.users.values()
        ],
        "chats": [
            {
                "chat": chat.chat,
                "chat_instance": chat.chat_instance,
                "next_message_id": chat.next_message_id,
                "messages": [
                    {
                        "message": record.message,
                        "outgoing": record.outgoing,
                        "deleted": record.deleted,
                        "seq": order.get((chat_id, message_id), 0),
                    }
                    for message_id, record in chat.messages.items()
                ],
            }
            for chat_id, chat in world.chats.items()
        ],
    }


def restore_world(emulator: Emulator, saved: dict[str, Any]) -> None:
    """Put users and chats back into a fresh emulator (before the bot talks to it)."""
    world = emulator.world
    # Update ids go on from where they were: the bot drops an update_id it has seen.
    world.next_update_id = max(world.next_update_id, int(saved["next_update_id"]))
    for item in saved["users"]:
        state = world.register_user(item["user"])
        state.blocked = bool(item["blocked"])
        state.started = bool(item["started"])
    messages = []
    for item in saved["chats"]:
        chat = world.register_chat(item["chat"])
        chat.chat_instance = str(item["chat_instance"])
        messages += [(m["seq"], chat, m) for m in item["messages"]]
    for _, chat, m in sorted(messages, key=lambda found: found[0]):
        record = world.store(chat, m["message"], bool(m["outgoing"]))
        record.deleted = bool(m["deleted"])
    for item in saved["chats"]:
        chat = world.chats[item["chat"]["id"]]
        # Message ids go on too: the bot matches a reply to the message it answers by id.
        chat.next_message_id = max(chat.next_message_id, int(item["next_message_id"]))
