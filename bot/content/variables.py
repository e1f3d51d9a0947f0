"""Which variables a message may use: what the bot passes where it renders that message.

A message is rendered in one or more of these places; a key used in several may use only
what all of them pass (a text must work wherever it is sent):

- a flow's `say` or `ask`: FLOW (`FlowHost.context` and the run's answers), plus STAFF in a
  coach's or coordinator's flow (`FlowHost._about`), plus PAGED for a question with `page:`
  (the engine says which page it shows), plus what the flow was started with:
  STARTED_WITH by flow id, REMINDER for the flows in `appointment_reminders`, FOLLOWUP for
  the follow-up flow (`bot/schedule/planner.py`);
- a flow's `do: notify_coach` `message`: NOTIFY (`Tools.notify_coach`) plus what the flow
  was started with;
- a button label: nothing at all (`FlowHost._label` renders labels without variables);
- a content nudge (`nudge.<option>`, sent by `send_nudge`): NUDGE;
- the host's own code: HOST_VARS[key], one entry per key in `bundle.HOST_KEYS`.

The host must pass at least these; `coachbot check` holds every catalog to them, so a
misspelt `{{ nmae }}` is found before a participant silently gets the Dutch text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.engine.model import Flow

# --- flows ---------------------------------------------------------------------------
# FlowHost.context: the retention terms the privacy texts state (bot/host/privacy.py)
PRIVACY = frozenset({"followup_months", "retention_months"})
FLOW = frozenset({"name", "coach", "language", "until", "answers"}) | PRIVACY
STAFF = frozenset({"participant", "from_coach", "to_coach"})
PAGED = frozenset({"page", "pages", "on_page"})  # bot.engine.runner._options
NOTIFY = frozenset({"name", "participant", "checkin", "language", "answers"})
NUDGE = frozenset({"name", "coach", "text"})
REMINDER = frozenset({"appointment_id", "when", "place", "address"})
STARTED_WITH: dict[str, frozenset[str]] = {
    "caseload": frozenset({"rows"}),  # InboundService: the /caseload overview
    "missed": frozenset({"appointment_id", "when"}),  # record_attendance: a no-show
    # actions/appointments.py: announce
    "appointment_new": REMINDER,
    "appointment_moved": REMINDER,
    "nudge_message": frozenset({"text"}),  # actions/caseload.py: send_nudge, timers
}
FOLLOWUP = frozenset({"followup"})

# --- the host's own messages ---------------------------------------------------------
_SAY = frozenset({"name"})  # outbox.say adds the reader's name
# FlowHost.context (until: if paused)
_CONTEXT = frozenset({"name", "coach", "language"}) | PRIVACY
_ANON = frozenset({"name", "coach"})  # a reply to someone the bot does not know (yet)
_NOTIFY = NOTIFY - {"answers"}  # Tools.notify_coach called by host code
_HEADER = frozenset({"participant", "checkin", "language"})  # Tools.describe, no name
_APPOINTMENT = frozenset({"when", "place", "address", "participant"})
_HANDOVER = frozenset({"count", "names", "from_coach", "to_coach"})
_NOTHING: frozenset[str] = frozenset()

HOST_VARS: dict[str, frozenset[str]] = {
    "decline.restarted.checkin": _SAY,  # inbound.py: /start brings a stopped kind back
    "decline.restarted.reminder": _SAY,
    "decline.restarted.nudge": _SAY,
    "coach.nudges_stopped": _SAY | {"participant"},  # actions/caseload.py: send_nudge
    "appointment.cancelled": _SAY | {"when", "participant"},
    "help.participant": _CONTEXT,
    "help.coach": _CONTEXT,
    "help.coordinator": _CONTEXT,
    "help.unknown": _ANON,
    "start.invalid_token": _ANON,
    "start.welcome_back": _CONTEXT,
    "start.coach_welcome": _SAY,
    "start.coordinator_welcome": _SAY,
    "invalid.choice": _CONTEXT,
    "invalid.yes_no": _CONTEXT,
    "invalid.scale": _CONTEXT,
    "invalid.number": _CONTEXT,
    "invalid.text": _CONTEXT,
    "invalid.gave_up": _CONTEXT,
    "stale.answered": _ANON,
    "stale.closed": _ANON,
    "report.parked": frozenset({"count"}),
    "question.closed_unfinished": _SAY,
    "names.changed": _SAY | {"stored", "max"},
    "names.unusable": _SAY,
    "relay.ack_later": _CONTEXT,
    "relay.failed": _SAY | {"coach"},
    "coach.relay_failed": _SAY | {"participant"},
    "coach.for_unreachable": frozenset({"coach"}),
    "coordinator.coach_unreachable": _SAY | {"coach"},
    "not_allowed": _SAY,  # also a press's short answer, which gets only name and coach
    "unknown_command": _CONTEXT,
    "relay.ack": _CONTEXT,
    "stopped.notice": _CONTEXT,
    "coach.participant_declined": _NOTIFY,
    "coach.participant_unreachable": _NOTIFY,
    "coach.relay_header.text": _HEADER,
    "coach.relay_header.photo": _HEADER,
    "coach.relay_header.voice": _HEADER,
    "coach.relay_header.document": _HEADER,
    "coach.relay_header.media": _HEADER,
    "coach.for_colleague": frozenset({"coach"}),
    "coach.for_former": frozenset({"coach"}),
    "relay.not_passed": _CONTEXT,
    "coach.silent": _NOTIFY | {"count", "days", "reason"},
    "coach.trajectory_nearing_end": _NOTIFY | {"months", "end"},
    "coach.participant_picked_time": _NOTIFY | {"when"},
    "coach.paused": _SAY | {"until", "coach", "participant"},
    "coach.resumed": _SAY | {"participant"},
    "coach.trajectory_ended": _SAY | {"participant", "reason", "first"},
    "coach.handover_received": _SAY | _HANDOVER,
    "relay.from_coach": _SAY | {"coach"},
    "relay.coach_away": _CONTEXT | {"until", "backup"},
    "relay.reply_unknown": _CONTEXT,
    "relay.not_delivered": _SAY | {"participant"},
    "status.invited": _NOTHING,
    "status.active": _NOTHING,
    "status.paused": _NOTHING,
    "status.stopped": _NOTHING,
    "status.declined": _NOTHING,
    "status.unreachable": _NOTHING,
    "status.deactivated": _NOTHING,
    "status.ended": _NOTHING,
    "caseload.write_reply": _SAY | {"participant"},
    "caseload.already_linked": _SAY | {"participant"},
    "stale.outdated": _ANON,  # a press's short answer, like stale.closed
    "nudge.own": NUDGE,
    "nudge.sent": _SAY | {"participant", "when"},
    "nudge.planned": _SAY | {"participant", "when"},
    "nudge.cancelled": _SAY | {"participant"},
    "nudge.already_gone": _SAY,
    "nudge.none_scheduled": _CONTEXT,
    "nudge.not_now": _SAY | {"participant"},
    "pause.by_coach": _SAY | {"until", "coach", "participant"},
    "away.set": _SAY | {"until", "backup", "coach"},
    "away.you_are_backup": _SAY | {"until", "backup", "coach"},
    "away.back": _SAY,
    "handover.new_coach": _SAY | {"coach", "old_coach"},
    "handover.done": _SAY | _HANDOVER,
    "coaches.invite_link": _SAY | {"coach", "link", "expires"},
    "coaches.deactivated": _SAY | {"coach"},
    "coaches.reactivated": _SAY | {"coach"},
    "coaches.none": _NOTHING,
    "survey.sent": _SAY | {"participant", "wave"},
    "survey.none": _CONTEXT,
    "coach.survey_done": _NOTIFY | {"wave"},
    "privacy.mydata": _NOTHING,
    "privacy.forgotten": frozenset({"name"}),
    "privacy.forgotten_by_coordinator": _SAY,
    "coach.participant_forgotten": _NOTIFY,
    "coach.participant_blocked": _NOTIFY,
    "report.caption": _NOTHING,
    # Sent with outbox.say (name added) and rendered for a QR caption (no name).
    "coach.invite_link": frozenset({"participant", "link", "expires"}),
    "coach.no_participants": _CONTEXT,
    "coach.no_appointments": _CONTEXT,
    "coach.appointment_created": _SAY | _APPOINTMENT | {"coach"},
    "coach.appointment_moved": _SAY | _APPOINTMENT,
    "coach.appointment_cancelled": _SAY | {"when", "participant"},
    "coach.checkin_none": _NOTHING,
    "cmd.help": _NOTHING,
    "cmd.language": _NOTHING,
    "cmd.pause": _NOTHING,
    "cmd.stop": _NOTHING,
    "cmd.coach": _NOTHING,
    "cmd.survey": _NOTHING,
    # A flow's text that the host sends too (pause_participant: the coach ended a pause).
    "pause.resumed": _SAY | {"coach"},
}

# --- values to render with ------------------------------------------------------------
_WHEN = "2026-03-10T14:30:00+01:00"
# A value of the type the host passes; any other variable is a name or a short text.
SAMPLES: dict[str, Any] = {
    "when": _WHEN,
    "until": _WHEN,
    "end": _WHEN,
    "first": _WHEN,
    "expires": _WHEN,
    "count": 3,
    "days": 14,
    "months": 5,
    "followup_months": 6,
    "retention_months": 24,
    "max": 40,
    "followup": 1,
    "appointment_id": 7,
    "answers": {},
    "page": 2,
    "pages": 3,
    "on_page": ["1"],
    # bot/host/caseload.py: caseload_rows
    "rows": [
        {
            "id": "1",
            "name": "Sara",
            "language": "NL",
            "status": "actief",
            "marker": "•",
            "last": _WHEN,
            "next": _WHEN,
            "mood": "🙂",
            "survey": "T0✓",
        }
    ],
}


def sample(names: frozenset[str]) -> dict[str, Any]:
    """Values for `names` to render a message with."""
    return {n: SAMPLES.get(n, "Sara") for n in names}


def nudge_texts(flows: Mapping[str, Flow]) -> list[tuple[str, str, int]]:
    """(key, flow path, line) of the text each option of the nudge menu sends the
    participant: `nudge.own` for own words, else `nudge.<option>`."""
    nudge = flows.get("nudge")
    if nudge is None or "which" not in nudge.steps:
        return []
    which = nudge.steps["which"]
    return [
        ("nudge.own" if o.value == "own" else f"nudge.{o.value}", nudge.path, which.line)
        for o in which.options
    ]
