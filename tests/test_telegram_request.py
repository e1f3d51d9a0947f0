"""The aiohttp transport under python-telegram-bot: a failure that never reached the server
may be sent again; one after the request went out may have arrived and must not be.

Real sockets on 127.0.0.1, each server doing one wrong thing."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from telegram import Bot
from telegram.error import TelegramError

from bot.channels.telegram.request import AiohttpRequest
from bot.channels.telegram.sender import map_error
from bot.errors import SendError, Transient, Uncertain

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def serving(handle: Handler) -> AsyncIterator[int]:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    await reader.readexactly(length)


async def send_error(port: int, request: AiohttpRequest, **timeouts: float) -> SendError:
    bot = Bot("123:abc", base_url=f"http://127.0.0.1:{port}/bot", request=request)
    await request.initialize()
    try:
        await bot.send_message(1, "hello", **timeouts)  # type: ignore[arg-type]
    except TelegramError as err:
        return map_error(err)
    finally:
        await request.shutdown()
    raise AssertionError("the request should have failed")


async def test_a_refused_connection_is_safe_to_send_again() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    assert isinstance(await send_error(port, AiohttpRequest()), Transient)


async def test_a_lost_answer_counts_as_maybe_delivered() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)  # the request arrived; the answer never comes

    async with serving(silent) as port:
        error = await send_error(port, AiohttpRequest(read_timeout=0.2))
    assert isinstance(error, Uncertain)


async def test_a_connection_dropped_after_the_request_counts_as_maybe_delivered() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.close()

    async with serving(hang_up) as port:
        error = await send_error(port, AiohttpRequest())
    assert isinstance(error, Uncertain)


async def test_a_5xx_answer_is_safe_to_send_again() -> None:
    async def bad_gateway(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async with serving(bad_gateway) as port:
        error = await send_error(port, AiohttpRequest())
    assert isinstance(error, Transient)


async def test_waiting_too_long_for_a_free_connection_is_safe_to_send_again() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(2)

    async with serving(slow) as port:
        request = AiohttpRequest(pool_size=1, read_timeout=3)
        bot = Bot("123:abc", base_url=f"http://127.0.0.1:{port}/bot", request=request)
        await request.initialize()
        try:
            first = asyncio.create_task(bot.send_message(1, "first"))
            await asyncio.sleep(0.1)  # the only connection is now busy
            with pytest.raises(TelegramError) as caught:
                await bot.send_message(1, "second", connect_timeout=0.1, pool_timeout=0.1)
            first.cancel()
        finally:
            await request.shutdown()
    assert isinstance(map_error(caught.value), Transient)
