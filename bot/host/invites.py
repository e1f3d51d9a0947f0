"""Single-use, expiring invite links. Only a hash of the token is stored."""

from __future__ import annotations

import hashlib
from datetime import datetime

from bot.deps import Deps
from storage import invites, people
from storage.db import Conn
from storage.people import Address, Person, Role


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_person(
    conn: Conn,
    now: datetime,
    role: Role,
    name: str,
    *,
    coach_id: int | None = None,
    language: str | None = None,
) -> int:
    return await people.add(conn, now, role, name, coach_id=coach_id, language=language)


async def new_invite(conn: Conn, deps: Deps, person_id: int) -> tuple[str, datetime]:
    """A fresh token for a person (older unused ones stop working)."""
    now = deps.clock.now()
    token = deps.new_token()
    expires = now + deps.settings.invite_ttl
    await invites.issue(conn, now, person_id, token_hash(token), expires)
    return token, expires


async def redeem(conn: Conn, deps: Deps, token: str, address: Address) -> Person | None:
    """The invited person if the token is valid, unused and unexpired and `address`
    may take it (nobody registered yet, or the same person again); marks it used.
    A refused token stays valid for the person it was made for.

    Looking up by hash keeps the comparison off the secret itself; invalid, used and
    expired tokens all give None, so callers answer them the same way.
    """
    now = deps.clock.now()
    invite = await invites.by_hash(conn, token_hash(token))
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        return None
    invited = await people.by_id(conn, invite.person_id)
    holder = await people.by_address(conn, address)
    if invited is None or invited.address is not None or holder is not None:
        return None
    if not await invites.mark_used(conn, now, invite.id):
        return None
    return invited
