"""The trace mapping: `map` lines (traced calls and texts -> actions, with matchers), `map
agent` lines and the `precision` line."""
from __future__ import annotations

from .. import ast
from .. import model as m
from ..span import Span
from .actions import check_outcome
from .diagnose import Sink
from .names import resolve_agents
from .scope import Scope


def trace_mapping(decls: tuple[ast.Decl, ...], scope: Scope, sink: Sink) -> m.TraceMapping:
    """The `map` lines whose target resolves, in order, the `map agent` pairs, and the
    precision (`conservative` unless declared)."""
    actions, agents, precision = [], [], None
    seen_agents: dict[str, Span] = {}
    for d in decls:
        if isinstance(d, (ast.MapTool, ast.MapText)):
            target = _target(d.target, scope, sink)
            condition = _match(d.condition) if d.condition is not None else None
            if target is not None:
                trace_name = d.trace_name if isinstance(d, ast.MapTool) else f"@{d.source}"
                actions.append(m.ActionMap(trace_name, target[0], target[1], condition, span=d.span))
        elif isinstance(d, ast.MapAgent):
            if d.trace_name in seen_agents:
                sink.error("WF102", f"trace agent `{d.trace_name}` is mapped twice", d.span,
                           "map each name in traces to one agent",
                           (("first mapped here", seen_agents[d.trace_name]),))
                continue
            seen_agents[d.trace_name] = d.span
            resolved = resolve_agents((d.agent,), scope.names, sink)
            if resolved:
                agents.append((d.trace_name, resolved[0]))
        elif isinstance(d, ast.PrecisionDecl):
            if precision is not None:
                sink.error("WF102", "`precision` is declared twice", d.span, "keep one `precision` line")
            precision = d.mode
    return m.TraceMapping(tuple(actions), tuple(agents), precision or "conservative")


def _target(target: ast.NamedAction, scope: Scope, sink: Sink) -> tuple[str, str | None] | None:
    """(action name, outcome) of what a `map` line maps to, or None if it does not resolve."""
    name = target.name.name
    if name in scope.tools:
        if not check_outcome(scope.tools[name].tool, target.outcome, sink):
            return None
        return name, target.outcome.name if target.outcome else None
    if name in scope.events and target.outcome is None:
        return name, None
    if name in scope.events:
        sink.error("WF404", f"event `{name}` has no outcomes", target.outcome.span,
                   "only tools declare outcomes")
        return None
    sink.unknown("tool or event", name, target.name.span, scope.action_names())
    return None


def _match(e) -> m.Match:
    """A matcher of the `when` clause of a `map` line (the grammar admits only matcher forms)."""
    if isinstance(e, ast.MatchArg):
        return m.MatchArg(e.param.name, e.op, e.pattern)
    if isinstance(e, ast.MatchOutput):
        return m.MatchOutput(e.op, e.pattern)
    if isinstance(e, ast.MatchError):
        return m.MatchError()
    if isinstance(e, ast.Not):
        return m.MatchNot(_match(e.operand))
    return (m.MatchAll if e.op == "and" else m.MatchAny)(tuple(_match(o) for o in e.operands))
