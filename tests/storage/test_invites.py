"""storage.invites: a new invite supersedes older unused ones; an invite is used once."""

from __future__ import annotations

from datetime import timedelta

from storage import invites
from storage.db import Conn
from storage.people import Status
from tests.storage.seed import NOW, person


async def test_issuing_an_invite_expires_the_older_unused_ones_now(conn: Conn) -> None:
    pid = await person(conn, "Ayşe", status=Status.INVITED)
    week = timedelta(days=7)
    await invites.issue(conn, NOW, pid, "hash-1", NOW + week)
    later = NOW + timedelta(hours=1)

    await invites.issue(conn, later, pid, "hash-2", later + week)

    first, second = await invites.by_hash(conn, "hash-1"), await invites.by_hash(conn, "hash-2")
    assert first is not None and second is not None
    assert first.expires_at == later
    assert (second.person_id, second.created_at, second.expires_at, second.used_at) == (
        pid,
        later,
        later + week,
        None,
    )


async def test_an_unknown_hash_finds_nothing(conn: Conn) -> None:
    assert await invites.by_hash(conn, "nope") is None


async def test_an_invite_is_marked_used_only_once(conn: Conn) -> None:
    pid = await person(conn, "Ayşe", status=Status.INVITED)
    await invites.issue(conn, NOW, pid, "hash", NOW + timedelta(days=7))
    invite = await invites.by_hash(conn, "hash")
    assert invite is not None

    assert await invites.mark_used(conn, NOW, invite.id) is True
    assert await invites.mark_used(conn, NOW + timedelta(minutes=1), invite.id) is False
    used = await invites.by_hash(conn, "hash")
    assert used is not None and used.used_at == NOW
