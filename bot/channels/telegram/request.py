"""python-telegram-bot's HTTP seam, over aiohttp instead of httpx.

The benchmarks (docs/benchmarks.md, finding 2) found most of the bot's CPU per message in
httpx → httpcore → h11, which parse HTTP in pure Python; aiohttp parses in C. Only the
transport changes: python-telegram-bot still builds the requests, reads the answers and
raises its own errors (`BaseRequest._request_wrapper`), so `map_error` stays the one place
where they become ours. What it cannot tell apart we say here: `NotSent` means the request
never reached the server, so sending again cannot make a second copy.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.errors import CoachbotError

DEFAULT_TIMEOUTS = {"connect": 5.0, "read": 5.0, "pool": 1.0}


class NotSent(NetworkError, CoachbotError):
    """The connection could not be made (refused, or no connection free in time).

    A NetworkError first, so python-telegram-bot passes it through unchanged to `map_error`.
    """


def _seconds(value: Any, default: float) -> float | None:
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded pool; JSON bodies, multipart when there are files."""

    def __init__(self, pool_size: int = 64, read_timeout: float = 5.0) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        connect = _seconds(connect_timeout, DEFAULT_TIMEOUTS["connect"])
        pool = _seconds(pool_timeout, DEFAULT_TIMEOUTS["pool"])
        # aiohttp's `connect` covers waiting for a free pooled connection too.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_read=_seconds(read_timeout, self._read_timeout),
        )
        body: Any = None
        headers: dict[str, str] = {}
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                body = form
            else:
                body = request_data.json_payload
                headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as err:
            raise NotSent(f"aiohttp.{type(err).__name__}: {err}") from err
        except (aiohttp.ServerTimeoutError, TimeoutError) as err:
            raise TimedOut from err  # the request went out; its answer did not come
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err
