"""Warnings about declarations nothing uses (WF501-WF503), read off the resolved parts of a
workflow that has no errors (with errors, some uses are missing from them)."""
from __future__ import annotations

from .. import model as m
from .diagnose import Sink
from .scope import Scope


def report_unused(scope: Scope, edges: tuple[m.Edge, ...], properties: tuple[m.Property, ...],
                  mapping: m.TraceMapping, sink: Sink) -> None:
    """WF501 for tools and events no transition or `map` line names, WF502 for variables
    nothing reads, WF503 for agents that take part in no transition."""
    names = scope.names
    used_actions = _used_actions(edges, mapping)
    for name, decl in names.tools.items():
        if name not in used_actions:
            sink.warning("WF501", f"tool `{name}` is not used by any transition", decl.name.span,
                         "add a transition `A -> B on " + name + "` or remove the tool")
    for name, decl in names.events.items():
        if name not in used_actions:
            sink.warning("WF501", f"event `{name}` is not used by any transition", decl.name.span,
                         "add a transition that uses it or remove the event")
    read = _read_variables(scope, edges, properties)
    for name, decl in names.variables.items():
        if name not in read:
            sink.warning("WF502", f"variable `{name}` is never read", decl.name.span,
                         "use it in a guard or property, or remove it")
    acting = {e.action.agent for e in edges} | {e.action.receiver for e in edges}
    for name, span in names.agents.items():
        if name not in acting:
            sink.warning("WF503", f"agent `{name}` takes part in no transition", span,
                         "give it an action or remove it")


def _used_actions(edges: tuple[m.Edge, ...], mapping: m.TraceMapping) -> set[str]:
    """The tools and events some transition or `map` line names."""
    return ({e.action.name for e in edges if e.action.kind in ("tool", "event")}
            | {a.name for a in mapping.actions})


def _read_variables(scope: Scope, edges: tuple[m.Edge, ...],
                    properties: tuple[m.Property, ...]) -> set[str]:
    """The variables some guard, update or property condition reads. Edges share their tool's
    and their transition's expressions, so each expression object is walked once; the walk
    stops once every variable is read."""
    read: set[str] = set()
    seen: set[int] = set()
    from ..system import children  # here: `check` need not build the system's classes (issue 17)

    for top in _expressions(scope, edges, properties):
        pending = [top]
        while pending:
            e = pending.pop()
            if e is None or id(e) in seen:
                continue
            seen.add(id(e))
            if type(e) is m.Var:
                read.add(e.name)
            else:
                pending += children(e)
        if len(read) == len(scope.names.variables):
            break
    return read


def _expressions(scope: Scope, edges: tuple[m.Edge, ...], properties: tuple[m.Property, ...]):
    """Every guard, update value and property condition (None where there is none), those of
    tools included even when no transition uses the tool; the many edges come last."""
    for tool in scope.tools.values():
        yield tool.guard
        yield from (a.value for a in tool.updates)
        yield from (a.value for updates in tool.outcome_updates.values() for a in updates)
    yield from (k.condition for p in properties for k in p.kinds if isinstance(k, (m.Never, m.Always)))
    for e in edges:
        yield e.guard
        yield from (a.value for a in e.assigns)
