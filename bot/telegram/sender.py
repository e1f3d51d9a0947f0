"""The dispatcher's Telegram seam, over python-telegram-bot; maps its errors once."""

from __future__ import annotations

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.errors import Rejected, RetryLater, SendError, Transient, Uncertain, Unreachable

Rows = list[list[tuple[str, str]]]


def keyboard(rows: Rows | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def map_error(err: TelegramError) -> SendError:
    """python-telegram-bot's errors → ours. The order matters: subclasses first."""
    if isinstance(err, RetryAfter):
        seconds = err.retry_after
        return RetryLater(
            seconds.total_seconds() if hasattr(seconds, "total_seconds") else float(seconds)
        )
    if isinstance(err, Forbidden):
        return Unreachable(str(err))
    if isinstance(err, BadRequest):
        if "chat not found" in str(err).lower():
            return Unreachable(str(err))
        return Rejected(str(err))
    if isinstance(err, NetworkError):  # includes TimedOut and 5xx answers
        cause = err.__cause__
        if isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ConnectError):
            return Transient(str(err))  # never reached Telegram: safe to send again
        if isinstance(cause, httpx.TimeoutException | httpx.ReadError | httpx.RemoteProtocolError):
            return Uncertain(str(err))  # it went out; the answer got lost
        return Transient(str(err))  # a 5xx answer: Telegram says it did not take it
    return Rejected(str(err))


class TelegramSender:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_text(self, chat_id: int, text: str, buttons: Rows | None) -> int:
        try:
            message = await self.bot.send_message(chat_id, text, reply_markup=keyboard(buttons))
        except TelegramError as err:
            raise map_error(err) from err
        return message.message_id

    async def copy(self, chat_id: int, from_chat_id: int, message_id: int) -> int:
        try:
            copied = await self.bot.copy_message(chat_id, from_chat_id, message_id)
        except TelegramError as err:
            raise map_error(err) from err
        return copied.message_id

    async def send_photo(self, chat_id: int, photo: bytes, caption: str) -> int:
        try:
            message = await self.bot.send_photo(chat_id, photo, caption=caption[:1024])
        except TelegramError as err:
            raise map_error(err) from err
        return message.message_id

    async def send_document(self, chat_id: int, filename: str, content: bytes, caption: str) -> int:
        try:
            message = await self.bot.send_document(
                chat_id, content, filename=filename, caption=caption[:1024]
            )
        except TelegramError as err:
            raise map_error(err) from err
        return message.message_id

    async def edit_buttons(self, chat_id: int, message_id: int, buttons: Rows) -> int:
        try:
            result = await self.bot.edit_message_reply_markup(
                chat_id, message_id, reply_markup=keyboard(buttons)
            )
        except BadRequest as err:
            if "not modified" in str(err).lower():
                return message_id  # already as wanted: done
            raise map_error(err) from err
        except TelegramError as err:
            raise map_error(err) from err
        return result.message_id if isinstance(result, Message) else message_id
