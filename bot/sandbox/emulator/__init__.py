"""A Telegram Bot API emulator on 127.0.0.1 for tests and the sandbox (see facade.py)."""

from bot.sandbox.emulator.answers import ApiError
from bot.sandbox.emulator.facade import Emulator
from bot.sandbox.emulator.files import make_png
from bot.sandbox.emulator.world import LOCAL_HOSTS, ChatState, MessageRecord

__all__ = ["LOCAL_HOSTS", "ApiError", "ChatState", "Emulator", "MessageRecord", "make_png"]
