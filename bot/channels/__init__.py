"""Messengers. The core speaks plain data (outbox payloads with buttons as `Press` values,
incoming events as `bot.host.inbound.Inbound`); a channel package turns them into its
messenger's calls and back. Telegram is the one channel today: `bot.channels.telegram`."""
