"""When the bot may write by itself: campaigns turned into timers, the delivery policy and
the pure time rules (quiet hours, DST-safe reminder times)."""
