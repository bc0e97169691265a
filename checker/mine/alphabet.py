"""From traced events to the symbols a mined machine reads: one symbol per step the trace
monitor would take (a tool call with its outcome, a reply, a user turn, a message or a
hand-off), named as the emitted spec will name it."""
from __future__ import annotations

import re
from dataclasses import dataclass

from wfcheck.checker.trace.readers.events import Handoff, Message, ToolCall, Trace

# Words that start a declaration, or that a clause may expect right after a name: a mined
# name never takes one of them (it gets a `_` suffix and a `map` line instead).
RESERVED = frozenset(
    "workflow import labels agent var tool event state property map precision on by to when "
    "outcome returns reads writes sends sink needs declassify endorse initial final any true "
    "false not and or at never requires earlier most always no flow from influence message "
    "handoff reply user error output arg matches contains terminates deadlock".split())
REPLY_EVENT = "agent_reply"
USER_EVENT = "user_turn"
DEFAULT_AGENT = "assistant"


@dataclass(frozen=True, slots=True, order=True)
class Symbol:
    """One step: `kind` is tool, event, message or handoff; `agent` the acting agent (None for
    an environment event, or when the catalog leaves it open); `detail` a tool's outcome or
    the receiver of a message or hand-off."""
    kind: str
    name: str
    agent: str | None = None
    detail: str | None = None

    def action(self) -> str:
        """The action as a transition or property writes it."""
        if self.kind in ("message", "handoff"):
            return f"{self.kind} {self.agent} to {self.detail}"
        return f"{self.name}.{self.detail}" if self.kind == "tool" and self.detail else self.name


DECLARATION_WORDS = frozenset("workflow catalog import labels agent var tool event state property map "
                              "precision".split())


def identifier(name: str, reserved: frozenset[str] = RESERVED) -> str:
    """A `.wf` name for a name from a trace: other characters become `_`, `reserved` words
    get a `_` suffix (a parameter needs only the declaration words avoided)."""
    text = re.sub(r"[^A-Za-z0-9_]", "_", name) or "_"
    if not (text[0].isalpha() or text[0] == "_"):
        text = "_" + text
    return text + "_" if text in reserved else text


class Namer:
    """Trace names to `.wf` names, one-to-one: two trace names that sanitize alike get
    distinct names (a numeric suffix), and the names taken by the catalog stay theirs."""

    def __init__(self, taken: set[str] = frozenset(), known: set[str] = frozenset()) -> None:
        self.names: dict[str, str] = {n: n for n in known}
        self.taken = set(taken) | set(known)

    def __call__(self, trace_name: str) -> str:
        name = self.names.get(trace_name)
        if name is None:
            base = name = identifier(trace_name)
            n = 2
            while name in self.taken:
                name, n = f"{base}_{n}", n + 1
            self.taken.add(name)
            self.names[trace_name] = name
        return name

    def renamed(self) -> dict[str, str]:
        """The trace names whose `.wf` name differs (they need a `map` line)."""
        return {t: n for t, n in self.names.items() if t != n}

    def new(self, known: set[str]) -> list[str]:
        """The `.wf` names given out here that are not in `known`, in order."""
        return [n for n in dict.fromkeys(self.names.values()) if n not in known]


class Symbolizer:
    """Turns events into symbols. Tools are named by `tools`, agents by `agents` (both
    `Namer`s); a tool's outcome is `failed`/`ok` only for tools in `failing` (seen failing
    at least once), so a tool that never failed has no outcomes. With `replies` false, an
    agent's text replies are context, not steps."""

    def __init__(self, tools: Namer, agents: Namer, failing: set[str], default_agent: str,
                 replies: bool = True) -> None:
        self.tools, self.agents, self.failing = tools, agents, failing
        self.replies = replies
        self.default_agent = default_agent
        self._calls: dict[tuple, Symbol] = {}

    def agent(self, trace_agent: str | None) -> str:
        return self.default_agent if trace_agent is None else self.agents(trace_agent)

    def symbol(self, event) -> Symbol | None:
        """The symbol of `event`, or None for context only (system prompts)."""
        if type(event) is ToolCall:
            key = (event.tool, event.agent, event.is_error)
            symbol = self._calls.get(key)
            if symbol is None:
                outcome = ("failed" if event.is_error else "ok") if event.tool in self.failing else None
                symbol = self._calls[key] = Symbol("tool", self.tools(event.tool), self.agent(event.agent),
                                                   outcome)
            return symbol
        if type(event) is Handoff:
            return Symbol("handoff", "handoff", self.agent(event.agent), self.agent(event.receiver))
        if type(event) is Message:
            if event.role == "assistant":
                if event.receiver is not None:
                    return Symbol("message", "message", self.agent(event.agent),
                                  self.agents(event.receiver))
                # Without `map reply` the monitor takes a reply as context, so may we.
                return Symbol("event", REPLY_EVENT, self.agent(event.agent)) if self.replies else None
            if event.role == "user":
                return Symbol("event", USER_EVENT)
        return None


def failing_tools(traces: list[Trace]) -> set[str]:
    """The trace names of tools with at least one failed call."""
    return {e.tool for t in traces for e in t.events if type(e) is ToolCall and e.is_error}
