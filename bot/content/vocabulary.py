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
    "start_flow": frozenset({"flow", "from"}),
    "show_invite": frozenset({"from"}),
    "send_nudge": frozenset(),
    "cancel_nudge": frozenset(),
    "ask_reply": frozenset({"from"}),
    "record_attendance": frozenset({"from"}),
    "reschedule": frozenset({"from"}),
    "pause_participant": frozenset({"from"}),
    "end_trajectory": frozenset(),
    "set_away": frozenset(),
    "coach_back": frozenset(),
    "handover": frozenset(),
    "create_coach_invite": frozenset(),
    "set_coach_active": frozenset({"value"}),
    "request_survey": frozenset({"from"}),
    "survey_done": frozenset({"value"}),
    "record_ladder": frozenset({"from"}),
    "forget": frozenset(),
    "not_now": frozenset({"value"}),
    "stop_kind": frozenset({"value"}),
}

# `options_from:` sources the host fills in at run time.
SOURCES = frozenset(
    {
        "languages",
        "participants",
        "caseload",
        "days",
        "times",
        "places",
        "appointments",
        "scheduled_nudges",
        "proposed_times",
        "colleagues",
        "coaches",
        "away_days",
        "past_appointments",
    }
)

# Fields `set_field` may write on the person talking to the bot.
FIELDS = frozenset({"language", "consent", "checkin_day", "checkin_time", "last_mood"})

# Option label key convention: `<question key>.<value>` unless a label is given.
AUDIENCES = frozenset({"participant", "coach", "coordinator", "any"})
