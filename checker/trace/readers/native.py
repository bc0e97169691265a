"""The native format: wfcheck's own JSON Lines, one event per line, or one trace per line
(`{"trace": id, "events": [...]}`). See docs/traces.md for the schema.

Events of one trace are contiguous lines, so a file is read trace by trace and never held
whole.
"""
from __future__ import annotations

from typing import Callable, Iterable, Iterator

from .common import json_type, parse_line, result_text
from .events import Handoff, Location, ReadProblem, Trace
from .fast import location as new_location, message as new_message, decode_json, tool_call
from .locate import Locator
from .pairing import Pairer

FORMAT = "native"
TYPES = ("message", "tool_call", "tool_result", "handoff")
ROLES = frozenset({"system", "user", "assistant"})
_CONTAINER_KEYS = ("events", "messages", "traj", "resourceSpans")


def is_event(obj) -> bool:
    """A native event line: an object with `trace` or `type` that is not a trace container."""
    return type(obj) is dict and ("trace" in obj or "type" in obj) and not _is_container(obj)


def _is_container(obj: dict) -> bool:
    return any(key in obj for key in _CONTAINER_KEYS)


def is_trace(obj) -> bool:
    return type(obj) is dict and type(obj.get("events")) is list


def _problem(loc: Location, field: str, expected: str, value) -> ReadProblem:
    pointer = f"{loc.pointer}/{field}"
    if value is None:
        return ReadProblem("WF804", f"missing field `{field}`", Location(loc.file, loc.line, pointer))
    return ReadProblem("WF804", f"field `{field}` is a {json_type(value)}, expected {expected}",
                       Location(loc.file, loc.line, pointer))


def _add(obj: dict, loc: Location, events: list, problems: list, pairer: Pairer) -> None:
    """Read one event object into the trace being built; a bad field skips the event."""
    str_ = str
    kind = obj.get("type")
    if kind == "tool_call":
        tool = obj.get("tool")
        agent = obj.get("agent")
        call_id = obj.get("call_id")
        arguments = obj.get("arguments")
        result = obj.get("result")
        error = obj.get("error")
        if type(tool) is not str_ or not tool:
            bad = _problem(loc, "tool", "a tool name", tool or None)
        elif arguments is not None and type(arguments) is not dict:
            bad = _problem(loc, "arguments", "an object", arguments)
        elif agent is not None and type(agent) is not str_:
            bad = _problem(loc, "agent", "a string", agent)
        elif call_id is not None and type(call_id) is not str_:
            bad = _problem(loc, "call_id", "a string", call_id)
        elif error is not None and type(error) is not bool:
            bad = _problem(loc, "error", "a boolean", error)
        else:
            if arguments is None:
                arguments = {}
            if not call_id:
                call_id = None
            if result is None:
                pairer.call(tool, arguments, agent, call_id, loc)
            else:
                events.append(tool_call(tool, arguments, agent, call_id,
                                        result if type(result) is str_ else result_text(result),
                                        error is True, loc, loc))
            return
        problems.append(bad)
        if result is None:      # its result may follow: take it without a second report
            pairer.call(None, {}, None, call_id if type(call_id) is str_ else None, loc)
        return
    if kind == "tool_result":
        result = obj.get("result")
        call_id = obj.get("call_id")
        error = obj.get("error")
        tool = obj.get("tool")
        if result is None:
            problems.append(_problem(loc, "result", "the tool's output", None))
        elif call_id is not None and type(call_id) is not str_:
            problems.append(_problem(loc, "call_id", "a string", call_id))
        elif error is not None and type(error) is not bool:
            problems.append(_problem(loc, "error", "a boolean", error))
        elif tool is not None and type(tool) is not str_:
            problems.append(_problem(loc, "tool", "a string", tool))
        else:
            pairer.result(result if type(result) is str_ else result_text(result), error is True,
                          call_id or None, loc, tool)
        return
    if kind == "message":
        role = obj.get("role")
        content = obj.get("content")
        agent = obj.get("agent")
        receiver = obj.get("to")
        if type(role) is not str_ or role not in ROLES:
            if type(role) is str_:
                problems.append(ReadProblem("WF804", f"unknown role `{role}`, expected system, user "
                                            "or assistant", Location(loc.file, loc.line,
                                                                     loc.pointer + "/role")))
            else:
                problems.append(_problem(loc, "role", "a string", role))
        elif type(content) is not str_:
            problems.append(_problem(loc, "content", "a string", content))
        elif agent is not None and type(agent) is not str_:
            problems.append(_problem(loc, "agent", "a string", agent))
        elif receiver is not None and type(receiver) is not str_:
            problems.append(_problem(loc, "to", "a string", receiver))
        else:
            events.append(new_message(role, content, agent, receiver, loc))
        return
    if kind == "handoff":
        agent = obj.get("agent")
        receiver = obj.get("to")
        content = obj.get("content")
        if content is None:
            content = ""
        if type(agent) is not str_:
            problems.append(_problem(loc, "agent", "a string", agent))
        elif type(receiver) is not str_:
            problems.append(_problem(loc, "to", "a string", receiver))
        elif type(content) is not str_:
            problems.append(_problem(loc, "content", "a string", content))
        else:
            events.append(Handoff(agent, receiver, content, loc))
        return
    if type(kind) is str_:
        problems.append(ReadProblem("WF804", f"unknown event type `{kind}`, expected "
                                    + ", ".join(TYPES),
                                    Location(loc.file, loc.line, loc.pointer + "/type")))
    else:
        problems.append(_problem(loc, "type", "a string", kind))


