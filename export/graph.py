"""The state machine of a model as Graphviz dot, Mermaid or JSON (`wfcheck graph`).

Dot and Mermaid draw one arrow per transition and action, with the agents that may take
it merged into one label (`refund by a|b`); JSON keeps every model edge. All three are
deterministic: states in declaration order, arrows in the order of their first edge.
"""
from __future__ import annotations

from dataclasses import dataclass

from wfcheck.spec import model as m
from wfcheck.spec.ir_text import assign_text, expr_text
from wfcheck.spec.lattice import Lattice
from wfcheck.spec.span import NO_SPAN, Span


@dataclass(frozen=True, slots=True)
class _Arrow:
    source: str
    target: str
    label: str


def _arrows(model: m.Model) -> list[_Arrow]:
    """Model edges merged when they differ only in the acting agent, in first-edge order."""
    groups: dict[tuple, list[m.Edge]] = {}
    for edge in model.edges:
        a = edge.action
        # Messages and hand-offs are drawn per sender; a step by the environment (no agent)
        # is never merged with one by an agent.
        who = a.agent if a.kind in ("message", "handoff") or a.agent is None else ""
        key = (edge.source, edge.target, a.kind, a.name, a.outcome, a.receiver, who,
               _guard_text(edge.guard), tuple(assign_text(x) for x in edge.assigns))
        groups.setdefault(key, []).append(edge)
    return [_Arrow(edges[0].source, edges[0].target, _label(edges)) for edges in groups.values()]


def _guard_text(guard: m.Expr) -> str | None:
    return None if isinstance(guard, m.Const) and guard.value is True else expr_text(guard)


def _label(edges: list[m.Edge]) -> str:
    first = edges[0]
    a = first.action
    if a.kind in ("message", "handoff") or a.agent is None:
        text = str(a)
    else:
        agents = dict.fromkeys(e.action.agent for e in edges)
        text = a.name + (f".{a.outcome}" if a.outcome else "") + " by " + "|".join(agents)
    guard = _guard_text(first.guard)
    if guard is not None:
        text += f" [{guard}]"
    if first.assigns:
        text += " / " + ", ".join(assign_text(x) for x in first.assigns)
    return text


