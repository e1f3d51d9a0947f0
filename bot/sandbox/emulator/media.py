"""Bot API methods for files: sendPhoto, sendDocument, sendVoice and getFile."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.emulator.answers import ApiError, bad_request
from bot.sandbox.emulator.files import MAX_DOWNLOAD_SIZE, MAX_PHOTO_SIZE, MAX_UPLOAD_SIZE
from bot.sandbox.emulator.markup import parse_reply_markup
from bot.sandbox.emulator.params import Params, Upload
from bot.sandbox.emulator.sending import apply_keyboard, caption, extras, reply_target
from bot.sandbox.emulator.world import World


def _file_input(p: Params, name: str) -> Upload | str:
    """An uploaded file (also via ``attach://``) or a file_id; URLs cannot be fetched here."""
    value = p.raw(name)
    if isinstance(value, str) and value.startswith("attach://"):
        value = p.raw(value[len("attach://") :])
    if isinstance(value, Upload):
        if len(value.data) > MAX_UPLOAD_SIZE:
            raise ApiError(413, "Request Entity Too Large")
        return value
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"there is no {name} in the request")
    if re.match(r"^https?://", value.strip(), re.IGNORECASE):
        raise bad_request("failed to get HTTP URL content")
    return value


async def _send_media(world: World, p: Params, kind: str) -> dict[str, Any]:
    files = world.files
    chat = world.writable_chat(p.raw("chat_id"))
    source = _file_input(p, kind)
    content_caption = caption(world, p)
    markup, other = parse_reply_markup(p.raw("reply_markup"))
    reply_to = reply_target(world, chat, p)
    content: dict[str, Any]
    if kind == "photo":
        if isinstance(source, Upload):
            if len(source.data) > MAX_PHOTO_SIZE:
                raise bad_request("file is too big")
            content = {"photo": files.photo_sizes(source.data)}
        else:
            content = {"photo": files.photo_group(source)}
    elif kind == "document":
        if isinstance(source, Upload):
            document = files.document(source.data, source.filename, source.content_type)
        else:
            document = dict(files.reuse(source, "document").meta)
        content = {"document": document}
    else:
        if isinstance(source, Upload):
            mime = source.content_type
            if mime in (None, "", "application/octet-stream"):
                mime = "audio/ogg"
            voice = files.voice(source.data, p.get_int("duration", 0) or 0, mime)
        else:
            voice = dict(files.reuse(source, "voice").meta)
        content = {"voice": voice}
    content.update(content_caption)
    if p.get_bool("has_spoiler") and kind == "photo":
        content["has_media_spoiler"] = True
    apply_keyboard(chat, other)
    return world.bot_message(chat, content, reply_to, markup, extras(p))


async def send_photo(world: World, p: Params) -> dict[str, Any]:
    return await _send_media(world, p, "photo")


async def send_document(world: World, p: Params) -> dict[str, Any]:
    return await _send_media(world, p, "document")


async def send_voice(world: World, p: Params) -> dict[str, Any]:
    return await _send_media(world, p, "voice")


async def get_file(world: World, p: Params) -> dict[str, Any]:
    stored = world.files.get((p.get_str("file_id") or "").strip())
    if stored is None:
        raise bad_request("invalid file id")
    if len(stored.data) > MAX_DOWNLOAD_SIZE:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": world.files.path_for(stored),
    }
