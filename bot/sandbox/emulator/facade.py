"""A Telegram Bot API emulator on 127.0.0.1 for tests and the sandbox.

The bot talks to it as to api.telegram.org (``Bot(token, base_url=emu.base_url,
base_file_url=emu.base_file_url)``); tests act as users through the in-process API or the
HTTP control endpoints and read back what the bot did. Behaviour follows real Telegram,
including its error texts, so code that passes here does not surprise in production.

Bot API side
    ``GET|POST /bot{token}/{method}`` (method names case-insensitive; query string, JSON,
    urlencoded and multipart parameters) and ``GET /file/bot{token}/{file_path}``.

In-process API (call it from the event loop the server runs in)
    Lifecycle: ``start()``, ``stop()``, ``async with Emulator(...)``; ``port``, ``url``,
    ``base_url``, ``base_file_url``, ``token``, ``bot_id``.
    Users: ``add_user``, ``send_text``, ``send_command``, ``press_button``,
    ``press_button_text``, ``send_photo``, ``send_voice``, ``send_document``, ``edit_text``,
    ``send_raw_update``, ``block``, ``unblock`` (each returns the queued Update dict).
    Reading: ``messages``, ``bot_messages``, ``last_bot_message``, ``wait_for_bot_message``,
    ``reply_keyboard``, ``callback_answer``, ``chat_action``, ``calls``, ``call_log``,
    ``calls_to``, ``commands``, ``visible_commands``, ``pending_update_count``,
    ``pending_updates``, ``webhook_info``, ``events``, ``state``, ``describe_chat``.
    Faults: ``inject_fault``, ``clear_faults``, ``enforce_limits``, ``disable_limits``.

HTTP control endpoints and read back what the bot did. Behaviour follows real Telegram,
including its error texts, so code that passes here does not surprise in production.

Bot API side
    ``GET|POST /bot{token}/{method}`` (method names case-insensitive; query string, JSON,
    urlencoded and multipart parameters) and ``GET /file/bot{token}/{file_path}``.

HTTP control endpoints (JSON in, JSON out; errors are ``{"ok": false, "error": "..."}``):

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

Run standalone: ``python -m bot.sandbox.emulator --port 8081``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import math
import time
from dataclasses import dataclass
from typing import Any, NoReturn

from aiohttp import web

from bot.sandbox.emulator.answers import ApiError, success_body
from bot.sandbox.emulator.control import add_control_routes
from bot.sandbox.emulator.files import MAX_UPLOAD_SIZE
from bot.sandbox.emulator.params import Params, printable_params, read_request
from bot.sandbox.emulator.reading import ChatReaders
from bot.sandbox.emulator.world import LOCAL_HOSTS, ChatState

__all__ = ["Emulator"]

FAULT_KINDS = frozenset({"400", "403", "429", "500", "502", "slow", "drop", "drop_after"})
_FAULT_TEXTS = {
    "400": "Bad Request: injected fault",
    "403": "Forbidden: bot was blocked by the user",
    "500": "Internal Server Error",
    "502": "Bad Gateway",
}
SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendVoice", "copyMessage", "forwardMessage"}
)


@dataclass
class Fault:
    """An injected failure for the next ``remaining`` calls of ``method``."""

    method: str
    kind: str
    remaining: int
    retry_after: int | None = None
    delay: float | None = None
    description: str | None = None


class Emulator(ChatReaders):
    """Telegram Bot API emulator; see the module docstring for the HTTP side."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "coachbot_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_first_name: str = "Coachbot",
        seed: int | None = None,
        webhook_max_attempts: int | None = None,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 10.0,
    ) -> None:
        """``webhook_max_attempts=None`` retries a failing delivery forever (like Telegram).

        Retries back off from ``webhook_retry_delay`` doubling up to 2 s.
        """
        if host not in LOCAL_HOSTS:
            raise ValueError("the emulator only listens on 127.0.0.1/localhost")
        super().__init__(
            token,
            bot_username,
            bot_first_name,
            seed,
            webhook_max_attempts,
            webhook_retry_delay,
            webhook_timeout,
        )
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._names = self.method_names()
        self._faults: list[Fault] = []
        self._limits: dict[str, float | None] | None = None
        self._sent: dict[str, collections.deque[float]] = {}

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening; ``port=0`` picks a free port (see ``emu.port``)."""
        app = web.Application(client_max_size=MAX_UPLOAD_SIZE + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        self._closing = False
        # Handlers are not cancelled when a client disconnects: Telegram also completes a
        # request whose caller timed out (the message is sent, the answer is lost).
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop the server, release long polls and the webhook sender."""
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Root URL of the emulator, e.g. ``http://127.0.0.1:PORT``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """PTB's ``base_url`` (the token is appended by PTB)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's ``base_file_url``."""
        return f"{self.url}/file/bot"

    # -- Bot API dispatch ---------------------------------------------------------------------

    def _token_error(self, token: str) -> web.Response | None:
        if token == self.token:
            return None
        prefix, _, secret = token.partition(":")
        if prefix.isdigit() and secret:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        return web.json_response(ApiError(404, "Not Found").body(), status=404)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        denied = self._token_error(request.match_info["token"])
        if denied is not None:
            return denied
        method = request.match_info["method"]
        try:
            values = await read_request(request)
        except ApiError as exc:
            return web.json_response(exc.body(), status=exc.error_code)
        canonical = self._names.get(method.lower(), method)
        fault = self._take_fault(canonical)
        if fault is not None and fault.kind == "drop":
            self._log(canonical, values, None, fault="drop")
            self._drop(request)
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay or 0.0)
        if fault is not None and fault.kind not in ("slow", "drop_after"):
            error = self._fault_error(fault)
            self._log(canonical, values, error, fault=fault.kind)
            return web.json_response(error.body(), status=error.error_code)
        status, body, entry = await self._execute(method, values, "http")
        if fault is not None and fault.kind == "drop_after":
            entry["fault"] = "drop_after"
            self._drop(request)
        return web.json_response(body, status=status)

    @staticmethod
    def _drop(request: web.Request) -> NoReturn:
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError  # the client sees a closed connection, no answer

    def _fault_error(self, fault: Fault) -> ApiError:
        if fault.kind == "429":
            retry = fault.retry_after if fault.retry_after is not None else 1
            text = fault.description or f"Too Many Requests: retry after {retry}"
            return ApiError(429, text, {"retry_after": retry})
        return ApiError(int(fault.kind), fault.description or _FAULT_TEXTS[fault.kind])

    def _log(
        self, method: str, values: dict[str, Any], error: ApiError | None, **extra: Any
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "method": method,
            "params": printable_params(values),
            "ok": error is None,
            "time": time.time(),
        }
        if error is not None:
            entry["error_code"] = error.error_code
            entry["description"] = error.description
        entry.update(extra)
        self._call_log.append(entry)
        return entry

    async def call_method(
        self, method: str, params: dict[str, Any], source: str = "http"
    ) -> tuple[int, dict[str, Any]]:
        """Run a Bot API method; returns (HTTP status, JSON body)."""
        status, body, _ = await self._execute(method, params, source)
        return status, body

    async def _execute(
        self, method: str, params: dict[str, Any], source: str
    ) -> tuple[int, dict[str, Any], dict[str, Any]]:
        canonical = self._names.get(method.lower())
        if canonical is None:
            error = ApiError(404, "Not Found")
            return 404, error.body(), self._log(method, params, error, source=source)
        entry = self._log(canonical, params, None, source=source)
        try:
            self._check_limits(canonical, params)
            result = await getattr(self, f"api_{canonical}")(Params(params))
        except ApiError as exc:
            entry.update(ok=False, error_code=exc.error_code, description=exc.description)
            return exc.error_code, exc.body(), entry
        return 200, success_body(result), entry

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        denied = self._token_error(request.match_info["token"])
        stored = self.files.by_path(request.match_info["path"])
        if denied is not None or stored is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # -- faults and limits ---------------------------------------------------------------------

    def inject_fault(
        self,
        method: str,
        kind: str | int,
        count: int = 1,
        retry_after: int | None = None,
        delay: float | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (or ``"*"``) fail.

        kinds: "429" (with retry_after, default 1), "403", "500", "502", "400", "slow" (sleep
        ``delay`` s, then answer), "drop" (close the connection unanswered, nothing happens),
        "drop_after" (do the call, then close the connection unanswered).
        """
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(FAULT_KINDS)}")
        name = method if method == "*" else self._names.get(method.lower(), method)
        self._faults.append(Fault(name, kind, count, retry_after, delay, description))

    def clear_faults(self) -> None:
        """Remove all pending injected faults."""
        self._faults.clear()

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self._faults:
            if fault.method in ("*", method):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def enforce_limits(
        self,
        per_chat_per_sec: float | None = 1,
        global_per_sec: float | None = 30,
        per_group_per_min: float | None = 20,
    ) -> None:
        """Answer 429 like Telegram when send methods exceed these rates (None = no limit)."""
        self._limits = {
            "chat": per_chat_per_sec,
            "global": global_per_sec,
            "group": per_group_per_min,
        }
        self._sent.clear()

    def disable_limits(self) -> None:
        """Switch rate limiting off again (the default)."""
        self._limits = None

    def _check_limits(self, method: str, params: dict[str, Any]) -> None:
        if self._limits is None or method not in SEND_METHODS:
            return
        now = time.monotonic()
        chat_id = str(params.get("chat_id"))
        checks: list[tuple[str, float, float]] = []
        if chat_id.startswith("-") and self._limits["group"]:
            checks.append((f"group:{chat_id}", 60.0, self._limits["group"]))
        elif self._limits["chat"]:
            rate = self._limits["chat"]
            checks.append((f"chat:{chat_id}", max(1.0, 1 / rate), max(1.0, rate)))
        if self._limits["global"]:
            checks.append(("global", 1.0, self._limits["global"]))
        for key, window, cap in checks:
            sent = self._sent.setdefault(key, collections.deque())
            while sent and sent[0] <= now - window:
                sent.popleft()
            if len(sent) >= int(cap):
                retry = max(1, math.ceil(sent[0] + window - now))
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry}", {"retry_after": retry}
                )
        for key, _, _ in checks:
            self._sent[key].append(now)

    def state(self) -> dict[str, Any]:
        """A JSON-ready overview (served at ``GET /_emu/state``)."""
        return {
            "bot": dict(self.bot_user),
            "base_url": self.base_url,
            "users": [
                {**s.user, "blocked": s.blocked, "started": s.started} for s in self._users.values()
            ],
            "chats": [_chat_summary(c) for c in self._chats.values()],
            "pending_update_count": len(self._updates),
            "allowed_updates": self._allowed_updates,
            "webhook": self.webhook_info(),
            "faults": [vars(f).copy() for f in self._faults],
            "limits": self._limits,
            "commands": [
                {"scope": scope, "language_code": lang, "commands": cmds}
                for (scope, lang), cmds in self._commands.items()
            ],
            "seq": self._seq,
        }


def _chat_summary(chat: ChatState) -> dict[str, Any]:
    return {
        "chat": dict(chat.chat),
        "message_count": sum(1 for r in chat.messages.values() if not r.deleted),
        "reply_keyboard": chat.reply_keyboard,
        "left": chat.left,
        "last_action": chat.last_action,
    }


async def _serve(args: argparse.Namespace) -> None:
    emulator = Emulator(args.token, args.bot_username, args.host, args.port, seed=args.seed)
    await emulator.start()
    print(f"Telegram emulator: base_url={emulator.base_url} token={emulator.token}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main() -> None:
    """Run the emulator as a standalone process (for a bot in another process or a UI)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", choices=sorted(LOCAL_HOSTS))
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--bot-username", default="coachbot_test_bot")
    parser.add_argument("--seed", type=int, default=None)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))
