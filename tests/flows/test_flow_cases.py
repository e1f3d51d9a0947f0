"""Every shipped flow, driven through the pure engine by the cases in tests/flows/cases/.

One YAML file per flow (`cases/<flow id>.yaml`) lists cases; each case is a transcript:
the events a person sends (press, type, timeout, resume) with, after each, the actions
the engine answers with (says, asks, does, recorded, finished …). The format is described
in cases/README.md. A case that does not match fails with a line diff of the transcripts.

Nothing here touches a database or Telegram: the flows are loaded by bot.content and run by
bot.engine.runner; the options a host would compute (`options_from:`) come from the case.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot.content.bundle import load_content, shipped_content_dir
from bot.engine.durations import parse_duration
from bot.engine.model import Flow, Option, Step, StepKind
from bot.engine.runner import (
    Action,
    Answer,
    Ask,
    Event,
    Finished,
    Invalid,
    Perform,
    Recorded,
    Result,
    Resume,
    RunState,
    Say,
    Stale,
    StartTimer,
    Timeout,
    advance,
    start,
)

CASES_DIR = Path(__file__).resolve().parent / "cases"
FILE_KEYS = {"flow", "vars", "sources", "cases"}
CASE_KEYS = {"description", "vars", "sources", "run", "answers"}
EVENTS = {"press", "type", "timeout", "resume"}
OUTPUTS = {"says", "asks", "reasks", "invalid", "timer", "does", "recorded", "finished", "stale"}
BARE = {"timeout", "resume", "stale"}  # items that may be written as a plain word

Line = tuple[str, Any]  # (verb, canonical payload): one event or one action


class CaseError(Exception):
    """A case file that cannot be read as cases (a typo in a verb, a missing key…)."""


# --- reading case files ---------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    flow: str
    description: str
    where: str  # path:line of the case, for messages
    vars: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, tuple[Option, ...]] = field(default_factory=dict)
    run: tuple[Line, ...] = ()
    answers: Mapping[str, Any] | None = None  # the run's answers at the end, when given
    error: str | None = None  # set when the case could not be read

    @property
    def id(self) -> str:
        return f"{self.flow}:{self.description}"


def _read(path: Path) -> Any:
    try:
        return YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except YAMLError as err:
        raise CaseError(f"{path.name}: not valid YAML: {err}") from None


def _line(node: Any) -> int:
    return node.lc.line + 1 if hasattr(node, "lc") else 0


def _plain(value: Any) -> Any:
    """ruamel's commented containers → plain dicts and lists (for == and repr)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _options(raw: Any, where: str) -> tuple[Option, ...]:
    """`{value: text, …}` (what a button shows) or `[value, …]` (the value is the text)."""
    if isinstance(raw, Mapping):
        return tuple(Option(str(v), text=str(t)) for v, t in raw.items())
    if isinstance(raw, list):
        return tuple(Option(str(v), text=str(v)) for v in raw)
    raise CaseError(f"{where}: a source is a mapping value → text, or a list of values")


