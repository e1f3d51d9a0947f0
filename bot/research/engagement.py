"""Who was reached, who answers, how people feel, who went quiet: figures from the log."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from bot.research.rows import EventRow, Scope, Snapshot, month_of, ref_id, week_of
from bot.research.stats import median
from bot.research.suppress import Count, Measure, Share, protect

REMINDER_FLOWS = frozenset({"reminder_day_before"})
CHECKIN_FLOW = "checkin"
FOLLOWUP_PREFIX = "followup"
MOOD_STEP = "how_are_you"
MOODS = ("great", "okay", "not_great", "bad")
# What counts as taking part after consenting: answering a question or writing to the coach.
ENGAGED = frozenset(
    {
        "answer",
        "message_relayed",
        "contact_requested",
        "appointment_confirmed",
        "appointment_declined",
    }
)


def in_scope(snapshot: Snapshot, scope: Scope) -> tuple[set[int], list[EventRow]]:
    """The participants a view covers, and their events (all times)."""
    ids = {p.id for p in snapshot.participants() if scope.covers(p)}
    return ids, [e for e in snapshot.events if e.person_id in ids]


def category(flow_id: str | None) -> str | None:
    """ "Reminders", "Check-ins", "Follow-ups" for the flows that ask participants."""
    if flow_id in REMINDER_FLOWS:
        return "Reminders"
    if flow_id == CHECKIN_FLOW:
        return "Check-ins"
    if flow_id and flow_id.startswith(FOLLOWUP_PREFIX):
        return "Follow-ups"
    return None


CATEGORIES = ("Reminders", "Check-ins", "Follow-ups")


# --- reach ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Funnel:
    """People invited in the period, and how far each got by the end of the period."""

    invited: Count
    linked: Count
    consented: Count
    active: Count
    declined: Count


def funnel(snapshot: Snapshot, scope: Scope) -> Funnel:
    ids, events = in_scope(snapshot, scope)
    first: dict[tuple[str, int], datetime] = {}
    for e in events:
        if e.person_id is not None:
            first.setdefault((e.type, e.person_id), e.at)
    people = {p.id: p for p in snapshot.people if p.id in ids}

    def reached(pid: int, kind: str, fallback: datetime | None = None) -> bool:
        at = first.get((kind, pid), fallback)
        return at is not None and scope.by_end(at)

    cohort = {
        pid
        for pid, p in people.items()
        if scope.in_period(first.get(("invited", pid), p.created_at))
    }
    linked = {pid for pid in cohort if reached(pid, "linked")}
    consented = {pid for pid in linked if reached(pid, "consented", people[pid].consent_at)}
    declined = {pid for pid in linked - consented if reached(pid, "consent_declined")}
    consent_at = {pid: first.get(("consented", pid), people[pid].consent_at) for pid in consented}
    active = {
        e.person_id
        for e in events
        if e.person_id in consented
        and e.type in ENGAGED
        and scope.by_end(e.at)
        and ((since := consent_at[e.person_id]) is None or e.at >= since)
    }
    return Funnel(
        Count.of(cohort),
        Count.of(linked),
        Count.of(consented),
        Count.of(active),
        Count.of(declined),
    )


# --- answers to what the bot asks ------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """Questions of one kind sent in the period, how many got an answer, and how fast."""

    label: str
    asked: Count
    answered: Count
    rate: Share
    median_reply_s: Measure


def responses(
    snapshot: Snapshot, scope: Scope, ids: set[int] | None = None
) -> tuple[Response, ...]:
    """Per kind: a run counts as asked when its first message went out in the period."""
    if ids is None:
        ids, events = in_scope(snapshot, scope)
    else:
        events = [e for e in snapshot.events if e.person_id in ids]
    flows: dict[int, tuple[str, int]] = {}
    sent: set[int] = set()
    first_answer: dict[int, EventRow] = {}
    for e in events:
        run = ref_id(e.ref, "run")
        if run is None or e.person_id is None:
            continue
        if e.type == "flow_started":
            kind = category(e.flow_id)
            if kind is not None:
                flows[run] = (kind, e.person_id)
        elif e.type == "message_sent" and scope.in_period(e.at):
            sent.add(run)
        elif e.type == "answer":
            first_answer.setdefault(run, e)
    result = []
    for kind in CATEGORIES:
        asked = {run: pid for run, (k, pid) in flows.items() if k == kind and run in sent}
        answered = {run: pid for run, pid in asked.items() if run in first_answer}
        latencies = [s for run in answered if (s := first_answer[run].latency_s) is not None]
        asked_people, answered_people = set(asked.values()), set(answered.values())
        result.append(
            Response(
                kind,
                Count(len(asked), len(asked_people)),
                Count(len(answered), len(answered_people)),
                Share(len(answered), len(asked), len(asked_people), len(answered_people)),
                Measure(median(latencies), len(answered_people)),
            )
        )
    return tuple(result)


# --- moods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MoodWeek:
    week: date  # the Monday
    answers: Count
    moods: tuple[Count, ...]  # in the order of MOODS


def moods(snapshot: Snapshot, scope: Scope) -> tuple[MoodWeek, ...]:
    """Check-in answers per local week; each mood is a count of answers from its people."""
    _, events = in_scope(snapshot, scope)
    weeks: dict[date, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for e in events:
        if (
            e.type == "answer"
            and e.flow_id == CHECKIN_FLOW
            and e.step == MOOD_STEP
            and e.value in MOODS
            and e.person_id is not None
            and scope.in_period(e.at)
        ):
            weeks[week_of(scope.local(e.at).date())][e.value].append(e.person_id)
    result = []
    for week in sorted(weeks):
        per = weeks[week]
        cells = [Count(len(per[m]), len(set(per[m]))) for m in MOODS]
        everyone = {p for m in MOODS for p in per[m]}
        result.append(
            MoodWeek(week, Count(sum(c.n for c in cells), len(everyone)), tuple(protect(cells)))
        )
    return tuple(result)


# --- silent and unreachable -------------------------------------------------------------


@dataclass(frozen=True)
class SilenceMonth:
    month: date
    silent: Count
    unreachable: Count


@dataclass(frozen=True)
class Silence:
    """People flagged silent or unreachable in the period (and unreachable now)."""

    has_silent_data: bool
    silent: Count
    unreachable: Count
    unreachable_now: Count
    months: tuple[SilenceMonth, ...]


def silence(snapshot: Snapshot, scope: Scope) -> Silence:
    ids, events = in_scope(snapshot, scope)
    kinds = {"silent_flagged": "silent", "unreachable": "unreachable"}
    total: dict[str, set[int]] = {"silent": set(), "unreachable": set()}
    monthly: dict[date, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for e in events:
        kind = kinds.get(e.type)
        if kind is None or e.person_id is None or not scope.in_period(e.at):
            continue
        total[kind].add(e.person_id)
        monthly[month_of(scope.local(e.at).date())][kind].add(e.person_id)
    now = {p.id for p in snapshot.people if p.id in ids and p.status == "unreachable"}
    return Silence(
        has_silent_data=any(e.type == "silent_flagged" for e in snapshot.events),
        silent=Count.of(total["silent"]),
        unreachable=Count.of(total["unreachable"]),
        unreachable_now=Count.of(now),
        months=tuple(
            SilenceMonth(m, Count.of(monthly[m]["silent"]), Count.of(monthly[m]["unreachable"]))
            for m in sorted(monthly)
        ),
    )


def people_engaged(events: Iterable[EventRow], scope: Scope) -> set[int]:
    """Participants who answered or wrote in the period."""
    return {
        e.person_id
        for e in events
        if e.type in ENGAGED and e.person_id is not None and scope.in_period(e.at)
    }
