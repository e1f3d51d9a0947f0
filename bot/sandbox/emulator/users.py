"""Acting as Telegram users: each action queues the Update the bot receives and returns it.

The returned Update has ``update_id`` None when the bot's allowed_updates filter it out
(Telegram would not generate it at all).
"""

from __future__ import annotations

import copy
from typing import Any

from bot.sandbox.emulator.answers import ApiError
from bot.sandbox.emulator.files import FAKE_OGG, FAKE_PDF, make_png
from bot.sandbox.emulator.markup import callback_buttons
from bot.sandbox.emulator.records import ChatState, UserState
from bot.sandbox.emulator.text import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, fix_text, utf16_len
from bot.sandbox.emulator.world import World


def add_user(
    world: World,
    user_id: int,
    first_name: str,
    language_code: str | None = "nl",
    username: str | None = None,
    *,
    last_name: str | None = None,
    is_bot: bool = False,
) -> dict[str, Any]:
    """Create (or update) a user. The bot can message them only after they wrote."""
    user: dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    state = world.users.get(user_id)
    if state is None:
        state = world.register_user(user)
    else:
        state.user = user
    world.register_chat(world.private_chat(state.user))
    return dict(state.user)


def _private(world: World, user_id: int) -> tuple[UserState, ChatState]:
    if user_id not in world.users:
        add_user(world, user_id, f"User {user_id}")
    state = world.users[user_id]
    chat = world.chats.get(user_id) or world.register_chat(world.private_chat(state.user))
    return state, chat


def _acting(world: World, user_id: int) -> tuple[UserState, ChatState]:
    state, chat = _private(world, user_id)
    if state.blocked:
        raise ValueError(f"user {user_id} blocked the bot; call unblock({user_id}) first")
    return state, chat


def mark_read(world: World, chat_id: int) -> None:
    """Treat every message so far as seen by wait_for_bot_message (users do on acting)."""
    world.read_seq[chat_id] = world.seq


def _incoming(
    world: World, user_id: int, content: dict[str, Any], reply_to_message_id: int | None
) -> dict[str, Any]:
    state, chat = _acting(world, user_id)
    message: dict[str, Any] = {
        "message_id": chat.next_message_id,
        "from": dict(state.user),
        "chat": dict(chat.chat),
        "date": world.now(),
    }
    if reply_to_message_id is not None:
        record = world.live_message(chat, reply_to_message_id)
        if record is None:
            raise ValueError(f"chat {user_id} has no message {reply_to_message_id}")
        message["reply_to_message"] = world.snapshot(record)
    message.update(content)
    state.started = True
    world.store(chat, message, False)
    mark_read(world, user_id)
    return world.enqueue("message", message)


def _text_content(text: str, key: str = "text") -> dict[str, Any]:
    clean, entities = fix_text(text, [])
    limit = MAX_TEXT_LENGTH if key == "text" else MAX_CAPTION_LENGTH
    if key == "text" and not clean:
        raise ValueError("a text message cannot be empty")
    if utf16_len(clean) > limit:
        raise ValueError(f"{key} is longer than {limit} UTF-16 code units")
    content: dict[str, Any] = {key: clean} if clean else {}
    if entities:
        content["entities" if key == "text" else "caption_entities"] = entities
    return content


def send_text(
    world: World, user_id: int, text: str, reply_to_message_id: int | None = None
) -> dict[str, Any]:
    """The user sends a text message (entities auto-detected as Telegram does)."""
    return _incoming(world, user_id, _text_content(text), reply_to_message_id)


def send_command(
    world: World,
    user_id: int,
    command: str,
    args: str | None = None,
    reply_to_message_id: int | None = None,
) -> dict[str, Any]:
    """The user sends ``/command args`` (a bot_command entity covers the command)."""
    command = command if command.startswith("/") else "/" + command
    text = f"{command} {args}" if args else command
    return _incoming(world, user_id, _text_content(text), reply_to_message_id)


def press_button(
    world: World,
    user_id: int,
    message_id: int,
    callback_data: str,
    force: bool = False,
    *,
    chat_id: int | None = None,
) -> dict[str, Any]:
    """The user taps an inline button; ``force`` allows data no button carries.

    The message is looked up in the user's private chat unless ``chat_id`` names another
    known chat (a group). With ``force`` a missing message is sent as Telegram's
    InaccessibleMessage.
    """
    in_group = chat_id is not None and chat_id != user_id
    # Blocking the bot only affects the private chat; group buttons still work.
    state, chat = _private(world, user_id) if in_group else _acting(world, user_id)
    if chat_id is not None and in_group:
        if chat_id not in world.chats:
            raise ValueError(f"unknown chat {chat_id}")
        chat = world.chats[chat_id]
    record = world.live_message(chat, message_id)
    if record is None:
        if not force:
            raise ValueError(f"chat {chat.chat['id']} has no message {message_id}")
        # Telegram's InaccessibleMessage: only chat, message_id and date 0.
        message: dict[str, Any] = {"chat": dict(chat.chat), "message_id": message_id, "date": 0}
    else:
        if not force:
            if not record.outgoing:
                raise ValueError(f"message {message_id} was not sent by the bot")
            data = [button["callback_data"] for button in callback_buttons(record.message)]
            if callback_data not in data:
                raise ValueError(
                    f"message {message_id} has no button with callback_data "
                    f"{callback_data!r}; its buttons carry {data}"
                )
        message = copy.deepcopy(record.message)
    query: dict[str, Any] = {
        "id": world.new_id(),
        "from": dict(state.user),
        "message": message,
        "chat_instance": chat.chat_instance,
        "data": callback_data,
    }
    world.callbacks[query["id"]] = {"query": query, "answer": None}
    mark_read(world, chat.chat["id"])
    return world.enqueue("callback_query", query)


