"""The Telegram emulator, exercised with the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.sandbox.emulator import Emulator, make_png

USER = 1001
OTHER = 1002


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(seed=7)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[Bot]:
    async with Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url) as client:
        yield client


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data)] for text, data in pairs]
    )


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# --------------------------------------------------------------------------- basics


async def test_get_me_reports_the_bot(emu: Emulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == emu.bot_id == 123456
    assert me.is_bot is True
    assert me.username == "coachbot_test_bot"
    assert me.first_name == "Coachbot"
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False
    assert me.supports_inline_queries is False
    assert emu.base_url == f"http://127.0.0.1:{emu.port}/bot"


async def test_token_method_and_encodings(emu: Emulator, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{emu.base_url}123456:WRONG/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    async with http.post(f"{emu.base_url}{emu.token}/sendTelepathy") as response:
        assert response.status == 404
        assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    async with http.get(f"{emu.base_url}{emu.token}/GETME") as response:
        assert (await response.json())["result"]["id"] == emu.bot_id

    emu.send_text(USER, "hi")
    url = f"{emu.base_url}{emu.token}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    form = aiohttp.FormData()
    form.add_field("chat_id", str(USER))
    form.add_field("text", "multipart")
    form.add_field("reply_markup", json.dumps(markup))
    form.add_field("dummy", b"bytes", filename="x.bin")  # forces multipart/form-data
    requests = [
        http.get(url, params={"chat_id": str(USER), "text": "query"}),
        http.post(url, json={"chat_id": USER, "text": "json", "reply_markup": markup}),
        http.post(
            url, json={"chat_id": str(USER), "text": "json-str", "reply_markup": json.dumps(markup)}
        ),
        http.post(
            url, data={"chat_id": str(USER), "text": "form", "reply_markup": json.dumps(markup)}
        ),
        http.post(url, data=form),
    ]
    texts = []
    for request in requests:
        async with request as response:
            body = await response.json()
            assert response.status == 200, body
            assert body["ok"] is True
            message = body["result"]
            assert isinstance(message["date"], int)
            assert message["from"]["id"] == emu.bot_id
            assert message["chat"] == {"id": USER, "first_name": f"User {USER}", "type": "private"}
            if message["text"] != "query":
                assert message["reply_markup"] == markup
            texts.append(message["text"])
    assert texts == ["query", "json", "json-str", "form", "multipart"]
    assert [m["message_id"] for m in emu.messages(USER)] == [1, 2, 3, 4, 5, 6]
    assert emu.calls_to("sendMessage")[1] == {
        "chat_id": USER,
        "text": "json",
        "reply_markup": markup,
    }


# --------------------------------------------------------------------------- updates


async def test_press_button_delivers_callback_query(emu: Emulator, bot: Bot) -> None:
    emu.send_command(USER, "/start", args="TOKEN")
    [first] = await bot.get_updates()
    assert first.message.text == "/start TOKEN"
    assert first.message.entities[0].type == "bot_command"
    assert (first.message.entities[0].offset, first.message.entities[0].length) == (0, 6)
    assert first.message.from_user.language_code == "nl"

    sent = await bot.send_message(USER, "Pick", reply_markup=keyboard(("Yes", "y"), ("No", "n")))
    with pytest.raises(ValueError, match="no button"):
        emu.press_button(USER, sent.message_id, "maybe")
    queued = emu.press_button(USER, sent.message_id, "y")
    updates = await bot.get_updates(offset=first.update_id + 1)
    assert [u.update_id for u in updates] == [queued["update_id"]]
    query = updates[0].callback_query
    assert query.data == "y"
    assert query.chat_instance and isinstance(query.id, str)
    assert query.message.message_id == sent.message_id
    assert query.message.date == sent.date
    assert query.message.reply_markup == sent.reply_markup
    assert query.from_user.id == USER

    assert await bot.answer_callback_query(query.id, text="Noted") is True
    assert emu.callback_answer(query.id) == {"text": "Noted"}
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("12345")

    forged = emu.press_button(USER, sent.message_id, "forged", force=True)
    assert forged["callback_query"]["data"] == "forged"


async def test_offset_confirms_updates(emu: Emulator, bot: Bot) -> None:
    ids = [emu.send_text(USER, f"m{i}")["update_id"] for i in range(4)]
    assert ids == list(range(ids[0], ids[0] + 4))
    assert [u.update_id for u in await bot.get_updates()] == ids
    assert [u.update_id for u in await bot.get_updates()] == ids  # still pending
    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert emu.pending_update_count == 3
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[-1:]
    assert emu.pending_update_count == 1  # a negative offset forgets everything before
    assert await bot.get_updates(offset=ids[-1] + 1) == ()
    assert emu.pending_update_count == 0


async def test_long_polling(emu: Emulator, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 2.0

    async def write_later() -> None:
        await asyncio.sleep(0.2)
        emu.send_text(USER, "wake up")

    task = asyncio.create_task(write_later())
    started = time.monotonic()
    updates = await bot.get_updates(timeout=10)
    await task
    assert time.monotonic() - started < 1.5
    assert updates[0].message.text == "wake up"


async def test_second_poller_terminates_the_first(emu: Emulator, bot: Bot) -> None:
    async with Bot(emu.token, base_url=emu.base_url) as second:
        first_poll = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.2)
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first_poll


async def test_allowed_updates_filter_and_are_remembered(emu: Emulator, bot: Bot) -> None:
    sent = await _start_chat(emu, bot)
    earlier = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.message.text for u in earlier] == ["hello"]  # queued before the filter was set
    assert emu.send_text(USER, "ignored")["update_id"] is None
    pressed = emu.press_button(USER, sent.message_id, "y")
    # no allowed_updates now: the previous setting holds
    updates = await bot.get_updates(offset=earlier[-1].update_id + 1)
    assert [u.update_id for u in updates] == [pressed["update_id"]]
    await bot.get_updates(offset=updates[-1].update_id + 1, allowed_updates=[])
    assert emu.send_text(USER, "back")["update_id"] is not None


async def _start_chat(emu: Emulator, bot: Bot) -> Any:
    emu.send_text(USER, "hello")
    return await bot.send_message(USER, "Choose", reply_markup=keyboard(("Yes", "y")))


# --------------------------------------------------------------------------- webhook


async def test_webhook_blocks_polling_and_delivers(emu: Emulator, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=500 if len(received) == 1 else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        with pytest.raises(BadRequest, match=r"(?i)bad webhook"):
            await bot.set_webhook("http://example.com/hook")
        assert await bot.set_webhook(url, secret_token="s3cret") is True
        with pytest.raises(Conflict) as conflict:
            await bot.get_updates()
        assert str(conflict.value) == (
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
        queued = emu.send_text(USER, "via webhook")
        for _ in range(100):
            if len(received) >= 2 and emu.pending_update_count == 0:
                break
            await asyncio.sleep(0.02)
        assert [secret for secret, _ in received] == ["s3cret", "s3cret"]
        assert received[0][1] == received[1][1] == queued  # retried after the 500
        info = await bot.get_webhook_info()
        assert info.url == url
        assert info.pending_update_count == 0
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert await bot.delete_webhook() is True
        assert (await bot.get_webhook_info()).url == ""
        emu.send_text(USER, "polling again")
        assert (await bot.get_updates())[0].message.text == "polling again"
    finally:
        await runner.cleanup()


# --------------------------------------------------------------------------- sending and editing


async def test_edits(emu: Emulator, bot: Bot) -> None:
    sent = await _start_chat(emu, bot)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Choose", USER, sent.message_id, reply_markup=sent.reply_markup)
    edited = await bot.edit_message_text("Chosen", USER, sent.message_id)
    assert edited.text == "Chosen"
    assert edited.reply_markup is None  # omitting reply_markup removes the keyboard
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id)
    with_keyboard = await bot.edit_message_reply_markup(
        USER, sent.message_id, reply_markup=keyboard(("Again", "again"))
    )
    assert with_keyboard.reply_markup.inline_keyboard[0][0].callback_data == "again"
    assert emu.messages(USER)[-1]["text"] == "Chosen"
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 999)
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", USER, 1)  # the user's own message
    assert await bot.delete_message(USER, sent.message_id) is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    assert [m["message_id"] for m in emu.messages(USER)] == [1]
    assert emu.messages(USER, include_deleted=True)[-1]["deleted"] is True


async def test_text_limits_and_validation(emu: Emulator, bot: Bot) -> None:
    emu.send_text(USER, "hi")
    assert len((await bot.send_message(USER, "a" * 4096)).text) == 4096
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "a" * 4097)
    await bot.send_message(USER, "😀" * 2048)  # 4096 UTF-16 code units
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "😀" * 2049)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, " \n ")
    await bot.send_message(USER, "x", reply_markup=keyboard(("ok", "d" * 64)))
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(USER, "x", reply_markup=keyboard(("too long", "d" * 65)))
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(4242, "who?")
    emu.add_user(OTHER, "Silent")
    with pytest.raises(Forbidden, match="bot can't initiate conversation"):
        await bot.send_message(OTHER, "hello?")


async def test_parse_modes(emu: Emulator, bot: Bot) -> None:
    emu.send_text(USER, "hi")
    html = await bot.send_message(
        USER, "<b>Bold</b> &amp; <a href='example.com'>link</a>", parse_mode=ParseMode.HTML
    )
    assert html.text == "Bold & link"
    assert [(e.type, e.offset, e.length) for e in html.entities] == [
        ("bold", 0, 4),
        ("text_link", 7, 4),
    ]
    assert html.entities[1].url == "http://example.com/"
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "p"'):
        await bot.send_message(USER, "<p>x</p>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't find end tag"):
        await bot.send_message(USER, "<b>x", parse_mode=ParseMode.HTML)
    md = await bot.send_message(USER, "*Hi* \\- _there_", parse_mode=ParseMode.MARKDOWN_V2)
    assert md.text == "Hi - there"
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await bot.send_message(USER, "End.", parse_mode=ParseMode.MARKDOWN_V2)
    plain = await bot.send_message(USER, "see https://example.org/x and /help")
    assert [e.type for e in plain.entities] == ["url", "bot_command"]


async def test_replies_and_reply_keyboards(emu: Emulator, bot: Bot) -> None:
    asked = emu.send_text(USER, "question")["message"]
    answer = await bot.send_message(
        USER,
        "answer",
        reply_parameters=ReplyParameters(asked["message_id"]),
        reply_markup=ReplyKeyboardMarkup([["Ja", "Nee"]]),
    )
    assert answer.reply_to_message.text == "question"
    assert answer.reply_markup is None  # reply keyboards are not part of the Message
    assert emu.reply_keyboard(USER)["keyboard"] == [[{"text": "Ja"}, {"text": "Nee"}]]
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(USER, "x", reply_parameters=ReplyParameters(999))
    loose = await bot.send_message(
        USER, "x", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )
    assert loose.reply_to_message is None
    await bot.send_message(USER, "bye", reply_markup=ReplyKeyboardRemove())
    assert emu.reply_keyboard(USER) is None
    reply = emu.send_text(USER, "thanks", reply_to_message_id=answer.message_id)
    assert reply["message"]["reply_to_message"]["text"] == "answer"


# --------------------------------------------------------------------------- media


async def test_copy_user_photo_to_another_chat(emu: Emulator, bot: Bot) -> None:
    emu.send_text(OTHER, "coach here")
    photo = emu.send_photo(USER, caption="my plan", width=1000, height=500)["message"]
    copied = await bot.copy_message(OTHER, USER, photo["message_id"])
    in_other = emu.messages(OTHER)[-1]
    assert in_other["message_id"] == copied.message_id
    assert in_other["outgoing"] is True
    assert in_other["photo"] == photo["photo"]
    assert in_other["caption"] == "my plan"
    assert [(s["width"], s["height"]) for s in photo["photo"]] == [
        (90, 45),
        (320, 160),
        (800, 400),
        (1000, 500),
    ]

    recaptioned = await bot.copy_message(
        OTHER,
        USER,
        photo["message_id"],
        caption="<i>from user</i>",
        parse_mode="HTML",
        reply_markup=keyboard(("Seen", "seen")),
    )
    latest = emu.messages(OTHER)[-1]
    assert latest["message_id"] == recaptioned.message_id
    assert latest["caption"] == "from user"
    assert latest["caption_entities"] == [{"type": "italic", "offset": 0, "length": 9}]
    assert latest["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "seen"
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(OTHER, USER, 999)

    forwarded = await bot.forward_message(OTHER, USER, photo["message_id"])
    assert forwarded.forward_origin.sender_user.id == USER
    assert forwarded.caption == "my plan"

    file = await bot.get_file(photo["photo"][-1]["file_id"])
    data = await file.download_as_bytearray()
    assert bytes(data[:8]) == b"\x89PNG\r\n\x1a\n"
    assert file.file_path.startswith(emu.base_file_url)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_bot_uploads_and_file_ids(emu: Emulator, bot: Bot) -> None:
    emu.send_text(USER, "hi")
    png = make_png(64, 32)
    sent = await bot.send_photo(USER, InputFile(png, filename="p.png"), caption="graph")
    assert [(p.width, p.height) for p in sent.photo] == [(64, 32)]
    again = await bot.send_photo(USER, sent.photo[-1].file_id)
    assert again.photo[-1].file_unique_id == sent.photo[-1].file_unique_id
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(USER, InputFile(b"not an image", filename="x.jpg"))
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type photo as document"):
        await bot.send_document(USER, sent.photo[-1].file_id)
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(USER, "no-such-file-id")
    document = await bot.send_document(USER, InputFile(b"%PDF-1.4", filename="plan.pdf"))
    assert document.document.file_name == "plan.pdf"
    assert document.document.mime_type == "application/pdf"
    voice = await bot.send_voice(USER, InputFile(b"OggS....", filename="v.ogg"), duration=4)
    assert seconds(voice.voice.duration) == 4
    user_voice = emu.send_voice(USER, duration=7)["message"]["voice"]
    assert (await bot.get_file(user_voice["file_id"])).file_size == user_voice["file_size"]


# --------------------------------------------------------------------------- faults and limits


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_faults(emu: Emulator, bot: Bot) -> None:
    emu.send_text(USER, "hi")
    emu.inject_fault("sendMessage", "429", retry_after=3)
    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(USER, "x")
    assert seconds(retry.value.retry_after) == 3
    emu.inject_fault("sendmessage", "403")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "x")
    emu.inject_fault("*", "500", count=2)
    for _ in range(2):
        with pytest.raises(NetworkError) as server_error:
            await bot.get_me()
        assert not isinstance(server_error.value, BadRequest)
        assert "Internal Server Error" in str(server_error.value)
    emu.inject_fault("sendMessage", "drop")
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "lost")
    emu.inject_fault("sendMessage", "drop_after")
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "delivered, answer lost")
    emu.inject_fault("sendMessage", "slow", delay=0.5)
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "slow", read_timeout=0.1)
    # Telegram finishes a request even when the client gave up waiting.
    assert (await emu.wait_for_bot_message(USER, "slow", after=0))["text"] == "slow"
    assert [m["text"] for m in emu.bot_messages(USER)] == ["delivered, answer lost", "slow"]
    assert (await bot.send_message(USER, "fine")).text == "fine"
    faults = [entry.get("fault") for entry in emu.call_log if entry["method"] == "sendMessage"]
    assert faults == ["429", "403", "drop", "drop_after", None, None]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_blocking_and_rate_limits(emu: Emulator, bot: Bot) -> None:
    emu.send_text(USER, "hi")
    blocked = emu.block(USER)
    assert blocked["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "still there?")
    with pytest.raises(ValueError, match="blocked"):
        emu.send_text(USER, "I cannot write while blocking")
    emu.unblock(USER)
    await bot.send_message(USER, "welcome back")

    emu.enforce_limits(per_chat_per_sec=1)
    await bot.send_message(USER, "one")
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "two")
    emu.disable_limits()
    await bot.send_message(USER, "two")


# --------------------------------------------------------------------------- commands


async def test_commands_per_scope_and_language(emu: Emulator, bot: Bot) -> None:
    emu.send_text(USER, "hi")
    assert await bot.set_my_commands([("start", "Start")]) is True
    assert await bot.set_my_commands(
        [("start", "Beginnen"), ("stop", "Stoppen")], language_code="nl"
    )
    chat_scope = {"type": "chat", "chat_id": USER}
    await bot.set_my_commands([("debug", "Debug")], scope=chat_scope)
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert [c.description for c in await bot.get_my_commands(language_code="nl")] == [
        "Beginnen",
        "Stoppen",
    ]
    assert await bot.get_my_commands(language_code="en") == ()
    assert emu.commands(language_code="nl")[1] == {"command": "stop", "description": "Stoppen"}
    assert emu.commands(scope=chat_scope) == [{"command": "debug", "description": "Debug"}]
    assert emu.visible_commands(USER)[0]["command"] == "debug"
    assert await bot.delete_my_commands(scope=chat_scope) is True
    assert [c["command"] for c in emu.visible_commands(USER)] == ["start", "stop"]  # user is nl
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Start", "Uppercase is not allowed")])


# --------------------------------------------------------------------------- users and waiting


async def test_user_edits_raw_updates_and_groups(emu: Emulator, bot: Bot) -> None:
    sent = emu.send_text(USER, "typo")
    edited = emu.edit_text(USER, sent["message"]["message_id"], "fixed")
    group_chat = {"id": -100200, "title": "Coaches", "type": "supergroup"}
    raw = emu.send_raw_update(
        {
            "message": {
                "chat": group_chat,
                "from": {"id": OTHER, "is_bot": False, "first_name": "Ann"},
                "text": "hello group",
            }
        }
    )
    updates = [Update.de_json(u.to_dict(), bot) for u in await bot.get_updates()]
    assert [u.update_id for u in updates] == [
        sent["update_id"],
        edited["update_id"],
        raw["update_id"],
    ]
    assert updates[1].edited_message.text == "fixed"
    assert updates[1].edited_message.edit_date is not None
    assert updates[2].message.chat.type == "supergroup"
    reply = await bot.send_message(
        -100200, "hi all", reply_to_message_id=raw["message"]["message_id"]
    )
    assert reply.reply_to_message.text == "hello group"
    assert emu.messages(-100200)[-1]["text"] == "hi all"


async def test_wait_for_bot_message(emu: Emulator, bot: Bot) -> None:
    emu.send_text(USER, "hi")

    async def reply_later() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(USER, "first")
        await bot.send_message(USER, "second", reply_markup=keyboard(("Go", "go")))

    task = asyncio.create_task(reply_later())
    assert (await emu.wait_for_bot_message(USER))["text"] == "first"
    second = await emu.wait_for_bot_message(USER, lambda m: "reply_markup" in m)
    await task
    assert second["text"] == "second"
    await bot.edit_message_text("second, edited", USER, second["message_id"])
    edit = await emu.wait_for_bot_message(USER, "edited", include_edits=True)
    assert edit["message_id"] == second["message_id"]
    assert (await emu.wait_for_bot_message(USER, after=1))["text"] == "first"
    with pytest.raises(TimeoutError) as timeout:
        await emu.wait_for_bot_message(USER, "never", timeout=0.2)
    summary = str(timeout.value)
    assert "#3 bot  text 'second, edited' buttons" not in summary  # the edit dropped the keyboard
    assert "#3 bot  text 'second, edited' [edited]" in summary
    assert "sendMessage" in summary


async def test_application_round_trip(emu: Emulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(
            f"Welkom, code {context.args[0]}", reply_markup=keyboard(("Ja", "ja"))
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("Top")
        await update.callback_query.edit_message_reply_markup(None)
        await update.effective_chat.send_message("Fijn!")

    app = Application.builder().token(emu.token).base_url(emu.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            emu.send_command(USER, "/start", args="ABC123")
            welcome = await emu.wait_for_bot_message(USER, "Welkom")
            assert welcome["text"] == "Welkom, code ABC123"
            press = emu.press_button_text(USER, "Ja")
            assert (await emu.wait_for_bot_message(USER))["text"] == "Fijn!"
            assert emu.callback_answer(press["callback_query"]["id"]) == {"text": "Top"}
            assert "reply_markup" not in emu.messages(USER)[1]
        finally:
            await app.updater.stop()
            await app.stop()
    assert emu.pending_update_count == 0


# --------------------------------------------------------------------------- HTTP control


async def test_http_control_endpoints(emu: Emulator, bot: Bot, http: aiohttp.ClientSession) -> None:
    root = f"{emu.url}/_emu"

    async def call(verb: str, path: str, body: Any = None, status: int = 200) -> Any:
        async with http.request(verb, root + path, json=body) as response:
            assert response.status == status, await response.text()
            return await response.json()

    user = await call(
        "POST", "/users", {"user_id": USER, "first_name": "Bea", "language_code": "en"}
    )
    assert user["first_name"] == "Bea"
    update = await call("POST", f"/users/{USER}/command", {"command": "start", "args": "X"})
    assert update["message"]["text"] == "/start X"
    assert (await bot.get_updates())[0].update_id == update["update_id"]
    sent = await bot.send_message(USER, "Pick", reply_markup=keyboard(("A", "a")))
    messages = await call("GET", f"/chats/{USER}/messages")
    assert [m["outgoing"] for m in messages] == [False, True]
    pressed = await call(
        "POST", f"/users/{USER}/press", {"message_id": sent.message_id, "callback_data": "a"}
    )
    assert pressed["callback_query"]["data"] == "a"
    error = await call(
        "POST", f"/users/{USER}/press", {"message_id": sent.message_id, "callback_data": "zz"}, 400
    )
    assert "no button" in error["error"]
    photo = await call("POST", f"/users/{USER}/photo", {"caption": "pic"})
    assert photo["message"]["caption"] == "pic"
    voice = await call("POST", f"/users/{USER}/voice", {"duration": 5})
    assert voice["message"]["voice"]["duration"] == 5

    await call("POST", "/faults", {"method": "sendMessage", "kind": "500"})
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "fails")
    assert (await call("GET", "/calls?method=sendMessage"))[-1]["fault"] == "500"

    async def reply_soon() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(USER, "done")

    task = asyncio.create_task(reply_soon())
    waited = await call("POST", f"/chats/{USER}/wait", {"timeout": 3, "text_contains": "done"})
    await task
    assert waited["text"] == "done"
    timed_out = await call("POST", f"/chats/{USER}/wait", {"timeout": 0.1}, 408)
    assert "no bot message" in timed_out["error"]

    blocked = await call("POST", f"/users/{USER}/block")
    assert blocked["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    state = await call("GET", "/state")
    assert state["users"][0]["blocked"] is True
    assert state["pending_update_count"] == emu.pending_update_count
    events = await call("GET", "/events?since=0")
    assert events["seq"] == len(events["events"]) == emu.seq


async def test_a_round_trip_puts_the_message_at_the_server_before_its_sender_knows(
    emu: Emulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    emu.add_user(USER, "Bea")
    emu.send_command(USER, "start")
    async with http.post(f"{emu.url}/_emu/round_trip", json={"seconds": 0.6}) as response:
        assert response.status == 200
    assert emu.round_trip == 0.6
    sending = asyncio.create_task(bot.send_message(USER, "hi"))
    # The request travels half the trip, the message is stored, the answer travels back.
    while not emu.bot_messages(USER):
        assert not sending.done(), "answered before the message reached the server"
        await asyncio.sleep(0.01)
    assert not sending.done(), "the answer needs the second half of the trip"
    assert (await sending).text == "hi"

    async with http.post(f"{emu.url}/_emu/round_trip", json={"seconds": -1}) as response:
        assert response.status == 400
    emu.set_round_trip(0)
    assert (await bot.send_message(USER, "at once")).text == "at once"
