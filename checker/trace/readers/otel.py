"""OpenTelemetry GenAI spans in OTLP JSON (`resourceSpans[].scopeSpans[].spans[]`).

Read attributes (semantic conventions for generative AI, development status):
- every span: `gen_ai.operation.name`;
- `execute_tool` spans: `gen_ai.tool.name` (else the span name after `execute_tool `),
  `gen_ai.tool.call.id`, `gen_ai.tool.call.arguments`, `gen_ai.tool.call.result` (a JSON
  string or a structured value), `error.type`, and the span status (code 2 = error);
- `invoke_agent` spans: `gen_ai.agent.name`; a span belongs to the agent of its nearest
  `invoke_agent` ancestor (or its own `gen_ai.agent.name`);
- any span: `gen_ai.system_instructions`, `gen_ai.input.messages`, `gen_ai.output.messages`
  (messages `{role, parts: [{type: text, content} | {type: tool_call, id, name, arguments} |
  {type: tool_call_response, id, result}], name?}`).

Spans are grouped by `traceId` and ordered by `startTimeUnixNano`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterator

from .common import TOO_DEEP, json_type, parse_arguments, result_text
from .events import Handoff, Location, Message, ReadProblem, ToolCall, Trace
from .locate import Locator
from .pairing import Pairer

FORMAT = "otel"
OP = "gen_ai.operation.name"
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


def value_of(value):
    """An OTLP JSON `AnyValue` as a Python value."""
    if type(value) is not dict:
        return value
    for key, item in value.items():
        if key == "stringValue" or key == "boolValue" or key == "doubleValue":
            return item
        if key == "intValue":
            return int(item) if type(item) is str and item.lstrip("-").isdigit() else item
        if key == "arrayValue":
            values = item.get("values") if type(item) is dict else None
            return [value_of(v) for v in values] if type(values) is list else []
        if key == "kvlistValue":
            values = item.get("values") if type(item) is dict else None
            return {kv["key"]: value_of(kv.get("value")) for kv in values
                    if type(kv) is dict and type(kv.get("key")) is str} if type(values) is list else {}
        if key == "bytesValue":
            return item
    return None


def attributes_of(raw) -> dict | None:
    """Span attributes: OTLP's list of `{key, value}`, or a plain object."""
    if raw is None:
        return {}
    if type(raw) is dict:
        return raw
    if type(raw) is not list:
        return None
    out = {}
    for kv in raw:
        if type(kv) is dict and type(kv.get("key")) is str:
            out[kv["key"]] = value_of(kv.get("value"))
    return out


def _nanos(value) -> int:
    if type(value) is int:
        return value
    if type(value) is str and value.isdigit():
        return int(value)
    return 0


class _Span:
    __slots__ = ("trace_id", "span_id", "parent", "name", "start", "end", "attrs", "error",
                 "status_message", "location", "order")

    def __init__(self, trace_id, span_id, parent, name, start, end, attrs, error, status_message,
                 location, order):
        self.trace_id, self.span_id, self.parent, self.name = trace_id, span_id, parent, name
        self.start, self.end, self.attrs, self.error = start, end, attrs, error
        self.status_message, self.location, self.order = status_message, location, order


def is_document(doc) -> bool:
    return type(doc) is dict and "resourceSpans" in doc


def trace_ids(doc) -> frozenset[str]:
    """The `traceId`s of an OTLP document's spans, as `SpanCollector.add` groups them (a
    file's byte ranges are cut between batches that share none: checker/corpus/)."""
    ids = set()
    resource_spans = doc.get("resourceSpans") if type(doc) is dict else None
    for resource in resource_spans if type(resource_spans) is list else ():
        if type(resource) is not dict:
            continue
        scope_key = ("instrumentationLibrarySpans" if "instrumentationLibrarySpans" in resource
                     and "scopeSpans" not in resource else "scopeSpans")
        scopes = resource.get(scope_key)
        for scope in scopes if type(scopes) is list else ():
            spans = scope.get("spans") if type(scope) is dict else None
            for span in spans if type(spans) is list else ():
                trace_id = span.get("traceId") if type(span) is dict else None
                if type(trace_id) is str and trace_id:
                    ids.add(trace_id)
    return frozenset(ids)


@dataclass
class SpanRange:
    """What the reader of a byte range of an OTLP file keeps (checker/corpus/): not the
    spans of the traces in `ignore` (an earlier range's: `dropped` gets the last line of
    each left out, for the merge to check that range read it), and from line `own_until`
    on (the next range's lines, read for this range's traces' last spans) only the spans of
    the traces already met."""
    ignore: frozenset[str]
    own_until: int
    dropped: dict[str, int] = field(default_factory=dict)


