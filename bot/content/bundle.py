"""All content in one object: flows, catalogs, schedules, places; and `coachbot check`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.content.catalog import FALLBACK, Catalog, Catalogs, load_catalogs
from bot.content.flows import FlowSet, load_flows
from bot.content.problems import ContentError, Problem, line_of, read_yaml
from bot.content.schedules import Place, Schedules, load_places, load_schedules
from bot.content.texts import check_texts
from bot.content.variables import nudge_texts
from bot.engine.model import Flow

log = logging.getLogger(__name__)

# Keys the host itself uses (outside flow files); every catalog must have them. Each one
# also says in variables.HOST_VARS which variables the host passes (a test checks).
HOST_KEYS = frozenset(
    {
        "appointment.cancelled",
        "help.participant",
        "help.coach",
        "help.coordinator",
        "help.unknown",
        "start.invalid_token",
        "start.welcome_back",
        "start.coach_welcome",
        "start.coordinator_welcome",
        "invalid.choice",
        "invalid.yes_no",
        "invalid.scale",
        "invalid.number",
        "invalid.text",
        "invalid.gave_up",
        "stale.answered",
        "stale.closed",
        "report.parked",
        "question.closed_unfinished",
        "names.changed",
        "names.unusable",
        "relay.ack_later",
        "relay.failed",
        "coach.relay_failed",
        "coach.for_unreachable",
        "coordinator.coach_unreachable",
        "not_allowed",
        "unknown_command",
        "relay.ack",
        "stopped.notice",
        "coach.participant_declined",
        "coach.participant_unreachable",
        "coach.relay_header.text",
        "coach.relay_header.photo",
        "coach.relay_header.voice",
        "coach.relay_header.document",
        "coach.relay_header.media",
        "coach.for_colleague",
        "coach.for_former",
        "relay.not_passed",
        "coach.silent",
        "coach.trajectory_nearing_end",
        "coach.participant_picked_time",
        "coach.paused",
        "coach.resumed",
        "coach.trajectory_ended",
        "coach.handover_received",
        "relay.from_coach",
        "relay.coach_away",
        "relay.reply_unknown",
        "relay.not_delivered",
        "status.invited",
        "status.active",
        "status.paused",
        "status.stopped",
        "status.declined",
        "status.unreachable",
        "status.deactivated",
        "status.ended",
        "caseload.write_reply",
        "caseload.already_linked",
        "stale.outdated",
        "nudge.own",
        "nudge.sent",
        "nudge.planned",
        "nudge.cancelled",
        "nudge.already_gone",
        "nudge.none_scheduled",
        "nudge.not_now",
        "pause.by_coach",
        "away.set",
        "away.you_are_backup",
        "away.back",
        "handover.new_coach",
        "handover.done",
        "coaches.invite_link",
        "coaches.deactivated",
        "coaches.reactivated",
        "coaches.none",
        "survey.sent",
        "survey.none",
        "coach.survey_done",
        "privacy.mydata",
        "privacy.forgotten",
        "privacy.forgotten_by_coordinator",
        "coach.participant_forgotten",
        "coach.participant_blocked",
        "report.caption",
        "coach.invite_link",
        "coach.no_participants",
        "coach.no_appointments",
        "coach.appointment_created",
        "coach.appointment_moved",
        "coach.appointment_cancelled",
        "coach.checkin_none",
        "cmd.help",
        "cmd.language",
        "cmd.pause",
        "cmd.stop",
        "cmd.coach",
        "coach.nudges_stopped",
        "decline.restarted.checkin",
        "decline.restarted.reminder",
        "decline.restarted.nudge",
        "cmd.survey",
    }
)
# Flows the host starts by name.
HOST_FLOWS = frozenset(
    {
        "onboarding",
        "checkin",
        "language",
        "pause",
        "stop",
        "contact_coach",
        "new_participant",
        "new_appointment",
        "change_appointment",
        "caseload",
        "nudge",
        "cancel_nudge",
        "attendance",
        "missed",
        "coach_pause",
        "end_trajectory",
        "followup",
        "away",
        "handover",
        "coaches",
        "intake_survey",
        "forget",
        "forget_participant",
        "evaluation_survey",
        "start_survey",
        "ladder",
        "appointment_new",
        "appointment_moved",
        "nudge_message",
    }
)


@dataclass
class Content:
    flows: dict[str, Flow]
    catalogs: Catalogs
    schedules: Schedules
    places: list[Place]
    tz: ZoneInfo
    directory: Path

    def place(self, place_id: str) -> Place | None:
        return next((p for p in self.places if p.id == place_id), None)


def shipped_content_dir() -> Path:
    """Where the default flows/ and messages/ live (repo checkout or installed wheel)."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_content"
    return packaged if (packaged / "flows").is_dir() else here.parent


