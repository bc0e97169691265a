"""The normalized trace: what every input format is read into and the monitor consumes.

A tool call and its result are one `ToolCall` (readers pair them, by id where ids are
reliable and by order where harnesses reuse or omit them), because one model step is the
call *and* what it returned: arguments are checked before the call, the result labels the
caller's context after it.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Location:
    """Where an event came from: the file, the 1-based line (for a `.json` file holding one
    document: the line where the event's object starts, when known; else the trace's first
    line), and a JSON pointer into the trace object (e.g. `/messages/4/tool_calls/0`)."""
    file: str
    line: int
    pointer: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" + (f" ({self.pointer})" if self.pointer else "")


@dataclass(frozen=True, slots=True)
class ToolCall:
    tool: str
    arguments: dict
    agent: str | None = None          # the agent's name in the trace, if the format says
    call_id: str | None = None
    result: str | None = None         # None: the trace ends before the result (or it is missing)
    is_error: bool = False
    location: Location = field(default=Location("", 0))
    result_location: Location | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """Text: `role` is "system", "user" or "assistant" (an agent's reply); `agent` is the
    sender's name in the trace if known; `receiver` for agent-to-agent messages."""
    role: str
    content: str
    agent: str | None = None
    receiver: str | None = None
    location: Location = field(default=Location("", 0))


@dataclass(frozen=True, slots=True)
class Handoff:
    agent: str
    receiver: str
    content: str = ""
    location: Location = field(default=Location("", 0))


Event = ToolCall | Message | Handoff


@dataclass(frozen=True, slots=True)
class ReadProblem:
    """Input that could not be read: reported with its place, never silently skipped.
    Codes: WF801 unreadable file, WF802 malformed JSON, WF803 unknown shape, WF804 a
    missing or mistyped field, WF805 a result with no call, WF806 a truncated trace."""
    code: str
    message: str
    location: Location

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message, "file": self.location.file,
                "line": self.location.line, "pointer": self.location.pointer}


@dataclass(frozen=True, slots=True)
class Trace:
    """One recorded run. `name` identifies it in reports (file, plus `#index` when a file
    holds several); `problems` are the non-fatal reading problems inside it."""
    name: str
    file: str
    format: str                       # openai | anthropic | otel | native
    events: tuple[Event, ...]
    problems: tuple[ReadProblem, ...] = ()
    metadata: dict = field(default_factory=dict)
