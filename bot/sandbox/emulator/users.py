"""Acting as Telegram users: the in-process control API that queues updates for the bot."""

from __future__ import annotations

import copy
from typing import Any

from bot.sandbox.emulator.answers import ApiError
from bot.sandbox.emulator.files import FAKE_OGG, FAKE_PDF, make_png
from bot.sandbox.emulator.markup import callback_buttons
from bot.sandbox.emulator.sending import MessageMethods
from bot.sandbox.emulator.text import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, fix_text, utf16_len
from bot.sandbox.emulator.world import MESSAGE_UPDATE_TYPES, ChatState, UserState


class UserActions(MessageMethods):
    """Methods that make users do things; each returns the Update dict it queued.

    The returned Update has ``update_id`` None when the bot's allowed_updates filter it out
    (Telegram would not generate it at all).
    """

    def add_user(
        self,
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
        state = self._users.get(user_id)
        if state is None:
            state = self._register_user(user)
        else:
            state.user = user
        self._register_chat(self.private_chat(state.user))
        return dict(state.user)

    def _private(self, user_id: int) -> tuple[UserState, ChatState]:
        if user_id not in self._users:
            self.add_user(user_id, f"User {user_id}")
        state = self._users[user_id]
        chat = self._chats.get(user_id) or self._register_chat(self.private_chat(state.user))
        return state, chat

    def _acting(self, user_id: int) -> tuple[UserState, ChatState]:
        state, chat = self._private(user_id)
        if state.blocked:
            raise ValueError(f"user {user_id} blocked the bot; call unblock({user_id}) first")
        return state, chat

    def mark_read(self, chat_id: int) -> None:
        """Treat every message so far as seen by wait_for_bot_message (users do on acting)."""
        self._read_seq[chat_id] = self._seq

    def _incoming(
        self, user_id: int, content: dict[str, Any], reply_to_message_id: int | None
    ) -> dict[str, Any]:
        state, chat = self._acting(user_id)
        message: dict[str, Any] = {
            "message_id": chat.next_message_id,
            "from": dict(state.user),
            "chat": dict(chat.chat),
            "date": self.now(),
        }
        if reply_to_message_id is not None:
            record = self._live_message(chat, reply_to_message_id)
            if record is None:
                raise ValueError(f"chat {user_id} has no message {reply_to_message_id}")
            message["reply_to_message"] = self.snapshot(record)
        message.update(content)
        state.started = True
        self._store(chat, message, outgoing=False)
        self.mark_read(user_id)
        return self._enqueue("message", message)

    @staticmethod
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
        self, user_id: int, text: str, reply_to_message_id: int | None = None
    ) -> dict[str, Any]:
        """The user sends a text message (entities auto-detected as Telegram does)."""
        return self._incoming(user_id, self._text_content(text), reply_to_message_id)

    def send_command(
        self,
        user_id: int,
        command: str,
        args: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends ``/command args`` (a bot_command entity covers the command)."""
        command = command if command.startswith("/") else "/" + command
        text = f"{command} {args}" if args else command
        return self._incoming(user_id, self._text_content(text), reply_to_message_id)

    def press_button(
        self,
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
        state, chat = self._private(user_id) if in_group else self._acting(user_id)
        if chat_id is not None and in_group:
            if chat_id not in self._chats:
                raise ValueError(f"unknown chat {chat_id}")
            chat = self._chats[chat_id]
        record = self._live_message(chat, message_id)
        if record is None:
            if not force:
                raise ValueError(f"chat {chat.chat['id']} has no message {message_id}")
            # Telegram's InaccessibleMessage: only chat, message_id and date 0.
            message: dict[str, Any] = {
                "chat": dict(chat.chat),
                "message_id": message_id,
                "date": 0,
            }
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
        query = {
            "id": self._new_id(),
            "from": dict(state.user),
            "message": message,
            "chat_instance": chat.chat_instance,
            "data": callback_data,
        }
        self._callbacks[query["id"]] = {"query": query, "answer": None}
        self.mark_read(chat.chat["id"])
        return self._enqueue("callback_query", query)

    def press_button_text(
        self, user_id: int, button_text: str, message_id: int | None = None
    ) -> dict[str, Any]:
        """Tap the callback button labelled ``button_text`` on the newest bot message having it."""
        _, chat = self._acting(user_id)
        records = [r for r in reversed(chat.messages.values()) if r.outgoing and not r.deleted]
        if message_id is not None:
            records = [r for r in records if r.message["message_id"] == message_id]
        for record in records:
            for button in callback_buttons(record.message):
                if button["text"] == button_text:
                    return self.press_button(
                        user_id, record.message["message_id"], button["callback_data"]
                    )
        raise ValueError(f"no bot message in chat {user_id} has a button {button_text!r}")

    def send_photo(
        self,
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
            sizes = self.files.photo_sizes(data if data is not None else make_png(width, height))
        except ApiError as exc:
            raise ValueError(exc.description) from exc
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content.update(self._text_content(caption, "caption"))
        return self._incoming(user_id, content, reply_to_message_id)

    def send_voice(
        self, user_id: int, duration: int = 3, *, data: bytes | None = None
    ) -> dict[str, Any]:
        """The user sends a voice note."""
        voice = self.files.voice(data if data is not None else FAKE_OGG, duration, "audio/ogg")
        return self._incoming(user_id, {"voice": voice}, None)

    def send_document(
        self,
        user_id: int,
        file_name: str = "a.pdf",
        *,
        data: bytes | None = None,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a file."""
        document = self.files.document(data if data is not None else FAKE_PDF, file_name, mime_type)
        content: dict[str, Any] = {"document": document}
        if caption:
            content.update(self._text_content(caption, "caption"))
        return self._incoming(user_id, content, None)

    def edit_text(self, user_id: int, message_id: int, new_text: str) -> dict[str, Any]:
        """The user edits one of their text messages (an edited_message update)."""
        _, chat = self._acting(user_id)
        record = self._live_message(chat, message_id)
        if record is None or record.outgoing or "text" not in record.message:
            raise ValueError(f"user {user_id} has no text message {message_id} to edit")
        content = self._text_content(new_text)
        message = {k: v for k, v in record.message.items() if k not in ("text", "entities")}
        edited = {k: message.pop(k) for k in ("message_id", "from", "chat", "date")}
        edited["edit_date"] = self.now()
        edited.update({k: v for k, v in message.items() if k != "edit_date"})
        edited.update(content)
        record.message = edited
        self._event(user_id, message_id, "edit", False)
        self.mark_read(user_id)
        return self._enqueue("edited_message", edited)

    def send_raw_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue any update (group messages, channel posts, my_chat_member, stickers, ...).

        ``update_id`` is assigned. Chats and users found in it become known to the emulator
        so the bot can answer; new messages get a ``message_id``/``date`` if they lack one
        and are recorded in their chat's history.
        """
        body_fields = [key for key in payload if key != "update_id"]
        if len(body_fields) != 1 or not isinstance(payload[body_fields[0]], dict):
            raise ValueError("an update has exactly one object field besides update_id")
        kind = body_fields[0]
        body = copy.deepcopy(payload[kind])
        sender = body.get("from")
        if isinstance(sender, dict) and "id" in sender:
            self._register_user(sender)
        if kind in MESSAGE_UPDATE_TYPES:
            body = self._record_raw_message(kind, body)
        elif kind == "callback_query":
            body.setdefault("id", self._new_id())
            body.setdefault("chat_instance", str(self._rng.getrandbits(63)))
            self._callbacks[body["id"]] = {"query": body, "answer": None}
        elif kind in ("my_chat_member", "chat_member", "chat_join_request"):
            chat = self._register_chat(body["chat"])
            status = (body.get("new_chat_member") or {}).get("status")
            if kind == "my_chat_member" and chat.chat["type"] == "private":
                user = self._users.get(chat.chat["id"])
                if user is not None:
                    user.blocked = status == "kicked"
            elif kind == "my_chat_member":
                chat.left = status in ("left", "kicked")
        return self._enqueue(kind, body)

    def _record_raw_message(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body.get("chat"), dict) or "id" not in body["chat"]:
            raise ValueError(f"{kind} needs a chat with an id")
        chat = self._register_chat(body["chat"])
        chat.left = False
        sender = body.get("from")
        if chat.chat["type"] == "private" and isinstance(sender, dict):
            self._users[sender["id"]].started = True
        if not kind.startswith("edited_"):
            body.setdefault("message_id", chat.next_message_id)
        body.setdefault("date", self.now())
        head = ("message_id", "from", "sender_chat", "chat", "date")
        body = {**{k: body[k] for k in head if k in body}, **body}
        record = self._live_message(chat, body.get("message_id"))
        if kind.startswith("edited_"):
            if record is not None:
                record.message = copy.deepcopy(body)
                self._event(chat.chat["id"], body["message_id"], "edit", False)
        else:
            self._store(chat, copy.deepcopy(body), outgoing=False)
        return body

    def _membership(self, user_id: int, old: str, new: str) -> dict[str, Any]:
        state, chat = self._private(user_id)
        state.blocked = new == "kicked"
        new_member: dict[str, Any] = {"user": dict(self.bot_user), "status": new}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: dict[str, Any] = {"user": dict(self.bot_user), "status": old}
        if old == "kicked":
            old_member["until_date"] = 0
        payload = {
            "chat": dict(chat.chat),
            "from": dict(state.user),
            "date": self.now(),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }
        return self._enqueue("my_chat_member", payload)

    def block(self, user_id: int) -> dict[str, Any]:
        """The user blocks the bot: sends to them fail with 403; a my_chat_member is queued."""
        return self._membership(user_id, "member", "kicked")

    def unblock(self, user_id: int) -> dict[str, Any]:
        """The user unblocks the bot (a my_chat_member update is queued)."""
        return self._membership(user_id, "kicked", "member")
