"""Tool and event declarations: the actions a transition, a property or a `map` line may name
(what a tool says about the data of a call is resolved by `signatures`)."""
from __future__ import annotations

from dataclasses import dataclass

from .. import ast
from .. import model as m
from .diagnose import Sink
from .expressions import Typer
from .labels import Labels
from .names import Names, resolve_agents
from .signatures import argument_list, parameters, result_labels


@dataclass(frozen=True, slots=True)
class DeclaredTool:
    """A tool as the model lists it, with what a call of it does to the state: its guard, its
    updates (for every call, and per outcome) and its label changes. Edges merge these with
    the transition's own."""
    tool: m.Tool
    guard: m.Expr | None
    updates: tuple[m.Assign, ...]
    outcome_updates: dict[str, tuple[m.Assign, ...]]
    declassify: int | None
    endorse: int | None


def declare_tools(decls: tuple[ast.Decl, ...], names: Names, labels: Labels, typer: Typer,
                  sink: Sink, catalog: bool = False) -> dict[str, DeclaredTool]:
    """The first declaration of each tool name (a second one is already reported as WF102).
    In a `catalog` a tool may have no agent yet: the importing workflow declares them."""
    return {d.name.name: _tool(d, names, labels, typer, sink, catalog) for d in decls
            if isinstance(d, ast.ToolDecl) and names.tools.get(d.name.name) is d}


def _tool(d: ast.ToolDecl, names: Names, labels: Labels, typer: Typer, sink: Sink,
          catalog: bool) -> DeclaredTool:
    agents = resolve_agents(d.agents, names, sink) if d.agents else tuple(names.agents)
    if not names.agents and not catalog:
        sink.error("WF410", f"tool `{d.name.name}` has no agent to call it", d.name.span,
                   "declare the agents with `agent NAME`")
    params = parameters(d, sink)
    returns, default, fields = result_labels(d, labels, sink)
    sink_level = labels.conf_level(d.sink, "`sink`", sink)
    needs = labels.integ_level(d.needs, "`needs`", sink)
    outcomes = []
    for o in d.outcomes:
        if o.name.name in outcomes:
            sink.error("WF102", f"outcome `{o.name.name}` is declared twice", o.name.span)
        outcomes.append(o.name.name)
    guard = typer.condition(d.guard)
    updates = typer.updates(d.updates)
    outcome_updates = {o.name.name: typer.updates(o.updates) for o in d.outcomes}
    declassify = labels.conf_level(d.declassify, "`declassify`", sink)
    endorse = labels.integ_level(d.endorse, "`endorse`", sink)
    tool = m.Tool(d.name.name, params, agents, d.effect or "reads", returns, sink_level, needs,
                  tuple(outcomes), span=d.span, fields=fields, default=default,
                  sink_params=argument_list(d.sink_params, d.name.name, params, sink),
                  needs_params=argument_list(d.needs_params, d.name.name, params, sink))
    return DeclaredTool(tool, guard, updates, outcome_updates, declassify, endorse)


def declare_events(decls: tuple[ast.Decl, ...], names: Names, sink: Sink) -> dict[str, m.Event]:
    """Every event declaration; of two with one name (WF102), the later one counts."""
    return {d.name.name: m.Event(d.name.name, resolve_agents(d.agents, names, sink), span=d.span)
            for d in decls if isinstance(d, ast.EventDecl)}


def check_outcome(tool: m.Tool, outcome: ast.Ident | None, sink: Sink) -> bool:
    """Whether `outcome`, if given, is declared by `tool`; WF101 if it is not."""
    if outcome is not None and outcome.name not in tool.outcomes:
        sink.unknown(f"outcome of `{tool.name}`", outcome.name, outcome.span, tool.outcomes)
        return False
    return True
