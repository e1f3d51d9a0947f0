"""Waiting for a bot message, and telling what the chat holds when none comes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.sandbox.emulator.reading import messages, render
from bot.sandbox.emulator.world import World

Predicate = Callable[[dict[str, Any]], bool] | str | None


async def wait_for_bot_message(
    world: World,
    chat_id: int,
    predicate: Predicate = None,
    timeout: float = 5.0,
    after: int | None = None,
    *,
    include_edits: bool = False,
) -> dict[str, Any]:
    """Wait for a bot message in ``chat_id`` that the test has not seen yet.

    Without ``after`` it considers messages sent after the chat's read mark; the mark
    moves to "now" whenever a user acts (send_*, press_button, ...) and past each message
    this function returns, so consecutive calls walk through the bot's replies in order.
    With ``after`` it considers bot messages whose message_id is greater, ignoring the
    mark. ``predicate`` is a callable on the Message dict or a substring of its
    text/caption. ``include_edits`` also matches bot edits (the edited message is
    returned, with ``edit_date``). Raises TimeoutError describing the chat otherwise.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = _scan(world, chat_id, predicate, after, include_edits)
        if found is not None:
            return found
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise TimeoutError(describe_chat(world, chat_id, predicate, timeout, after))
        await world.wait_change(remaining)


def _scan(
    world: World, chat_id: int, predicate: Predicate, after: int | None, include_edits: bool
) -> dict[str, Any] | None:
    chat = world.chats.get(chat_id)
    if chat is None:
        return None
    mark = world.read_seq.get(chat_id, 0)
    for event in world.events:
        if event["chat_id"] != chat_id or not event["outgoing"]:
            continue
        if event["kind"] not in (("new", "edit") if include_edits else ("new",)):
            continue
        if after is None and event["seq"] <= mark:
            continue
        if after is not None and event["message_id"] <= after:
            continue
        record = world.live_message(chat, event["message_id"])
        if record is None:
            continue
        message = render(record)
        if _matches(predicate, message):
            world.read_seq[chat_id] = max(mark, event["seq"])
            return message
    return None


def describe_chat(
    world: World,
    chat_id: int,
    predicate: Predicate = None,
    timeout: float | None = None,
    after: int | None = None,
) -> str:
    """A readable account of a chat and the bot's recent calls (for failures)."""
    wanted = "any" if predicate is None else repr(predicate)
    lines = [
        f"no bot message in chat {chat_id} matching {wanted}"
        + (f" within {timeout}s" if timeout is not None else "")
        + (f" after message_id {after}" if after is not None else "")
        + f" (read mark at event {world.read_seq.get(chat_id, 0)})."
    ]
    history = messages(world, chat_id, include_deleted=True)
    lines.append(f"Chat {chat_id} holds {len(history)} message(s):")
    lines.extend(f"  {_summary(message)}" for message in history[-12:])
    related = [
        e
        for e in world.call_log
        if e["method"] != "getUpdates" and str(e["params"].get("chat_id")) == str(chat_id)
    ]
    errors = [e for e in world.call_log if not e["ok"] and e["method"] != "getUpdates"]
    lines.append("Recent bot calls for this chat:")
    lines.extend(f"  {_call_summary(e)}" for e in related[-6:])
    if errors:
        lines.append("Recent failed calls:")
        lines.extend(f"  {_call_summary(e)}" for e in errors[-4:])
    lines.append(f"Pending updates not fetched by the bot: {len(world.updates)}")
    return "\n".join(lines)


def _matches(predicate: Predicate, message: dict[str, Any]) -> bool:
    if predicate is None:
        return True
    if isinstance(predicate, str):
        return predicate in (message.get("text") or message.get("caption") or "")
    return bool(predicate(message))


def _summary(message: dict[str, Any]) -> str:
    who = "bot " if message.get("outgoing") else "user"
    if "text" in message:
        body = f"text {message['text'][:80]!r}"
    elif "photo" in message:
        body = "photo"
    else:
        body = next((k for k in ("voice", "document", "sticker") if k in message), "other")
    if message.get("caption"):
        body += f" caption {message['caption'][:60]!r}"
    buttons = [
        f"{b['text']}({b.get('callback_data', b.get('url', ''))})"
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
    ]
    if buttons:
        body += f" buttons {buttons}"
    flags = "".join(
        (
            " [edited]" if message.get("edit_date") else "",
            " [deleted]" if message.get("deleted") else "",
        )
    )
    return f"#{message['message_id']} {who} {body}{flags}"


def _call_summary(entry: dict[str, Any]) -> str:
    params = {k: v for k, v in entry["params"].items() if k in ("chat_id", "message_id", "text")}
    outcome = "ok" if entry["ok"] else f"{entry.get('error_code')} {entry.get('description')}"
    return f"{entry['method']} {params} -> {outcome}"
