"""The webhook answers junk with 403 or 400, never 500 and never a traceback (issue 13, item 2).

Raw HTTP requests (bytes on a socket, so headers can be anything, non-ASCII included) go to
the real aiohttp webhook server of a running bot on 127.0.0.1: a bad secret token (missing,
wrong, non-ASCII, repeated) gets 403; with the right one, a body that is not an update (not
JSON, not an object, nested too deeply, no usable update_id) gets 400, and an update gets
200 (handled, or parked when python-telegram-bot cannot read it). The bot logs one line per
refusal and no traceback, and still answers afterwards.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.app import CoachbotApp, Options
from bot.clock import ManualClock
from bot.deps import Settings
from bot.sandbox.emulator import Emulator
from storage import parked
from tests.e2e.conftest import START
from tests.e2e.harness import REPO, TOKEN

SECRET = b"s3cret-Token_for-fuzzing"
HEADER = b"X-Telegram-Bot-Api-Secret-Token"
ALLOWED = {200, 400, 403}
IN_SERVER = pytest.mark.asyncio(loop_scope="module")
pytestmark = IN_SERVER

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, emu: Emulator, app: CoachbotApp, port: int) -> None:
        self.emu = emu
        self.app = app
        self.port = port
        self.next_id = 10_000_000

    def update_id(self) -> int:
        self.next_id += 1
        return self.next_id


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    emu = Emulator(token=TOKEN, bot_username="coachbot_test_bot", host="127.0.0.1", port=0)
    await emu.start()
    port = free_port()
    options = Options(
        token=TOKEN,
        db_path=Path(tmp_path_factory.mktemp("webhook")) / "db.sqlite3",
        content_dir=REPO,
        api_url=emu.base_url,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret=SECRET.decode(),
        webhook_port=port,
    )
    app = CoachbotApp(options, ManualClock(START), Settings(poll_interval=0.05))
    await app.start()
    try:
        yield Server(emu, app, port)
    finally:
        await app.stop()
        await emu.stop()


async def post(port: int, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    """POST /telegram as raw bytes; the status code of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = b"POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        head += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        head += b"Content-Type: application/json\r\n"
        head += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        writer.write(head + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
        await writer.wait_closed()
    status_line = answer.split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def tracebacks(caplog: pytest.LogCaptureFixture, since: int) -> list[str]:
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records[since:]
        if r.exc_info or r.exc_text or "Traceback" in r.getMessage()
    ]


def right() -> list[tuple[bytes, bytes]]:
    return [(HEADER, SECRET)]


def is_right(headers: list[tuple[bytes, bytes]]) -> bool:
    """One secret header (names are case-insensitive) with the secret, give or take the
    spaces and tabs around a value, which HTTP does not count."""
    return (
        len(headers) == 1
        and headers[0][0].lower() == HEADER.lower()
        and headers[0][1].strip(b" \t") == SECRET
    )


def message_update(update_id: int, text: str = "/help", user: int = 4711) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": False, "first_name": "Fuzz"},
            "text": text,
        },
    }


# --- strategies -----------------------------------------------------------------------------

# Header bytes aiohttp's parser lets through (anything but CR, LF and other controls but tab)
# and the ones it refuses itself (NUL, other controls): both must end without a traceback.
HEADER_BYTES = st.binary(max_size=300).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
NON_ASCII = st.binary(min_size=1, max_size=40).map(
    lambda b: bytes(x | 0x80 for x in b)  # every byte ≥ 0x80: never the secret
)
SECRET_HEADERS = st.one_of(
    st.just([]),  # missing
    st.just(right()),  # right
    HEADER_BYTES.map(lambda v: [(HEADER, v)]),  # anything (almost never right)
    NON_ASCII.map(lambda v: [(HEADER, v)]),
    NON_ASCII.map(lambda v: [(HEADER, SECRET + v)]),  # right, then more
    st.just([(HEADER, SECRET), (HEADER, SECRET)]),  # repeated
    st.just([(HEADER, SECRET), (HEADER, b"wrong")]),
    st.sampled_from([HEADER.lower(), HEADER.upper()]).map(lambda name: [(name, SECRET)]),
    st.just([(HEADER, SECRET[:-1])]),
    st.just([(HEADER, SECRET + b" ")]),
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)
UPDATE_KINDS = st.sampled_from(
    ["message", "edited_message", "callback_query", "my_chat_member", "channel_post", "poll"]
)
# Up to 100,000 levels (at most 600 kB: under the 1 MB body limit).
DEEP = st.tuples(st.integers(min_value=1, max_value=100_000), st.sampled_from(["[", '{"a":'])).map(
    lambda t: (
        (t[1] * t[0]).encode() + (b"]" if t[1] == "[" else b"}") * t[0] * (1 if t[0] % 3 else 0)
    )  # some left unclosed
)
BODIES = st.one_of(
    st.binary(max_size=600),
    JSON.map(lambda v: json.dumps(v).encode()),
    DEEP,
    st.builds(
        lambda update_id, kind, value: json.dumps({"update_id": update_id, kind: value}).encode(),
        st.one_of(st.integers(min_value=-(2**70), max_value=2**70), JSON),
        UPDATE_KINDS,
        JSON,
    ),
    # A real-looking update with one field of the message replaced by anything.
    st.builds(
        lambda field, value, update_id: json.dumps(
            {
                **message_update(update_id),
                "message": {**message_update(update_id)["message"], field: value},
            }
        ).encode(),
        st.sampled_from(["chat", "from", "text", "date", "message_id", "entities", "reply_to"]),
        JSON,
        st.integers(min_value=20_000_000, max_value=2**40),
    ),
)