def _sources(raw: Any, where: str) -> dict[str, tuple[Option, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise CaseError(f"{where}: sources must map a source name to its options")
    return {str(name): _options(opts, where) for name, opts in raw.items()}


def _duration(text: Any, where: str) -> str:
    try:
        return _show_duration(parse_duration(str(text)))
    except ValueError as err:
        raise CaseError(f"{where}: {err}") from None


def _show_duration(after: timedelta) -> str:
    seconds = int(after.total_seconds())
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"


def _question(raw: Any, where: str) -> dict[str, Any]:
    """`asks: key` (no buttons) or `asks: {key: …, options: [values]}`."""
    if isinstance(raw, str):
        return {"key": raw, "options": []}
    if isinstance(raw, Mapping) and set(raw) <= {"key", "options"} and "key" in raw:
        return {"key": str(raw["key"]), "options": [str(v) for v in raw.get("options") or []]}
    raise CaseError(f"{where}: write a question as `key` or `{{key: …, options: [...]}}`")


def _action(raw: Any, where: str) -> dict[str, Any]:
    """`does: name` or `does: {action: name, params: {…}, message: key}`."""
    if isinstance(raw, str):
        return {"action": raw}
    if isinstance(raw, Mapping) and set(raw) <= {"action", "params", "message"} and "action" in raw:
        found: dict[str, Any] = {"action": str(raw["action"])}
        if raw.get("params"):
            found["params"] = _plain(raw["params"])
        if raw.get("message"):
            found["message"] = str(raw["message"])
        return found
    raise CaseError(f"{where}: write an action as `name` or `{{action: …, params: …, message: …}}`")


EVENT_FIELD = {"press": "value", "type": "text"}  # what a press or typed text carries


def _event(verb: str, raw: Any, where: str) -> dict[str, Any] | None:
    """An event's payload. Its seq is the waiting question's unless given (`seq: n`)."""
    if verb == "resume":
        if raw is not None:
            raise CaseError(f"{where}: resume takes nothing")
        return None
    name = EVENT_FIELD.get(verb)  # None for a timeout
    payload: dict[str, Any] = {}
    if isinstance(raw, Mapping):
        if not set(raw) <= {"seq", name} or (name is not None and name not in raw):
            shape = f"{{{name}: …, seq: n}}" if name else "{seq: n}"
            raise CaseError(f"{where}: write {verb} as `{verb}: {shape}`")
        if "seq" in raw:
            payload["seq"] = int(raw["seq"])
        raw = raw.get(name) if name else None
    if name is None:
        if raw is not None:
            raise CaseError(f"{where}: write `timeout` or `timeout: {{seq: n}}`")
        return payload
    if raw is None:
        raise CaseError(f"{where}: {verb} needs a {name}")
    payload[name] = str(raw)
    return payload


def _item(raw: Any, where: str) -> Line:
    """One transcript item, as written in a case, in canonical form."""
    if isinstance(raw, str) and raw in BARE:
        verb, value = raw, None
    elif isinstance(raw, Mapping) and len(raw) == 1:
        verb, value = next(iter(raw.items()))
        verb = str(verb)
    else:
        raise CaseError(f"{where}: each item is one `verb: value` (or timeout / resume / stale)")
    if verb in EVENTS:
        return verb, _event(verb, value, where)
    match verb:
        case "says" | "invalid" | "finished":
            if not isinstance(value, str):
                raise CaseError(f"{where}: {verb} takes a plain word")
            return verb, value
        case "asks" | "reasks":
            return verb, _question(value, where)
        case "timer":
            return verb, _duration(value, where)
        case "does":
            return verb, _action(value, where)
        case "recorded":
            if not isinstance(value, Mapping) or len(value) != 1:
                raise CaseError(f"{where}: recorded takes one `step: value`")
            return verb, _plain(value)
        case "stale":
            return verb, None
    known = ", ".join(sorted(EVENTS | OUTPUTS))
    raise CaseError(f"{where}: unknown item {verb!r} (known: {known})")


def _case(path: Path, flow: str, defaults: Mapping[str, Any], raw: Any) -> Case:
    where = f"{path.name}:{_line(raw)}"
    if not isinstance(raw, Mapping) or "description" not in raw:
        return Case(flow, f"line {_line(raw)}", where, error=f"{where}: a case needs a description")
    description = str(raw["description"])
    try:
        unknown = set(raw) - CASE_KEYS
        if unknown:
            raise CaseError(f"{where}: unknown key(s) {sorted(unknown)} (use {sorted(CASE_KEYS)})")
        items = raw.get("run")
        if not isinstance(items, list) or not items:
            raise CaseError(f"{where}: a case needs `run:`, the list of events and actions")
        run = tuple(
            _item(item, f"{path.name}:{items.lc.item(i)[0] + 1}") for i, item in enumerate(items)
        )
        sources = {**defaults["sources"], **_sources(raw.get("sources"), where)}
        vars = {**defaults["vars"], **_plain(raw.get("vars") or {})}
        answers = _plain(raw["answers"]) if "answers" in raw else None
    except CaseError as err:
        return Case(flow, description, where, error=str(err))
    return Case(flow, description, where, vars, sources, run, answers)


def read_case_file(path: Path) -> list[Case]:
    """The cases in one file; a file or case that cannot be read becomes a failing case."""
    stem = path.stem
    try:
        data = _read(path)
        if not isinstance(data, Mapping) or not isinstance(data.get("cases"), list):
            raise CaseError(f"{path.name}: a case file is a mapping with `flow:` and `cases:`")
        if not data["cases"]:
            raise CaseError(f"{path.name}: no cases")
        unknown = set(data) - FILE_KEYS
        if unknown:
            raise CaseError(f"{path.name}: unknown key(s) {sorted(unknown)}")
        defaults = {
            "sources": _sources(data.get("sources"), path.name),
            "vars": _plain(data.get("vars") or {}),
        }
    except CaseError as err:
        return [Case(stem, "(file)", path.name, error=str(err))]
    flow = str(data.get("flow", stem))
    return [_case(path, flow, defaults, raw) for raw in data["cases"]]


def case_files() -> list[Path]:
    return sorted(CASES_DIR.glob("*.yaml"))


@cache
def all_cases() -> tuple[Case, ...]:
    return tuple(case for path in case_files() for case in read_case_file(path))


# --- running a case -------------------------------------------------------------------


def render(actions: Sequence[Action]) -> list[Line]:
    """Engine actions in the canonical form of case items."""
    lines: list[Line] = []
    for action in actions:
        match action:
            case Say():
                lines.append(("says", action.key))
            case Ask():
                verb = "reasks" if action.reask else "asks"
                lines.append(
                    (verb, {"key": action.key, "options": [o.value for o in action.options]})
                )
            case StartTimer():
                lines.append(("timer", _show_duration(action.after)))
            case Invalid():
                lines.append(("invalid", action.step))
            case Perform():
                lines.append(("does", _action_dict(action)))
            case Recorded():
                lines.append(("recorded", {action.step: action.value}))
            case Finished():
                lines.append(("finished", action.reason))
            case Stale():
                lines.append(("stale", None))
            case _:  # an action this harness does not know yet: show it, never drop it
                lines.append((type(action).__name__, repr(action)))
    return lines


def _action_dict(action: Perform) -> dict[str, Any]:
    found: dict[str, Any] = {"action": action.action}
    if action.params:
        found["params"] = _plain(action.params)
    if action.message:
        found["message"] = action.message
    return found


def _to_event(verb: str, payload: dict[str, Any] | None, state: RunState) -> Event:
    if verb == "resume":
        return Resume()
    assert payload is not None
    seq = payload.get("seq", state.seq)
    if verb == "timeout":
        return Timeout(seq)
    return Answer(seq, value=payload.get("value"), text=payload.get("text"))


@dataclass
class Played:
    lines: list[Line]
    state: RunState
    timed_out: set[str] = field(default_factory=set)  # questions that got a (live) timeout


def play(flow: Flow, case: Case) -> Played:
    """Start the flow with the case's vars and sources, then send the case's events."""
    result: Result = start(flow, case.vars, case.sources)
    played = Played(render(result.actions), result.state)
    for verb, payload in case.run:
        if verb not in EVENTS:
            continue
        waiting = result.state
        result = advance(flow, waiting, _to_event(verb, payload, waiting), case.sources)
        if verb == "timeout" and not any(isinstance(a, Stale) for a in result.actions):
            played.timed_out.add(waiting.step)
        played.lines += [(verb, payload), *render(result.actions)]
        played.state = result.state
    return played


def show(line: Line) -> str:
    """One transcript line as text: `press: "great"`, `recorded: {"mood": "bad"}`…"""
    verb, payload = line
    if verb in EVENTS and isinstance(payload, Mapping) and "seq" not in payload:
        payload = next(iter(payload.values()), None)
    if payload is None:
        return verb
    return f"{verb}: {json.dumps(payload, ensure_ascii=False, sort_keys=True)}"


def mismatch(flow: Flow, case: Case) -> str | None:
    """None when the engine does what the case says; else a readable diff."""
    played = play(flow, case)
    expected = [show(line) for line in case.run]
    actual = [show(line) for line in played.lines]
    problems: list[str] = []
    if expected != actual:
        diff = difflib.unified_diff(expected, actual, "expected (case)", "actual (engine)", n=99)
        problems.append("\n".join(line.rstrip("\n") for line in diff))
    answers = dict(played.state.answers)
    if case.answers is not None and answers != case.answers:
        problems.append(f"answers at the end:\n  expected {case.answers}\n  actual   {answers}")
    if not problems:
        return None
    return f"{case.where}: {case.id}\n" + "\n".join(problems)


# --- tests ------------------------------------------------------------------------------


@cache
def shipped() -> dict[str, Flow]:
    """The shipped flows, loaded (and checked) as the bot loads them."""
    return load_content(shipped_content_dir()).flows


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in all_cases()])
def test_flow_case(case: Case) -> None:
    if case.error:
        pytest.fail(case.error, pytrace=False)
    if case.flow not in shipped():
        pytest.fail(f"{case.where}: no shipped flow {case.flow!r}", pytrace=False)
    found = mismatch(shipped()[case.flow], case)
    if found:
        pytest.fail(found, pytrace=False)


