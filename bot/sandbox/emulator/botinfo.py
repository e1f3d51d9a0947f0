"""Bot API methods about the bot itself: getMe, its commands, name and descriptions."""

from __future__ import annotations

import copy
import re
from typing import Any

from bot.sandbox.emulator.answers import bad_request
from bot.sandbox.emulator.params import Params
from bot.sandbox.emulator.world import World

SCOPE_TYPES = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
     "chat_administrators", "chat_member"}
)  # fmt: skip
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


async def get_me(world: World, p: Params) -> dict[str, Any]:
    return {
        **world.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
        "has_topics_enabled": False,
    }


async def log_out(world: World, p: Params) -> bool:
    return True


async def close(world: World, p: Params) -> bool:
    return True


# -- commands ---------------------------------------------------------------------------------


def scope_key(world: World, scope: Any) -> str:
    """Canonical key of a BotCommandScope (validated)."""
    if scope in (None, ""):
        scope = {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope: unsupported scope type")
    kind = scope["type"]
    key: str = kind
    if kind in ("chat", "chat_administrators", "chat_member"):
        chat = world.find_chat(scope.get("chat_id"))
        key += f":{chat.chat['id']}"
    if kind == "chat_member":
        if scope.get("user_id") in (None, ""):
            raise bad_request("user not found")
        key += f":{int(scope['user_id'])}"
    return key


def _language(p: Params) -> str:
    language = p.get_str("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return language


async def set_my_commands(world: World, p: Params) -> bool:
    commands = p.get_list("commands")
    if commands is None:
        raise bad_request("commands must be non-empty")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    clean: list[dict[str, str]] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: expected an Object")
        command = str(item.get("command", ""))
        description = str(item.get("description", ""))
        if not _COMMAND_RE.match(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": command, "description": description})
    key = (scope_key(world, p.get_obj("scope")), _language(p))
    if clean:
        world.commands[key] = clean
    else:
        world.commands.pop(key, None)
    return True


async def delete_my_commands(world: World, p: Params) -> bool:
    world.commands.pop((scope_key(world, p.get_obj("scope")), _language(p)), None)
    return True


async def get_my_commands(world: World, p: Params) -> list[dict[str, str]]:
    key = (scope_key(world, p.get_obj("scope")), _language(p))
    return copy.deepcopy(world.commands.get(key, []))


# -- name and descriptions --------------------------------------------------------------------


def _set_text(world: World, p: Params, kind: str, limit: int) -> bool:
    value = p.get_str(kind) or ""
    if len(value) > limit:
        raise bad_request(f"{kind.replace('_', ' ')} is too long")
    key = (kind, _language(p))
    if value:
        world.bot_texts[key] = value
    else:
        world.bot_texts.pop(key, None)
    return True


def _get_text(world: World, p: Params, kind: str) -> dict[str, str]:
    language = _language(p)
    value = world.bot_texts.get((kind, language), world.bot_texts.get((kind, ""), ""))
    if kind == "name" and not value:
        value = world.bot_user["first_name"]
    return {kind: value}


async def set_my_description(world: World, p: Params) -> bool:
    return _set_text(world, p, "description", 512)


async def get_my_description(world: World, p: Params) -> dict[str, str]:
    return _get_text(world, p, "description")


async def set_my_short_description(world: World, p: Params) -> bool:
    return _set_text(world, p, "short_description", 120)


async def get_my_short_description(world: World, p: Params) -> dict[str, str]:
    return _get_text(world, p, "short_description")


async def set_my_name(world: World, p: Params) -> bool:
    return _set_text(world, p, "name", 64)


async def get_my_name(world: World, p: Params) -> dict[str, str]:
    return _get_text(world, p, "name")