# ---------------------------------------------------------------- Graphviz


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(model: m.Model) -> str:
    """A Graphviz digraph: final states as double circles, an arrow into the initial state."""
    start = "__start"
    while start in model.states:
        start += "_"
    lines = [f"digraph {_dot_string(model.name)} {{", "  rankdir=LR;",
             f"  {_dot_string(start)} [shape=point, style=invis];"]
    for state in model.states:
        shape = "doublecircle" if state in model.finals else "circle"
        lines.append(f"  {_dot_string(state)} [shape={shape}];")
    lines.append(f"  {_dot_string(start)} -> {_dot_string(model.initial)};")
    for arrow in _arrows(model):
        lines.append(f"  {_dot_string(arrow.source)} -> {_dot_string(arrow.target)}"
                     f" [label={_dot_string(arrow.label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- Mermaid

# Mermaid reads `#code;` as a character; `:` ends and `;` cuts a transition label, and `<`,
# `>`, `"` may be taken for HTML.
_MERMAID_ESCAPES = {"#": "#35;", ":": "#58;", ";": "#59;", "<": "#lt;", ">": "#gt;", '"': "#quot;"}


def _mermaid_text(text: str) -> str:
    return "".join(_MERMAID_ESCAPES.get(c, c) for c in text)


def _mermaid_unsafe(name: str) -> bool:
    """Identifiers the (case-insensitive) stateDiagram lexer takes for a keyword."""
    lower = name.lower()
    return lower.startswith("default") or lower in (
        "state", "note", "class", "classdef", "scale", "statediagram")


def _mermaid_ids(model: m.Model) -> dict[str, str]:
    ids: dict[str, str] = {}
    taken = set(model.states)
    for state in model.states:
        if _mermaid_unsafe(state):
            alias = "s_" + state
            while alias in taken:
                alias += "_"
            taken.add(alias)
            ids[state] = alias
        else:
            ids[state] = state
    return ids


def to_mermaid(model: m.Model) -> str:
    """A Mermaid `stateDiagram-v2`; a state whose name Mermaid would misread gets an alias."""
    ids = _mermaid_ids(model)
    lines = ["stateDiagram-v2"]
    for state in model.states:
        if ids[state] != state:
            lines.append(f'    state "{state}" as {ids[state]}')
    arrows = _arrows(model)
    drawn = {model.initial, *model.finals} | {a.source for a in arrows} | {a.target for a in arrows}
    lines.extend(f"    {ids[s]}" for s in model.states if s not in drawn)
    lines.append(f"    [*] --> {ids[model.initial]}")
    for arrow in arrows:
        lines.append(f"    {ids[arrow.source]} --> {ids[arrow.target]} : {_mermaid_text(arrow.label)}")
    lines.extend(f"    {ids[s]} --> [*]" for s in model.finals)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- JSON


def _span_json(span: Span) -> dict | None:
    return None if span == NO_SPAN else span.to_json()


def _label_json(model: m.Model, label: m.Label | None) -> dict | None:
    if label is None:
        return None
    return {"confidentiality": model.conf.levels[label.conf], "integrity": model.integ.levels[label.integ]}


def _level_name(lattice: Lattice, level: int | None) -> str | None:
    return None if level is None else lattice.levels[level]


def _params_json(params: tuple[str, ...] | None) -> list[str] | None:
    return None if params is None else list(params)


def _tool_json(model: m.Model, tool: m.Tool) -> dict:
    return {
        "name": tool.name,
        "params": [{"name": p.name, "kind": p.kind, "pattern": p.pattern} for p in tool.params],
        "agents": list(tool.agents),
        "effect": tool.effect,
        "returns": _label_json(model, tool.returns),
        "default": _label_json(model, tool.default),
        "fields": [{"path": list(f.path), "label": _label_json(model, f.label)} for f in tool.fields],
        "sink": _level_name(model.conf, tool.sink),
        "sink_params": _params_json(tool.sink_params),
        "needs": _level_name(model.integ, tool.needs),
        "needs_params": _params_json(tool.needs_params),
        "outcomes": list(tool.outcomes),
        "span": _span_json(tool.span),
    }


def _source_json(model: m.Model, kind: m.FlowToTool | m.FlowToAgent) -> dict:
    lattice = {"conf": model.conf, "integ": model.integ}.get(kind.source_kind)
    source = lattice.levels[kind.source] if lattice is not None else kind.source
    return {"source_kind": kind.source_kind, "source": source}


def _part_json(model: m.Model, kind: m.PropertyKind) -> dict:
    """One part of a property: its kind, and for the flow parts what flows where."""
    if isinstance(kind, m.FlowToTool):
        return {"kind": "flow_to_tool", **_source_json(model, kind),
                "tools": [name for _, name, _ in kind.pattern.items], "params": _params_json(kind.params)}
    if isinstance(kind, m.FlowToAgent):
        return {"kind": "flow_to_agent", **_source_json(model, kind), "agent": kind.agent}
    if isinstance(kind, m.SinkBound):
        return {"kind": "sink_bound", "tool": kind.tool, "level": model.conf.levels[kind.level],
                "params": _params_json(kind.params)}
    if isinstance(kind, m.IntegrityNeed):
        return {"kind": "integrity_need", "tool": kind.tool, "level": model.integ.levels[kind.level],
                "params": _params_json(kind.params)}
    return {"kind": _PART_KINDS[type(kind)]}


_PART_KINDS = {m.Never: "never", m.Order: "order", m.Count: "count", m.Always: "always",
               m.InRange: "in_range", m.Terminates: "terminates", m.NoDeadlock: "no_deadlock"}


def to_json(model: m.Model) -> dict:
    """The state machine as plain data (every model edge), ready for `json.dumps`; with the
    tools (parameters and their kinds, result labels by field, argument-level bounds) and the
    properties (each part of a flow property with its argument list, `params`: null for every
    argument). Levels are given by name."""
    return {
        "workflow": model.name,
        "states": [{"name": s, "initial": s == model.initial, "final": s in model.finals,
                    "span": _span_json(model.state_span(s))} for s in model.states],
        "edges": [{
            "index": e.index,
            "source": e.source,
            "target": e.target,
            "action": {"kind": e.action.kind, "name": e.action.name, "agent": e.action.agent,
                       "receiver": e.action.receiver, "outcome": e.action.outcome},
            "guard": _guard_text(e.guard),
            "assigns": [assign_text(a) for a in e.assigns],
            "span": _span_json(e.span),
        } for e in model.edges],
        "agents": list(model.agents),
        "labels": {"confidentiality": list(model.conf.levels), "integrity": list(model.integ.levels)},
        "tools": [_tool_json(model, t) for t in model.tools],
        "properties": [{"name": p.name, "implicit": p.implicit, "text": p.text,
                        "parts": [_part_json(model, k) for k in p.kinds], "span": _span_json(p.span)}
                       for p in model.properties],
    }
