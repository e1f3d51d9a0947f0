"""Names a flow file may use: host actions, dynamic option sources, person fields.

The host implements exactly these (a test checks both sides agree).
"""

from __future__ import annotations

# `do:` actions and the parameters each accepts.
ACTIONS: dict[str, frozenset[str]] = {
    "notify_coach": frozenset(),  # needs `message:`
    "set_field": frozenset({"field", "value", "from"}),
    "end": frozenset(),
    "decline_consent": frozenset(),
    "contact_request": frozenset(),
    "pause": frozenset({"from"}),
    "resume": frozenset(),
    "stop": frozenset(),
    "appointment_answer": frozenset({"value"}),
    "create_invite": frozenset(),
    "create_appointment": frozenset(),
    "move_appointment": frozenset(),
    "cancel_appointment": frozenset(),
}

# `options_from:` sources the host fills in at run time.
SOURCES = frozenset({"languages", "participants", "days", "times", "places", "appointments"})

# Fields `set_field` may write on the person talking to the bot.
FIELDS = frozenset({"language", "consent", "checkin_day", "checkin_time", "last_mood"})

# Option label key convention: `<question key>.<value>` unless a label is given.
AUDIENCES = frozenset({"participant", "coach", "any"})