# --- the cases from the issue -----------------------------------------------------------------

NOT_UPDATES = {
    "list": b"[1, 2, 3]",
    "string": b'"hello"',
    "null": b"null",
    "number": b"42",
    "message-a-string": b'{"message": "str"}',
    "deeply-nested-list": b"[" * 100_000 + b"]" * 100_000,
    "deeply-nested-object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "nested-past-the-limit": b'{"update_id": 5, "message": ' + b"[" * 60 + b"]" * 60 + b"}",
    "not-json": b"update_id=5",
    "bad-utf8": b'{"update_id": 5, "message": "\xff\xfe"}',
    "empty": b"",
    "bool-id": b'{"update_id": true}',
    "negative-id": b'{"update_id": -1}',
    "huge-id": b'{"update_id": 100000000000000000000000}',
    "thousands-of-digits": b'{"update_id": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("case", sorted(NOT_UPDATES))
async def test_a_body_that_is_not_an_update_gets_400_and_one_line(
    server: Server, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    since = len(caplog.records)
    assert await post(server.port, right(), NOT_UPDATES[case]) == 400
    refusals = [r for r in caplog.records[since:] if "webhook request refused" in r.getMessage()]
    assert len(refusals) == 1
    assert tracebacks(caplog, since) == []


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(HEADER, b"wrong")],
        [(HEADER, "geheim-é".encode())],
        [(HEADER, b"\xff\xfe\xfd")],
        [(HEADER, SECRET + "ü".encode())],
        [(HEADER, SECRET), (HEADER, SECRET)],
        [(HEADER, b"")],
    ],
    ids=["missing", "wrong", "non-ascii", "latin-bytes", "right-then-more", "twice", "empty"],
)
async def test_a_bad_secret_gets_403_and_changes_nothing(
    server: Server, headers: list[tuple[bytes, bytes]], caplog: pytest.LogCaptureFixture
) -> None:
    since = len(caplog.records)
    update_id = server.update_id()
    assert await post(server.port, headers, json.dumps(message_update(update_id)).encode()) == 403
    refusals = [r for r in caplog.records[since:] if "webhook request refused" in r.getMessage()]
    assert len(refusals) == 1 and "secret" in refusals[0].getMessage()
    assert all(SECRET.decode() not in r.getMessage() for r in caplog.records[since:])
    assert tracebacks(caplog, since) == []
    deps = server.app.deps
    assert deps is not None
    seen = await deps.db.scalar("SELECT COUNT(*) FROM inbound WHERE update_id = ?", (update_id,))
    assert seen == 0


async def test_an_update_gets_200_after_it_was_handled(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    since = len(caplog.records)
    update_id = server.update_id()
    assert await post(server.port, right(), json.dumps(message_update(update_id)).encode()) == 200
    deps = server.app.deps
    assert deps is not None
    assert await deps.db.scalar("SELECT COUNT(*) FROM inbound WHERE update_id = ?", (update_id,))
    assert tracebacks(caplog, since) == []


async def test_an_update_the_library_cannot_read_gets_200_once_parked(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    since = len(caplog.records)
    update_id = server.update_id()
    body = json.dumps({"update_id": update_id, "message": "str"}).encode()
    assert await post(server.port, right(), body) == 200
    deps = server.app.deps
    assert deps is not None
    before = await parked.count(deps.db)
    assert await post(server.port, right(), body) == 200  # Telegram sent it again
    assert await parked.count(deps.db) == before  # parked once
    rows = await deps.db.fetchall(
        "SELECT update_id FROM parked_updates WHERE update_id = ?", (update_id,)
    )
    assert len(rows) == 1
    events = await deps.db.scalar(
        "SELECT COUNT(*) FROM events WHERE type = 'update_parked' AND ref = ?",
        (parked.ref(update_id),),
    )
    assert events == 1
    assert tracebacks(caplog, since) == []


# --- fuzzing ----------------------------------------------------------------------------------


@FUZZ
@given(headers=SECRET_HEADERS, body=BODIES)
@example(headers=[(HEADER, "é".encode())], body=b"{}")
@example(headers=right(), body=b"[]")
@example(headers=right(), body=b"[" * 100_000)
async def test_any_request_gets_200_400_or_403_and_no_traceback(
    server: Server,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    since = len(caplog.records)
    status = await post(server.port, headers, body)
    assert status in ALLOWED
    if not is_right(headers):
        assert status in (400, 403)  # 400: aiohttp refused malformed HTTP itself
    assert tracebacks(caplog, since) == []


async def test_the_bot_still_answers_after_the_fuzzing(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    server.emu.add_user(4242, "Eve", language_code="en")
    server.emu.send_command(4242, "/start")
    reply = await server.emu.wait_for_bot_message(4242, timeout=10)
    assert reply["text"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert all("parked update" in r.getMessage() for r in errors), [r.getMessage() for r in errors]
