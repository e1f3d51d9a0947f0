"""Bot API methods of update delivery: getUpdates (long polling) and the webhook settings."""

from __future__ import annotations

import asyncio
import copy
import re
from typing import Any

from bot.sandbox.emulator.answers import ApiError, Described, bad_request
from bot.sandbox.emulator.params import Params
from bot.sandbox.emulator.webhook import check_webhook_url
from bot.sandbox.emulator.world import World


async def get_updates(world: World, p: Params) -> list[dict[str, Any]]:
    if world.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    world.set_allowed_updates(p.get_list("allowed_updates"))
    limit = min(100, max(1, p.get_int("limit", 100) or 100))
    timeout = max(0.0, p.get_float("timeout", 0.0))
    return await long_poll(world, p.get_int("offset", 0) or 0, limit, timeout)


async def long_poll(world: World, offset: int, limit: int, timeout: float) -> list[dict[str, Any]]:
    """Confirm up to ``offset``, then wait up to ``timeout`` s for updates, like Telegram."""
    world.poll_generation += 1
    generation = world.poll_generation
    world.notify()  # an older long poll notices it was superseded
    world.confirm(offset)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if world.updates or world.closing:
            return copy.deepcopy(world.updates[:limit])
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return []
        await world.wait_change(remaining)
        if world.poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        if world.webhook is not None:
            raise ApiError(409, "Conflict: terminated by setWebhook request")


async def set_webhook(world: World, p: Params) -> Described:
    url = (p.get_str("url") or "").strip()
    if not url:
        return await delete_webhook(world, p)
    check_webhook_url(url)
    secret = p.get_str("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.get_int("max_connections", 40) or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    world.set_allowed_updates(p.get_list("allowed_updates"))
    if p.get_bool("drop_pending_updates"):
        world.updates.clear()
    hook = {
        "url": url,
        "secret_token": secret,
        "max_connections": max_connections,
        "ip_address": p.get_str("ip_address") or "127.0.0.1",
    }
    previous = world.set_webhook(hook)
    world.notify()  # a waiting getUpdates is terminated by the webhook
    if previous is not None and previous["url"] == url:
        return Described(True, "Webhook is already set")
    return Described(True, "Webhook was set")


async def delete_webhook(world: World, p: Params) -> Described:
    if p.get_bool("drop_pending_updates"):
        world.updates.clear()
    if world.webhook is None:
        return Described(True, "Webhook is already deleted")
    world.set_webhook(None)
    return Described(True, "Webhook was deleted")


async def get_webhook_info(world: World, p: Params) -> dict[str, Any]:
    return webhook_info(world)


def webhook_info(world: World) -> dict[str, Any]:
    """The WebhookInfo object getWebhookInfo returns now."""
    hook = world.webhook
    info: dict[str, Any] = {
        "url": hook["url"] if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(world.updates),
    }
    if hook is None:
        return info
    info["ip_address"] = hook["ip_address"]
    if world.webhook_error is not None:
        info["last_error_date"], info["last_error_message"] = world.webhook_error
    info["max_connections"] = hook["max_connections"]
    if world.allowed_updates:
        info["allowed_updates"] = list(world.allowed_updates)
    return info