def press_button_text(
    world: World, user_id: int, button_text: str, message_id: int | None = None
) -> dict[str, Any]:
    """Tap the callback button labelled ``button_text`` on the newest bot message having it."""
    _, chat = _acting(world, user_id)
    records = [r for r in reversed(chat.messages.values()) if r.outgoing and not r.deleted]
    if message_id is not None:
        records = [r for r in records if r.message["message_id"] == message_id]
    for record in records:
        for button in callback_buttons(record.message):
            if button["text"] == button_text:
                return press_button(
                    world, user_id, record.message["message_id"], button["callback_data"]
                )
    raise ValueError(f"no bot message in chat {user_id} has a button {button_text!r}")


def send_photo(
    world: World,
    user_id: int,
    caption: str | None = None,
    *,
    data: bytes | None = None,
    width: int = 800,
    height: int = 600,
    reply_to_message_id: int | None = None,
) -> dict[str, Any]:
    """The user sends a photo (a generated PNG unless ``data`` is given)."""
    try:
        sizes = world.files.photo_sizes(data if data is not None else make_png(width, height))
    except ApiError as exc:
        raise ValueError(exc.description) from exc
    content: dict[str, Any] = {"photo": sizes}
    if caption:
        content.update(_text_content(caption, "caption"))
    return _incoming(world, user_id, content, reply_to_message_id)


def send_voice(
    world: World, user_id: int, duration: int = 3, *, data: bytes | None = None
) -> dict[str, Any]:
    """The user sends a voice note."""
    voice = world.files.voice(data if data is not None else FAKE_OGG, duration, "audio/ogg")
    return _incoming(world, user_id, {"voice": voice}, None)


def send_document(
    world: World,
    user_id: int,
    file_name: str = "a.pdf",
    *,
    data: bytes | None = None,
    mime_type: str | None = None,
    caption: str | None = None,
) -> dict[str, Any]:
    """The user sends a file."""
    document = world.files.document(data if data is not None else FAKE_PDF, file_name, mime_type)
    content: dict[str, Any] = {"document": document}
    if caption:
        content.update(_text_content(caption, "caption"))
    return _incoming(world, user_id, content, None)


def edit_text(world: World, user_id: int, message_id: int, new_text: str) -> dict[str, Any]:
    """The user edits one of their text messages (an edited_message update)."""
    _, chat = _acting(world, user_id)
    record = world.live_message(chat, message_id)
    if record is None or record.outgoing or "text" not in record.message:
        raise ValueError(f"user {user_id} has no text message {message_id} to edit")
    content = _text_content(new_text)
    message = {k: v for k, v in record.message.items() if k not in ("text", "entities")}
    edited = {k: message.pop(k) for k in ("message_id", "from", "chat", "date")}
    edited["edit_date"] = world.now()
    edited.update({k: v for k, v in message.items() if k != "edit_date"})
    edited.update(content)
    record.message = edited
    world.event(user_id, message_id, "edit", False)
    mark_read(world, user_id)
    return world.enqueue("edited_message", edited)


def _membership(world: World, user_id: int, old: str, new: str) -> dict[str, Any]:
    state, chat = _private(world, user_id)
    state.blocked = new == "kicked"
    new_member: dict[str, Any] = {"user": dict(world.bot_user), "status": new}
    if new == "kicked":
        new_member["until_date"] = 0
    old_member: dict[str, Any] = {"user": dict(world.bot_user), "status": old}
    if old == "kicked":
        old_member["until_date"] = 0
    payload = {
        "chat": dict(chat.chat),
        "from": dict(state.user),
        "date": world.now(),
        "old_chat_member": old_member,
        "new_chat_member": new_member,
    }
    return world.enqueue("my_chat_member", payload)


def block(world: World, user_id: int) -> dict[str, Any]:
    """The user blocks the bot: sends to them fail with 403; a my_chat_member is queued."""
    return _membership(world, user_id, "member", "kicked")


def unblock(world: World, user_id: int) -> dict[str, Any]:
    """The user unblocks the bot (a my_chat_member update is queued)."""
    return _membership(world, user_id, "kicked", "member")