def test_every_shipped_flow_has_a_case_file_and_every_case_file_a_flow() -> None:
    files = {path.stem: path for path in case_files()}
    problems = [
        f"{flow}: shipped flow without cases/{flow}.yaml" for flow in shipped() if flow not in files
    ]
    problems += [
        f"{stem}.yaml: no shipped flow {stem!r}" for stem in files if stem not in shipped()
    ]
    for stem, path in files.items():
        named = _read(path).get("flow")
        if named != stem:
            problems.append(f"{stem}.yaml: says `flow: {named}` (a file is named after its flow)")
    assert not problems, "\n".join(problems)


class _Visits(Mapping[str, Step]):
    """A flow's steps that note each step the engine looks at."""

    def __init__(self, steps: Mapping[str, Step], seen: set[str]) -> None:
        self._steps = steps
        self._seen = seen

    def __getitem__(self, key: str) -> Step:
        step = self._steps[key]
        self._seen.add(key)
        return step

    def __iter__(self) -> Iterator[str]:
        return iter(self._steps)

    def __len__(self) -> int:
        return len(self._steps)


@pytest.mark.parametrize("flow_id", sorted(path.stem for path in case_files()))
def test_the_cases_reach_every_step_and_every_timeout(flow_id: str) -> None:
    flow = shipped().get(flow_id)
    if flow is None:
        pytest.skip(f"no shipped flow {flow_id!r} (reported by the test above)")
    seen: set[str] = set()
    timed_out: set[str] = set()
    watched = replace(flow, steps=_Visits(flow.steps, seen))
    for case in all_cases():
        if case.flow == flow_id and not case.error:
            timed_out |= play(watched, case).timed_out
    unreached = [step for step in flow.steps if step not in seen]
    assert not unreached, f"steps of {flow_id} that no case reaches: {unreached}"
    waits = [s.id for s in flow.steps.values() if s.kind == StepKind.ASK and s.timeout]
    untimed = [step for step in waits if step not in timed_out]
    assert not untimed, f"questions of {flow_id} whose timeout no case lets run out: {untimed}"


