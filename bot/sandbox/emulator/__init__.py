"""A Telegram Bot API emulator on 127.0.0.1 for tests and the sandbox.

The bot talks to it as to api.telegram.org; tests act as its users and read back what the
bot did. Behaviour follows real Telegram, including its error texts, so code that passes
here does not surprise in production. ``Emulator`` (facade.py) is the way in.
"""

from bot.sandbox.emulator.answers import ApiError
from bot.sandbox.emulator.facade import Emulator
from bot.sandbox.emulator.files import make_png
from bot.sandbox.emulator.records import ChatState, MessageRecord
from bot.sandbox.emulator.webhook import LOCAL_HOSTS

__all__ = ["LOCAL_HOSTS", "ApiError", "ChatState", "Emulator", "MessageRecord", "make_png"]
