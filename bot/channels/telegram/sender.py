"""The dispatcher's Telegram seam, over python-telegram-bot; maps its errors once."""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.callbacks import keyboard
from bot.channels.telegram.qr import qr_png
from bot.channels.telegram.request import NotSent
from bot.errors import Rejected, RetryLater, SendError, Transient, Uncertain, Unreachable
from storage.outbox import Keyboard


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
        if isinstance(err, NotSent):
            return Transient(str(err))  # never reached Telegram: safe to send again
        if isinstance(err.__cause__, aiohttp.ClientError | TimeoutError):
            return Uncertain(str(err))  # it went out; the answer got lost
        return Transient(str(err))  # a 5xx answer: Telegram says it did not take it
    return Rejected(str(err))


class TelegramSender:
    """Texts, copies and button edits go out raw (`do_api_request`): only the message id is
    read back, not parsed into a Message (a third of the send cost, finding 2)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def _call(self, endpoint: str, **params: Any) -> Any:
        try:
            return await self.bot.do_api_request(endpoint, api_kwargs=params)
        except TelegramError as err:
            raise map_error(err) from err

    async def send_text(self, chat_id: int, text: str, buttons: Keyboard) -> int:
        params: dict[str, Any] = {"chat_id": chat_id, "text": text}
        markup = keyboard(buttons)
        if markup is not None:
            params["reply_markup"] = markup
        return int((await self._call("sendMessage", **params))["message_id"])

    async def copy(self, chat_id: int, from_chat_id: int, message_id: int) -> int:
        result = await self._call(
            "copyMessage", chat_id=chat_id, from_chat_id=from_chat_id, message_id=message_id
        )
        return int(result["message_id"])

    async def send_qr(self, chat_id: int, link: str, caption: str) -> int:
        """A QR code picture of `link` (an invite at an intake) with the text as caption."""
        return await self.send_photo(chat_id, qr_png(link), caption)

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

    async def edit_buttons(self, chat_id: int, message_id: int, buttons: Keyboard) -> int:
        try:
            await self._call(
                "editMessageReplyMarkup",
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=keyboard(buttons),
            )
        except Rejected as err:
            if "not modified" not in str(err).lower():
                raise
        return message_id  # the edited message keeps its id; "not modified" is done too
