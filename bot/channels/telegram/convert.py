"""Telegram Update → Inbound (plain data). Nothing here logs update contents."""

from __future__ import annotations

from typing import TypedDict

from telegram import Message, Update
from telegram.constants import ChatType, MessageEntityType

from bot.channels.telegram.callbacks import decode
from bot.host.inbound import Inbound


class _Sent(TypedDict):
    """What every kind of message shares (the keyword arguments of `Inbound`)."""

    update_id: int
    user_id: int
    chat_id: int
    chat_type: str
    message_id: int
    language_code: str | None
    reply_to_message_id: int | None


def to_inbound(update: Update) -> Inbound | None:
    """The event the bot acts on, or None for updates it ignores on purpose.

    Edited messages are ignored: editing an old `/pause` must not run it again.
    """
    member = update.my_chat_member
    if member is not None:
        # Someone blocked or unblocked the bot, or added it to a group or channel.
        return Inbound(
            update_id=update.update_id,
            kind="membership",
            user_id=member.from_user.id,
            chat_id=member.chat.id,
            chat_type=member.chat.type,
            text=member.new_chat_member.status,
        )
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        chat = message.chat if isinstance(message, Message) else None
        return Inbound(
            update_id=update.update_id,
            kind="callback",
            user_id=query.from_user.id,
            chat_id=chat.id if chat else query.from_user.id,
            chat_type=chat.type if chat else ChatType.PRIVATE,
            message_id=message.message_id if message else None,
            press=decode(query.data),
            language_code=query.from_user.language_code,
        )
    message = update.message
    if message is None or message.from_user is None:
        return None
    if message.from_user.is_bot:
        return None
    base: _Sent = {
        "update_id": update.update_id,
        "user_id": message.from_user.id,
        "chat_id": message.chat.id,
        "chat_type": message.chat.type,
        "message_id": message.message_id,
        "language_code": message.from_user.language_code,
        "reply_to_message_id": (
            message.reply_to_message.message_id if message.reply_to_message else None
        ),
    }
    text = message.text
    if text is not None:
        entity = message.entities[0] if message.entities else None
        if (
            entity is not None
            and entity.type == MessageEntityType.BOT_COMMAND
            and entity.offset == 0
        ):
            word = text[1 : entity.length]
            command = word.split("@", 1)[0].lower()
            args = text[entity.length :].strip() or None
            return Inbound(kind="command", command=command, args=args, **base)
        return Inbound(kind="text", text=text, **base)
    if message.photo:
        return Inbound(kind="photo", **base)
    if message.voice is not None:
        return Inbound(kind="voice", **base)
    if message.document is not None:
        return Inbound(kind="document", **base)
    if any(
        (
            message.video,
            message.video_note,
            message.audio,
            message.sticker,
            message.location,
            message.contact,
            message.animation,
        )
    ):
        return Inbound(kind="media", **base)  # passed on to the coach like any message
    return Inbound(kind="other", **base)
