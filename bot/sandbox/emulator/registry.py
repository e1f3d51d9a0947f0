"""Which function answers which Bot API method."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.emulator import botinfo, callbacks, chats, editing, media, sending, updates
from bot.sandbox.emulator.params import Params
from bot.sandbox.emulator.world import World

Handler = Callable[[World, Params], Awaitable[Any]]

METHODS: dict[str, Handler] = {
    # the bot itself
    "getMe": botinfo.get_me,
    "logOut": botinfo.log_out,
    "close": botinfo.close,
    "setMyCommands": botinfo.set_my_commands,
    "deleteMyCommands": botinfo.delete_my_commands,
    "getMyCommands": botinfo.get_my_commands,
    "setMyDescription": botinfo.set_my_description,
    "getMyDescription": botinfo.get_my_description,
    "setMyShortDescription": botinfo.set_my_short_description,
    "getMyShortDescription": botinfo.get_my_short_description,
    "setMyName": botinfo.set_my_name,
    "getMyName": botinfo.get_my_name,
    # updates
    "getUpdates": updates.get_updates,
    "setWebhook": updates.set_webhook,
    "deleteWebhook": updates.delete_webhook,
    "getWebhookInfo": updates.get_webhook_info,
    # sending
    "sendMessage": sending.send_message,
    "sendChatAction": sending.send_chat_action,
    "copyMessage": sending.copy_message,
    "forwardMessage": sending.forward_message,
    "sendPhoto": media.send_photo,
    "sendDocument": media.send_document,
    "sendVoice": media.send_voice,
    "getFile": media.get_file,
    # editing and deleting
    "editMessageText": editing.edit_message_text,
    "editMessageCaption": editing.edit_message_caption,
    "editMessageReplyMarkup": editing.edit_message_reply_markup,
    "deleteMessage": editing.delete_message,
    "deleteMessages": editing.delete_messages,
    # buttons and chats
    "answerCallbackQuery": callbacks.answer_callback_query,
    "getChat": chats.get_chat,
    "leaveChat": chats.leave_chat,
    "setChatMenuButton": chats.set_chat_menu_button,
    "getChatMenuButton": chats.get_chat_menu_button,
}

# Telegram's method names are case-insensitive: lower-case name -> canonical camelCase name.
NAMES = {name.lower(): name for name in METHODS}


def canonical(method: str) -> str | None:
    """The canonical name of a Bot API method (any case), or None for an unknown one."""
    return NAMES.get(method.lower())
