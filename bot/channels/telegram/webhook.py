"""Webhook mode: Telegram POSTs each update; it is answered only after it was handled.

python-telegram-bot's webhook server queues an update and answers 200 at once, so a crash
before handling loses it, and it compares the secret token with `!=`. Here:

- the secret token header is compared in constant time, as bytes (a non-ASCII or repeated
  header is simply wrong): a missing or wrong one gets 403, logged without the token;
- a body that is not an update (not JSON, not an object, nested too deeply, no usable
  `update_id`) gets 400 and one log line without the body;
- an update python-telegram-bot cannot read, or one that keeps failing, is parked
  (`storage/parked.py`) and then answered 200, like any update whose transaction committed;
- when neither happened (the database stayed unusable) the answer is 503 and Telegram sends
  the update again; the `update_id` check drops a repeat.

Nothing is answered with a traceback: aiohttp's own complaints about malformed HTTP are one
line too (its default logs the offending header line, which may hold the token).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import MutableMapping
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from telegram import Bot, Update

from bot.channels.telegram.poller import Receive, read, update_id_of

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/telegram"
MAX_BODY = 1024 * 1024  # bytes; Telegram's updates are far smaller
MAX_DEPTH = 40  # nesting of a real update stays below 15 (a reply inside a message…)
_SECRET_HEADER = SECRET_HEADER.lower().encode("ascii")


class WebhookServer:
    def __init__(
        self,
        bot: Bot,
        receive: Receive,
        *,
        url: str,
        secret: str,
        listen: str,
        port: int,
    ) -> None:
        if not secret:
            raise ValueError("webhook mode needs a secret token")
        self.bot = bot
        self.receive = receive
        self.url = url
        self.secret = secret
        self._secret = secret.encode("utf-8")
        self.listen = listen
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(PATH, self._receive)
        self._runner = web.AppRunner(
            app,
            access_log=None,  # access logs would hold nothing useful
            logger=_ServerLog(log, {}),
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        await self.bot.set_webhook(
            self.url, secret_token=self.secret, allowed_updates=Update.ALL_TYPES
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _secret_matches(self, request: web.Request) -> bool:
        """Exactly one secret header, equal to the secret byte for byte (constant time)."""
        given = [value for name, value in request.raw_headers if name.lower() == _SECRET_HEADER]
        return len(given) == 1 and hmac.compare_digest(given[0], self._secret)

    async def _receive(self, request: web.Request) -> web.Response:
        if not self._secret_matches(request):
            log.warning(
                "webhook request refused: missing or wrong secret token (from %s)", request.remote
            )
            return web.Response(status=403)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            log.warning("webhook request refused: body larger than %d bytes", MAX_BODY)
            return web.Response(status=413)
        except Exception as err:  # the body did not arrive whole
            log.warning("webhook request refused: body unreadable (%s)", type(err).__name__)
            return web.Response(status=400)
        data = _parse(body)
        update_id = update_id_of(data)
        if not isinstance(data, dict) or update_id is None:
            problem = data if isinstance(data, str) else "no usable update_id"
            log.warning("webhook request refused: not a Telegram update (%s)", problem)
            return web.Response(status=400)
        update = read(data, update_id, self.bot)
        try:
            await self.receive(update)
        except Exception as err:  # neither committed nor parked: Telegram sends it again
            log.warning(
                "could not confirm update %s (%s); answered 503, Telegram sends it again",
                update_id,
                type(err).__name__,
            )
            return web.Response(status=503)
        return web.Response(status=200)


def _parse(body: bytes) -> dict[str, Any] | str:
    """The JSON object, or what is wrong with the body; never raises."""
    try:
        data = json.loads(body)
    except RecursionError:
        return "nested too deeply"
    except ValueError as err:  # also bad UTF-8 and numbers of thousands of digits
        return f"not JSON ({type(err).__name__})"
    if not isinstance(data, dict):
        return f"not an object ({type(data).__name__})"
    if _depth(data) > MAX_DEPTH:
        return "nested too deeply"
    return data


def _depth(value: Any) -> int:
    """How deeply lists and objects nest (iterative: no recursion limit to hit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


class _ServerLog(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's server log for the webhook: a request it cannot parse is one line.

    aiohttp logs malformed HTTP with a traceback that quotes the offending line (a header
    with the secret token, say). Here it is one warning with the error's class; anything
    else (a fault in the server itself) keeps its traceback.
    """

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError):
            log.warning("webhook request refused: malformed HTTP (%s)", type(exc_info).__name__)
            return
        super().exception(msg, *args, exc_info=exc_info, **kwargs)

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        kwargs.pop("exc_info", None)  # a traceback would quote the request
        super().debug(msg, *args, **kwargs)

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        return msg, kwargs
