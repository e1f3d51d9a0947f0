"""The sandbox web page: phones side by side, driven through the emulator, with time travel.

``coachbot run`` without a token starts a :class:`Sandbox`: the Bot API emulator, a
ManualClock for the bot, and this page on 127.0.0.1. The bot is the production bot; it talks
to the emulator over HTTP and reads the sandbox clock, nothing else differs. The page acts
as Telegram users through the emulator's in-process API and moves the clock with
:class:`~bot.sandbox.web_travel.TimeMachine`. A sandbox on a ``--db`` file can be stopped and
resumed later (:mod:`bot.sandbox.web_resume`).

JSON endpoints used by ``static/sandbox.js`` (POST bodies are JSON):

    GET  /api/state                       time, next scheduled work, what is coming and
                                          waiting, quiet hours, phones, version
    GET  /api/events?seq=&version=&timeout=   long poll -> {"seq", "version", "chats"}
    GET  /api/chats/{chat_id}/messages    Message dicts + "outgoing" + "sandbox" time
    GET  /api/invites                     invite links seen in the chats, open or not
    GET  /api/files/{file_id}             the bytes of a photo
    POST /api/phones                      {"kind": participant|coach|stranger, "name",
                                           "language_code", "link"} -> {"user_id"}
    POST /api/phones/{user_id}/text       {"text", "reply_to"}
    POST /api/phones/{user_id}/press      {"message_id", "data"} -> {"answer"}
    POST /api/phones/{user_id}/photo      {"data_base64" or none for an example, "caption",
                                           "reply_to"}
    POST /api/phones/{user_id}/voice      {"duration"}
    POST /api/travel                      {"step": hour|day|week|next|window} -> travel + state
                                          (window: to the end of the quiet hours)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import functools
import logging
import math
import struct
import tempfile
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.clock import ManualClock
from bot.deps import Settings
from bot.host.invites import token_hash
from bot.sandbox.demo import (
    START_TOKEN,
    Demo,
    Driver,
    next_user_id,
    open_coach_invite,
    start_token,
)
from bot.sandbox.emulator import LOCAL_HOSTS, Emulator
from bot.sandbox.web_resume import Saved, check, restore_world, save
from bot.sandbox.web_travel import TimeMachine, Travel, describe_coming, long_day
from bot.schedule import policy
from storage import views
from storage.people import Role

if TYPE_CHECKING:
    from bot.app import CoachbotApp

log = logging.getLogger(__name__)

DEFAULT_PORT = 8080
TOKEN = "100000:SANDBOX"
BOT_USERNAME = "coachbot_sandbox_bot"
STATIC = Path(__file__).resolve().parent / "static"
MAX_PHOTO_BYTES = 10 * 1024 * 1024
STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Sandbox:
    """Emulator, sandbox clock and web page around one running CoachbotApp.

    Use: ``await start_emulator()``; start the bot with ``token``, ``api_url``, ``clock`` and
    ``db_path``; then ``await attach(app)``, which registers the first coach (or seeds the
    demo) and serves the page at ``url``; ``await stop()`` at the end.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        start: datetime | None = None,
        db_path: Path | str | None = None,
    ) -> None:
        """``port=None`` tries 8080, then any free port; ``db_path=None`` is a temporary file."""
        self.host = host
        self.port = port
        self.clock = ManualClock(start or datetime.now(UTC))
        self.token = TOKEN
        self.emulator = Emulator(token=TOKEN, bot_username=BOT_USERNAME, host="127.0.0.1")
        self.machine = TimeMachine(self.clock, self.emulator, self._changed)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if db_path is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="coachbot-sandbox-")
            self.db_path = Path(self._tmp.name) / "sandbox.sqlite3"
        else:
            self.db_path = Path(db_path)
        self.app: CoachbotApp | None = None
        self.coach_id: int | None = None
        self.resumed: Saved | None = None  # what a stopped sandbox left on this database
        self._attached = False
        self._version = 0
        self._bump: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The bot's settings in the sandbox.

        The emulator does not rate-limit, so messages are paced loosely (Telegram's one per
        second per chat would make every tap feel slow); everything else is as in production.
        """
        return Settings(per_chat_rate=20, per_chat_burst=20)

    async def start_emulator(self) -> None:
        """Start the Bot API emulator (on 127.0.0.1, any free port).

        A ``db_path`` that a stopped sandbox left is resumed: its phones, chats and sandbox
        time come back (``bot/sandbox/web_resume.py``). Raises ValueError for any other
        database that holds people, so a production database given by mistake is never
        touched.
        """
        if self._tmp is None:
            self.resumed = check(self.db_path)
        self._bump = asyncio.Event()
        await self.emulator.start()
        if self.resumed is not None:
            self.clock.set(self.resumed.clock)
            self.machine.restore_stamps(self.resumed.stamps)
            restore_world(self.emulator, self.resumed.world)
            log.info(
                "resuming the sandbox in %s at sandbox time %s",
                self.db_path,
                self.resumed.clock.isoformat(timespec="minutes"),
            )

    @property
    def api_url(self) -> str:
        """The emulator as python-telegram-bot's ``base_url``."""
        return self.emulator.base_url

    @property
    def url(self) -> str:
        """The address of the page."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def attach(
        self,
        app: CoachbotApp,
        *,
        demo: bool = False,
        coach_name: str = "Sanne",
        coach_language: str = "en",
    ) -> None:
        """Register the first coach (or seed the demo), then serve the page.

        A resumed sandbox has its people already: nothing is registered or seeded again.
        """
        self.app = app
        self.machine.app = app
        self._attached = True
        self.machine.start_watching()
        if self.resumed is not None:
            self.coach_id = self.resumed.coach_id
            if demo:
                log.warning("--demo is not played again: %s is resumed as it was", self.db_path)
        elif demo:
            self.coach_id = await Demo(app, self.emulator, self.machine).run()
        else:
            self.coach_id = await open_coach_invite(app, self.emulator, coach_name, coach_language)
            try:
                await Driver(self.emulator).next(self.coach_id)
            except TimeoutError:
                log.warning("the first coach got no welcome message yet")
        await self.serve()

    async def serve(self) -> None:
        """Start the web server (``attach`` does this)."""
        application = web.Application(
            client_max_size=MAX_PHOTO_BYTES * 4 // 3 + 64 * 1024,
            middlewares=[self._guard],
        )
        self._routes(application)
        self._runner = web.AppRunner(application, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        if self.port is None:
            try:
                await self._listen(DEFAULT_PORT)
            except OSError as err:
                if err.errno != errno.EADDRINUSE:
                    raise
                await self._listen(0)
        else:
            await self._listen(self.port)
        if self.host not in LOCAL_HOSTS:
            log.warning(
                "the sandbox page listens on %s: anyone who can reach it can use it", self.host
            )

    async def _listen(self, port: int) -> None:
        assert self._runner is not None
        site = web.TCPSite(self._runner, self.host, port)
        await site.start()
        self.port = self._runner.addresses[-1][1]

    async def stop(self) -> None:
        """Stop the page, the watcher and the emulator; remove the temporary database.

        Call it after the bot stopped: for a database given as ``db_path`` it writes the
        note that lets the next sandbox on the same file resume it.
        """
        self._changed()
        await self.machine.stop_watching()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.emulator.stop()
        if self._tmp is None and self._attached and self.db_path.exists():
            save(self.db_path, self.clock.now(), self.coach_id, self.emulator, self.machine)
            self._attached = False
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.cleanup()
            self._tmp = None

    # -- state -----------------------------------------------------------------------------

    def _changed(self) -> None:
        self._version += 1
        if self._bump is not None:
            self._bump.set()
            self._bump = asyncio.Event()

    def _bot(self) -> CoachbotApp:
        if self.app is None or self.app.deps is None:
            raise web.HTTPServiceUnavailable(text="the bot is starting")
        return self.app

    async def state(self) -> dict[str, Any]:
        """Time, next scheduled work and phones, JSON-ready."""
        deps = self._bot().deps
        assert deps is not None
        tz = deps.content.tz
        now = self.clock.now().astimezone(tz)
        coming = describe_coming(await self.machine.coming(), tz)
        sends = (c for c in coming if c["at"] is not None and c["why"] not in ("open", "held"))
        return {
            "version": self._version,
            "seq": self.emulator.seq,
            "time": {
                "at": now.isoformat(),
                "clock": f"{now:%H:%M}",
                "day": long_day(now),
                "zone": str(tz),
            },
            "next": next(sends, None),
            "coming": coming,
            "quiet": self.quiet(),
            "bot": BOT_USERNAME,
            "coach_id": self.coach_id,
            "phones": await self.phones(),
            "languages": [
                {"code": code, "name": catalog.name, "direction": catalog.direction}
                for code, catalog in deps.content.catalogs.by_code.items()
            ],
        }

    def quiet(self) -> dict[str, Any]:
        """The delivery window, and whether the sandbox time is in its quiet hours now."""
        deps = self._bot().deps
        assert deps is not None
        window = policy.window(deps)
        until = self.machine.quiet_until()
        return {
            "active": until is not None,
            "start": f"{window.start:%H:%M}",
            "end": f"{window.end:%H:%M}",
            "until": f"{until.astimezone(window.tz):%H:%M}" if until else None,
        }

    async def phones(self) -> list[dict[str, Any]]:
        """Every emulated user, with who they are to the bot."""
        deps = self._bot().deps
        assert deps is not None
        people = await views.phone_owners(deps.db)
        catalogs = deps.content.catalogs
        phones = []
        for user in self.emulator.state()["users"]:
            if user.get("is_bot"):
                continue
            person = people.get(int(user["id"]))
            language = (person.language if person else None) or user.get("language_code")
            code = catalogs.pick(language)
            phones.append(
                {
                    "user_id": user["id"],
                    "first_name": user["first_name"],
                    "language_code": user.get("language_code"),
                    "role": person.role if person else None,
                    "name": person.name if person else user["first_name"],
                    "status": person.status if person else None,
                    "language": code if person else None,
                    "language_name": catalogs.by_code[code].name if person else None,
                    "blocked": user.get("blocked", False),
                    "commands": self.emulator.visible_commands(int(user["id"])),
                }
            )
        return phones

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """A chat's messages with the sandbox time each appeared at."""
        deps = self._bot().deps
        assert deps is not None
        tz = deps.content.tz
        found = self.emulator.messages(chat_id)
        for message in found:
            at = self.machine.stamp(chat_id, message["message_id"]).astimezone(tz)
            message["sandbox"] = {
                "at": at.isoformat(),
                "time": f"{at:%H:%M}",
                "day": long_day(at),
            }
        return found

    async def invites(self) -> list[dict[str, Any]]:
        """Invite links in the chats, newest first, with whom they are for."""
        deps = self._bot().deps
        assert deps is not None
        order = {(e["chat_id"], e["message_id"]): e["seq"] for e in self.emulator.events(0)}
        seen: dict[str, int] = {}
        for chat in self.emulator.state()["chats"]:
            chat_id = int(chat["chat"]["id"])
            for message in self.emulator.bot_messages(chat_id):
                for token in START_TOKEN.findall(message.get("text") or ""):
                    at = order.get((chat_id, message["message_id"]), 0)
                    seen[token] = max(seen.get(token, 0), at)
        now = self.clock.now()
        found = []
        for token in sorted(seen, key=lambda t: seen[t], reverse=True):
            invite = await views.invite(deps.db, token_hash(token))
            if invite is None:
                continue
            if invite.used_at is not None:
                status = "used"
            elif invite.expires_at <= now:
                status = "expired"
            else:
                status = "open"
            found.append(
                {
                    "token": token,
                    "link": f"https://t.me/{BOT_USERNAME}?start={token}",
                    "name": invite.name,
                    "language": invite.language,
                    "role": invite.role,
                    "status": status,
                }
            )
        return found

    # -- acting ------------------------------------------------------------------------------

    async def add_phone(self, body: dict[str, Any]) -> dict[str, Any]:
        """A new phone: a participant opening an invite link, a new coach, or a stranger."""
        app = self._bot()
        kind = str(body.get("kind") or "participant")
        name = str(body.get("name") or "").strip()[:40]
        language = str(body.get("language_code") or "nl")[:10]
        if kind == "coach":
            user_id = await open_coach_invite(app, self.emulator, name or "Coach", language)
        elif kind in ("participant", "stranger"):
            link = str(body.get("link") or "").strip()
            token = start_token(link) if link else None
            if kind == "participant" and token is None:
                raise ValueError("paste or choose an invite link (…?start=…)")
            user_id = next_user_id(self.emulator, Role.PARTICIPANT)
            self.emulator.add_user(user_id, name or f"Phone {user_id}", language)
            self.emulator.send_command(user_id, "/start", args=token)
        else:
            raise ValueError(f"unknown kind of phone {kind!r}")
        self._changed()
        return {"user_id": user_id}

    async def press(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        """Tap an inline button; waits briefly for the bot's callback answer (the toast)."""
        update = self.emulator.press_button(user_id, message_id, data)
        query_id = (update.get("callback_query") or {}).get("id")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 3.0
        answer = None
        while query_id is not None:
            answer = self.emulator.callback_answer(str(query_id))
            remaining = deadline - loop.time()
            if answer is not None or remaining <= 0:
                break
            await self.emulator.wait_for_change(remaining)
        return {"answer": answer}

    async def travel(self, step: str) -> Travel:
        self._bot()
        if step == "next":
            return await self.machine.travel_to_next()
        if step == "window":
            until = self.machine.quiet_until()
            if until is None:
                raise ValueError("it is not quiet hours: the bot may send now")
            return await self.machine.travel_to(until)
        if step not in STEPS:
            raise ValueError(f"unknown step {step!r}; use hour, day, week, next or window")
        return await self.machine.advance(STEPS[step])

    # -- HTTP --------------------------------------------------------------------------------

    def _allowed_hosts(self) -> set[str] | None:
        if self.host not in LOCAL_HOSTS:
            return None  # listening on purpose beyond this machine: no Host check
        return {f"{h}:{self.port}" for h in ("127.0.0.1", "localhost", "[::1]")}

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Answer only requests for this address (no DNS rebinding, no cross-site posts)."""
        allowed = self._allowed_hosts()
        if allowed is not None and request.host not in allowed:
            return web.json_response({"error": "unknown host"}, status=403)
        if request.method not in ("GET", "HEAD"):
            origin = request.headers.get("Origin")
            if origin and allowed is not None and origin.split("://", 1)[-1] not in allowed:
                return web.json_response({"error": "cross-site request"}, status=403)
            if request.content_type != "application/json":
                return web.json_response({"error": "send JSON"}, status=415)
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"error": str(exc) or type(exc).__name__}, status=400)

    def _routes(self, application: web.Application) -> None:
        async def index(request: web.Request) -> web.StreamResponse:
            return _static("index.html")

        async def static(request: web.Request) -> web.StreamResponse:
            return _static(request.match_info["name"])

        async def state(request: web.Request) -> web.StreamResponse:
            return web.json_response(await self.state())

        async def events(request: web.Request) -> web.StreamResponse:
            seq = int(request.query.get("seq", 0))
            version = int(request.query.get("version", -1))
            timeout = max(0.0, min(30.0, float(request.query.get("timeout", 0))))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while True:
                found = self.emulator.events(seq)
                remaining = deadline - loop.time()
                if found or version != self._version or remaining <= 0:
                    break
                await self._wait_any(remaining)
            chats = sorted({int(e["chat_id"]) for e in found})
            return web.json_response(
                {"seq": self.emulator.seq, "version": self._version, "chats": chats}
            )

        async def messages(request: web.Request) -> web.StreamResponse:
            return web.json_response(self.messages(int(request.match_info["chat_id"])))

        async def invites(request: web.Request) -> web.StreamResponse:
            return web.json_response(await self.invites())

        async def file(request: web.Request) -> web.StreamResponse:
            stored = self.emulator.files.get(request.match_info["file_id"])
            if stored is None:
                raise web.HTTPNotFound()
            return web.Response(
                body=stored.data,
                content_type=_image_type(stored.data),
                headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=3600"},
            )

        async def add_phone(request: web.Request) -> web.StreamResponse:
            return web.json_response(await self.add_phone(await _body(request)))

        async def text(request: web.Request) -> web.StreamResponse:
            body = await _body(request)
            reply_to = body.get("reply_to")
            self.emulator.send_text(
                _user(request), str(body["text"]), int(reply_to) if reply_to else None
            )
            return web.json_response({"ok": True})

        async def press(request: web.Request) -> web.StreamResponse:
            body = await _body(request)
            result = await self.press(_user(request), int(body["message_id"]), str(body["data"]))
            return web.json_response(result)

        async def photo(request: web.Request) -> web.StreamResponse:
            body = await _body(request)
            data = base64.b64decode(body["data_base64"]) if body.get("data_base64") else None
            if data is not None and len(data) > MAX_PHOTO_BYTES:
                raise ValueError("a photo may be at most 10 MB")
            reply_to = body.get("reply_to")
            self.emulator.send_photo(
                _user(request),
                str(body.get("caption") or "") or None,
                data=data if data is not None else example_photo(),
                reply_to_message_id=int(reply_to) if reply_to else None,
            )
            return web.json_response({"ok": True})

        async def voice(request: web.Request) -> web.StreamResponse:
            body = await _body(request)
            duration = max(1, min(600, int(body.get("duration", 4))))
            self.emulator.send_voice(_user(request), duration)
            return web.json_response({"ok": True})

        async def travel(request: web.Request) -> web.StreamResponse:
            body = await _body(request)
            moved = await self.travel(str(body.get("step", "")))
            return web.json_response(
                {
                    "stops": moved.stops,
                    "messages": moved.messages,
                    "note": moved.note,
                    "state": await self.state(),
                }
            )

        application.router.add_get("/", index)
        application.router.add_get("/static/{name}", static)
        application.router.add_get("/api/state", state)
        application.router.add_get("/api/events", events)
        application.router.add_get("/api/chats/{chat_id}/messages", messages)
        application.router.add_get("/api/invites", invites)
        application.router.add_get("/api/files/{file_id}", file)
        application.router.add_post("/api/phones", add_phone)
        application.router.add_post("/api/phones/{user_id}/text", text)
        application.router.add_post("/api/phones/{user_id}/press", press)
        application.router.add_post("/api/phones/{user_id}/photo", photo)
        application.router.add_post("/api/phones/{user_id}/voice", voice)
        application.router.add_post("/api/travel", travel)

    async def _wait_any(self, timeout: float) -> None:
        """Sleep until a message event, a sandbox change, or ``timeout``."""
        bump = self._bump or asyncio.Event()
        waiters = [
            asyncio.ensure_future(self.emulator.wait_for_change(timeout)),
            asyncio.ensure_future(bump.wait()),
        ]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)


_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


def _static(name: str) -> web.StreamResponse:
    path = (STATIC / name).resolve()
    if path.parent != STATIC or path.suffix not in _TYPES or not path.is_file():
        raise web.HTTPNotFound()
    return web.Response(
        body=path.read_bytes(),
        content_type=_TYPES[path.suffix],
        charset="utf-8" if path.suffix in (".html", ".js", ".css", ".svg") else None,
        headers={
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            # Nothing from elsewhere: the page works offline and cannot leak to the internet.
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
            "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        },
    )


def _user(request: web.Request) -> int:
    return int(request.match_info["user_id"])


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("a JSON object is expected")
    return body


def _image_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"GIF8":
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


@functools.lru_cache(maxsize=1)
def example_photo(width: int = 480, height: int = 320) -> bytes:
    """A small landscape PNG (sky, sun, hills) for trying out photos without a file."""
    rows = []
    sun_x, sun_y, sun_r = width * 0.72, height * 0.3, height * 0.11
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            hill = height * (0.62 + 0.08 * math.sin(x / width * 2 * math.pi * 1.3))
            if y > hill:
                shade = int(40 * (y - hill) / (height - hill + 1))
                pixel = (70 - shade // 2, 150 - shade, 80 - shade // 2)
            elif (x - sun_x) ** 2 + (y - sun_y) ** 2 <= sun_r**2:
                pixel = (255, 214, 90)
            else:
                t = y / height
                pixel = (int(120 + 90 * t), int(180 + 50 * t), 235)
            row += bytes(pixel)
        rows.append(bytes(row))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + chunk(b"IEND", b"")
    )
