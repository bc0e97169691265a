"""Properties: the declared ones resolved into property kinds over action patterns, and the
implicit ones that tool labels and arithmetic updates imply."""
from __future__ import annotations

from .. import ast
from .. import model as m
from ..fmt import format_property_body
from .actions import check_outcome
from .diagnose import Sink, suggest
from .expressions import Typer
from .names import resolve_agents
from .scope import Scope
from .signatures import argument_list
from .variables import MAX_RANGE_VALUES


def declared_properties(decls: tuple[ast.Decl, ...], scope: Scope, typer: Typer,
                        sink: Sink) -> tuple[m.Property, ...]:
    """The declared properties that resolve; of two with one name (WF102), the first."""
    result = []
    for d in decls:
        if not isinstance(d, ast.PropertyDecl) or scope.names.properties.get(d.name.name) is not d.name.span:
            continue
        kinds = _kinds(d.body, scope, typer, sink)
        if kinds:
            result.append(m.Property(d.name.name, kinds, False, format_property_body(d.body), span=d.span))
    return tuple(result)


def _kinds(body: ast.PropertyBody, scope: Scope, typer: Typer,
           sink: Sink) -> tuple[m.PropertyKind, ...] | None:
    """What the property says, as kinds (several for a flow to several sinks); None if a name
    in it does not resolve."""
    if isinstance(body, ast.Never):
        pattern = action_pattern(body.actions, body.agents, scope, sink)
        condition = typer.condition(body.condition)
        if pattern is None or (body.condition is not None and condition is None):
            return None
        return (m.Never(pattern, condition),)
    if isinstance(body, ast.Flow):
        return _flows(body, scope, sink)
    if isinstance(body, ast.Order):
        pattern = action_pattern(body.actions, body.agents, scope, sink)
        earlier = action_pattern(body.earlier, (), scope, sink)
        return (m.Order(pattern, earlier),) if pattern and earlier else None
    if isinstance(body, ast.Count):
        if body.limit < 0:
            sink.error("WF406", f"`at most {body.limit}` is negative", body.span,
                       "use `never` to forbid an action")
            return None
        if body.limit >= MAX_RANGE_VALUES:
            sink.error("WF210", f"`at most {body.limit}` needs a counter of more than {MAX_RANGE_VALUES} values",
                       body.span, "the checkers count with an enumerated counter; use a smaller limit")
            return None
        pattern = action_pattern(body.actions, body.agents, scope, sink)
        return (m.Count(body.limit, pattern),) if pattern else None
    if isinstance(body, ast.Always):
        condition = typer.condition(body.condition)
        return (m.Always(condition),) if condition is not None else None
    if isinstance(body, ast.Terminates):
        return (m.Terminates(),)
    return (m.NoDeadlock(),)


def _flows(body: ast.Flow, scope: Scope, sink: Sink) -> tuple[m.PropertyKind, ...] | None:
    """One flow kind per sink of `no flow from SOURCE to SINKS` (or `no influence ...`)."""
    source = _flow_source(body.source, scope, sink)
    if source is None:
        return None
    if body.form == "influence" and source[0] != "integ":
        sink.warning("WF505", f"`{body.source.name}` is not an integrity level, so this is "
                     f"`no flow from {body.source.name} to …`", body.source.span,
                     "write it as `no flow from` for a confidentiality level or a tool")
    kinds = []
    for target in body.sinks:
        if target.name in scope.tools:
            tool = scope.tools[target.name].tool
            params = argument_list(target.params, tool.name, tool.params, sink)
            kinds.append(m.FlowToTool(*source, m.ActionPattern((("tool", target.name, None),)), params))
        elif target.name in scope.names.agents:
            if target.params is not None:
                sink.error("WF411", f"`{target.name}` is an agent, which has no arguments", target.span,
                           f"only a tool sink lists arguments; write `{target.name}` alone")
                return None
            kinds.append(m.FlowToAgent(*source, target.name))
        else:
            sink.unknown("tool or agent", target.name, target.span,
                         list(scope.tools) + list(scope.names.agents))
            return None
    return tuple(kinds)


