"""From a traced event to the model actions it may be: the spec's `map` declarations,
then names as they are, then who acted and which tool outcome it had."""
from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field

from wfcheck.spec import model as m

from .readers.events import Handoff, Message, ToolCall

ERROR_OUTCOMES = ("failed", "error", "failure", "fail", "errored")
SUCCESS_OUTCOMES = ("ok", "success", "succeeded", "done", "pass", "passed")


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _matches_text(op: str, pattern: str, text: str) -> bool:
    if op == "contains":
        return pattern in text
    if op == "==":
        return text == pattern
    return fnmatch.fnmatchcase(text, pattern)


def matches(match: m.Match, arguments: dict, output: str | None, is_error: bool) -> bool:
    """Evaluate a `when` condition of a `map` declaration on one traced event."""
    if isinstance(match, m.MatchArg):
        return match.param in arguments and _matches_text(match.op, match.pattern, _text(arguments[match.param]))
    if isinstance(match, m.MatchOutput):
        return output is not None and _matches_text(match.op, match.pattern, output)
    if isinstance(match, m.MatchError):
        return is_error
    if isinstance(match, m.MatchNot):
        return not matches(match.operand, arguments, output, is_error)
    if isinstance(match, m.MatchAll):
        return all(matches(o, arguments, output, is_error) for o in match.operands)
    return any(matches(o, arguments, output, is_error) for o in match.operands)


@dataclass(frozen=True, slots=True)
class Resolved:
    """The model actions an event may be (several when the outcome is not known), or why
    it is none (`problem`). `key` identifies the actions cheaply (the monitor's cache key)."""
    actions: tuple[m.Action, ...]
    problem: str | None = None
    key: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", hash(self.actions))


