"""The Telegram edge: python-telegram-bot over aiohttp, our own polling and webhook."""

import warnings

from telegram.warnings import PTBUserWarning

# Some endpoints are called raw on purpose (getUpdates: confirm only after commit; sending:
# only the message id is needed); the library suggests its typed methods instead.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)