def read_event(obj: dict, location: Location) -> tuple[list, list]:
    """One event object read as `read_lines` reads it at `location` (its `trace` key is not
    looked at): its events (one, or none if a field is bad) and the problems. For the gate,
    which gets events one at a time as objects and need not print and re-scan them."""
    events: list = []
    problems: list = []
    pairer = Pairer(events, problems)
    _add(obj, location, events, problems, pairer)
    pairer.finish()
    return events, problems


def _finish(file: str, trace_id: str, events: list, problems: list, pairer: Pairer) -> Trace:
    pairer.finish()
    return Trace(f"{file}#{trace_id}", file, FORMAT, tuple(events), tuple(problems), {})


def _trace_id(obj: dict, loc: Location) -> tuple[str | None, ReadProblem | None]:
    tid = obj.get("trace")
    if type(tid) is str:
        return tid, None
    if type(tid) is int:
        return str(tid), None
    return None, _problem(loc, "trace", "a string", tid)


def read_lines(lines: Iterable[str | bytes], file: str,
               other: Callable[[object, int], Iterable[Trace | ReadProblem]] | None = None,
               start: int = 1) -> Iterator[Trace | ReadProblem]:
    """Read JSON lines: native event lines are grouped into traces by `trace`; any other
    line is handed to `other(obj, line)` (a whole trace on one line) after the trace being
    read is finished. Malformed lines are WF802 and reading goes on."""
    decode = decode_json
    dict_ = dict
    current = None            # trace id being read
    events: list = []
    problems: list = []
    pairer = Pairer(events, problems)
    first_line = 0
    finished: dict[str, int] = {}
    for lineno, line in enumerate(lines, start):
        try:
            obj = decode(line)
        except (ValueError, RecursionError):       # what `json` may read otherwise, or an error
            obj, why = parse_line(line)            # a BOM, NaN, ...; else why it is not JSON
            if why is not None:
                if why:
                    yield ReadProblem("WF802", why, new_location(file, lineno, ""))
                continue
        if type(obj) is dict_ and "trace" in obj and ("type" in obj or not _is_container(obj)):
            tid = obj["trace"]
            if tid != current:
                if type(tid) is not str:
                    tid, bad = _trace_id(obj, Location(file, lineno, ""))
                    if bad is not None:
                        if current is not None:
                            problems.append(bad)
                        else:
                            yield bad
                        continue
                    if tid == current:
                        _add(obj, Location(file, lineno, ""), events, problems, pairer)
                        continue
                if current is not None:
                    yield _finish(file, current, events, problems, pairer)
                    finished[current] = first_line
                current, first_line = tid, lineno
                events = []
                problems = []
                pairer = Pairer(events, problems)
                if tid in finished:
                    problems.append(ReadProblem(
                        "WF803", f"the events of trace `{tid}` are not contiguous: the trace "
                        f"also has events from line {finished[tid]}", Location(file, lineno, "")))
            _add(obj, new_location(file, lineno, ""), events, problems, pairer)
            continue
        if current is not None:
            if is_event(obj):      # an event without `trace`: it belongs to the trace being read
                problems.append(_problem(Location(file, lineno, ""), "trace", "a string", None))
                continue
            yield _finish(file, current, events, problems, pairer)
            finished[current] = first_line
            current = None
            events = []
            problems = []
            pairer = Pairer(events, problems)
        if other is not None:
            yield from other(obj, lineno)
    if current is not None:
        yield _finish(file, current, events, problems, pairer)


def read_trace(doc, name: str, file: str, locate: Locator) -> Trace | ReadProblem:
    """One trace object: `{"trace": id, "events": [...], "metadata": {...}}`; its other
    fields join the metadata."""
    if not is_trace(doc):
        return ReadProblem("WF803", "not a native trace: expected an object with an `events` list",
                           locate(""))
    events: list = []
    problems: list = []
    pairer = Pairer(events, problems)
    for i, obj in enumerate(doc["events"]):
        loc = locate(f"/events/{i}")
        if type(obj) is not dict:
            problems.append(ReadProblem("WF804", f"event is a {json_type(obj)}, expected an object",
                                        loc))
            continue
        _add(obj, loc, events, problems, pairer)
    pairer.finish()
    metadata = doc.get("metadata")
    metadata = dict(metadata) if type(metadata) is dict else {}
    metadata.update((k, v) for k, v in doc.items() if k not in ("events", "metadata", "trace"))
    tid = doc.get("trace")
    if type(tid) is str or type(tid) is int:
        name = f"{file}#{tid}"
    return Trace(name, file, FORMAT, tuple(events), tuple(problems), metadata)


def read_event_list(items: list, file: str, locate: Locator) -> Iterator[Trace | ReadProblem]:
    """A JSON array of native events (a `.json` file written like the JSON Lines form)."""
    current = None
    events: list = []
    problems: list = []
    pairer = Pairer(events, problems)
    first_line = 0
    finished: dict[str, int] = {}
    for i, obj in enumerate(items):
        loc = locate(f"/{i}")
        tid = bad = None
        if type(obj) is not dict:
            bad = ReadProblem("WF804", f"event is a {json_type(obj)}, expected an object", loc)
        else:
            tid, bad = _trace_id(obj, loc)
        if bad is not None:
            if current is not None:
                problems.append(bad)
            else:
                yield bad
            continue
        if tid != current:
            if current is not None:
                yield _finish(file, current, events, problems, pairer)
                finished[current] = first_line
            current, first_line = tid, loc.line
            events = []
            problems = []
            pairer = Pairer(events, problems)
            if tid in finished:
                problems.append(ReadProblem(
                    "WF803", f"the events of trace `{tid}` are not contiguous: the trace "
                    f"also has events from line {finished[tid]}", loc))
        _add(obj, loc, events, problems, pairer)
    if current is not None:
        yield _finish(file, current, events, problems, pairer)