def _flow_source(ident: ast.Ident, scope: Scope, sink: Sink) -> tuple[str, str | int] | None:
    """(`conf`, level), (`integ`, level) or (`tool`, name): what data a flow starts from."""
    conf, integ = scope.labels.conf, scope.labels.integ
    if ident.name in conf.levels:
        return "conf", conf.index(ident.name)
    if ident.name in integ.levels:
        return "integ", integ.index(ident.name)
    if ident.name in scope.tools:
        return "tool", ident.name
    undeclared = [example for lattice, example in ((integ, "labels integrity: trusted > untrusted"),
                                                  (conf, "labels confidentiality: public < secret"))
                  if len(lattice.levels) == 1]   # the one default level: no `labels` line
    declared = tuple(level for lattice in (conf, integ) if len(lattice.levels) > 1 for level in lattice.levels)
    if undeclared and not suggest(ident.name, declared + tuple(scope.tools)):
        sink.error("WF101", f"unknown label level or tool `{ident.name}`", ident.span,
                   f"levels come from a `labels` declaration, and this workflow has none for "
                   f"{'integrity' if undeclared[0].startswith('labels integrity') else 'confidentiality'}: "
                   f"declare one, e.g. `{undeclared[0]}`")
        return None
    sink.unknown("label level or tool", ident.name, ident.span,
                 conf.levels + integ.levels + tuple(scope.tools))
    return None


def action_pattern(actions: tuple[ast.ActionRef, ...], agents: tuple[ast.Ident, ...], scope: Scope,
                   sink: Sink) -> m.ActionPattern | None:
    """The pattern matching any of `actions` by any of `agents`, or None if a name does not
    resolve (every unresolved name is reported)."""
    items = []
    ok = True
    for action in actions:
        if isinstance(action, ast.MessageAction):
            for ident in (action.sender, action.receiver):
                if ident.name not in scope.names.agents:
                    sink.unknown("agent", ident.name, ident.span, scope.names.agents)
                    ok = False
            items.append((action.kind, action.sender.name, action.receiver.name))
            continue
        name = action.name.name
        if name in scope.tools:
            kind = "tool"
            outcome = action.outcome.name if action.outcome else None
            ok = check_outcome(scope.tools[name].tool, action.outcome, sink) and ok
        elif name in scope.events:
            kind, outcome = "event", None
        else:
            sink.unknown("tool or event", name, action.name.span, scope.action_names())
            ok = False
            continue
        items.append((kind, name, outcome))
    resolved_agents = resolve_agents(agents, scope.names, sink)
    if len(resolved_agents) != len({a.name for a in agents}):
        ok = False
    return m.ActionPattern(tuple(items), resolved_agents) if ok else None


def _arguments(tool: str, params: tuple[str, ...] | None) -> str:
    """The subject of an implicit bound's text: every argument of `tool`, or the listed ones."""
    if params is None:
        return f"arguments of `{tool}` carry"
    listed = ", ".join(f"`{p}`" for p in params)
    return f"arguments {listed} of `{tool}` carry" if len(params) > 1 else f"argument {listed} of `{tool}` carries"


def implicit_properties(scope: Scope, edges: tuple[m.Edge, ...]) -> tuple[m.Property, ...]:
    """`TOOL.sink` and `TOOL.needs` for each tool label bound; `VAR.range` for each integer
    variable that some update sets to a computed value."""
    conf, integ, sorts = scope.labels.conf, scope.labels.integ, scope.variables.sorts
    result = []
    for tool in (declared.tool for declared in scope.tools.values()):
        if tool.sink is not None:
            result.append(m.Property(
                f"{tool.name}.sink", (m.SinkBound(tool.name, tool.sink, tool.sink_params),), True,
                f"{_arguments(tool.name, tool.sink_params)} at most `{conf.levels[tool.sink]}`",
                span=tool.span))
        if tool.needs is not None:
            result.append(m.Property(
                f"{tool.name}.needs", (m.IntegrityNeed(tool.name, tool.needs, tool.needs_params),), True,
                f"{_arguments(tool.name, tool.needs_params)} at least `{integ.levels[tool.needs]}`",
                span=tool.span))
    arithmetic = {a.var for e in edges for a in e.assigns
                  if a.value is not None and not isinstance(a.value, m.Const)
                  and isinstance(sorts[a.var], m.IntSort)}
    for name, decl in scope.names.variables.items():
        if name in arithmetic:
            result.append(m.Property(f"{name}.range", (m.InRange(name),), True,
                                     f"`{name}` stays within `{sorts[name]}`", span=decl.span))
    return tuple(result)
