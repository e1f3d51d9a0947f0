"""Message-level Bot API methods of the emulator: send, copy, forward, edit, delete."""

from __future__ import annotations

import copy
import re
from typing import Any

from bot.sandbox.emulator.answers import ApiError, bad_request
from bot.sandbox.emulator.botinfo import BotMethods
from bot.sandbox.emulator.files import MAX_PHOTO_SIZE, MAX_UPLOAD_SIZE
from bot.sandbox.emulator.markup import inline_only, parse_reply_markup
from bot.sandbox.emulator.params import Params, Upload
from bot.sandbox.emulator.world import (
    ChatState,
    MessageRecord,
)

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


class MessageMethods(BotMethods):
    """Bot API methods that create or change messages (``api_<name>``)."""

    def _reply_target(self, chat: ChatState, p: Params) -> dict[str, Any] | None:
        params = p.get_obj("reply_parameters")
        allow = p.get_bool("allow_sending_without_reply")
        message_id: int | None = None
        if params is not None:
            message_id = Params(params).get_int("message_id")
            allow = Params(params).get_bool("allow_sending_without_reply", allow)
            other = params.get("chat_id")
            if other not in (None, "") and self._find_chat(other) is not chat:
                raise bad_request("replies to messages in other chats are not supported here")
        elif p.has("reply_to_message_id"):
            message_id = p.get_int("reply_to_message_id")
        if message_id is None:
            return None
        record = self._live_message(chat, message_id)
        if record is None:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return self.snapshot(record)

    def _extras(self, p: Params) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if p.get_bool("protect_content"):
            extra["has_protected_content"] = True
        return extra

    def _apply_keyboard(self, chat: ChatState, other: dict[str, Any] | None) -> None:
        """Remember the reply keyboard the user now sees (not part of the Message)."""
        if other is None:
            return
        if other.get("keyboard") is not None:
            chat.reply_keyboard = other
        elif other.get("remove_keyboard"):
            chat.reply_keyboard = None

    async def api_sendMessage(self, p: Params) -> dict[str, Any]:
        chat = self._writable_chat(p.raw("chat_id"))
        raw_text = p.get_str("text")
        if not raw_text:
            raise bad_request("message text is empty")
        text, entities = self._format(raw_text, p.get_str("parse_mode"), p.get_list("entities"))
        if not text:
            raise bad_request("message text is empty")
        markup, other = parse_reply_markup(p.raw("reply_markup"))
        reply_to = self._reply_target(chat, p)
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        extra = self._extras(p)
        preview = p.get_obj("link_preview_options")
        if preview:
            extra["link_preview_options"] = preview
        elif p.get_bool("disable_web_page_preview"):
            extra["link_preview_options"] = {"is_disabled": True}
        self._apply_keyboard(chat, other)
        return self._bot_message(chat, content, reply_to, markup, extra)

    def _caption(self, p: Params) -> dict[str, Any]:
        caption, entities = self._format(
            p.get_str("caption"), p.get_str("parse_mode"), p.get_list("caption_entities"), True
        )
        content: dict[str, Any] = {}
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        return content

    def _file_input(self, p: Params, name: str) -> Upload | str:
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

    async def _send_media(self, p: Params, kind: str) -> dict[str, Any]:
        chat = self._writable_chat(p.raw("chat_id"))
        source = self._file_input(p, kind)
        caption = self._caption(p)
        markup, other = parse_reply_markup(p.raw("reply_markup"))
        reply_to = self._reply_target(chat, p)
        content: dict[str, Any]
        if kind == "photo":
            if isinstance(source, Upload):
                if len(source.data) > MAX_PHOTO_SIZE:
                    raise bad_request("file is too big")
                content = {"photo": self.files.photo_sizes(source.data)}
            else:
                content = {"photo": self.files.photo_group(source)}
        elif kind == "document":
            if isinstance(source, Upload):
                document = self.files.document(source.data, source.filename, source.content_type)
            else:
                document = dict(self.files.reuse(source, "document").meta)
            content = {"document": document}
        else:
            if isinstance(source, Upload):
                mime = source.content_type
                if mime in (None, "", "application/octet-stream"):
                    mime = "audio/ogg"
                voice = self.files.voice(source.data, p.get_int("duration", 0) or 0, mime)
            else:
                voice = dict(self.files.reuse(source, "voice").meta)
            content = {"voice": voice}
        content.update(caption)
        if p.get_bool("has_spoiler") and kind == "photo":
            content["has_media_spoiler"] = True
        self._apply_keyboard(chat, other)
        return self._bot_message(chat, content, reply_to, markup, self._extras(p))

    async def api_sendPhoto(self, p: Params) -> dict[str, Any]:
        return await self._send_media(p, "photo")

    async def api_sendDocument(self, p: Params) -> dict[str, Any]:
        return await self._send_media(p, "document")

    async def api_sendVoice(self, p: Params) -> dict[str, Any]:
        return await self._send_media(p, "voice")

    async def api_sendChatAction(self, p: Params) -> bool:
        chat = self._writable_chat(p.raw("chat_id"))
        action = p.get_str("action") or ""
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.last_action = action
        return True

    def _source_message(self, p: Params, what: str) -> MessageRecord:
        source_chat = self._find_chat(p.raw("from_chat_id"))
        record = self._live_message(source_chat, p.get_int("message_id"))
        if record is None:
            raise bad_request(f"message to {what} not found")
        return record

    async def api_copyMessage(self, p: Params) -> dict[str, int]:
        record = self._source_message(p, "copy")
        chat = self._writable_chat(p.raw("chat_id"))
        content = {k: copy.deepcopy(v) for k, v in record.message.items() if k in CONTENT_KEYS}
        if not any(k in content for k in CONTENT_KEYS - {"caption", "caption_entities"}):
            raise bad_request("message can't be copied")
        if "text" not in content and (p.has("caption") or p.get_bool("remove_caption")):
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._caption(p))
        markup, other = parse_reply_markup(p.raw("reply_markup"))
        reply_to = self._reply_target(chat, p)
        self._apply_keyboard(chat, other)
        message = self._bot_message(chat, content, reply_to, markup, self._extras(p))
        return {"message_id": message["message_id"]}

    async def api_forwardMessage(self, p: Params) -> dict[str, Any]:
        record = self._source_message(p, "forward")
        chat = self._writable_chat(p.raw("chat_id"))
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
                sender = original.get("from") or self.bot_user
                origin = {"type": "user", "date": original["date"], "sender_user": sender}
        content = {k: copy.deepcopy(v) for k, v in original.items() if k in CONTENT_KEYS}
        extra = {"forward_origin": copy.deepcopy(origin), **self._extras(p)}
        return self._bot_message(chat, content, None, None, extra)

    def _editable(self, p: Params) -> tuple[ChatState, MessageRecord]:
        if p.has("inline_message_id"):
            raise bad_request("inline messages are not supported by the emulator")
        if not p.has("message_id"):
            raise bad_request("message identifier is not specified")
        chat = self._find_chat(p.raw("chat_id"))
        user = self._users.get(chat.chat["id"])
        if chat.chat["type"] == "private" and user is not None and user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        record = self._live_message(chat, p.get_int("message_id"))
        if record is None:
            raise bad_request("message to edit not found")
        if not record.outgoing:
            raise bad_request("message can't be edited")
        return chat, record

    def _commit_edit(
        self, chat: ChatState, record: MessageRecord, changes: dict[str, Any], drop: tuple[str, ...]
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
        ordered = {k: updated[k] for k in ("message_id", "from", "chat", "date") if k in updated}
        ordered["edit_date"] = self.now()
        ordered.update({k: v for k, v in updated.items() if k not in ordered})
        if "reply_markup" in ordered:
            ordered["reply_markup"] = ordered.pop("reply_markup")
        record.message = ordered
        self._event(chat.chat["id"], ordered["message_id"], "edit", True)
        return copy.deepcopy(ordered)

    async def api_editMessageText(self, p: Params) -> dict[str, Any]:
        chat, record = self._editable(p)
        if "text" not in record.message:
            raise bad_request("there is no text in the message to edit")
        raw_text = p.get_str("text")
        if not raw_text:
            raise bad_request("message text is empty")
        text, entities = self._format(raw_text, p.get_str("parse_mode"), p.get_list("entities"))
        if not text:
            raise bad_request("message text is empty")
        changes: dict[str, Any] = {
            "text": text,
            "entities": entities or None,
            "reply_markup": inline_only(p.raw("reply_markup")),
        }
        preview = p.get_obj("link_preview_options")
        if preview:
            changes["link_preview_options"] = preview
        return self._commit_edit(chat, record, changes, ("entities",))

    async def api_editMessageCaption(self, p: Params) -> dict[str, Any]:
        chat, record = self._editable(p)
        if "text" in record.message:
            raise bad_request("there is no caption in the message to edit")
        changes = {"caption": None, "caption_entities": None, **self._caption(p)}
        changes["reply_markup"] = inline_only(p.raw("reply_markup"))
        return self._commit_edit(chat, record, changes, ("caption", "caption_entities"))

    async def api_editMessageReplyMarkup(self, p: Params) -> dict[str, Any]:
        chat, record = self._editable(p)
        changes = {"reply_markup": inline_only(p.raw("reply_markup"))}
        return self._commit_edit(chat, record, changes, ())

    def _delete(self, chat: ChatState, message_id: int | None) -> bool:
        record = self._live_message(chat, message_id)
        if record is None:
            return False
        if chat.chat["type"] != "private" and not record.outgoing:
            raise bad_request("message can't be deleted")
        record.deleted = True
        self._event(chat.chat["id"], record.message["message_id"], "delete", record.outgoing)
        return True

    async def api_deleteMessage(self, p: Params) -> bool:
        chat = self._find_chat(p.raw("chat_id"))
        if not self._delete(chat, p.get_int("message_id")):
            raise bad_request("message to delete not found")
        return True

    async def api_deleteMessages(self, p: Params) -> bool:
        chat = self._find_chat(p.raw("chat_id"))
        ids = p.get_list("message_ids") or []
        if not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 message identifiers")
        for message_id in ids:
            self._delete(chat, int(message_id))
        return True
