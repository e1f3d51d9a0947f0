"""HTTP control endpoints of the emulator (``/_emu/...``): the in-process API over HTTP.

JSON in, JSON out; errors are ``{"ok": false, "error": "..."}``::

    GET    /_emu/state                            users, chats, webhook, queue, faults
    POST   /_emu/users                            {"user_id", "first_name", "language_code",
                                                   "username", "last_name"} -> User
    POST   /_emu/users/{user_id}/text             {"text", "reply_to_message_id"} -> Update
    POST   /_emu/users/{user_id}/command          {"command", "args"} -> Update
    POST   /_emu/users/{user_id}/press            {"message_id", "callback_data", "force"}
                                                  or {"button_text", "message_id"} -> Update
    POST   /_emu/users/{user_id}/photo            {"caption", "width", "height"} -> Update
    POST   /_emu/users/{user_id}/voice            {"duration"} -> Update
    POST   /_emu/users/{user_id}/document         {"file_name", "mime_type", "caption",
                                                   "data_base64"} -> Update
    POST   /_emu/users/{user_id}/edit             {"message_id", "text"} -> Update
    POST   /_emu/users/{user_id}/block            -> Update (my_chat_member)
    POST   /_emu/users/{user_id}/unblock          -> Update (my_chat_member)
    POST   /_emu/updates                          raw update payload -> Update
    GET    /_emu/chats/{chat_id}/messages         ?include_deleted=1 -> [Message + "outgoing"]
    POST   /_emu/chats/{chat_id}/wait             {"timeout", "after", "include_edits",
                                                   "text_contains"} -> Message, or 408
    GET    /_emu/chats/{chat_id}/keyboard         -> current reply keyboard or null
    GET    /_emu/calls                            ?method=sendMessage -> [call log entries]
    POST   /_emu/faults                           {"method", "kind", "count", "retry_after",
                                                   "delay", "description"}
    DELETE /_emu/faults                           remove all faults
    POST   /_emu/limits                           {"per_chat_per_sec", "global_per_sec",
                                                   "per_group_per_min"}; {} switches off
    GET    /_emu/commands                         ?scope={json}&language_code=nl
    GET    /_emu/callbacks/{query_id}             -> answerCallbackQuery answer or null
    GET    /_emu/events                           ?since=SEQ&timeout=S -> {"seq", "events"}
                                                  (long-poll for UIs: new/edit/delete)
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from bot.sandbox.emulator.answers import ApiError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Controls(Protocol):
    """The part of the Emulator's in-process API that the control endpoints serve."""

    @property
    def seq(self) -> int: ...
    @property
    def call_log(self) -> list[dict[str, Any]]: ...
    def state(self) -> dict[str, Any]: ...
    def add_user(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None = ...,
        username: str | None = ...,
        *,
        last_name: str | None = ...,
    ) -> dict[str, Any]: ...
    def send_text(
        self, user_id: int, text: str, reply_to_message_id: int | None = ...
    ) -> dict[str, Any]: ...
    def send_command(
        self, user_id: int, command: str, args: str | None = ...
    ) -> dict[str, Any]: ...
    def press_button(
        self, user_id: int, message_id: int, callback_data: str, force: bool = ...
    ) -> dict[str, Any]: ...
    def press_button_text(
        self, user_id: int, button_text: str, message_id: int | None = ...
    ) -> dict[str, Any]: ...
    def send_photo(
        self,
        user_id: int,
        caption: str | None = ...,
        *,
        data: bytes | None = ...,
        width: int = ...,
        height: int = ...,
        reply_to_message_id: int | None = ...,
    ) -> dict[str, Any]: ...
    def send_voice(self, user_id: int, duration: int = ...) -> dict[str, Any]: ...
    def send_document(
        self,
        user_id: int,
        file_name: str = ...,
        *,
        data: bytes | None = ...,
        mime_type: str | None = ...,
        caption: str | None = ...,
    ) -> dict[str, Any]: ...
    def edit_text(self, user_id: int, message_id: int, new_text: str) -> dict[str, Any]: ...
    def block(self, user_id: int) -> dict[str, Any]: ...
    def unblock(self, user_id: int) -> dict[str, Any]: ...
    def send_raw_update(self, payload: dict[str, Any]) -> dict[str, Any]: ...
    def messages(self, chat_id: int, include_deleted: bool = ...) -> list[dict[str, Any]]: ...
    async def wait_for_bot_message(
        self,
        chat_id: int,
        predicate: Any = ...,
        timeout: float = ...,
        after: int | None = ...,
        *,
        include_edits: bool = ...,
    ) -> dict[str, Any]: ...
    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None: ...
    def inject_fault(
        self,
        method: str,
        kind: str | int,
        count: int = ...,
        retry_after: int | None = ...,
        delay: float | None = ...,
        description: str | None = ...,
    ) -> None: ...
    def clear_faults(self) -> None: ...
    def enforce_limits(
        self,
        per_chat_per_sec: float | None = ...,
        global_per_sec: float | None = ...,
        per_group_per_min: float | None = ...,
    ) -> None: ...
    def disable_limits(self) -> None: ...
    def set_round_trip(self, seconds: float, jitter: float = ...) -> None: ...
    def commands(
        self, scope: dict[str, Any] | None = ..., language_code: str | None = ...
    ) -> list[dict[str, str]]: ...
    def callback_answer(self, query_id: str) -> dict[str, Any] | None: ...
    def events(self, since: int = ...) -> list[dict[str, Any]]: ...
    async def wait_for_change(self, timeout: float) -> None: ...