class SpanCollector:
    """Spans of one file, from one OTLP document or several (an OTLP JSON Lines export
    holds one batch per line, and a trace's spans may be spread over batches).

    For a byte range of a file, `part` says what to keep (`SpanRange`)."""

    def __init__(self, file: str, part: SpanRange | None = None) -> None:
        self.file = file
        self.ignore = part.ignore if part else frozenset()
        self.own_until = part.own_until if part else None
        self.dropped = part.dropped if part else {}
        self.by_trace: dict[str, list[_Span]] = {}
        self.trace_problems: dict[str, list[ReadProblem]] = {}
        self.services: dict[str, str] = {}
        self.count = 0

    def add(self, doc, locate: Locator) -> list[ReadProblem]:
        """Collect a document's spans; returns the problems that belong to no trace."""
        own = self.own_until is None or locate.line < self.own_until
        loose: list[ReadProblem] = []
        resource_spans = doc.get("resourceSpans") if type(doc) is dict else None
        if type(resource_spans) is not list:
            return [] if not own else [ReadProblem("WF803", "not an OTLP trace export: expected an object with a "
                                "`resourceSpans` list", locate(""))]
        for r, resource in enumerate(resource_spans):
            if type(resource) is not dict:
                loose.append(ReadProblem("WF804", f"resource spans are a {json_type(resource)}, "
                                         "expected an object", locate(f"/resourceSpans/{r}")))
                continue
            service = None
            described = resource.get("resource")
            res_attrs = attributes_of(described.get("attributes")) if type(described) is dict else None
            if res_attrs and type(res_attrs.get("service.name")) is str:
                service = res_attrs["service.name"]
            scope_key = ("instrumentationLibrarySpans" if "instrumentationLibrarySpans" in resource
                         and "scopeSpans" not in resource else "scopeSpans")
            scopes = resource.get(scope_key)
            if type(scopes) is not list:
                loose.append(ReadProblem("WF804", f"missing field `{scope_key}`" if scopes is None else
                                         f"field `{scope_key}` is a {json_type(scopes)}, expected a list",
                                         locate(f"/resourceSpans/{r}/{scope_key}")))
                continue
            for s, scope in enumerate(scopes):
                spans = scope.get("spans") if type(scope) is dict else None
                if type(spans) is not list:
                    loose.append(ReadProblem("WF804", "missing field `spans`",
                                             locate(f"/resourceSpans/{r}/{scope_key}/{s}/spans")))
                    continue
                for k, span in enumerate(spans):
                    pointer = f"/resourceSpans/{r}/{scope_key}/{s}/spans/{k}"
                    self._add_span(span, locate(pointer), service, loose, own)
        return loose if own else []

    def _add_span(self, span, location: Location, service, loose: list, own: bool = True) -> None:
        if type(span) is not dict:
            loose.append(ReadProblem("WF804", f"span is a {json_type(span)}, expected an object",
                                     location))
            return
        trace_id = span.get("traceId")
        if type(trace_id) is not str or not trace_id:
            loose.append(ReadProblem("WF804", "missing field `traceId`",
                                     Location(location.file, location.line,
                                              location.pointer + "/traceId")))
            return
        if trace_id in self.ignore:
            self.dropped[trace_id] = location.line
            return
        if not (own or trace_id in self.by_trace):
            return
        attrs = attributes_of(span.get("attributes"))
        problems = self.trace_problems.setdefault(trace_id, [])
        if attrs is None:
            problems.append(ReadProblem("WF804", "field `attributes` is a "
                                        f"{json_type(span.get('attributes'))}, expected a list",
                                        Location(location.file, location.line,
                                                 location.pointer + "/attributes")))
            attrs = {}
        status = span.get("status") if type(span.get("status")) is dict else {}
        code = status.get("code")
        message = status.get("message")
        error = code == 2 or code == "2" or code == "STATUS_CODE_ERROR"
        start = _nanos(span.get("startTimeUnixNano"))
        end = _nanos(span.get("endTimeUnixNano")) or start
        parent = span.get("parentSpanId")
        parent = parent if type(parent) is str and parent else None
        span_id = span.get("spanId")
        span_id = span_id if type(span_id) is str and span_id else None
        name = span.get("name")
        self.count += 1
        self.by_trace.setdefault(trace_id, []).append(_Span(
            trace_id, span_id, parent, name if type(name) is str else "", start, end,
            attrs, error, message if type(message) is str and message else None, location, self.count))
        if service and trace_id not in self.services:
            self.services[trace_id] = service

    def traces(self) -> Iterator[Trace]:
        for trace_id, spans in self.by_trace.items():
            yield _build(trace_id, spans, self.file, self.trace_problems.get(trace_id, []),
                         self.services.get(trace_id))


