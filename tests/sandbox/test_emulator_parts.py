"""The emulator's parts on their own: the registry, the World and its seams, faults, limits,
formatting, reply markup and the webhook URL check (no HTTP server, no bot)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from bot.sandbox.emulator import ApiError, ChatState, Emulator, MessageRecord, users
from bot.sandbox.emulator.faults import Faults
from bot.sandbox.emulator.formatting import format_text
from bot.sandbox.emulator.limits import RateLimits
from bot.sandbox.emulator.markup import inline_only, parse_reply_markup
from bot.sandbox.emulator.params import Params
from bot.sandbox.emulator.registry import METHODS, canonical
from bot.sandbox.emulator.sending import send_message
from bot.sandbox.emulator.webhook import check_webhook_url
from bot.sandbox.emulator.world import World

TOKEN = "123456:TEST-TOKEN"


def test_registry_maps_every_method_to_a_handler_of_world_and_params() -> None:
    assert len(METHODS) == 34
    for name, handler in METHODS.items():
        assert inspect.iscoroutinefunction(handler), name
        assert list(inspect.signature(handler).parameters) == ["world", "p"], name
    assert canonical("SENDMESSAGE") == "sendMessage"
    assert canonical("getme") == "getMe"
    assert canonical("sendSticker") is None


async def test_world_seams_see_every_message_and_event() -> None:
    world = World(TOKEN, seed=1)
    stored: list[tuple[int, bool]] = []
    events: list[tuple[int, str]] = []
    keep, note = world.keep_message, world.note_event

    def store(chat: ChatState, message: dict[str, Any], outgoing: bool) -> MessageRecord:
        stored.append((message["message_id"], outgoing))
        return keep(chat, message, outgoing)

    def event(chat_id: int, message_id: int, kind: str, outgoing: bool) -> None:
        events.append((message_id, kind))
        note(chat_id, message_id, kind, outgoing)

    world.store, world.event = store, event
    users.send_text(world, 7, "hello")
    sent = await send_message(world, Params({"chat_id": 7, "text": "hi"}))
    assert sent["message_id"] == 2
    assert stored == [(1, False), (2, True)]
    assert events == [(1, "new"), (2, "new")]
    assert world.seq == 2


def test_world_resolves_chats_with_telegrams_errors() -> None:
    world = World(TOKEN)
    users.add_user(world, 7, "Ann")
    with pytest.raises(ApiError, match="can't initiate conversation"):
        world.writable_chat(7)
    world.register_chat({"id": -5, "type": "supergroup", "title": "S", "username": "Club"})
    world.register_chat({"id": 8, "type": "private", "first_name": "B", "username": "bee"})
    assert world.find_chat("@club").chat["id"] == -5
    with pytest.raises(ApiError, match="chat not found"):
        world.find_chat("@bee")  # @username never finds a private chat
    with pytest.raises(ApiError, match="chat_id is empty"):
        world.find_chat("")


def test_the_update_queue_honours_allowed_updates_and_offsets() -> None:
    world = World(TOKEN, seed=3)
    first = world.enqueue("message", {"text": "a"})["update_id"]
    assert world.enqueue("chat_member", {})["update_id"] is None  # opt-in only
    world.set_allowed_updates(["callback_query", "no_such_update"])
    assert world.allowed_updates == ["callback_query"]
    assert world.enqueue("message", {"text": "b"})["update_id"] is None
    world.enqueue("callback_query", {"id": "q"})
    world.confirm(first + 1)
    assert [list(u)[1] for u in world.updates] == ["callback_query"]


def test_faults_are_taken_in_order_and_counted() -> None:
    faults = Faults()
    faults.inject("sendMessage", 429, count=2)
    faults.inject("*", "500")
    first = faults.take("sendMessage")
    assert first is not None
    assert first.error().body()["parameters"] == {"retry_after": 1}
    assert faults.take("getMe") is not None  # the wildcard comes next for another method
    assert faults.take("sendMessage") is first
    assert faults.take("sendMessage") is None
    with pytest.raises(ValueError, match="unknown fault kind"):
        faults.inject("getMe", "boom")


def test_rate_limits_answer_429_per_chat_until_disabled() -> None:
    limits = RateLimits()
    limits.check("sendMessage", {"chat_id": 1})  # off by default
    limits.check("sendMessage", {"chat_id": 1})
    limits.enforce(per_chat_per_sec=1, global_per_sec=None, per_group_per_min=None)
    limits.check("sendMessage", {"chat_id": 1})
    limits.check("sendMessage", {"chat_id": 2})
    limits.check("getMe", {"chat_id": 1})  # only send methods count
    with pytest.raises(ApiError) as caught:
        limits.check("sendMessage", {"chat_id": 1})
    assert caught.value.error_code == 429
    limits.disable()
    limits.check("sendMessage", {"chat_id": 1})


def test_format_text_parses_modes_and_enforces_limits() -> None:
    def nobody(_: int) -> dict[str, Any] | None:
        return None

    text, entities = format_text("<b>hi</b> there", "HTML", None, nobody)
    assert (text, entities) == ("hi there", [{"type": "bold", "offset": 0, "length": 2}])
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        format_text("x", "rst", None, nobody)
    with pytest.raises(ApiError, match="can't parse entities"):
        format_text("*open", "MarkdownV2", None, nobody)
    with pytest.raises(ApiError, match="caption is too long"):
        format_text("x" * 1025, None, None, nobody, caption=True)


def test_reply_markup_is_validated_like_telegram() -> None:
    inline, other = parse_reply_markup('{"inline_keyboard": [[{"text": "A", "url": "a.nl"}]]}')
    assert inline == {"inline_keyboard": [[{"text": "A", "url": "http://a.nl/"}]]}
    assert other is None
    inline, other = parse_reply_markup({"keyboard": [["Yes", {"text": "No"}]]})
    assert inline is None and other is not None
    assert other["keyboard"] == [[{"text": "Yes"}, {"text": "No"}]]
    with pytest.raises(ApiError, match="Text buttons are unallowed"):
        parse_reply_markup({"inline_keyboard": [[{"text": "A"}]]})
    with pytest.raises(ApiError, match="BUTTON_DATA_INVALID"):
        parse_reply_markup({"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]})
    with pytest.raises(ApiError, match="inline keyboard expected"):
        inline_only({"remove_keyboard": True})


def test_webhooks_are_delivered_to_this_machine_only() -> None:
    check_webhook_url("http://127.0.0.1:8443/hook")
    check_webhook_url("https://localhost/hook")
    with pytest.raises(ApiError, match="only delivers to"):
        check_webhook_url("https://example.com/hook")
    with pytest.raises(ApiError, match="HTTPS URL must be provided"):
        check_webhook_url("ftp://127.0.0.1/hook")


def test_the_emulator_listens_on_this_machine_only() -> None:
    with pytest.raises(ValueError, match="only listens"):
        Emulator(host="0.0.0.0")
    with pytest.raises(ValueError, match="token must look like"):
        Emulator(token="nonsense")
