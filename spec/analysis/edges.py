"""Transitions -> edges: one `Edge` per (transition, action, acting agent, tool outcome), with
the tool's guard, updates and label changes merged into the transition's."""
from __future__ import annotations

from collections.abc import Iterator

from .. import ast
from .. import model as m
from ..span import Span
from .actions import check_outcome
from .diagnose import Sink
from .expressions import Typer
from .names import resolve_agents
from .scope import Scope

# (action, declaration span, guards, updates, declassify, endorse) of one concrete step
_Step = tuple[m.Action, Span, tuple[m.Expr | None, ...], tuple[m.Assign, ...], int | None, int | None]


def expand_transitions(decls: tuple[ast.Decl, ...], scope: Scope, typer: Typer,
                       sink: Sink) -> tuple[m.Edge, ...]:
    """The edges of every transition, numbered in order. A transition from or to an unknown
    state has none, but its actions are still checked."""
    edges: list[m.Edge] = []
    labels = scope.labels
    for t in (d for d in decls if isinstance(d, ast.Transition)):
        ok = True
        for ident in (t.source, t.target):
            if ident.name not in scope.names.states:
                sink.unknown("state", ident.name, ident.span, scope.names.states)
                ok = False
        restrict = resolve_agents(t.agents, scope.names, sink)
        guard = typer.condition(t.guard)
        updates = typer.updates(t.updates)
        declassify = labels.conf_level(t.declassify, "`declassify`", sink)
        endorse = labels.integ_level(t.endorse, "`endorse`", sink)
        for action in t.actions:
            for act, decl_span, guards, assigns, decl_d, decl_e in _steps(action, t, restrict, scope, sink):
                if not ok:
                    continue
                if act.agent is None and (declassify is not None or endorse is not None):
                    sink.warning("WF504", f"`declassify`/`endorse` has no effect on environment event "
                                 f"`{act.name}`", t.span, "they change the acting agent's label; give the "
                                 "event a `by` agent")
                conj = [g for g in (*guards, guard) if g is not None]
                full_guard = conj[0] if len(conj) == 1 else (m.And(tuple(conj)) if conj else m.TRUE)
                edges.append(m.Edge(
                    len(edges), t.source.name, t.target.name, act, full_guard,
                    merge_updates(sink, assigns, updates),
                    _combine(declassify, decl_d, labels.conf.meet),
                    _combine(endorse, decl_e, labels.integ.join),
                    span=t.span, action_span=action.span, decl_span=decl_span))
    return tuple(edges)


def _steps(action: ast.ActionRef, t: ast.Transition, restrict: tuple[str, ...], scope: Scope,
           sink: Sink) -> Iterator[_Step]:
    """The concrete steps of one action of transition `t`, performed by an agent in `restrict`
    (any agent when empty); none when the action does not resolve."""
    if isinstance(action, ast.MessageAction):
        for ident in (action.sender, action.receiver):
            if ident.name not in scope.names.agents:
                sink.unknown("agent", ident.name, ident.span, scope.names.agents)
                return
        if t.agents:
            sink.error("WF409", f"`by` does not apply to a {action.kind}", t.span,
                       f"the sender of `{action.kind} A to B` is A")
            return
        yield (m.Action(action.kind, action.kind, action.sender.name, action.receiver.name),
               action.span, (), (), None, None)
        return
    name = action.name.name
    if name in scope.tools:
        declared = scope.tools[name]
        tool = declared.tool
        performers = [a for a in tool.agents if not restrict or a in restrict]
        if not performers and tool.agents:
            sink.error("WF403", f"no agent in `by` may call `{name}`", t.span,
                       f"`{name}` may be called by " + ", ".join(f"`{a}`" for a in tool.agents))
            return
        if not check_outcome(tool, action.outcome, sink):
            return
        outcomes: tuple[str | None, ...] = (action.outcome.name,) if action.outcome else tool.outcomes or (None,)
        for agent in performers:
            for outcome in outcomes:
                assigns = declared.updates + (declared.outcome_updates.get(outcome, ()) if outcome else ())
                yield (m.Action("tool", name, agent, None, outcome), tool.span,
                       (declared.guard,), merge_updates(sink, assigns), declared.declassify, declared.endorse)
        return
    if name in scope.events:
        if action.outcome is not None:
            sink.error("WF404", f"event `{name}` has no outcomes", action.outcome.span, "only tools declare outcomes")
            return
        event = scope.events[name]
        performers = event.agents or (None,)
        if restrict:
            if event.agents:
                performers = tuple(a for a in event.agents if a in restrict)
                if not performers:
                    sink.error("WF403", f"no agent in `by` may perform `{name}`", t.span)
                    return
            else:
                performers = restrict
        for agent in performers:
            yield m.Action("event", name, agent), event.span, (), (), None, None
        return
    sink.unknown("tool or event", name, action.name.span, scope.action_names())


def merge_updates(sink: Sink, *groups: tuple[m.Assign, ...]) -> tuple[m.Assign, ...]:
    """The updates of one step, in order; WF206 for a variable assigned a second time."""
    seen: dict[str, Span] = {}
    merged = []
    for group in groups:
        for a in group:
            if a.var in seen:
                sink.error("WF206", f"`{a.var}` is assigned twice in one step", a.span,
                           "a step assigns each variable at most once; combine the updates",
                           (("also assigned here", seen[a.var]),))
                continue
            seen[a.var] = a.span
            merged.append(a)
    return tuple(merged)


def _combine(a: int | None, b: int | None, op) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return op(a, b)