def read_document(doc, file: str, locate: Locator) -> Iterator[Trace | ReadProblem]:
    collector = SpanCollector(file)
    yield from collector.add(doc, locate)
    yield from collector.traces()


def _build(trace_id: str, spans: list[_Span], file: str, problems: list,
           service: str | None) -> Trace:
    spans = sorted(spans, key=lambda s: (s.start, s.order))
    by_id = {s.span_id: s for s in spans if s.span_id}
    scope_of: dict[int, _Span | None] = {}

    def agent_span(span: _Span | None) -> _Span | None:
        """The nearest `invoke_agent` span at or above `span`."""
        seen = []
        while span is not None:
            key = span.order
            if key in scope_of:
                found = scope_of[key]
                break
            seen.append(key)
            if span.attrs.get(OP) == "invoke_agent" or (span.attrs.get("gen_ai.agent.name")
                                                         and span.attrs.get(OP) is None):
                found = span
                break
            span = by_id.get(span.parent) if span.parent else None
            if span is not None and span.order in seen:
                span = None                        # a cycle of parent ids
        else:
            found = None
        for key in seen:
            scope_of[key] = found
        return found

    def agent_name(span: _Span) -> str | None:
        own = span.attrs.get("gen_ai.agent.name")
        if type(own) is str:
            return own
        scope = agent_span(span)
        name = scope.attrs.get("gen_ai.agent.name") if scope is not None else None
        return name if type(name) is str else None

    has_tool_spans = any(s.attrs.get(OP) == "execute_tool" for s in spans)
    # a sweep over span starts and ends in time order: at equal times ends come first (a
    # chat's answer before the tool call it asked for), then starts in span order
    moments = []
    for i, s in enumerate(spans):
        moments.append((s.start, 1, i, 0, s))
        moments.append((s.end, 0, i, 1, s) if s.end > s.start else (s.start, 1, i, 1, s))
    moments.sort(key=lambda m: m[:4])

    events: list = []
    pairer = Pairer(events, problems)
    emitted: dict[int | None, dict] = {}          # per agent scope: fingerprint -> count
    tails: dict[int | None, list] = {}            # per agent scope: the messages in order
    no_args = no_result = 0
    first_missing: Location | None = None
    for _, _, _, phase, span in moments:
        op = span.attrs.get(OP)
        if phase == 0:
            if op == "execute_tool":
                ok_args, ok_result = _tool(span, agent_name(span), events, problems)
                if not (ok_args and ok_result):
                    no_args += not ok_args
                    no_result += not ok_result
                    first_missing = first_missing or span.location
            elif op == "invoke_agent":
                parent = agent_span(by_id.get(span.parent)) if span.parent else None
                here = span.attrs.get("gen_ai.agent.name")
                there = parent.attrs.get("gen_ai.agent.name") if parent is not None else None
                if type(here) is str and type(there) is str and here != there:
                    events.append(Handoff(there, here, "", span.location))
            _inputs(span, agent_span(span), agent_name(span), emitted, tails, has_tool_spans,
                    events, problems, pairer)
        else:
            _outputs(span, op, agent_span(span), agent_name(span), emitted, tails,
                     has_tool_spans, events, problems, pairer)
    if no_args or no_result:
        what = " and ".join(part for part in (
            f"{no_args} record no `gen_ai.tool.call.arguments`" if no_args else "",
            f"{no_result} no `gen_ai.tool.call.result`" if no_result else "") if part)
        problems.append(ReadProblem(
            "WF804", f"of the tool spans, {what} (content capture off?): read as empty arguments "
            "and unknown results", first_missing))
    pairer.finish()
    metadata = {"trace_id": trace_id}
    if service:
        metadata["service.name"] = service
    return Trace(f"{file}#{trace_id}", file, FORMAT, tuple(events), tuple(problems), metadata)


def _tool(span: _Span, agent, events: list, problems: list) -> tuple[bool, bool]:
    attrs = span.attrs
    tool = attrs.get("gen_ai.tool.name")
    if type(tool) is not str or not tool:
        tool = span.name[len("execute_tool "):] if span.name.startswith("execute_tool ") else ""
    if not tool:
        problems.append(ReadProblem("WF804", "missing attribute `gen_ai.tool.name`", span.location))
        return True, True
    raw = attrs.get("gen_ai.tool.call.arguments")
    arguments, why = parse_arguments(raw)
    if arguments is None:
        problems.append(ReadProblem("WF804", f"the arguments of `{tool}` {why}", span.location))
        return True, True
    result = attrs.get("gen_ai.tool.call.result")
    error_type = attrs.get("error.type")
    is_error = span.error or error_type is not None
    if result is not None:
        result = result_text(result)
    elif is_error:
        result = span.status_message or (str(error_type) if error_type is not None else "error")
    call_id = attrs.get("gen_ai.tool.call.id")
    events.append(ToolCall(tool, arguments, agent, call_id if type(call_id) is str else None,
                           result, is_error, span.location, span.location))
    return raw is not None, result is not None


