"""One gated run: a `Monitor` of its own, the events taken so far, and the audit log.

`check(call)` asks the monitor whether a tool call would break the spec, before it runs;
`step(event)` takes what ran. A refused call is taken too, as the call it was with the
gate's error as its result (`refuse`): the agent did issue it and did get an error back, so
the monitor, the audit log and a later `wfcheck trace` of the log all see the same run, and
the verdicts at each event are those of `wfcheck trace` (tests/test_gate.py proves it on
every AgentDojo run). The gate adds no semantics of its own.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace

from wfcheck.spec import model as m
from wfcheck.checker.trace.check import Rule, TraceReport, TraceResult, _resolve
from wfcheck.checker.trace.monitor import Monitor, Verdict, Violation
from wfcheck.checker.trace.readers.events import Handoff, Location, Message, ToolCall, Trace
from wfcheck.checker.trace.readers.native import read_event

from .audit import AuditLog

DEFAULT_MAX_EVENTS = 100_000


class GateError(Exception):
    """Bad input to the gate, with a stable code (docs/errors.md, WF860-WF867) and the HTTP
    status the service answers with."""

    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def to_json(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


@dataclass(frozen=True)
class Decision:
    """What the gate says of a tool call before it runs: allowed, or refused with the
    violations it would cause (property, message, and where the data came from)."""
    violations: tuple[Violation, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.violations

    def reason(self) -> str:
        """The refusal as one text for a tool error: each property, why, and the chain."""
        lines = []
        for v in self.violations:
            name = f"property `{v.property}`" if v.property else "the workflow"
            lines.append(f"refused by wfcheck gate: {name} ({v.kind}): {v.message}")
            lines += [f"  - {link.text}" + (f" (at {link.location})" if link.location else "")
                      for link in v.chain]
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"allowed": self.allowed, "violations": [v.to_json() for v in self.violations],
                "reason": self.reason() if self.violations else None}


def event_record(session: str, event) -> dict:
    """An event as a native trace line (docs/traces.md)."""
    if isinstance(event, ToolCall):
        record = {"trace": session, "type": "tool_call", "tool": event.tool, "arguments": event.arguments}
        if event.agent is not None:
            record["agent"] = event.agent
        if event.call_id is not None:
            record["call_id"] = event.call_id
        if event.result is not None:
            record["result"] = event.result
        if event.is_error:
            record["error"] = True
        return record
    if isinstance(event, Handoff):
        return {"trace": session, "type": "handoff", "agent": event.agent, "to": event.receiver,
                "content": event.content}
    record = {"trace": session, "type": "message", "role": event.role, "content": event.content}
    if event.agent is not None:
        record["agent"] = event.agent
    if event.receiver is not None:
        record["to"] = event.receiver
    return record


def own_monitor(template: Monitor) -> Monitor:
    """A monitor of its own for a session, in a fresh state, sharing the template's compiled
    spec and its cache of moves (a pure function of configurations and actions): building a
    `Monitor` lowers the spec, which takes milliseconds; this takes microseconds."""
    monitor = copy.copy(template)
    monitor.reset()
    return monitor


class Session:
    """A gated run against one spec: a checked Model, or a Monitor used as the template of
    the session's own (`own_monitor`). `audit`: the path of its log (None: none).
    `max_events` bounds its memory; past it `step` raises WF862."""

    def __init__(self, spec: m.Model | Monitor, name: str, audit: str | None = None, fsync: str = "flush",
                 max_events: int = DEFAULT_MAX_EVENTS, precision: str | None = None) -> None:
        self.monitor = own_monitor(spec) if isinstance(spec, Monitor) else Monitor(spec, precision)
        self.name = name
        self.max_events = max_events
        self.log = AuditLog(audit, fsync) if audit else None
        self.events: list = []
        self.violations: list[Violation] = list(self.monitor.start_violations)
        self.finished = False
        self._line = self.log.line if self.log else 1
        self._file = audit or f"<session {name}>"

    # ------------------------------------------------------------ reading events
    def location(self) -> Location:
        """Where the next event is: its line in the audit log."""
        return Location(self._file, self._line)

    def parse(self, obj) -> object:
        """A native event object (docs/traces.md, without `trace`) -> the event, located at
        its line in the audit log; bad fields are WF860 with the reader's message."""
        if type(obj) is not dict:
            raise GateError("WF860", "an event must be a JSON object")
        events, problems = read_event(obj, Location(self._file, self._line, ""))
        bad = [p for p in problems if p.code != "WF806"]
        if bad:
            raise GateError("WF860", f"{bad[0].message} (at {bad[0].location.pointer or '/'})")
        if events:
            return events[0]
        raise GateError("WF860", "not an event: expected a `type` of message, tool_call or handoff")

    # ------------------------------------------------------------ deciding
    def check(self, event) -> Decision:
        """Would `event` break the spec if it happened now? Changes nothing."""
        self._open()
        return Decision(self.monitor.check(event).violations)

    def step(self, event, decision: Decision | None = None) -> Verdict:
        """Take `event` (a call with its result, a message, a hand-off): the monitor's
        verdict, recorded in the audit log with the decision taken before it, if any."""
        self._open()
        if len(self.events) >= self.max_events:
            raise GateError("WF862", f"session `{self.name}` has reached its limit of {self.max_events} events; "
                            "finish it and start another", 422)
        event = replace(event, location=self.location(),
                        **({"result_location": self.location()} if isinstance(event, ToolCall) else {}))
        verdict = self.monitor.step(event)
        self.events.append(event)
        self.violations.extend(verdict.violations)
        if self.log is not None:
            gate = {"decision": "allow" if decision is None or decision.allowed else "refuse",
                    "violations": [v.to_json() for v in verdict.violations]}
            self.log.append({**event_record(self.name, event), "gate": gate})
        self._line += 1
        return verdict

    def decide(self, call: ToolCall) -> Decision:
        """Check a call before it runs; a refused call is taken at once (`refuse`), an
        allowed one is left for `step` with its result."""
        decision = self.check(call)
        if not decision.allowed:
            self.refuse(call, decision)
        return decision

    def refuse(self, call: ToolCall, decision: Decision) -> Verdict:
        """Take a refused call as issued with the gate's error as its result."""
        return self.step(replace(call, result=decision.reason(), is_error=True), decision)

    def finish(self) -> Verdict:
        """The run has ended: the `terminates` verdict; the log is closed."""
        self._open()
        last = self.events[-1].location if self.events else None
        verdict = self.monitor.finish(last)
        self.violations.extend(verdict.violations)
        self.finished = True
        if self.log is not None:
            self.log.close()
        return verdict

    def close(self) -> None:
        """Drop the session without finishing it (expiry): its log is closed as it is."""
        self.finished = True
        if self.log is not None:
            self.log.close()

    def _open(self) -> None:
        if self.finished:
            raise GateError("WF863", f"session `{self.name}` is finished", 409)

    # ------------------------------------------------------------ reporting
    def report(self, spec_path: str) -> TraceReport:
        """The session as `wfcheck trace` reports a trace (its JSON: `report.to_json()`),
        addressed as `trace` addresses it (check.py's `_resolve`)."""
        model = self.monitor.model
        trace = Trace(f"{self._file}#{self.name}", self._file, "native", tuple(self.events))
        found = [_resolve(v, trace, v.at == "end") for v in self.violations]
        result = TraceResult(trace.name, self._file, "native", len(self.events), tuple(v for v, _ in found), (),
                             tuple(t for _, t in found), tuple(self.monitor.warnings))
        return TraceReport(spec_path, model.name, self.monitor.precision,
                           tuple(Rule.of(p) for p in model.properties), (result,))


def tool_call(tool: str, arguments: dict, agent: str | None = None, call_id: str | None = None) -> ToolCall:
    """A tool call as the gate checks it (no result yet)."""
    return ToolCall(tool, arguments, agent, call_id)


def message(role: str, content: str, agent: str | None = None, receiver: str | None = None) -> Message:
    return Message(role, content, agent, receiver)
