"""Bot API methods that change or remove a sent message: editMessage*, deleteMessage(s)."""

from __future__ import annotations

import copy
from typing import Any

from bot.sandbox.emulator.answers import ApiError, bad_request
from bot.sandbox.emulator.markup import inline_only
from bot.sandbox.emulator.params import Params
from bot.sandbox.emulator.records import ChatState, MessageRecord
from bot.sandbox.emulator.sending import caption, message_text
from bot.sandbox.emulator.world import World


def _editable(world: World, p: Params) -> tuple[ChatState, MessageRecord]:
    if p.has("inline_message_id"):
        raise bad_request("inline messages are not supported by the emulator")
    if not p.has("message_id"):
        raise bad_request("message identifier is not specified")
    chat = world.find_chat(p.raw("chat_id"))
    user = world.users.get(chat.chat["id"])
    if chat.chat["type"] == "private" and user is not None and user.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    record = world.live_message(chat, p.get_int("message_id"))
    if record is None:
        raise bad_request("message to edit not found")
    if not record.outgoing:
        raise bad_request("message can't be edited")
    return chat, record


def _commit_edit(
    world: World,
    chat: ChatState,
    record: MessageRecord,
    changes: dict[str, Any],
    drop: tuple[str, ...],
) -> dict[str, Any]:
    current = record.message
    updated = {k: v for k, v in current.items() if k not in drop and k != "reply_markup"}
    updated.update(changes)
    updated = {k: v for k, v in updated.items() if v is not None}
    compare = ("text", "entities", "caption", "caption_entities", "reply_markup")
    if all(current.get(k) == updated.get(k) for k in compare):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    ordered: dict[str, Any] = {
        k: updated[k] for k in ("message_id", "from", "chat", "date") if k in updated
    }
    ordered["edit_date"] = world.now()
    ordered.update({k: v for k, v in updated.items() if k not in ordered})
    if "reply_markup" in ordered:
        ordered["reply_markup"] = ordered.pop("reply_markup")
    record.message = ordered
    world.event(chat.chat["id"], ordered["message_id"], "edit", True)
    return copy.deepcopy(ordered)


async def edit_message_text(world: World, p: Params) -> dict[str, Any]:
    chat, record = _editable(world, p)
    if "text" not in record.message:
        raise bad_request("there is no text in the message to edit")
    text, entities = message_text(world, p)
    changes: dict[str, Any] = {
        "text": text,
        "entities": entities or None,
        "reply_markup": inline_only(p.raw("reply_markup")),
    }
    preview = p.get_obj("link_preview_options")
    if preview:
        changes["link_preview_options"] = preview
    return _commit_edit(world, chat, record, changes, ("entities",))


async def edit_message_caption(world: World, p: Params) -> dict[str, Any]:
    chat, record = _editable(world, p)
    if "text" in record.message:
        raise bad_request("there is no caption in the message to edit")
    changes = {"caption": None, "caption_entities": None, **caption(world, p)}
    changes["reply_markup"] = inline_only(p.raw("reply_markup"))
    return _commit_edit(world, chat, record, changes, ("caption", "caption_entities"))


async def edit_message_reply_markup(world: World, p: Params) -> dict[str, Any]:
    chat, record = _editable(world, p)
    changes = {"reply_markup": inline_only(p.raw("reply_markup"))}
    return _commit_edit(world, chat, record, changes, ())


def _delete(world: World, chat: ChatState, message_id: int | None) -> bool:
    record = world.live_message(chat, message_id)
    if record is None:
        return False
    if chat.chat["type"] != "private" and not record.outgoing:
        raise bad_request("message can't be deleted")
    record.deleted = True
    world.event(chat.chat["id"], record.message["message_id"], "delete", record.outgoing)
    return True


async def delete_message(world: World, p: Params) -> bool:
    chat = world.find_chat(p.raw("chat_id"))
    if not _delete(world, chat, p.get_int("message_id")):
        raise bad_request("message to delete not found")
    return True


async def delete_messages(world: World, p: Params) -> bool:
    chat = world.find_chat(p.raw("chat_id"))
    ids = p.get_list("message_ids") or []
    if not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must contain 1-100 message identifiers")
    for message_id in ids:
        _delete(world, chat, int(message_id))
    return True
