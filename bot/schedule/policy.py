"""The delivery policy: whether and when a message may go. The planner asks it when it plans
a message, the dispatcher again at the moment of sending; nothing else decides this.

Worked example: a check-in planned for Monday 21:30 with the window 09:00–20:00 goes on
Tuesday 09:00, unless it expires before then; for someone who paused it does not go at all.
Replies to what a person just did (not unsolicited) go at once, whatever the hour.

Besides the person's status, a participant may have stopped one kind of unasked message
(`storage.preferences`): `kind_of` says which kind a scheduled flow is, from schedules.yaml
(the check-in and follow-up flows ask how someone is; the appointment reminders remind),
and `wanted` whether it may start for this person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from enum import StrEnum

from bot.content.schedules import Schedules
from bot.deps import Deps
from bot.schedule.timing import fit_window
from storage.people import SILENCED, Status
from storage.preferences import Kind

NUDGE_FLOW = "nudge_message"  # the participant's side of a coach's /nudge


class Verdict(StrEnum):
    SEND = "send"  # now
    WAIT = "wait"  # not before `at`, the next opening of the delivery window
    EXPIRE = "expire"  # too late: the moment it was for has passed (or will before `at`)
    CANCEL = "cancel"  # the person paused, stopped, declined or cannot be reached


@dataclass(frozen=True)
class Window:
    """The daily delivery window in local time, [start, end)."""

    start: time
    end: time
    tz: tzinfo


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    at: datetime | None = None  # for WAIT
    reason: str | None = None  # for EXPIRE: "expired" or "quiet_hours"


def window(deps: Deps) -> Window:
    """The configured delivery window (`quiet_hours` in flows/schedules.yaml)."""
    quiet = deps.content.schedules.quiet_hours
    return Window(quiet.start, quiet.end, deps.content.tz)


def earliest(due: datetime, window: Window) -> datetime:
    """The first moment at or after `due` inside the delivery window."""
    return fit_window(due, window.start, window.end, window.tz)


def decide(
    now: datetime,
    window: Window,
    *,
    unsolicited: bool,
    expires: datetime | None,
    status: Status | None,
) -> Decision:
    """Whether a message due now may go: expiry, then (for unasked messages) silence and
    the delivery window."""
    if expires is not None and expires <= now:
        return Decision(Verdict.EXPIRE, reason="expired")
    if not unsolicited:
        return Decision(Verdict.SEND)
    if status is not None and status in SILENCED:
        return Decision(Verdict.CANCEL)
    opens = earliest(now, window)
    if opens == now:
        return Decision(Verdict.SEND)
    if expires is not None and opens >= expires:
        return Decision(Verdict.EXPIRE, reason="quiet_hours")
    return Decision(Verdict.WAIT, at=opens)


def kind_of(schedules: Schedules, flow_id: str) -> Kind | None:
    """The kind a participant can stop that a scheduled flow belongs to, or None (an
    appointment's announcement, attendance, a campaign, a questionnaire…).

    Example: with the shipped schedules.yaml, `checkin` and `followup` → CHECKIN,
    `reminder_day_before` and `reminder_soon` → REMINDER, `nudge_message` → NUDGE."""
    if flow_id in (schedules.weekly_checkin.flow, schedules.followups.flow):
        return Kind.CHECKIN
    if any(flow_id == r.flow for r in schedules.appointment_reminders):
        return Kind.REMINDER
    if flow_id == NUDGE_FLOW:
        return Kind.NUDGE
    return None


def wanted(schedules: Schedules, flow_id: str, stopped: frozenset[Kind]) -> bool:
    """Whether a scheduled flow may start for someone who stopped the kinds `stopped`."""
    kind = kind_of(schedules, flow_id)
    return kind is None or kind not in stopped
