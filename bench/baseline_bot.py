"""The baseline: Coachbot's weekly check-in written the way most python-telegram-bot bots are.

`python -m bench.baseline_bot --pickle … --api-url …` (same READY/STATS protocol and
OffsetClock idea as bench.child).

- Participants live in `user_data`, pending reminders in `bot_data`, all in one
  `PicklePersistence` file (rewritten every 60 s, PTB's default).
- On start (`post_init`) every participant gets a weekly `JobQueue` job for the check-in
  and every pending reminder a `run_once` job: APScheduler keeps them all in memory.
- The check-in question has four buttons; a `ConversationHandler` (persistent) takes the
  answer: "great"/"okay" → thanks; the two low moods → "shall your coach contact you?" →
  yes notifies the coach. Each press is answered (answerCallbackQuery), its buttons are
  replaced by a ✅ (editMessageReplyMarkup) and the next text is sent: the same Bot API
  calls Coachbot makes.
- `--limits telegram` adds PTB's `AIORateLimiter` (30/s overall, as the PTB docs advise,
  with 3 retries on 429); `--limits off` has no limiter (PTB's default).

Bench time: the clock reads `--at` at real Unix time `--t0`; jobs are scheduled in real time
at the moment their bench time comes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import signal
import sys
import time
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

T_PROCESS = time.monotonic()

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ContextTypes,
    ConversationHandler,
    PicklePersistence,
)
from telegram.warnings import PTBUserWarning  # noqa: E402

from bench.common import TOKEN, emit  # noqa: E402

T_IMPORTED = time.monotonic()

CONTACT = 1
MOODS = {"great": "😀 Great", "okay": "🙂 OK", "not_great": "😕 Not so good", "bad": "😞 Bad"}
HOW_ARE_YOU = "Hi {name} 👋 How are you this week?"
THANKS = "Thank you! Have a good week. 🌷"
WANT_CONTACT = "I am sorry to hear that. Would you like your coach to contact you?"
COACH_TOLD = "OK. I told your coach. They will contact you soon. 🤝"
TAKE_CARE = "OK. Take care. You can always write to me. 🌷"
COACH_ALERT = "🔔 {name} is not doing well this week and would like you to contact them."
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIMES = {"morning": (10, 0), "afternoon": (14, 0), "evening": (18, 0)}

errors = 0


class Clock:
    def __init__(self, at: datetime, t0: float) -> None:
        self.at, self.t0 = at, t0

    def now(self) -> datetime:
        return self.at + timedelta(seconds=time.time() - self.t0)

    def real(self, bench: datetime) -> datetime:
        """The real (UTC) moment at which the bench clock reads `bench`."""
        return datetime.fromtimestamp(self.t0 + (bench - self.at).total_seconds(), UTC)


def next_checkin(now: datetime, day: str, at: tuple[int, int]) -> datetime:
    here = now.astimezone(CLOCK.at.tzinfo)
    for offset in range(8):
        candidate = (here + timedelta(days=offset)).replace(
            hour=at[0], minute=at[1], second=0, microsecond=0
        )
        if candidate.weekday() == WEEKDAYS.index(day) and candidate > now:
            return candidate
    raise AssertionError("unreachable")


CLOCK: Clock


# --- jobs ---------------------------------------------------------------------------------


async def send_checkin(context: ContextTypes.DEFAULT_TYPE) -> None:
    job = context.job
    assert job is not None and job.user_id is not None and job.chat_id is not None
    profile = context.application.user_data[job.user_id]
    if profile.get("status") != "active":
        return
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=f"mood:{mood}")]
            for mood, label in MOODS.items()
        ]
    )
    await context.bot.send_message(
        job.chat_id, HOW_ARE_YOU.format(name=profile["name"]), reply_markup=keyboard
    )


async def send_reminder(context: ContextTypes.DEFAULT_TYPE) -> None:
    job = context.job
    assert job is not None
    reminder: dict[str, Any] = job.data  # type: ignore[assignment]
    await context.bot.send_message(reminder["chat_id"], reminder["text"])
    context.bot_data["reminders"].pop(reminder["id"], None)


# --- the check-in conversation ----------------------------------------------------------------


async def on_mood(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    await query.answer()
    mood = query.data.split(":", 1)[1]
    context.user_data["last_mood"] = mood
    chat_id = update.effective_chat.id if update.effective_chat else query.from_user.id
    await query.edit_message_reply_markup(
        InlineKeyboardMarkup([[InlineKeyboardButton(f"✅ {MOODS[mood]}", callback_data="x")]])
    )
    if mood in ("great", "okay"):
        await context.bot.send_message(chat_id, THANKS)
        return ConversationHandler.END
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes 👍", callback_data="contact:yes"),
                InlineKeyboardButton("No", callback_data="contact:no"),
            ]
        ]
    )
    await context.bot.send_message(chat_id, WANT_CONTACT, reply_markup=keyboard)
    return CONTACT


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    await query.answer()
    chat_id = update.effective_chat.id if update.effective_chat else query.from_user.id
    yes = query.data.endswith(":yes")
    await query.edit_message_reply_markup(
        InlineKeyboardMarkup(
            [[InlineKeyboardButton("✅ Yes 👍" if yes else "✅ No", callback_data="x")]]
        )
    )
    if yes:
        coach = context.user_data.get("coach")
        if coach:
            name = context.user_data.get("name", "")
            await context.bot.send_message(coach, COACH_ALERT.format(name=name))
        await context.bot.send_message(chat_id, COACH_TOLD)
    else:
        await context.bot.send_message(chat_id, TAKE_CARE)
    return ConversationHandler.END


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    global errors
    errors += 1
    logging.getLogger("baseline").warning("error: %s", type(context.error).__name__)


async def post_init(application: Application) -> None:
    """Jobs are not persisted by PTB: re-create one per participant and per reminder."""
    assert application.job_queue is not None
    queue = application.job_queue
    now = CLOCK.now()
    for user_id, profile in application.user_data.items():
        day, slot = profile.get("checkin_day"), profile.get("checkin_time")
        if profile.get("status") != "active" or day not in WEEKDAYS or slot not in TIMES:
            continue
        first = CLOCK.real(next_checkin(now, day, TIMES[slot]))
        queue.run_repeating(
            send_checkin,
            interval=timedelta(weeks=1),
            first=first,
            chat_id=user_id,
            user_id=user_id,
            name=f"checkin:{user_id}",
        )
    for reminder_id, reminder in application.bot_data.get("reminders", {}).items():
        due = datetime.fromtimestamp(reminder["due"], UTC)
        delay = max(0.0, (due - now).total_seconds())
        queue.run_once(
            send_reminder,
            when=delay,
            data={**reminder, "id": reminder_id},
            chat_id=reminder["chat_id"],
            name=f"reminder:{reminder_id}",
        )


def build(args: argparse.Namespace) -> Application:
    warnings.filterwarnings("ignore", category=PTBUserWarning)
    builder = (
        Application.builder()
        .token(TOKEN)
        .base_url(args.api_url.rstrip("/"))
        .persistence(PicklePersistence(filepath=args.pickle))
        .post_init(post_init)
    )
    if args.limits == "telegram":
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    application = builder.build()
    application.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(on_mood, pattern=r"^mood:")],
            states={CONTACT: [CallbackQueryHandler(on_contact, pattern=r"^contact:")]},
            fallbacks=[],
            name="checkin",
            persistent=True,
        )
    )
    application.add_error_handler(on_error)
    return application


async def run(args: argparse.Namespace) -> None:
    global CLOCK
    CLOCK = Clock(datetime.fromisoformat(args.at), args.t0)
    for name in ("httpx", "httpcore", "telegram.ext"):
        logging.getLogger(name).setLevel(logging.ERROR)
    application = build(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    t_start = time.monotonic()
    await application.initialize()  # loads the pickle and runs post_init
    if application.post_init:
        await application.post_init(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=10)
    t_ready = time.monotonic()
    emit(
        "READY",
        {
            "imports_s": T_IMPORTED - T_PROCESS,
            "start_s": t_ready - t_start,
            "cpu_s": time.process_time(),
        },
    )
    await stop.wait()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    emit("STATS", {"cpu_s": time.process_time(), "maxrss_kb": usage.ru_maxrss, "errors": errors})
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pickle", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--at", required=True)
    parser.add_argument("--t0", type=float, required=True)
    parser.add_argument("--limits", choices=("off", "settings", "telegram"), default="telegram")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(run(args))
    sys.exit(0)


if __name__ == "__main__":
    main()
