"""The codebook: every export column, event type and answer code, as Markdown and CSV.

The column lists here are also what `export` writes, so the two cannot drift apart.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.research.instrument import BY_ID as PILOT_ITEMS
from bot.research.instrument import PILOT_N, Source, Wording
from bot.research.ladder import MOMENTS, RUNGS
from bot.research.rows import Snapshot
from bot.research.survey import SKIP, SKIP_MEANING, WAVES, Item

PARTICIPANTS = (
    (
        "participant",
        "Pseudonym of the participant (P-…): stable across exports made with the same secret.",
    ),
    ("coach", "Pseudonym of the participant's current coach (C-…)."),
    (
        "language",
        "Language of the chat at the time of the export (ISO 639-1 code, see below); the "
        "language of each questionnaire wave is in answers_long.csv and answers_wide.csv.",
    ),
    ("status", "Status at the time of the export (see below)."),
    ("invited_date", "Local date the invite link was made (YYYY-MM-DD)."),
    ("consent_date", "Local date the participant said yes to the chat; empty if not (yet)."),
    ("trajectory_start", "Local date the trajectory started (YYYY-MM-DD)."),
    ("trajectory_end", "Local date the trajectory ended or will end; empty if not set."),
    ("end_reason", "Why the trajectory ended, as the code the coach chose; empty if not ended."),
)
EVENTS = (
    ("participant", "Pseudonym of the participant the event is about."),
    ("coach", "Pseudonym of the participant's coach when the event happened (C-…)."),
    ("type", "Event type (see the list of event types)."),
    ("at", "When it happened, UTC, ISO 8601 (YYYY-MM-DDTHH:MM:SSZ)."),
    ("flow", "Conversation (flow) id, for flow and answer events."),
    ("step", "Question (step) id within the flow, for answers; for questionnaires the item."),
    (
        "value",
        "A code: the answer code for answers (empty for typed free text, which is never "
        "stored), otherwise as described per event type.",
    ),
    (
        "ref",
        "What the event belongs to: run:<n> (one conversation), appointment:<n> (one "
        "appointment), checkin:<date>, or for ladder_recorded: " + " | ".join(MOMENTS) + ".",
    ),
    ("latency_s", "For answers: seconds between delivery of the question and the answer."),
)
LANGUAGE_OF_WAVE = (
    "Chat language the wave was answered in (ISO 639-1 code, see the language codes): the "
    "participant's language when the coach sent the questionnaire and when its last answer "
    "came. Two codes joined by + (e.g. nl+ar, in that order): the language changed during the "
    "wave, or between two sendings of it, so a single answer may be in either. Empty: not "
    "noted (an answer from before Coachbot noted it, or the participant's personal data was "
    "erased)."
)
ANSWERS_LONG = (
    ("participant", "Pseudonym of the participant."),
    (
        "wave",
        "T0 = intake questionnaire (flow intake_survey), T1 = end of trajectory "
        "(flow evaluation_survey).",
    ),
    ("item", "Item id (see the questionnaire items)."),
    (
        "value",
        f"Answer code (see the items); {SKIP} = {SKIP_MEANING}. The last answer per wave counts.",
    ),
    ("answered_at", "When it was answered, UTC, ISO 8601."),
    ("language", LANGUAGE_OF_WAVE),
)
ANSWERS_WIDE = (
    ("participant", "Pseudonym of the participant; one row per participant with any answer."),
    ("coach", "Pseudonym of the participant's current coach."),
    ("language_T0", "Chat language of the T0 questionnaire, as `language` in answers_long.csv."),
    ("language_T1", "Chat language of the T1 questionnaire, as `language` in answers_long.csv."),
    ("<item>_T0", f"Answer code at T0 for each item; empty = not answered; {SKIP} = skipped."),
    ("<item>_T1", "Answer code at T1 for each item; empty = not answered; skip = skipped."),
)
FILES = {
    "participants.csv": ("One row per participant.", PARTICIPANTS),
    "events.csv": ("The engagement log: one row per event about a participant.", EVENTS),
    "answers_long.csv": (
        "Questionnaire answers, one row per participant, wave and item.",
        ANSWERS_LONG,
    ),
    "answers_wide.csv": (
        "Questionnaire answers, one row per participant, T0 and T1 side by side.",
        ANSWERS_WIDE,
    ),
}

STATUSES = {
    "invited": "invited, has not (yet) said yes",
    "active": "taking part",
    "paused": "paused messages for a while (/pause)",
    "stopped": "stopped messages (/stop)",
    "declined": "said no to the chat",
    "unreachable": "blocked the bot (Telegram refuses delivery)",
    "deactivated": "deactivated by the coordinator",
}
LANGUAGES = {
    "nl": "Dutch",
    "en": "English",
    "tr": "Turkish",
    "ar": "Arabic",
    "fa": "Persian",
    "so": "Somali",
    "ti": "Tigrinya",
}
EVENT_TYPES = {
    "appointment_rescheduled": "the participant picked one of the proposed new times",
    "blocked": "the participant blocked the bot in Telegram (messages stop)",
    "coach_replied": "the coach answered a participant through the bot; value = text, photo…",
    "coach_away": "the coach set an away period with a backup",
    "coach_back": "the coach ended an away period",
    "coach_activated": "a coordinator (re)activated a coach",
    "coach_deactivated": "a coordinator stopped a coach",
    "forgotten": "personal data was erased; value = participant, coordinator or retention",
    "handed_over": "the participant moved to another coach; ref = from:<old coach>",
    "invite_throttled": "too many wrong invite links from one Telegram user; ignored for a while",
    "invite_refused": "an invalid, used or expired invite link was opened",
    "ladder_asked": "the coach was asked for the monthly ladder step",
    "message_uncertain": "a message went out but Telegram's answer was lost; not sent again",
    "nudge_planned": "the coach sent or planned a nudge; value = which nudge (own = own words)",
    "silent_ended": "a silent participant reacted again",
    "survey_requested": "the coach sent the questionnaire; value = T0 or T1",
    "survey_completed": "the participant finished the questionnaire; value = T0 or T1",
    "trajectory_ended": "the coach ended the trajectory; value = reason",
    "trajectory_nearing_end": "the coach was reminded that the trajectory nears its maximum length",
    "invited": "the coach made an invite link for the participant",
    "linked": "the participant opened the invite link in Telegram",
    "consented": "the participant said yes to the chat (the trajectory starts)",
    "consent_declined": "the participant said no to the chat",
    "flow_started": "a conversation (flow) started; ref = its run",
    "flow_finished": "a conversation ended normally",
    "flow_timed_out": "a question was not answered in time; the conversation ended",
    "flow_expired": "a conversation became too late before it could be asked or answered",
    "flow_gave_up": "a conversation ended after repeated answers that did not fit",
    "answer": "the participant answered: flow, step, value = answer code, latency_s",
    "message_sent": "a message was delivered; value unsolicited (the bot wrote first) or reply",
    "message_expired": "a message was not sent because it became too late (value quiet_hours: "
    "it would have fallen in the night)",
    "message_failed": "a message could not be delivered; value = kind of error",
    "appointment_planned": "the coach planned an appointment; ref = appointment",
    "appointment_confirmed": "the participant said they will come (reminder)",
    "appointment_declined": "the participant said they cannot come (reminder)",
    "appointment_moved": "the coach moved the appointment",
    "appointment_cancelled": "the coach cancelled the appointment",
    "attendance_came": "the coach recorded: the participant came",
    "attendance_no_show": "the coach recorded: the participant did not come",
    "attendance_cancelled": "the coach recorded: the appointment was cancelled earlier",
    "attendance_corrected": "the coach changed the recorded attendance of an appointment; value:"
    " the new outcome (came, no_show, cancelled), which replaces the earlier record",
    "paused": "the participant paused messages; value = how long (e.g. 2w = two weeks)",
    "resumed": "messages started again after a pause",
    "question_set_aside": "an open question gave way: value suspended (asked again later),"
    " closed (a menu nobody had started answering) or stale (left open 12 hours, then the"
    " person wrote something else)",
    "reachable_again": "a coach or coordinator who could not be reached wrote again; what waited"
    " for them goes out",
    "relay_failed": "a participant's message could not be shown to the coach (the messenger refused"
    " it); both were told",
    "stopped": "the participant stopped messages",
    "question_not_now": 'the participant answered an unasked question with "not now" (no'
    " consequence); flow, value = kind (checkin, nudge)",
    "kind_stopped": "the participant stopped one kind of unasked message until /start; flow ="
    " where they tapped it, value = kind (checkin: the check-in and follow-ups, reminder:"
    " appointment reminders, nudge: the coach's nudges)",
    "kinds_restarted": "the participant's /start brought back the kinds they had stopped;"
    " value = the kinds, comma-separated",
    "skipped_by_choice": "a scheduled question was not sent because the participant stopped its"
    " kind; flow, value = kind, ref = the schedule entry (followup:<n>, appointment:<n>:<name>,"
    " nudge:<n>)",
    "unreachable": "Telegram refused delivery (the participant blocked the bot)",
    "silent_flagged": "flagged silent: no reaction to recent messages or no contact for a "
    "while (once per episode)",
    "contact_requested": "the participant asked the coach to contact them",
    "coach_notified": "the coach was told something; value = message key",
    "message_relayed": "a message of the participant was passed to the coach (never stored); "
    "value = kind (text, photo, voice, document…)",
    "refused": "a command was refused; value = the command, or inactive",
    "stale_press": "the participant pressed a button of a question that had moved on",
    "timer_failed": "a scheduled task failed (technical)",
    "update_parked": "an incoming update (a message, a press) could not be handled, even after "
    "retries, and was set aside (technical; about nobody: never in events.csv); value = kind "
    "of error, ref = update:<Telegram update id>",
    "ladder_recorded": "the coach recorded the participation ladder rung: value 1–6, "
    "ref " + " | ".join(MOMENTS),
}


@dataclass(frozen=True)
class Entry:
    """One codebook line: a column (code empty) or one code of it."""

    file: str
    column: str
    code: str
    meaning: str


def _flow_codes(content: Any) -> list[tuple[str, str, str, str]]:
    """(flow, step, code, meaning) for every fixed answer option in the shipped flows."""
    if content is None:
        return []
    english = getattr(content.catalogs, "by_code", {}).get("en")
    messages: dict[str, str] = english.messages if english is not None else {}
    rows = []
    for flow_id in sorted(content.flows):
        if flow_id in WAVES:
            continue
        for step in content.flows[flow_id].steps.values():
            if step.kind != "ask":
                continue
            answer = str(step.answer)
            if answer == "yes_no":
                rows += [(flow_id, step.id, "yes", "yes"), (flow_id, step.id, "no", "no")]
            elif answer == "scale":
                rows.append((flow_id, step.id, "0–10", "a number on a scale 0–10"))
            elif step.options_from:
                rows.append((flow_id, step.id, "*", f"one of the {step.options_from} offered"))
            elif answer in ("text", "number"):
                rows.append(
                    (
                        flow_id,
                        step.id,
                        "",
                        "free text: not stored" if answer == "text" else "a number",
                    )
                )
            for option in step.options:
                label = messages.get(option.label or "", "") or option.text or option.value
                rows.append((flow_id, step.id, option.value, " ".join(label.split())))
    return rows


def entries(snapshot: Snapshot, items: Sequence[Item], content: Any = None) -> list[Entry]:
    """Every line of the codebook."""
    out: list[Entry] = []
    for name, (_, columns) in FILES.items():
        out += [Entry(name, column, "", meaning) for column, meaning in columns]
    out += [Entry("participants.csv", "status", code, m) for code, m in STATUSES.items()]
    out += [Entry("participants.csv", "language", code, m) for code, m in LANGUAGES.items()]
    seen = {e.type for e in snapshot.events}
    for code, meaning in EVENT_TYPES.items():
        out.append(Entry("events.csv", "type", code, meaning))
    for code in sorted(seen - set(EVENT_TYPES)):
        out.append(Entry("events.csv", "type", code, "(not described in this codebook version)"))
    for flow_id, step, code, meaning in _flow_codes(content):
        out.append(Entry("events.csv", f"value ({flow_id}/{step})", code, meaning))
    out += [
        Entry("events.csv", "value (ladder_recorded)", str(n), f"rung {n}: {label}")
        for n, label in RUNGS.items()
    ]
    for item in items:
        out.append(Entry("answers_long.csv", "item", item.id, item.label))
        out.append(Entry("answers_long.csv", "item source", item.id, item_source(item)))
        scores = dict(item.scores) if item.answer == "choice" else {}
        for code, meaning in item.codes or ((SKIP, SKIP_MEANING),):
            score = f" (score {scores[code]:g})" if code in scores else ""
            out.append(Entry("answers_long.csv", f"value ({item.id})", code, meaning + score))
    return out


def item_source(item: Item) -> str:
    """Where an item comes from: the pilot's questionnaire (with the seed's words), or new."""
    pilot = PILOT_ITEMS.get(item.id)
    if item.source == Source.PILOT and pilot is not None:
        words = " … ".join(f"“{q.text}”" for q in pilot.question)
        if pilot.wording == Wording.LABEL:
            words += "; the report gives only this label, the question's words are Coachbot's"
        text = (
            f"pilot item: asked in the Nijmegen pilot's T0/T1 questionnaire ({pilot.citation} "
            f"of its interim report: {words}); scale and answers as in the pilot"
        )
        if item.baseline is not None:
            text += (
                f"; pilot T0 mean {item.baseline.mean:.2f} (N={PILOT_N}), shown beside the "
                "cohort's T0 mean in the report"
            )
        return text + " (docs/questionnaire.md)"
    if item.source == Source.NEW:
        return "new item: not in the pilot's questionnaire, no pilot figure to compare with"
    return "unknown: found only in the data, not in the current questionnaire"


def write_csv(path: Path, rows: Iterable[Entry]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "column", "code", "meaning"])
        writer.writerows([e.file, e.column, e.code, e.meaning] for e in rows)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(rows: Sequence[Entry], items: Sequence[Item], tz: str) -> str:
    """The codebook for people: files, columns, then the codes."""
    lines = [
        "# Coachbot research export: codebook",
        "",
        "Pseudonymised data from the Coachbot engagement log. No names, no Telegram ids, no "
        "message texts. Pseudonyms (P-… participants, C-… coaches) are a keyed hash "
        "(HMAC-SHA256) of the internal id: the same in every export made with the same "
        "secret, and not traceable without it.",
        "",
        f"Dates are local dates ({tz}); times (`at`, `answered_at`) are UTC.",
        "Answer codes of choice items are words or numbers; the codebook gives each its "
        "score (the position of the option, 1 = first), which the report uses for means. "
        "Load the answers with `skip` as a missing-value code, e.g. "
        "`pandas.read_csv(path, na_values=['skip'])` or `read.csv(path, na.strings='skip')`.",
        "",
    ]
    for name, (about, columns) in FILES.items():
        lines += [f"## {name}", "", about, "", "| column | meaning |", "| --- | --- |"]
        lines += [f"| `{c}` | {_md(m)} |" for c, m in columns]
        lines.append("")
    groups: dict[tuple[str, str], list[Entry]] = {}
    for e in rows:
        if e.code or e.column.startswith("value ("):
            groups.setdefault((e.file, e.column), []).append(e)
    titles = {
        ("participants.csv", "status"): "Status codes",
        ("participants.csv", "language"): "Language codes",
        ("events.csv", "type"): "Event types",
        ("answers_long.csv", "item"): "Questionnaire items",
        ("answers_long.csv", "item source"): "Questionnaire items: source",
    }
    lines += ["## Codes", ""]
    for (file, column), group in groups.items():
        title = titles.get((file, column), f"`{column}` in {file}")
        lines += [f"### {title}", "", "| code | meaning |", "| --- | --- |"]
        lines += [f"| `{e.code}` | {_md(e.meaning)} |" for e in group]
        lines.append("")
    if not items:
        lines += [
            "No questionnaire items were found (the questionnaire flows are not there "
            "yet and no answers were given).",
            "",
        ]
    return "\n".join(lines)