class ActionResolver:
    def __init__(self, model: m.Model) -> None:
        self.model = model
        self.tools = {t.name: t for t in model.tools}
        self.events = {e.name: e for e in model.events}
        self.agent_names = dict(model.mapping.agents)
        self.by_trace_name: dict[str | None, list[m.ActionMap]] = {}
        for entry in model.mapping.actions:
            self.by_trace_name.setdefault(entry.trace_name, []).append(entry)
        # Who may perform each tool or event: the agents of its edges (a transition's `by`
        # may give an environment event to an agent), else its declaration.
        self.performers: dict[str, tuple[str | None, ...]] = {}
        for e in model.edges:
            if e.action.kind in ("tool", "event"):
                known = self.performers.setdefault(e.action.name, ())
                if e.action.agent not in known:
                    self.performers[e.action.name] = known + (e.action.agent,)
        self.message_pairs = {(e.action.kind, e.action.agent, e.action.receiver)
                              for e in model.edges if e.action.kind in ("message", "handoff")}
        # Trace names whose mapping looks at arguments or output: those cannot be cached.
        self.conditional = {name for name, entries in self.by_trace_name.items()
                            if any(e.condition is not None for e in entries)}
        self._cache: dict = {}

    def agent(self, trace_agent: str | None) -> str | None:
        if trace_agent is None:
            return None
        return self.agent_names.get(trace_agent, trace_agent if trace_agent in self.model.agents else None)

    def _target(self, trace_name: str | None, arguments: dict, output: str | None,
                is_error: bool) -> tuple[str, str | None] | None:
        for entry in self.by_trace_name.get(trace_name, ()):
            if entry.condition is None or matches(entry.condition, arguments, output, is_error):
                return entry.name, entry.outcome
        if trace_name is not None and (trace_name in self.tools or trace_name in self.events):
            return trace_name, None
        return None

    def _performers(self, name: str, trace_agent: str | None) -> tuple[str | None, ...] | str:
        agent = self.agent(trace_agent)
        allowed = self.performers.get(name) or (
            self.tools[name].agents if name in self.tools else (self.events[name].agents or (None,)))
        if agent is not None:
            return (agent,) if agent in allowed else f"agent `{agent}` may not perform `{name}`"
        return allowed  # no agent recorded: any agent the spec allows (the monitor keeps them all)

    def _outcomes(self, name: str, outcome: str | None, is_error: bool) -> tuple[str | None, ...]:
        tool = self.tools.get(name)
        if tool is None or not tool.outcomes:
            return (None,)
        if outcome is not None:
            return (outcome,)
        if is_error:
            failed = [o for o in tool.outcomes if o in ERROR_OUTCOMES]
            return (failed[0],) if failed else tool.outcomes
        succeeded = [o for o in tool.outcomes if o in SUCCESS_OUTCOMES]
        if succeeded:
            return (succeeded[0],)
        # A call that did not fail did not end in a failure outcome; the rest stay open.
        others = tuple(o for o in tool.outcomes if o not in ERROR_OUTCOMES)
        return others or tool.outcomes

    def _actions(self, target, trace_agent: str | None, is_error: bool) -> Resolved:
        name, outcome = target
        performers = self._performers(name, trace_agent)
        if isinstance(performers, str):
            return Resolved((), performers)
        kind = "tool" if name in self.tools else "event"
        return Resolved(tuple(m.Action(kind, name, agent, None, o)
                              for agent in performers for o in self._outcomes(name, outcome, is_error)))

    def _default_receiver(self, sender: str | None) -> str | None:
        """Whom a message with no recorded receiver is for: the one agent the spec lets
        `sender` message, else the first other agent."""
        receivers = sorted({r for kind, s, r in self.message_pairs if kind == "message" and s == sender})
        if len(receivers) == 1:
            return receivers[0]
        return next((a for a in self.model.agents if a != sender), None)

    def resolve(self, event) -> Resolved | None:
        """The actions of `event`, or None when the event is context only (not a step)."""
        if isinstance(event, ToolCall):
            cacheable = event.tool not in self.conditional
            if cacheable:
                key = (event.tool, event.agent, event.is_error)
                hit = self._cache.get(key)
                if hit is not None:
                    return hit
            target = self._target(event.tool, event.arguments, event.result, event.is_error)
            if target is None:
                resolved = Resolved((), f"`{event.tool}` is not a tool or event of the spec")
            else:
                resolved = self._actions(target, event.agent, event.is_error)
            if cacheable:
                self._cache[key] = resolved
            return resolved
        if isinstance(event, Handoff):
            sender, receiver = self.agent(event.agent), self.agent(event.receiver)
            if ("handoff", sender, receiver) not in self.message_pairs:
                return Resolved((), f"the spec has no hand-off from `{event.agent}` to `{event.receiver}`")
            return Resolved((m.Action("handoff", "handoff", sender, receiver),))
        if isinstance(event, Message):
            key = ("message", event.role, event.agent, event.receiver)
            if key in self._cache:
                return self._cache[key]
            resolved = self._resolve_message(event)
            if not ((event.role == "assistant" and "@reply" in self.conditional)
                    or (event.role == "user" and "@user" in self.conditional)):
                self._cache[key] = resolved
            return resolved
        return None

    def _resolve_message(self, event: Message) -> Resolved | None:
        if event.role == "assistant" and event.receiver is None:
            target = self._target("@reply", {}, event.content, False)
            # An unmapped reply is context: chat logs do not say which replies are the
            # spec's messages (native traces name the receiver; or use `map reply`).
            return self._actions(target, event.agent, False) if target is not None else None
        if event.role == "user" and "@user" in self.by_trace_name:
            target = self._target("@user", {}, event.content, False)
            if target is not None:
                return self._actions(target, None, False)
        sender = self.agent(event.agent) or self.agent(event.role)
        receiver = self.agent(event.receiver) if event.receiver else self._default_receiver(sender)
        if ("message", sender, receiver) in self.message_pairs:
            return Resolved((m.Action("message", "message", sender, receiver),))
        return None
