"""Webhook delivery: POST the queued updates to the bot one by one, retrying failures."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.sandbox.emulator.answers import bad_request
from bot.sandbox.emulator.params import normalize_params
from bot.sandbox.emulator.world import World

log = logging.getLogger(__name__)

# The emulator listens only here and delivers webhooks only here.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Runs a Bot API method by name: (method, params, source) -> (HTTP status, JSON body).
Execute = Callable[[str, dict[str, Any], str], Awaitable[tuple[int, dict[str, Any]]]]


def check_webhook_url(url: str) -> None:
    """Refuse a webhook URL the way Telegram does, and any host but this machine."""
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


class WebhookSender:
    """Delivers ``world.updates`` to ``world.webhook`` while one is set.

    ``max_attempts=None`` retries a failing delivery forever (like Telegram); retries back
    off from ``retry_delay`` doubling up to 2 s. A method returned in the webhook's answer
    is executed through ``execute``, as Telegram does.
    """

    def __init__(
        self,
        world: World,
        execute: Execute,
        max_attempts: int | None,
        retry_delay: float,
        timeout: float,
    ) -> None:
        self._world = world
        self._execute = execute
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def restart(self) -> None:
        """Stop delivering to the old webhook; start on the current one, if any."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._world.webhook is not None:
            self._task = asyncio.get_running_loop().create_task(self._deliver(self._world.webhook))

    async def close(self) -> None:
        """Stop delivering and close the HTTP session."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _deliver(self, hook: dict[str, Any]) -> None:
        """Deliver queued updates one by one; keep retrying failures with backoff."""
        world = self._world
        attempts = 0
        while world.webhook is hook and not world.closing:
            if not world.updates:
                await world.wait_change(3600)
                continue
            update = world.updates[0]
            error = await self._post(hook, update)
            if error is None:
                attempts = 0
                if world.updates and world.updates[0] is update:
                    world.updates.pop(0)
                    world.notify()
                continue
            attempts += 1
            world.webhook_error = (world.now(), error)
            log.debug("webhook delivery of %s failed: %s", update["update_id"], error)
            if self._max_attempts is not None and attempts >= self._max_attempts:
                attempts = 0
                if world.updates and world.updates[0] is update:
                    world.updates.pop(0)
                continue
            await asyncio.sleep(min(2.0, self._retry_delay * 2 ** (attempts - 1)))

    async def _post(self, hook: dict[str, Any], update: dict[str, Any]) -> str | None:
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
                timeout=aiohttp.ClientTimeout(total=self._timeout),
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
            await self._reply(body)
        except Exception:  # a broken reply must not stop the delivery loop
            log.exception("executing the webhook reply failed")
        return None

    async def _reply(self, body: bytes) -> None:
        """Telegram executes a method returned in the webhook response; so do we."""
        try:
            reply = json.loads(body) if body.strip() else None
        except ValueError:
            return
        if isinstance(reply, dict) and isinstance(reply.get("method"), str):
            params = normalize_params({k: v for k, v in reply.items() if k != "method"})
            await self._execute(reply["method"], params, "webhook-reply")