def _ok(value: Any, status: int = 200) -> web.Response:
    return web.json_response(value, status=status)


def _guard(handler: Handler) -> Handler:
    """Turn misuse (ValueError, bad JSON, unknown keys) into a 400 JSON answer."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (ValueError, KeyError, TypeError) as exc:
            return _ok({"ok": False, "error": str(exc) or exc.__class__.__name__}, 400)
        except ApiError as exc:
            return _ok({"ok": False, "error": exc.description}, exc.error_code)

    return wrapped


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("a JSON object is expected")
    return body


def add_control_routes(app: web.Application, emu: Controls) -> None:
    """Register the /_emu endpoints on ``app``."""

    def user_id(request: web.Request) -> int:
        return int(request.match_info["user_id"])

    def chat_id(request: web.Request) -> int:
        return int(request.match_info["chat_id"])

    async def state(request: web.Request) -> web.StreamResponse:
        return _ok(emu.state())

    async def add_user(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        user = emu.add_user(
            int(body["user_id"]),
            body.get("first_name") or f"User {body['user_id']}",
            body.get("language_code", "nl"),
            body.get("username"),
            last_name=body.get("last_name"),
        )
        return _ok(user)

    async def text(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        return _ok(emu.send_text(user_id(request), body["text"], body.get("reply_to_message_id")))

    async def command(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        return _ok(emu.send_command(user_id(request), body["command"], body.get("args")))

    async def press(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        if "button_text" in body:
            update = emu.press_button_text(
                user_id(request), body["button_text"], body.get("message_id")
            )
        else:
            update = emu.press_button(
                user_id(request),
                int(body["message_id"]),
                str(body["callback_data"]),
                force=bool(body.get("force", False)),
            )
        return _ok(update)

    async def photo(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        data = base64.b64decode(body["data_base64"]) if body.get("data_base64") else None
        update = emu.send_photo(
            user_id(request),
            body.get("caption"),
            data=data,
            width=int(body.get("width", 800)),
            height=int(body.get("height", 600)),
            reply_to_message_id=body.get("reply_to_message_id"),
        )
        return _ok(update)

    async def voice(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        return _ok(emu.send_voice(user_id(request), int(body.get("duration", 3))))

    async def document(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        data = base64.b64decode(body["data_base64"]) if body.get("data_base64") else None
        update = emu.send_document(
            user_id(request),
            body.get("file_name", "a.pdf"),
            data=data,
            mime_type=body.get("mime_type"),
            caption=body.get("caption"),
        )
        return _ok(update)

    async def edit(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        return _ok(emu.edit_text(user_id(request), int(body["message_id"]), body["text"]))

    async def block(request: web.Request) -> web.StreamResponse:
        return _ok(emu.block(user_id(request)))

    async def unblock(request: web.Request) -> web.StreamResponse:
        return _ok(emu.unblock(user_id(request)))

    async def raw_update(request: web.Request) -> web.StreamResponse:
        return _ok(emu.send_raw_update(await _body(request)))

    async def messages(request: web.Request) -> web.StreamResponse:
        include = request.query.get("include_deleted", "") in ("1", "true", "yes")
        return _ok(emu.messages(chat_id(request), include_deleted=include))

    async def wait(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        after = body.get("after")
        try:
            message = await emu.wait_for_bot_message(
                chat_id(request),
                body.get("text_contains"),
                timeout=float(body.get("timeout", 5.0)),
                after=int(after) if after is not None else None,
                include_edits=bool(body.get("include_edits", False)),
            )
        except TimeoutError as exc:
            return _ok({"ok": False, "error": str(exc)}, 408)
        return _ok(message)

    async def keyboard(request: web.Request) -> web.StreamResponse:
        return _ok(emu.reply_keyboard(chat_id(request)))

    async def calls(request: web.Request) -> web.StreamResponse:
        method = request.query.get("method")
        log = emu.call_log
        if method:
            log = [entry for entry in log if entry["method"].lower() == method.lower()]
        return _ok(log)

    async def add_fault(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        emu.inject_fault(
            body["method"],
            body["kind"],
            int(body.get("count", 1)),
            retry_after=body.get("retry_after"),
            delay=body.get("delay"),
            description=body.get("description"),
        )
        return _ok({"ok": True})

    async def clear_faults(request: web.Request) -> web.StreamResponse:
        emu.clear_faults()
        return _ok({"ok": True})

    async def limits(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        if not body:
            emu.disable_limits()
        else:
            emu.enforce_limits(
                body.get("per_chat_per_sec"),
                body.get("global_per_sec"),
                body.get("per_group_per_min"),
            )
        return _ok({"ok": True})

    async def round_trip(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        emu.set_round_trip(float(body.get("seconds", 0)), float(body.get("jitter", 0)))
        return _ok({"ok": True})

    async def commands(request: web.Request) -> web.StreamResponse:
        scope = request.query.get("scope")
        return _ok(
            emu.commands(json.loads(scope) if scope else None, request.query.get("language_code"))
        )

    async def callback(request: web.Request) -> web.StreamResponse:
        return _ok(emu.callback_answer(request.match_info["query_id"]))

    async def events(request: web.Request) -> web.StreamResponse:
        since = int(request.query.get("since", 0))
        timeout = min(60.0, float(request.query.get("timeout", 0)))
        found = emu.events(since)
        if not found and timeout > 0:
            await emu.wait_for_change(timeout)
            found = emu.events(since)
        return _ok({"seq": emu.seq, "events": found})

    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/_emu/state", state),
        ("POST", "/_emu/users", add_user),
        ("POST", "/_emu/users/{user_id}/text", text),
        ("POST", "/_emu/users/{user_id}/command", command),
        ("POST", "/_emu/users/{user_id}/press", press),
        ("POST", "/_emu/users/{user_id}/photo", photo),
        ("POST", "/_emu/users/{user_id}/voice", voice),
        ("POST", "/_emu/users/{user_id}/document", document),
        ("POST", "/_emu/users/{user_id}/edit", edit),
        ("POST", "/_emu/users/{user_id}/block", block),
        ("POST", "/_emu/users/{user_id}/unblock", unblock),
        ("POST", "/_emu/updates", raw_update),
        ("GET", "/_emu/chats/{chat_id}/messages", messages),
        ("POST", "/_emu/chats/{chat_id}/wait", wait),
        ("GET", "/_emu/chats/{chat_id}/keyboard", keyboard),
        ("GET", "/_emu/calls", calls),
        ("POST", "/_emu/faults", add_fault),
        ("DELETE", "/_emu/faults", clear_faults),
        ("POST", "/_emu/limits", limits),
        ("POST", "/_emu/round_trip", round_trip),
        ("GET", "/_emu/commands", commands),
        ("GET", "/_emu/callbacks/{query_id}", callback),
        ("GET", "/_emu/events", events),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _guard(handler))
