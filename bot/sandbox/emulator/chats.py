"""Bot API methods about chats: getChat, leaveChat and the chat menu button."""

from __future__ import annotations

from typing import Any

from bot.sandbox.emulator.answers import bad_request
from bot.sandbox.emulator.params import Params
from bot.sandbox.emulator.world import World


async def get_chat(world: World, p: Params) -> dict[str, Any]:
    chat = world.find_chat(p.raw("chat_id"))
    info = dict(chat.chat)
    info.update(
        {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }
    )
    return info


async def leave_chat(world: World, p: Params) -> bool:
    chat = world.find_chat(p.raw("chat_id"))
    if chat.chat["type"] == "private":
        raise bad_request("chat member status can't be changed in private chats")
    chat.left = True
    return True


async def set_chat_menu_button(world: World, p: Params) -> bool:
    button = p.get_obj("menu_button") or {"type": "default"}
    if button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("unsupported menu button type")
    if p.has("chat_id"):
        world.find_chat(p.raw("chat_id")).menu_button = button
    else:
        world.default_menu_button = button
    return True


async def get_chat_menu_button(world: World, p: Params) -> dict[str, Any]:
    if p.has("chat_id"):
        button = world.find_chat(p.raw("chat_id")).menu_button
        if button is not None:
            return dict(button)
    return dict(world.default_menu_button)
