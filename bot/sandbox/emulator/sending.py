"""Bot API methods that send a message: sendMessage, copyMessage, forwardMessage.

Also what every sending method shares: reply targets, protected content, reply keyboards,
formatted text and captions. (sendChatAction, which sends no message, is here too.)
"""

from __future__ import annotations

import copy
from typing import Any

from bot.sandbox.emulator.answers import bad_request
from bot.sandbox.emulator.formatting import format_text
from bot.sandbox.emulator.markup import parse_reply_markup
from bot.sandbox.emulator.params import Params
from bot.sandbox.emulator.records import ChatState, MessageRecord
from bot.sandbox.emulator.text import Entity
from bot.sandbox.emulator.world import World

CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note",
     "upload_video_note"}
)  # fmt: skip
# Keys holding a message's content: what copyMessage and forwardMessage carry over.
CONTENT_KEYS = frozenset(
    {"text", "photo", "document", "voice", "audio", "video", "video_note", "animation",
     "sticker", "contact", "location", "venue", "poll", "dice", "caption", "caption_entities",
     "entities", "has_media_spoiler", "show_caption_above_media", "game", "story"}
)  # fmt: skip


# -- what the sending methods share ------------------------------------------------------------


def message_text(world: World, p: Params) -> tuple[str, list[Entity]]:
    """The formatted ``text`` of sendMessage/editMessageText (never empty)."""
    raw_text = p.get_str("text")
    if not raw_text:
        raise bad_request("message text is empty")
    text, entities = format_text(
        raw_text, p.get_str("parse_mode"), p.get_list("entities"), world.lookup_user
    )
    if not text:
        raise bad_request("message text is empty")
    return text, entities


def caption(world: World, p: Params) -> dict[str, Any]:
    """``caption`` and ``caption_entities`` of a media message (empty when there is none)."""
    text, entities = format_text(
        p.get_str("caption"),
        p.get_str("parse_mode"),
        p.get_list("caption_entities"),
        world.lookup_user,
        True,
    )
    content: dict[str, Any] = {}
    if text:
        content["caption"] = text
        if entities:
            content["caption_entities"] = entities
    return content


def reply_target(world: World, chat: ChatState, p: Params) -> dict[str, Any] | None:
    """The ``reply_to_message`` a send asks for (reply_parameters or reply_to_message_id)."""
    params = p.get_obj("reply_parameters")
    allow = p.get_bool("allow_sending_without_reply")
    message_id: int | None = None
    if params is not None:
        message_id = Params(params).get_int("message_id")
        allow = Params(params).get_bool("allow_sending_without_reply", allow)
        other = params.get("chat_id")
        if other not in (None, "") and world.find_chat(other) is not chat:
            raise bad_request("replies to messages in other chats are not supported here")
    elif p.has("reply_to_message_id"):
        message_id = p.get_int("reply_to_message_id")
    if message_id is None:
        return None
    record = world.live_message(chat, message_id)
    if record is None:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return world.snapshot(record)


def extras(p: Params) -> dict[str, Any]:
    """Message fields that follow from send options (protect_content)."""
    extra: dict[str, Any] = {}
    if p.get_bool("protect_content"):
        extra["has_protected_content"] = True
    return extra


def apply_keyboard(chat: ChatState, other: dict[str, Any] | None) -> None:
    """Remember the reply keyboard the user now sees (not part of the Message)."""
    if other is None:
        return
    if other.get("keyboard") is not None:
        chat.reply_keyboard = other
    elif other.get("remove_keyboard"):
        chat.reply_keyboard = None


# -- the methods ----------------------------------------------------------------------------


async def send_message(world: World, p: Params) -> dict[str, Any]:
    chat = world.writable_chat(p.raw("chat_id"))
    text, entities = message_text(world, p)
    markup, other = parse_reply_markup(p.raw("reply_markup"))
    reply_to = reply_target(world, chat, p)
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    extra = extras(p)
    preview = p.get_obj("link_preview_options")
    if preview:
        extra["link_preview_options"] = preview
    elif p.get_bool("disable_web_page_preview"):
        extra["link_preview_options"] = {"is_disabled": True}
    apply_keyboard(chat, other)
    return world.bot_message(chat, content, reply_to, markup, extra)


async def send_chat_action(world: World, p: Params) -> bool:
    chat = world.writable_chat(p.raw("chat_id"))
    action = p.get_str("action") or ""
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.last_action = action
    return True


def _source_message(world: World, p: Params, what: str) -> MessageRecord:
    source_chat = world.find_chat(p.raw("from_chat_id"))
    record = world.live_message(source_chat, p.get_int("message_id"))
    if record is None:
        raise bad_request(f"message to {what} not found")
    return record


async def copy_message(world: World, p: Params) -> dict[str, int]:
    record = _source_message(world, p, "copy")
    chat = world.writable_chat(p.raw("chat_id"))
    content = {k: copy.deepcopy(v) for k, v in record.message.items() if k in CONTENT_KEYS}
    if not any(k in content for k in CONTENT_KEYS - {"caption", "caption_entities"}):
        raise bad_request("message can't be copied")
    if "text" not in content and (p.has("caption") or p.get_bool("remove_caption")):
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(caption(world, p))
    markup, other = parse_reply_markup(p.raw("reply_markup"))
    reply_to = reply_target(world, chat, p)
    apply_keyboard(chat, other)
    message = world.bot_message(chat, content, reply_to, markup, extras(p))
    return {"message_id": message["message_id"]}


async def forward_message(world: World, p: Params) -> dict[str, Any]:
    record = _source_message(world, p, "forward")
    chat = world.writable_chat(p.raw("chat_id"))
    original = record.message
    origin = original.get("forward_origin")
    if origin is None:
        if original["chat"]["type"] == "channel":
            origin = {
                "type": "channel",
                "date": original["date"],
                "chat": original["chat"],
                "message_id": original["message_id"],
            }
        else:
            sender = original.get("from") or world.bot_user
            origin = {"type": "user", "date": original["date"], "sender_user": sender}
    content = {k: copy.deepcopy(v) for k, v in original.items() if k in CONTENT_KEYS}
    extra = {"forward_origin": copy.deepcopy(origin), **extras(p)}
    return world.bot_message(chat, content, None, None, extra)
