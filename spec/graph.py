"""The control graph of a model, and the structural findings read off it (WF601-WF604).

The graph has one node per control state and one edge per model `Edge`. Guards are ignored,
so the findings over-approximate what can happen: a state the graph reaches may still be
unreachable once the variables are taken into account, but a state the graph does not reach
is unreachable for certain.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import model as m
from .diagnostics import Diagnostic, warning
from .ir_text import assign_text, expr_text

if TYPE_CHECKING:
    import networkx as nx


def _is_true(guard: m.Expr) -> bool:
    return isinstance(guard, m.Const) and guard.value is True


def state_graph(model: m.Model) -> nx.MultiDiGraph:
    """States as nodes (`initial`, `final`, `span`); each model edge as an edge keyed by its
    index, with `action` and `assigns` as text, `guard` as text unless it is `true`, and the
    `edge` itself."""
    import networkx as nx  # here, not at module level: `check` does not need it (issue 17)

    graph = nx.MultiDiGraph(name=model.name)
    for name in model.states:
        graph.add_node(name, initial=name == model.initial, final=name in model.finals,
                       span=model.state_span(name))
    for edge in model.edges:
        attrs = {"action": str(edge.action), "assigns": [assign_text(a) for a in edge.assigns],
                 "edge": edge}
        if not _is_true(edge.guard):
            attrs["guard"] = expr_text(edge.guard)
        graph.add_edge(edge.source, edge.target, key=edge.index, **attrs)
    return graph


def reachable_states(model: m.Model) -> set[str]:
    """The states some path of the control graph leads to from the initial state."""
    return _closure({model.initial}, _successors(model, forward=True))


def _successors(model: m.Model, forward: bool) -> dict[str, set[str]]:
    """Each state's successors (or, not `forward`, predecessors) in the control graph."""
    step: dict[str, set[str]] = {s: set() for s in model.states}
    for edge in model.edges:
        source, target = (edge.source, edge.target) if forward else (edge.target, edge.source)
        step[source].add(target)
    return step


def _closure(start: set[str], step: dict[str, set[str]]) -> set[str]:
    """`start` and every state a path of `step` leads to from it. A few lines instead of
    networkx's `descendants`, whose import costs `check` a tenth of a second (issue 17)."""
    seen, todo = set(start), list(start)
    while todo:
        for nxt in step[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def structural_findings(model: m.Model) -> tuple[Diagnostic, ...]:
    """Warnings about the shape of the state machine, sorted by position.

    Guards are ignored, so the graph has every path a run can take and maybe more (an
    over-approximation). Hence a WF601 state is unreachable for certain, and a WF602 or
    WF603 state really is stuck once a run gets there; but guards may keep every run from
    getting there, and states that only guards keep from finishing go unreported. WF604
    compares guards by their syntax only.

    WF601 a state not reachable from the initial state;
    WF602 a reachable state from which no final state can be reached (not reported when the
          model has no final state, which analysis reports as WF402, nor for dead ends);
    WF603 a reachable state that is not final and has no outgoing transition;
    WF604 two transitions leaving a state on the same action under the same guard that lead
          to different states or make different updates.
    """
    if model.catalog:   # no state machine to look at
        return ()
    reachable = reachable_states(model)
    forward = _successors(model, forward=True)
    finals = set(model.finals)
    findings: list[Diagnostic] = []

    for state in model.states:
        if state not in reachable:
            findings.append(warning(
                "WF601", f"state `{state}` is unreachable from the initial state `{model.initial}`",
                model.state_span(state),
                f"add a transition into `{state}`, or remove the state"))

    dead_ends = {s for s in reachable if s not in finals and not forward[s]}
    for state in sorted(dead_ends, key=model.states.index):
        findings.append(warning(
            "WF603", f"state `{state}` is a dead end: it is not final and has no outgoing transition",
            model.state_span(state),
            f"add a transition out of `{state}`, or mark it `final`"))

    if finals:
        can_finish = _closure(finals, _successors(model, forward=False))
        for state in model.states:
            if state in reachable and state not in can_finish and state not in dead_ends:
                findings.append(warning(
                    "WF602", f"no final state can be reached from state `{state}`",
                    model.state_span(state),
                    f"add a transition that leads from `{state}` towards a final state"))

    findings.extend(_nondeterminism(model))
    root = model.span.file
    return tuple(sorted(findings, key=lambda d: (d.span.file != root, d.span.file, d.span.line,
                                                 d.span.column, d.code, d.message)))


def _or_list(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _nondeterminism(model: m.Model) -> list[Diagnostic]:
    """WF604, once per pair of transitions however many agents or outcomes they expand to."""
    groups: dict[tuple[str, m.Action, m.Expr], list[m.Edge]] = {}
    for edge in model.edges:
        groups.setdefault((edge.source, edge.action, edge.guard), []).append(edge)

    # (state, first transition, second transition) -> the conflicting groups, in edge order.
    conflicts: dict[tuple, list[tuple[m.Edge, m.Edge, list[str]]]] = {}
    for (state, _, _), edges in groups.items():
        first = edges[0]
        second = next((e for e in edges if (e.target, e.assigns) != (first.target, first.assigns)), None)
        if second is None:
            continue
        targets = list(dict.fromkeys(e.target for e in edges))
        conflicts.setdefault((state, first.span, second.span), []).append((first, second, targets))

    findings = []
    for (state, _, _), cases in conflicts.items():
        first, second, targets = cases[0]
        where = f"can lead to {_or_list(targets)}" if len(targets) > 1 else \
            f"can lead to `{targets[0]}` with different updates"
        more = len(cases) - 1
        also = f", and so can {more} more action{'s' if more > 1 else ''}" if more else ""
        findings.append(warning(
            "WF604", f"nondeterministic choice in state `{state}`: `{first.action}` {where}{also}",
            second.span, "add guards or tool outcomes to tell the cases apart, if this is not intended",
            (("the other transition", first.span),)))
    return findings