def _messages(value, span: _Span, attribute: str, problems: list) -> list:
    if value is None:
        return []
    if type(value) is str:
        try:
            value = json.loads(value)
        except ValueError as error:
            problems.append(ReadProblem("WF804", f"attribute `{attribute}` is not valid JSON "
                                        f"({error.msg})", span.location))
            return []
        except RecursionError:
            problems.append(ReadProblem("WF804", f"attribute `{attribute}` is not readable JSON "
                                        f"({TOO_DEEP})", span.location))
            return []
    if type(value) is not list:
        problems.append(ReadProblem("WF804", f"attribute `{attribute}` is a {json_type(value)}, "
                                    "expected a list of messages", span.location))
        return []
    return value


def _fingerprint(message: dict) -> str:
    return json.dumps([message.get("role"), message.get("parts"), message.get("content")],
                      sort_keys=True, default=str)


def _inputs(span, scope, agent, emitted, tails, has_tool_spans, events, problems, pairer) -> None:
    attrs = span.attrs
    if ("gen_ai.input.messages" not in attrs and "gen_ai.system_instructions" not in attrs):
        return
    key = scope.order if scope is not None else None
    seen = emitted.setdefault(key, {})
    tail = tails.setdefault(key, [])
    messages = []
    system = attrs.get("gen_ai.system_instructions")
    if system is not None:
        parts = _messages(system, span, "gen_ai.system_instructions", problems)
        if parts:
            messages.append({"role": "system", "parts": parts})
    messages.extend(_messages(attrs.get("gen_ai.input.messages"), span, "gen_ai.input.messages",
                              problems))
    here: dict[str, int] = {}
    for message in messages:
        if type(message) is not dict:
            continue
        mark = _fingerprint(message)
        here[mark] = here.get(mark, 0) + 1
        if here[mark] <= seen.get(mark, 0):
            continue                               # already read from an earlier span
        seen[mark] = here[mark]
        tail.append(mark)
        _message(message, span, agent, has_tool_spans, events, pairer)


def _outputs(span, op, scope, agent, emitted, tails, has_tool_spans, events, problems,
             pairer) -> None:
    value = span.attrs.get("gen_ai.output.messages")
    if value is None:
        return
    key = scope.order if scope is not None else None
    seen = emitted.setdefault(key, {})
    tail = tails.setdefault(key, [])
    messages = [m for m in _messages(value, span, "gen_ai.output.messages", problems)
                if type(m) is dict]
    marks = [_fingerprint(m) for m in messages]
    if op == "invoke_agent" and marks and tail[-len(marks):] == marks:
        return                                     # the agent's answer, already read from its chat
    for message, mark in zip(messages, marks):
        seen[mark] = seen.get(mark, 0) + 1
        tail.append(mark)
        _message(message, span, agent, has_tool_spans, events, pairer)


def _message(message: dict, span: _Span, agent, has_tool_spans: bool, events: list,
             pairer: Pairer) -> None:
    role = message.get("role")
    role = _ROLES.get(role) if type(role) is str else None
    parts = message.get("parts")
    if parts is None and "content" in message:     # an older, OpenAI-like shape
        content = message["content"]
        parts = [{"type": "text", "content": content}] if type(content) is str else []
    if type(parts) is not list:
        return
    texts = []
    for part in parts:
        if type(part) is not dict:
            continue
        kind = part.get("type")
        if kind == "text":
            text = part.get("content")
            if type(text) is not str:
                text = part.get("text")
            if type(text) is str:
                texts.append(text)
        elif has_tool_spans:
            continue                               # tool spans carry the calls
        elif kind == "tool_call":
            name = part.get("name")
            arguments, _ = parse_arguments(part.get("arguments"))
            call_id = part.get("id")
            if type(name) is str and name:
                pairer.call(name, arguments if arguments is not None else {}, agent,
                            call_id.strip() if type(call_id) is str else None, span.location)
        elif kind == "tool_call_response":
            call_id = part.get("id")
            result = part.get("result", part.get("response"))
            pairer.result(result_text(result) if result is not None else "", False,
                          call_id.strip() if type(call_id) is str else None, span.location)
    if texts and role is not None:
        name = message.get("name")
        sender = name if type(name) is str else (agent if role == "assistant" else None)
        events.append(Message(role, "\n".join(texts), sender, None, span.location))