def check_content(directory: Path, *, full: bool = False) -> tuple[Content | None, list[Problem]]:
    """Load and cross-check everything; the content is None when anything fatal is wrong.

    `full` (`coachbot check`) also renders the messages with sample values and looks at
    their words and buttons (bot/content/texts.py): slower, and nothing the bot needs to
    start, so loading for a run leaves it out."""
    problems: list[Problem] = []
    flows_dir, messages_dir = directory / "flows", directory / "messages"
    for folder in (flows_dir, messages_dir):
        if not folder.is_dir():
            problems.append(Problem(str(folder), 0, "folder is missing"))
    if problems:
        return None, problems
    flowset = load_flows(flows_dir, problems)
    catalogs = load_catalogs(messages_dir, problems)
    schedules = load_schedules(flows_dir, problems)
    places = load_places(flows_dir, problems, examples=full)
    _flow_rules(flowset, problems)
    _check_keys(flowset, catalogs, problems)
    check_texts(flowset.flows, catalogs, schedules, problems, full=full)
    for name in sorted(HOST_FLOWS - set(flowset.flows)):
        problems.append(Problem(str(flows_dir), 0, f"flow {name!r} is missing (the bot uses it)"))
    tz = ZoneInfo("Europe/Amsterdam")
    if schedules is not None:
        _check_schedules(flows_dir / "schedules.yaml", schedules, flowset, problems)
        try:
            tz = ZoneInfo(schedules.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                Problem(
                    str(flows_dir / "schedules.yaml"), 1, f"unknown timezone {schedules.timezone!r}"
                )
            )
    if FALLBACK not in catalogs:
        problems.append(Problem(str(messages_dir), 0, "messages/nl.yaml (the fallback) is missing"))
    problems = sorted(set(problems))
    if any(p.fatal for p in problems) or schedules is None:
        return None, problems
    content = Content(flowset.flows, Catalogs(catalogs), schedules, places, tz, directory)
    return content, problems


def load_content(directory: Path) -> Content:
    """Content for running the bot: fatal problems stop it, others are logged."""
    content, problems = check_content(directory)
    if content is None:
        raise ContentError([p for p in problems if p.fatal])
    errors = [p for p in problems if not p.warning]
    if errors:
        log.warning("%d content problem(s); run `coachbot check` for details", len(errors))
    examples = [p.id for p in content.places if p.example]
    if examples:
        # Participants see these addresses as they are: a coordinator must replace them.
        log.warning(
            "meeting places %s in flows/places.yaml are examples, not real addresses; "
            "replace them (see `coachbot check`)",
            ", ".join(examples),
        )
    return content


def _check_keys(flowset: FlowSet, catalogs: dict[str, Catalog], problems: list[Problem]) -> None:
    used = dict(flowset.keys)
    for key in HOST_KEYS:
        used.setdefault(key, ("(bot)", 0))
    for _code, catalog in sorted(catalogs.items()):
        for key, (where, line) in sorted(used.items()):
            if key not in catalog.messages and key not in _broken(catalog):
                problems.append(
                    Problem(
                        catalog.path,
                        1,
                        f"missing message {key!r} (used at {where}:{line})",
                        fatal=_code == FALLBACK,
                    )
                )


def _flow_rules(flowset: FlowSet, problems: list[Problem]) -> None:
    """Rules that tie flows to each other and to the host: chained flows exist, every
    content nudge has its participant text (`nudge.<option>`), and every reason to end a
    trajectory its own goodbye (`trajectory.ended.<reason>`)."""
    for flow in flowset.flows.values():
        for step in flow.steps.values():
            target = step.params.get("flow") if step.action == "start_flow" else None
            if target is not None and target not in flowset.flows:
                problems.append(
                    Problem(flow.path, step.line, f"start_flow: unknown flow {target!r}")
                )
    for key, path, line in nudge_texts(flowset.flows):
        flowset.keys.setdefault(key, (path, line))
    # The participant hears why their trajectory ended in words that fit the reason.
    ending = flowset.flows.get("end_trajectory")
    if ending is not None and "reason" in ending.steps:
        for option in ending.steps["reason"].options:
            key = f"trajectory.ended.{option.value}"
            flowset.keys.setdefault(key, (ending.path, ending.steps["reason"].line))


def _broken(catalog: Catalog) -> set[str]:
    # keys present but with a template error were already reported
    return set(catalog.lines) - set(catalog.messages)


def _check_schedules(
    path: Path, schedules: Schedules, flowset: FlowSet, problems: list[Problem]
) -> None:
    data = read_yaml(path, [])
    names: list[tuple[tuple[str | int, ...], str]] = [
        (("weekly_checkin", "flow"), schedules.weekly_checkin.flow)
    ]
    names += [
        (("appointment_reminders", i, "flow"), r.flow)
        for i, r in enumerate(schedules.appointment_reminders)
    ]
    names += [(("campaigns", i, "flow"), c.flow) for i, c in enumerate(schedules.campaigns)]
    seen: set[str] = set()
    for i, campaign in enumerate(schedules.campaigns):
        if campaign.name in seen:
            line = line_of(data, "campaigns", i, "name")
            problems.append(Problem(str(path), line, f"campaigns: {campaign.name!r} twice"))
        seen.add(campaign.name)
    for where, flow in names:
        if flow not in flowset.flows:
            problems.append(
                Problem(str(path), line_of(data, *where), f"{where[0]}: unknown flow {flow!r}")
            )
    onboarding = flowset.flows.get("onboarding")
    if onboarding and "checkin_time" in onboarding.steps:
        offered = {o.value for o in onboarding.steps["checkin_time"].options}
        missing = offered - set(schedules.weekly_checkin.times)
        for value in sorted(missing):
            problems.append(
                Problem(
                    str(path),
                    line_of(data, "weekly_checkin", "times"),
                    f"weekly_checkin.times has no time for option {value!r}",
                )
            )