def test_descriptions_are_distinct_within_a_file() -> None:
    by_file: dict[str, list[str]] = {}
    for case in all_cases():
        by_file.setdefault(case.where.split(":")[0], []).append(case.description)
    twice = {
        name: sorted({d for d in found if found.count(d) > 1}) for name, found in by_file.items()
    }
    repeated = {name: found for name, found in twice.items() if found}
    assert not repeated, f"descriptions used twice (test ids must differ): {repeated}"


# --- the harness itself can fail ----------------------------------------------------------


def test_a_wrong_expectation_fails_with_a_diff() -> None:
    case = next(c for c in all_cases() if ("says", "checkin.thanks") in c.run)
    wrong = replace(
        case,
        run=tuple(
            ("says", "checkin.take_care") if line == ("says", "checkin.thanks") else line
            for line in case.run
        ),
    )
    flow = shipped()[case.flow]
    found = mismatch(flow, wrong)
    assert found is not None
    assert '-says: "checkin.take_care"' in found
    assert '+says: "checkin.thanks"' in found
    assert mismatch(flow, case) is None


def test_wrong_final_answers_fail() -> None:
    case = next(c for c in all_cases() if c.flow == "checkin" and c.answers)
    found = mismatch(shipped()["checkin"], replace(case, answers={"how_are_you": "nope"}))
    assert found is not None and "answers at the end" in found


@pytest.mark.parametrize(
    ("raw", "phrase"),
    [
        pytest.param({"say": "checkin.thanks"}, "unknown item 'say'", id="unknown-verb"),
        pytest.param({"asks": {"key": "q", "buttons": []}}, "write a question", id="asks-typo"),
        pytest.param({"does": {"name": "stop"}}, "write an action", id="does-typo"),
        pytest.param({"timer": "two days"}, "bad duration", id="timer-not-a-duration"),
        pytest.param({"recorded": {"a": 1, "b": 2}}, "one `step: value`", id="recorded-two"),
        pytest.param({"press": None}, "press needs a value", id="press-nothing"),
        pytest.param("wait", "each item is one", id="bare-unknown-word"),
    ],
)
def test_a_case_item_that_cannot_be_read_is_an_error(raw: Any, phrase: str) -> None:
    with pytest.raises(CaseError, match=phrase):
        _item(raw, "x.yaml:1")
