"""Load flow files (`flows/*.yaml`) into engine Flows, collecting problems with lines."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.problems import Problem, line_of, read_yaml
from bot.content.vocabulary import ACTIONS, AUDIENCES, SOURCES
from bot.engine.durations import parse_duration
from bot.engine.model import (
    DEFAULT,
    END,
    PAGE_LABELS,
    AnswerType,
    Flow,
    Option,
    Step,
    StepKind,
)

NOT_FLOWS = {"schedules.yaml", "places.yaml"}
STEP_KEYS = {
    "say",
    "ask",
    "do",
    "answer",
    "options",
    "options_from",
    "page",
    "min",
    "max",
    "timeout",
    "on_timeout",
    "retries",
    "on_invalid",
    "message",
    "next",
    "field",
    "value",
    "from",
    "flow",
}
FLOW_KEYS = {"flow", "audience", "start", "steps", "description"}


@dataclass
class FlowSet:
    flows: dict[str, Flow] = field(default_factory=dict)
    # message key → (path, line) of first use, for the catalog check
    keys: dict[str, tuple[str, int]] = field(default_factory=dict)


def load_flows(directory: Path, problems: list[Problem]) -> FlowSet:
    """Every flow in `directory`; problems are appended, broken flows are left out."""
    result = FlowSet()
    for path in sorted(directory.glob("*.yaml")):
        if path.name in NOT_FLOWS:
            continue
        data = read_yaml(path, problems)
        if data is None:
            continue
        before = len(problems)
        flow = _flow(path, data, problems, result.keys)
        if flow is None or len(problems) > before:
            continue
        if flow.id in result.flows:
            problems.append(Problem(str(path), 1, f"flow id {flow.id!r} is used twice"))
            continue
        result.flows[flow.id] = flow
    return result


def _flow(
    path: Path, data: Any, problems: list[Problem], keys: dict[str, tuple[str, int]]
) -> Flow | None:
    p = str(path)
    if not isinstance(data, dict):
        problems.append(Problem(p, 1, "a flow file must be a mapping with flow, start and steps"))
        return None
    for key in data:
        if key not in FLOW_KEYS:
            problems.append(Problem(p, line_of(data, key), f"unknown key {key!r} in flow"))
    for key in ("flow", "start", "steps"):
        if key not in data:
            problems.append(Problem(p, 1, f"missing {key!r}"))
    if any(k not in data for k in ("flow", "start", "steps")):
        return None
    audience = str(data.get("audience", "participant"))
    if audience not in AUDIENCES:
        problems.append(
            Problem(
                p,
                line_of(data, "audience"),
                f"unknown audience {audience!r} (use {', '.join(sorted(AUDIENCES))})",
            )
        )
    raw_steps = data["steps"]
    if not isinstance(raw_steps, dict) or not raw_steps:
        problems.append(Problem(p, line_of(data, "steps"), "steps must be a non-empty mapping"))
        return None
    steps: dict[str, Step] = {}
    for step_id, raw in raw_steps.items():
        step = _step(p, str(step_id), raw, line_of(data, "steps", step_id), problems, keys)
        if step is not None:
            steps[str(step_id)] = step
    start = str(data["start"])
    if start not in raw_steps:
        problems.append(Problem(p, line_of(data, "start"), f"start step {start!r} does not exist"))
        return None
    _check_links(p, data, steps, start, problems)
    sources = tuple(sorted({s.options_from for s in steps.values() if s.options_from}))
    return Flow(str(data["flow"]), audience, start, steps, p, line_of(data, "flow"), sources)


def _step(
    p: str,
    step_id: str,
    raw: Any,
    line: int,
    problems: list[Problem],
    keys: dict[str, tuple[str, int]],
) -> Step | None:
    if not isinstance(raw, dict):
        problems.append(Problem(p, line, f"step {step_id!r} must be a mapping"))
        return None
    for key in raw:
        if key not in STEP_KEYS:
            problems.append(Problem(p, line_of(raw, key), f"step {step_id!r}: unknown key {key!r}"))
    kinds = [k for k in ("say", "ask", "do") if k in raw]
    if len(kinds) != 1:
        problems.append(Problem(p, line, f"step {step_id!r} needs exactly one of say, ask or do"))
        return None
    kind = StepKind(kinds[0])
    nxt = raw.get("next")
    if isinstance(nxt, dict):
        next_map = {str(k): str(v) for k, v in nxt.items()}
    elif nxt is None:
        next_map = {}
    else:
        next_map = {DEFAULT: str(nxt)}

    def use_key(key: str, at: int) -> None:
        keys.setdefault(key, (p, at))

    common: dict[str, Any] = {"id": step_id, "kind": kind, "next": next_map, "line": line}
    if kind == StepKind.SAY:
        use_key(str(raw["say"]), line_of(raw, "say"))
        return Step(message=str(raw["say"]), **common)
    if kind == StepKind.DO:
        return _do_step(p, step_id, raw, common, problems, use_key)
    return _ask_step(p, step_id, raw, common, problems, use_key)


def _do_step(
    p: str, step_id: str, raw: Any, common: dict[str, Any], problems: list[Problem], use_key: Any
) -> Step | None:
    action = str(raw["do"])
    if action not in ACTIONS:
        problems.append(
            Problem(
                p,
                line_of(raw, "do"),
                f"step {step_id!r}: unknown action "
                f"{action!r} (known: {', '.join(sorted(ACTIONS))})",
            )
        )
        return None
    params = {k: raw[k] for k in ("field", "value", "from", "flow") if k in raw}
    for key in params:
        if key not in ACTIONS[action]:
            problems.append(
                Problem(p, line_of(raw, key), f"step {step_id!r}: action {action} takes no {key!r}")
            )
    message = raw.get("message")
    if action == "notify_coach" and not message:
        problems.append(Problem(p, common["line"], f"step {step_id!r}: notify_coach needs message"))
    if action == "set_field" and ("field" not in raw or ("value" not in raw and "from" not in raw)):
        problems.append(
            Problem(
                p, common["line"], f"step {step_id!r}: set_field needs field and value (or from)"
            )
        )
    if message:
        use_key(str(message), line_of(raw, "message"))
    return Step(
        action=action,
        params={k: _plain(v) for k, v in params.items()},
        message=str(message) if message else None,
        **common,
    )


def _ask_step(
    p: str, step_id: str, raw: Any, common: dict[str, Any], problems: list[Problem], use_key: Any
) -> Step | None:
    key = str(raw["ask"])
    use_key(key, line_of(raw, "ask"))
    try:
        answer = AnswerType(str(raw.get("answer", "")))
    except ValueError:
        kinds = ", ".join(a.value for a in AnswerType)
        problems.append(
            Problem(
                p,
                line_of(raw, "answer") if "answer" in raw else common["line"],
                f"step {step_id!r}: unknown answer type {raw.get('answer')!r} (use {kinds})",
            )
        )
        return None
    options: list[Option] = []
    for i, item in enumerate(raw.get("options") or []):
        if isinstance(item, dict):
            value, label = (
                str(item.get("value")),
                str(item.get("label") or f"{key}.{item.get('value')}"),
            )
        else:
            value, label = str(item), f"{key}.{item}"
        options.append(Option(value, label))
        use_key(label, line_of(raw, "options", i))
    if answer == AnswerType.YES_NO:
        use_key("common.yes", common["line"])
        use_key("common.no", common["line"])
    source = raw.get("options_from")
    if source is not None and str(source) not in SOURCES:
        problems.append(
            Problem(
                p,
                line_of(raw, "options_from"),
                f"step {step_id!r}: unknown "
                f"options_from {source!r} (known: {', '.join(sorted(SOURCES))})",
            )
        )
    if answer == AnswerType.CHOICE and not options and source is None:
        problems.append(
            Problem(p, common["line"], f"step {step_id!r}: a choice needs options or options_from")
        )
    page = _page(p, step_id, raw, answer, source, options, problems)
    if page:
        for label in PAGE_LABELS.values():
            use_key(label, line_of(raw, "page"))
    timeout = None
    if "timeout" in raw:
        try:
            timeout = parse_duration(str(raw["timeout"]))
        except ValueError as err:
            problems.append(Problem(p, line_of(raw, "timeout"), f"step {step_id!r}: {err}"))
    for bound in ("min", "max"):
        if bound in raw and (not isinstance(raw[bound], int) or isinstance(raw[bound], bool)):
            problems.append(
                Problem(p, line_of(raw, bound), f"step {step_id!r}: {bound} must be a whole number")
            )
            return None
    retries = raw.get("retries", 2)
    if not isinstance(retries, int) or retries < 0:
        problems.append(
            Problem(
                p, line_of(raw, "retries"), f"step {step_id!r}: retries must be a whole number ≥ 0"
            )
        )
        retries = 2
    return Step(
        message=key,
        answer=answer,
        options=tuple(options),
        options_from=str(source) if source is not None else None,
        page=page,
        minimum=raw.get("min"),
        maximum=raw.get("max"),
        timeout=timeout,
        on_timeout=_opt(raw.get("on_timeout")),
        retries=retries,
        on_invalid=_opt(raw.get("on_invalid")),
        **common,
    )


def _page(
    p: str,
    step_id: str,
    raw: Any,
    answer: AnswerType,
    source: Any,
    options: list[Option],
    problems: list[Problem],
) -> int | None:
    """`page: 10`: a choice from `options_from` shown ten at a time."""
    if "page" not in raw:
        return None
    page = raw["page"]
    at = line_of(raw, "page")
    if not isinstance(page, int) or isinstance(page, bool) or page < 1:
        problems.append(Problem(p, at, f"step {step_id!r}: page must be a whole number ≥ 1"))
        return None
    if answer != AnswerType.CHOICE or source is None:
        problems.append(
            Problem(p, at, f"step {step_id!r}: only a choice with options_from can have pages")
        )
        return None
    for option in options:
        if option.value in PAGE_LABELS:
            problems.append(
                Problem(
                    p, at, f"step {step_id!r}: option {option.value!r} is the page buttons' own"
                )
            )
    return page


def _check_links(
    p: str, data: Any, steps: dict[str, Step], start: str, problems: list[Problem]
) -> None:
    raw_steps = data["steps"]
    for step in steps.values():
        raw = raw_steps[step.id]
        branching = isinstance(raw.get("next"), dict)
        targets = [(("next", k) if branching else ("next",), t) for k, t in step.next.items()]
        targets += [
            ((k,), getattr(step, k)) for k in ("on_timeout", "on_invalid") if getattr(step, k)
        ]
        for where, target in targets:
            if target != END and target not in raw_steps:
                problems.append(
                    Problem(
                        p,
                        line_of(raw, *where),
                        f"step {step.id!r}: unknown step {target!r} in {where[0]}",
                    )
                )
        if step.kind != StepKind.ASK and set(step.next) - {DEFAULT}:
            problems.append(
                Problem(
                    p,
                    line_of(raw, "next"),
                    f"step {step.id!r}: only a question can branch; use a plain `next: step`",
                )
            )
        if step.kind == StepKind.ASK and step.answer in (AnswerType.CHOICE, AnswerType.YES_NO):
            allowed = {o.value for o in step.options} | {DEFAULT}
            if step.answer == AnswerType.YES_NO:
                allowed |= {"yes", "no"}
            if step.options_from is None:
                for value in step.next:
                    if value not in allowed:
                        problems.append(
                            Problem(
                                p,
                                line_of(raw, "next", value),
                                f"step {step.id!r}: next names {value!r}, not an option",
                            )
                        )
    seen = {start}
    queue = deque([start])
    while queue:
        reached = steps.get(queue.popleft())
        if reached is None:
            continue
        for follow in [*reached.next.values(), reached.on_timeout, reached.on_invalid]:
            if follow and follow != END and follow not in seen:
                seen.add(follow)
                queue.append(follow)
    for step_id in raw_steps:
        if str(step_id) not in seen:
            problems.append(
                Problem(
                    p,
                    line_of(data, "steps", step_id),
                    f"step {step_id!r} is unreachable from start {start!r}",
                )
            )


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
