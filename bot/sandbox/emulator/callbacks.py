"""The Bot API method that answers a pressed inline button: answerCallbackQuery."""

from __future__ import annotations

from bot.sandbox.emulator.answers import bad_request
from bot.sandbox.emulator.params import Params
from bot.sandbox.emulator.world import World


async def answer_callback_query(world: World, p: Params) -> bool:
    query = world.callbacks.get(p.get_str("callback_query_id") or "")
    if query is None or query["answer"] is not None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    answer = {
        key: p.raw(key)
        for key in ("text", "show_alert", "url", "cache_time")
        if p.raw(key) is not None
    }
    if "show_alert" in answer:
        answer["show_alert"] = p.get_bool("show_alert")
    query["answer"] = answer
    world.notify()
    return True
