"""Raw updates: any Update payload a test queues (groups, channels, members, stickers...)."""

from __future__ import annotations

import copy
from typing import Any

from bot.sandbox.emulator.world import MESSAGE_UPDATE_TYPES, World


def send_raw_update(world: World, payload: dict[str, Any]) -> dict[str, Any]:
    """Queue any update (group messages, channel posts, my_chat_member, stickers, ...).

    ``update_id`` is assigned. Chats and users found in it become known to the emulator
    so the bot can answer; new messages get a ``message_id``/``date`` if they lack one
    and are recorded in their chat's history.
    """
    body_fields = [key for key in payload if key != "update_id"]
    if len(body_fields) != 1 or not isinstance(payload[body_fields[0]], dict):
        raise ValueError("an update has exactly one object field besides update_id")
    kind = body_fields[0]
    body = copy.deepcopy(payload[kind])
    sender = body.get("from")
    if isinstance(sender, dict) and "id" in sender:
        world.register_user(sender)
    if kind in MESSAGE_UPDATE_TYPES:
        body = _record_message(world, kind, body)
    elif kind == "callback_query":
        body.setdefault("id", world.new_id())
        body.setdefault("chat_instance", str(world.rng.getrandbits(63)))
        world.callbacks[body["id"]] = {"query": body, "answer": None}
    elif kind in ("my_chat_member", "chat_member", "chat_join_request"):
        chat = world.register_chat(body["chat"])
        status = (body.get("new_chat_member") or {}).get("status")
        if kind == "my_chat_member" and chat.chat["type"] == "private":
            user = world.users.get(chat.chat["id"])
            if user is not None:
                user.blocked = status == "kicked"
        elif kind == "my_chat_member":
            chat.left = status in ("left", "kicked")
    return world.enqueue(kind, body)


def _record_message(world: World, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(body.get("chat"), dict) or "id" not in body["chat"]:
        raise ValueError(f"{kind} needs a chat with an id")
    chat = world.register_chat(body["chat"])
    chat.left = False
    sender = body.get("from")
    if chat.chat["type"] == "private" and isinstance(sender, dict):
        world.users[sender["id"]].started = True
    if not kind.startswith("edited_"):
        body.setdefault("message_id", chat.next_message_id)
    body.setdefault("date", world.now())
    head = ("message_id", "from", "sender_chat", "chat", "date")
    body = {**{k: body[k] for k in head if k in body}, **body}
    record = world.live_message(chat, body.get("message_id"))
    if kind.startswith("edited_"):
        if record is not None:
            record.message = copy.deepcopy(body)
            world.event(chat.chat["id"], body["message_id"], "edit", False)
    else:
        world.store(chat, copy.deepcopy(body), False)
    return body
