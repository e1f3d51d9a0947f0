"""Bot-level Bot API methods of the emulator: updates, webhook, commands, files, chats."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.sandbox.emulator.answers import ApiError, Described, bad_request
from bot.sandbox.emulator.files import MAX_DOWNLOAD_SIZE
from bot.sandbox.emulator.params import Params, normalize_params
from bot.sandbox.emulator.world import LOCAL_HOSTS, EmulatorCore

log = logging.getLogger(__name__)

SCOPE_TYPES = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
     "chat_administrators", "chat_member"}
)  # fmt: skip
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class BotMethods(EmulatorCore):
    """Bot API methods that are not about sending or changing messages (``api_<name>``)."""

    async def api_getMe(self, p: Params) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
            "has_topics_enabled": False,
        }

    async def api_logOut(self, p: Params) -> bool:
        return True

    async def api_close(self, p: Params) -> bool:
        return True

    async def api_getUpdates(self, p: Params) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._set_allowed_updates(p.get_list("allowed_updates"))
        limit = min(100, max(1, p.get_int("limit", 100) or 100))
        timeout = max(0.0, p.get_float("timeout", 0.0))
        return await self._long_poll(p.get_int("offset", 0) or 0, limit, timeout)

    async def api_setWebhook(self, p: Params) -> Described:
        url = (p.get_str("url") or "").strip()
        if not url:
            return await self.api_deleteWebhook(p)
        self._check_webhook_url(url)
        secret = p.get_str("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = p.get_int("max_connections", 40) or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        self._set_allowed_updates(p.get_list("allowed_updates"))
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        hook = {
            "url": url,
            "secret_token": secret,
            "max_connections": max_connections,
            "ip_address": p.get_str("ip_address") or "127.0.0.1",
        }
        previous, self._webhook = self._webhook, hook
        self._webhook_error = None
        self._restart_webhook_sender()
        self._notify()  # a waiting getUpdates is terminated by the webhook
        if previous is not None and previous["url"] == url:
            return Described(True, "Webhook is already set")
        return Described(True, "Webhook was set")

    async def api_deleteWebhook(self, p: Params) -> Described:
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        if self._webhook is None:
            return Described(True, "Webhook is already deleted")
        self._webhook = None
        self._webhook_error = None
        self._restart_webhook_sender()
        return Described(True, "Webhook was deleted")

    async def api_getWebhookInfo(self, p: Params) -> dict[str, Any]:
        return self.webhook_info()

    def webhook_info(self) -> dict[str, Any]:
        """The WebhookInfo object getWebhookInfo returns now."""
        hook = self._webhook
        info: dict[str, Any] = {
            "url": hook["url"] if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook is None:
            return info
        info["ip_address"] = hook["ip_address"]
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        info["max_connections"] = hook["max_connections"]
        if self._allowed_updates:
            info["allowed_updates"] = list(self._allowed_updates)
        return info

    async def api_answerCallbackQuery(self, p: Params) -> bool:
        query = self._callbacks.get(p.get_str("callback_query_id") or "")
        if query is None or query["answer"] is not None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        answer = {
            key: p.raw(key)
            for key in ("text", "show_alert", "url", "cache_time")
            if p.raw(key) is not None
        }
        if "show_alert" in answer:
            answer["show_alert"] = p.get_bool("show_alert")
        query["answer"] = answer
        self._notify()
        return True

    async def api_getFile(self, p: Params) -> dict[str, Any]:
        stored = self.files.get((p.get_str("file_id") or "").strip())
        if stored is None:
            raise bad_request("invalid file id")
        if len(stored.data) > MAX_DOWNLOAD_SIZE:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": self.files.path_for(stored),
        }

    async def api_getChat(self, p: Params) -> dict[str, Any]:
        chat = self._find_chat(p.raw("chat_id"))
        info = dict(chat.chat)
        info.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": True,
                    "limited_gifts": True,
                    "unique_gifts": True,
                    "premium_subscription": True,
                    "gifts_from_channels": True,
                },
            }
        )
        return info

    async def api_leaveChat(self, p: Params) -> bool:
        chat = self._find_chat(p.raw("chat_id"))
        if chat.chat["type"] == "private":
            raise bad_request("chat member status can't be changed in private chats")
        chat.left = True
        return True

    async def api_setChatMenuButton(self, p: Params) -> bool:
        button = p.get_obj("menu_button") or {"type": "default"}
        if button.get("type") not in ("commands", "web_app", "default"):
            raise bad_request("unsupported menu button type")
        if p.has("chat_id"):
            self._find_chat(p.raw("chat_id")).menu_button = button
        else:
            self._default_menu_button = button
        return True

    async def api_getChatMenuButton(self, p: Params) -> dict[str, Any]:
        if p.has("chat_id"):
            button = self._find_chat(p.raw("chat_id")).menu_button
            if button is not None:
                return dict(button)
        return dict(self._default_menu_button)

    def scope_key(self, scope: Any) -> str:
        """Canonical key of a BotCommandScope (validated)."""
        if scope in (None, ""):
            scope = {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
            raise bad_request("can't parse BotCommandScope: unsupported scope type")
        kind = scope["type"]
        key = kind
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self._find_chat(scope.get("chat_id"))
            key += f":{chat.chat['id']}"
        if kind == "chat_member":
            if scope.get("user_id") in (None, ""):
                raise bad_request("user not found")
            key += f":{int(scope['user_id'])}"
        return key

    def _language(self, p: Params) -> str:
        language = p.get_str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return language

    async def api_setMyCommands(self, p: Params) -> bool:
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
        key = (self.scope_key(p.get_obj("scope")), self._language(p))
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        return True

    async def api_deleteMyCommands(self, p: Params) -> bool:
        self._commands.pop((self.scope_key(p.get_obj("scope")), self._language(p)), None)
        return True

    async def api_getMyCommands(self, p: Params) -> list[dict[str, str]]:
        key = (self.scope_key(p.get_obj("scope")), self._language(p))
        return copy.deepcopy(self._commands.get(key, []))

    def _set_text(self, p: Params, kind: str, limit: int) -> bool:
        value = p.get_str(kind) or ""
        if len(value) > limit:
            raise bad_request(f"{kind.replace('_', ' ')} is too long")
        key = (kind, self._language(p))
        if value:
            self._bot_texts[key] = value
        else:
            self._bot_texts.pop(key, None)
        return True

    def _get_text(self, p: Params, kind: str) -> dict[str, str]:
        language = self._language(p)
        value = self._bot_texts.get((kind, language), self._bot_texts.get((kind, ""), ""))
        if kind == "name" and not value:
            value = self.bot_user["first_name"]
        return {kind: value}

    async def api_setMyDescription(self, p: Params) -> bool:
        return self._set_text(p, "description", 512)

    async def api_getMyDescription(self, p: Params) -> dict[str, str]:
        return self._get_text(p, "description")

    async def api_setMyShortDescription(self, p: Params) -> bool:
        return self._set_text(p, "short_description", 120)

    async def api_getMyShortDescription(self, p: Params) -> dict[str, str]:
        return self._get_text(p, "short_description")

    async def api_setMyName(self, p: Params) -> bool:
        return self._set_text(p, "name", 64)

    async def api_getMyName(self, p: Params) -> dict[str, str]:
        return self._get_text(p, "name")

    # -- update delivery ---------------------------------------------------------------------

    async def _long_poll(self, offset: int, limit: int, timeout: float) -> list[dict[str, Any]]:
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll notices it was superseded
        self._confirm(offset)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if self._updates or self._closing:
                return copy.deepcopy(self._updates[:limit])
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return []
            await self._wait_change(remaining)
            if self._poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            if self._webhook is not None:
                raise ApiError(409, "Conflict: terminated by setWebhook request")

    @staticmethod
    def _check_webhook_url(url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if parts.hostname not in LOCAL_HOSTS:
            raise bad_request(
                "bad webhook: the emulator only delivers to http://127.0.0.1 or http://localhost"
            )
        try:
            _ = parts.port
        except ValueError as exc:
            raise bad_request("bad webhook: Wrong port number specified in the URL") from exc

    def _restart_webhook_sender(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        if self._webhook is not None:
            self._webhook_task = asyncio.get_running_loop().create_task(
                self._webhook_sender(self._webhook)
            )

    async def _webhook_sender(self, hook: dict[str, Any]) -> None:
        """Deliver queued updates one by one; keep retrying failures with backoff."""
        attempts = 0
        while self._webhook is hook and not self._closing:
            if not self._updates:
                await self._wait_change(3600)
                continue
            update = self._updates[0]
            error = await self._post_update(hook, update)
            if error is None:
                attempts = 0
                if self._updates and self._updates[0] is update:
                    self._updates.pop(0)
                    self._notify()
                continue
            attempts += 1
            self._webhook_error = (self.now(), error)
            log.debug("webhook delivery of %s failed: %s", update["update_id"], error)
            if self._webhook_max_attempts is not None and attempts >= self._webhook_max_attempts:
                attempts = 0
                if self._updates and self._updates[0] is update:
                    self._updates.pop(0)
                continue
            await asyncio.sleep(min(2.0, self._webhook_retry_delay * 2 ** (attempts - 1)))

    async def _post_update(self, hook: dict[str, Any], update: dict[str, Any]) -> str | None:
        """POST one update; returns an error text like Telegram's last_error_message, or None."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        try:
            async with self._session.post(
                hook["url"],
                data=json.dumps(update),
                headers=headers,
                ssl=False,
                timeout=aiohttp.ClientTimeout(total=self._webhook_timeout),
            ) as response:
                body = await response.read()
                if not 200 <= response.status < 300:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as exc:
            return f"Connection error: {exc.__class__.__name__}"
        try:
            await self._webhook_reply(body)
        except Exception:  # a broken reply must not stop the delivery loop
            log.exception("executing the webhook reply failed")
        return None

    async def _webhook_reply(self, body: bytes) -> None:
        """Telegram executes a method returned in the webhook response; so do we."""
        try:
            reply = json.loads(body) if body.strip() else None
        except ValueError:
            return
        if isinstance(reply, dict) and isinstance(reply.get("method"), str):
            params = normalize_params({k: v for k, v in reply.items() if k != "method"})
            await self.call_method(reply["method"], params, source="webhook-reply")
