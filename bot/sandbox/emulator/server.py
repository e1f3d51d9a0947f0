"""The Bot API over HTTP: ``/bot{token}/{method}`` and ``/file/bot{token}/{file_path}``.

Method names are case-insensitive; parameters come from the query string, JSON,
urlencoded or multipart bodies. Injected faults strike here, before the method runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, NoReturn, Protocol

from aiohttp import web

from bot.sandbox.emulator.answers import ApiError, success_body
from bot.sandbox.emulator.faults import Faults, RoundTrip
from bot.sandbox.emulator.params import Params, read_request
from bot.sandbox.emulator.registry import METHODS, canonical
from bot.sandbox.emulator.world import World


class LogCall(Protocol):
    """Records a call in the call log; returns the entry (completed once the call ran)."""

    def __call__(
        self, method: str, values: dict[str, Any], error: ApiError | None, **extra: Any
    ) -> dict[str, Any]: ...


# Counts a call against the rate limits; raises a 429 ApiError past them.
CheckLimits = Callable[[str, dict[str, Any]], None]


class BotApi:
    """Runs Bot API methods on a World, over HTTP or called directly (``execute``)."""

    def __init__(
        self,
        world: World,
        faults: Faults,
        log: LogCall,
        check_limits: CheckLimits,
        round_trip: RoundTrip | None = None,
    ) -> None:
        self._world = world
        self._round_trip = round_trip or RoundTrip()
        self._faults = faults
        self._log = log
        self._check_limits = check_limits

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)

    async def execute(
        self, method: str, params: dict[str, Any], source: str
    ) -> tuple[int, dict[str, Any], dict[str, Any]]:
        """Run a method; returns (HTTP status, JSON body, call-log entry)."""
        name = canonical(method)
        if name is None:
            error = ApiError(404, "Not Found")
            return 404, error.body(), self._log(method, params, error, source=source)
        entry = self._log(name, params, None, source=source)
        try:
            self._check_limits(name, params)
            result = await METHODS[name](self._world, Params(params))
        except ApiError as exc:
            entry.update(ok=False, error_code=exc.error_code, description=exc.description)
            return exc.error_code, exc.body(), entry
        return 200, success_body(result), entry

    def _token_error(self, token: str) -> web.Response | None:
        if token == self._world.token:
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
        name = canonical(method) or method
        await self._round_trip.travel()  # the request on its way
        fault = self._faults.take(name)
        if fault is not None and fault.kind == "drop":
            self._log(name, values, None, fault="drop")
            self._drop(request)
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay or 0.0)
        if fault is not None and fault.kind not in ("slow", "slow_after", "drop_after"):
            error = fault.error()
            self._log(name, values, error, fault=fault.kind)
            await self._round_trip.travel()
            return web.json_response(error.body(), status=error.error_code)
        status, body, entry = await self.execute(method, values, "http")
        if fault is not None and fault.kind == "drop_after":
            entry["fault"] = "drop_after"
            self._drop(request)
        if fault is not None and fault.kind == "slow_after":
            entry["fault"] = "slow_after"
            await asyncio.sleep(fault.delay or 0.0)  # done at once, answered late
        await self._round_trip.travel()  # the answer on its way back
        return web.json_response(body, status=status)

    @staticmethod
    def _drop(request: web.Request) -> NoReturn:
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError  # the client sees a closed connection, no answer

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        denied = self._token_error(request.match_info["token"])
        stored = self._world.files.by_path(request.match_info["path"])
        if denied is not None or stored is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")
