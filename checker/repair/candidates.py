"""Candidate edits drawn from a violated property's counterexample, most local first.

Each candidate is a kind, a sentence and the source edits; none is trusted: search.py
verifies every one. The kinds (docs/diff.md, "wfcheck repair"):

- `guard`: add or strengthen the guard of a transition of the counterexample with a
  condition false in the configuration the counterexample takes it from;
- `clause`: `endorse TOP` / `declassify BOTTOM` on the step (a claim that it sanitizes);
- `remove`: take the action out of the transition, or drop the transition;
- `split`: give the action its own transition, with a guard or clause on it alone;
- `everywhere`: the same guard, clause or removal on every transition that carries the
  action (a tool listed in several transitions);
- `earlier`: require an earlier step — a new boolean set by an action (one the property
  asks for, an event, or one earlier on the counterexample) and a guard requiring it on
  the offending action;
- `after`: the reverse — a new boolean set by the actions that bring the property's source
  (the tools whose results carry its level, or its source tool) or by one earlier action,
  and a guard forbidding the offending action once it is set;
- `cap`: a guard bounding a counter on every transition that increments it, or, for
  `at most N`, a new counter of the action with a guard keeping it below N+1;
- `narrow`: narrow the edge — a tool call to its other outcomes, a transition's `by` to the
  other agents;
- `permission`: narrow a tool's `by` (the acting agent may no longer call it) or move the
  tool to another agent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from wfcheck.spec import ast
from wfcheck.spec import model as m
from wfcheck.spec.fmt import format_action
from wfcheck.spec.system import System

from .edits import (Change, Clause, Edit, Offsets, declare_variable, narrow_outcomes, outcome_update, rewrite,
                    same_span, tool_agents)


@dataclass(frozen=True)
class Candidate:
    kind: str
    what: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Step:
    """A step of the counterexample in the source: its transition, the action's index in
    it, the model edge, and the configuration before it."""
    transition: ast.Transition
    index: int | None
    edge: m.Edge
    before: dict


class Source:
    """The parsed file and the model, with the look-ups candidates need."""

    def __init__(self, model: m.Model, workflow: ast.Workflow, offsets: Offsets) -> None:
        self.model, self.workflow, self.offsets = model, workflow, offsets
        self.transitions = [d for d in workflow.decls if isinstance(d, ast.Transition)]
        self.tools = {d.name.name: d for d in workflow.decls if isinstance(d, ast.ToolDecl)}
        self.names = set(re.findall(r"[A-Za-z_]\w*", offsets.text)) | {v.name for v in model.variables} | {
            t.name for t in model.tools} | {e.name for e in model.events} | set(model.states) | set(model.agents)

    def carrying(self, text: str) -> list[tuple[ast.Transition, int]]:
        """Every (transition, action index) of this file whose action is written `text`."""
        return [(t, i) for t in self.transitions for i, a in enumerate(t.actions) if format_action(a) == text]

    def fresh(self, base: str) -> str:
        stem = re.sub(r"\W", "_", base)
        name, n = stem, 2
        while name in self.names:
            name, n = f"{stem}_{n}", n + 1
        return name

    def plan(self, changes: dict, extra: tuple[Edit, ...] = ()) -> tuple[Edit, ...] | None:
        """The edits of `changes` (transition -> Change) and `extra` (None: one cannot be made)."""
        out = list(extra)
        for t, change in changes.items():
            edits = rewrite(t, self.offsets, change)
            if edits is None:
                return None
            out.extend(edits)
        return tuple(out)


def steps_of(source: Source, system: System, run) -> list[Step]:
    """The counterexample's steps whose transition is in this file, last first."""
    edges = {st.index: st.edge for st in system.steps}
    out = []
    for position in reversed(range(len(run.edges))):
        edge = edges[run.edges[position]]
        if edge.span.file != source.workflow.span.file:
            continue  # declared in an imported file: not edited here
        t = next((t for t in source.transitions if same_span(t.span, edge.span)), None)
        if t is None:
            continue
        index = next((i for i, a in enumerate(t.actions) if (a.span.line, a.span.column)
                      == (edge.action_span.line, edge.action_span.column)), None)
        out.append(Step(t, index, edge, run.configs[position]))
    return out


def literals(variable: m.Variable, value) -> list[str]:
    """Conditions false at `value`: guards that keep a step from this configuration."""
    name = variable.name
    if isinstance(variable.sort, m.BoolSort):
        return [f"not {name}" if value else name]
    if isinstance(variable.sort, m.IntSort):
        out = [f"{name} != {value}"]
        if value > variable.sort.low:
            out.append(f"{name} < {value}")
        if value < variable.sort.high:
            out.append(f"{name} > {value}")
        return out
    return [f"{name} != {value}"]


def _clauses(source: Source, step: Step) -> list[Clause]:
    model = source.model
    out = [Clause("when", c) for v in model.variables for c in literals(v, step.before[v.name])]
    if step.edge.action.agent is not None:
        out.append(Clause("endorse", model.integ.levels[model.integ.top]))
        out.append(Clause("declassify", model.conf.levels[model.conf.bottom]))
    return out


def _local(source: Source, step: Step) -> list[Candidate]:
    """guard, clause, remove, split and narrow on the step's own transition."""
    t, index = step.transition, step.index
    clauses = _clauses(source, step)
    out = []
    for clause in clauses:
        kind = "guard" if clause.keyword == "when" else "clause"
        out.append((kind, clause.describe(), {t: Change(whole=(clause,))}))
    if index is not None:
        name = format_action(t.actions[index])
        out.append(("remove", "remove the transition" if len(t.actions) == 1
                    else f"take `{name}` out of the transition", {t: Change(removed=frozenset([index]))}))
        if len(t.actions) > 1:
            out += [("split", f"give `{name}` its own transition and {c.describe()}",
                     {t: Change(split=((index, (c,)),))}) for c in clauses]
        out += [(kind, what, {t: change}) for kind, what, change in _narrowed(source, step)]
    found = [_candidate(source, kind, what, changes) for kind, what, changes in out]
    return [c for c in found if c is not None] + _outcomes(source, step)


def _narrowed(source: Source, step: Step) -> list[tuple[str, str, Change]]:
    """The transition's `by` without the acting agent (for a tool or an event)."""
    t, edge, index = step.transition, step.edge, step.index
    agent = edge.action.agent
    if agent is None or edge.action.kind not in ("tool", "event"):
        return []
    allowed = [a.name for a in t.agents] or _callers(source, edge)
    others = [a for a in allowed if a != agent]
    if not others or agent not in allowed:
        return []
    clause = Clause("by", ", ".join(others))
    name = format_action(t.actions[index])
    if len(t.actions) == 1:
        return [("narrow", f"narrow the transition to `by {clause.text}`", Change(whole=(clause,)))]
    return [("narrow", f"give `{name}` its own transition, `by {clause.text}`", Change(split=((index, (clause,)),)))]


def _callers(source: Source, edge: m.Edge) -> list[str]:
    if edge.action.kind == "tool":
        return list(source.model.tool(edge.action.name).agents)
    event = next(e for e in source.model.events if e.name == edge.action.name)
    return list(event.agents)


def _outcomes(source: Source, step: Step) -> list[Candidate]:
    """A call written without `.outcome` narrowed to its other outcomes."""
    t, index, edge = step.transition, step.index, step.edge
    if index is None or edge.action.kind != "tool" or edge.action.outcome is None:
        return []
    action = t.actions[index]
    if not isinstance(action, ast.NamedAction) or action.outcome is not None:
        return []
    others = [o for o in source.model.tool(edge.action.name).outcomes if o != edge.action.outcome]
    if not others:
        return []
    edit = narrow_outcomes(t, source.offsets, index, others)
    return [Candidate("narrow", f"narrow `{action.name.name}` to {', '.join('`' + o + '`' for o in others)}",
                      (edit,))]


def _candidate(source: Source, kind: str, what: str, changes: dict, extra=()) -> Candidate | None:
    edits = source.plan(changes, extra)
    return None if edits is None else Candidate(kind, what, edits)


def _everywhere_changes(source: Source, name: str, clauses: tuple[Clause, ...]) -> dict:
    return {t: Change(split=((i, clauses),)) for t, i in source.carrying(name)}


def _merge(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        for t, change in part.items():
            out[t] = out[t].merge(change) if t in out else change
    return out


def _everywhere(source: Source, step: Step) -> list[Candidate]:
    """The step's clauses, or its removal, on every transition that carries its action."""
    if step.index is None:
        return []
    name = format_action(step.transition.actions[step.index])
    carriers = source.carrying(name)
    if len(carriers) < 2:
        return []
    out = [_candidate(source, "everywhere", f"on all {len(carriers)} transitions with `{name}`: {c.describe()}",
                      _everywhere_changes(source, name, (c,))) for c in _clauses(source, step)]
    out.append(_candidate(source, "everywhere", f"take `{name}` out of all {len(carriers)} transitions with it",
                          {t: Change(removed=frozenset([i])) for t, i in carriers}))
    return [c for c in out if c is not None]


def _setting(source: Source, setter: str, assignment: str) -> tuple[dict, tuple[Edit, ...]] | None:
    """Where `setter` makes `assignment`: a tool outcome (`tool.ok`) in its declaration,
    any other action on every transition that carries it (None: nowhere in this file)."""
    changes = _everywhere_changes(source, setter, (Clause("update", assignment),))
    if changes:
        return changes, ()
    tool, _, outcome = setter.partition(".")
    decl = source.tools.get(tool)
    found = next((o for o in decl.outcomes if o.name.name == outcome), None) if decl is not None and outcome else None
    if found is None or not source.carrying(tool):
        return None
    return {}, (outcome_update(found, source.offsets, assignment),)


def _guarding(source: Source, targets: list[str], guard: str) -> dict:
    """`when guard` on every transition of every target (a call `tool.ok`: the call of `tool`)."""
    clause = (Clause("when", guard),)
    return _merge(*(_everywhere_changes(source, t if source.carrying(t) else t.partition(".")[0], clause)
                    for t in targets))


def _flag(source: Source, kind: str, what: str, variable: str, setters: list[str], targets: list[str],
          guard: str) -> Candidate | None:
    """A new boolean `variable`, set by every action in `setters`, and `guard` on `targets`."""
    parts = [_setting(source, s, f"{variable} = true") for s in setters]
    guarded = _guarding(source, targets, guard)
    if any(p is None for p in parts) or not guarded:
        return None
    declare = declare_variable(source.workflow, source.offsets, f"var {variable}: bool = false")
    extra = (declare,) + tuple(e for _, edits in parts for e in edits)
    return _candidate(source, kind, what, _merge(*(changes for changes, _ in parts), guarded), extra)


def _names(texts: list[str]) -> str:
    return ", ".join(f"`{t}`" for t in texts)


def _pattern_texts(pattern: m.ActionPattern) -> list[str]:
    return [f"{kind} {name} to {extra}" if kind in ("message", "handoff") else name + (f".{extra}" if extra else "")
            for kind, name, extra in pattern.items]


def _order(source: Source, prop: m.Property, steps: list[Step]) -> list[Candidate]:
    """earlier and after: a new flag set by actions, required (or forbidden) on the offending ones."""
    last = steps[0]
    if last.index is None:
        return []
    target = format_action(last.transition.actions[last.index])
    orders = [k for k in prop.kinds if isinstance(k, m.Order)]
    events = [e.name for e in source.model.events]
    path = list(dict.fromkeys(format_action(s.transition.actions[s.index]) for s in steps[1:] if s.index is not None))
    out = []
    for order in orders:  # the property's own: any of its earlier actions, before any of its actions
        required, targets = _pattern_texts(order.earlier), _pattern_texts(order.pattern)
        variable = source.fresh("did_" + required[0])
        out.append(_flag(source, "earlier", f"require an earlier {_names(required)} for {_names(targets)} (a new "
                         f"variable `{variable}` set by {'them' if len(required) > 1 else 'it'})",
                         variable, required, targets, variable))
    for setter in dict.fromkeys(events + path):
        if setter == target:
            continue
        variable = source.fresh("did_" + setter)
        out.append(_flag(source, "earlier", f"require an earlier `{setter}` for `{target}` (a new variable "
                         f"`{variable}` set by it)", variable, [setter], [target], variable))
    taints = _taints(source, prop)
    if taints:
        variable = source.fresh("tainted")
        which = f"any of {_names(taints)}" if len(taints) > 1 else _names(taints)
        out.append(_flag(source, "after", f"forbid `{target}` after {which} (a new variable `{variable}` set by "
                         f"{'them' if len(taints) > 1 else 'it'})", variable, taints, [target], f"not {variable}"))
    for setter in path:
        if setter != target and setter not in taints:
            variable = source.fresh("did_" + setter)
            out.append(_flag(source, "after", f"forbid `{target}` after `{setter}` (a new variable `{variable}` "
                             "set by it)", variable, [setter], [target], f"not {variable}"))
    return [c for c in out if c is not None]


def _conditions(source: Source, prop: m.Property) -> list[Candidate]:
    """For `never ACTIONS when C`: `when not (C)` on every transition of the actions."""
    out = []
    for kind in prop.kinds:
        if not isinstance(kind, m.Never) or kind.condition is None:
            continue
        if kind.condition.span.file != source.workflow.span.file:
            continue  # written in an imported file
        start, end = source.offsets.span(kind.condition.span)
        guard = f"not ({source.offsets.text[start:end]})"
        targets = _pattern_texts(kind.pattern)
        out.append(_candidate(source, "everywhere", f"on every transition with {_names(targets)}: add `when {guard}`",
                              _guarding(source, targets, guard)))
    return [c for c in out if c is not None and c.edits]


def _taints(source: Source, prop: m.Property) -> list[str]:
    """The tools (called in this file's transitions) whose results bring the property's source."""
    model, out = source.model, []
    for kind in prop.kinds:
        if not isinstance(kind, (m.FlowToTool, m.FlowToAgent)):
            continue
        for tool in model.tools:
            if kind.source_kind == "tool":
                hit = tool.name == kind.source
            elif kind.source_kind == "integ":
                hit = model.integ.leq(tool.returns.integ, kind.source)
            else:
                hit = model.conf.leq(kind.source, tool.returns.conf)
            if hit and source.carrying(tool.name) and tool.name not in out:
                out.append(tool.name)
    return out


def _caps(source: Source, prop: m.Property, steps: list[Step]) -> list[Candidate]:
    """A bound on a counter on every transition of an action that increments it; a new
    counter for `at most N`."""
    out = []
    seen = set()
    for step in steps:
        if step.index is None:
            continue
        name = format_action(step.transition.actions[step.index])
        for assign in step.edge.assigns:
            v = assign.value
            if not (isinstance(v, m.Arith) and v.op == "+" and isinstance(v.left, m.Var) and v.left.name == assign.var):
                continue
            value = step.before[assign.var]
            low = source.model.variable(assign.var).sort.low
            if value <= low or (name, assign.var, value) in seen:
                continue
            seen.add((name, assign.var, value))
            clause = Clause("when", f"{assign.var} < {value}")
            out.append(_candidate(source, "cap", f"cap `{assign.var}` below {value} on every transition with `{name}`",
                                  _everywhere_changes(source, name, (clause,))))
    for kind in prop.kinds:
        if not isinstance(kind, m.Count):
            continue
        texts = [t for t in _pattern_texts(kind.pattern) if source.carrying(t)]
        if not texts:
            continue
        variable = source.fresh(f"{texts[0]}_count")
        clauses = (Clause("when", f"{variable} < {kind.limit}"), Clause("update", f"{variable} = {variable} + 1"))
        declare = declare_variable(source.workflow, source.offsets, f"var {variable}: 0..{kind.limit} = 0")
        out.append(_candidate(source, "cap", f"cap {_names(texts)} at {kind.limit} (a new counter `{variable}`)",
                              _merge(*(_everywhere_changes(source, t, clauses) for t in texts)), (declare,)))
    return [c for c in out if c is not None]


LOOP_BUDGET = 3


def _budget(source: Source, prop: m.Property) -> list[Candidate]:
    """For `terminates`: a new step counter on every transition that does not bring the run
    closer to a final state (in the control graph), capped at LOOP_BUDGET. Every cycle has
    such a transition, and the transitions that do get closer stay free, so once the
    budget is spent each state keeps its way out."""
    if not any(isinstance(k, m.Terminates) for k in prop.kinds):
        return []
    import networkx as nx

    model = source.model
    graph = nx.DiGraph()
    graph.add_nodes_from(model.states)
    graph.add_edges_from((e.source, e.target) for e in model.edges)
    distance = {}
    for final in model.finals:
        for state, d in nx.single_source_shortest_path_length(graph.reverse(copy=False), final).items():
            distance[state] = min(d, distance.get(state, d))
    components = list(nx.strongly_connected_components(graph))
    component = {s: i for i, c in enumerate(components) for s in c}
    variable = source.fresh("loop_steps")
    clauses = (Clause("when", f"{variable} < {LOOP_BUDGET}"), Clause("update", f"{variable} = {variable} + 1"))
    changes = {}
    for t in source.transitions:
        a, b = t.source.name, t.target.name
        on_cycle = component[a] == component[b] and (a == b or len(components[component[a]]) > 1)
        if on_cycle and distance.get(b, float("inf")) >= distance.get(a, float("inf")):
            changes[t] = Change(whole=clauses)
    if not changes:
        return []
    declare = declare_variable(source.workflow, source.offsets, f"var {variable}: 0..{LOOP_BUDGET} = 0")
    found = _candidate(source, "cap", f"a loop budget: at most {LOOP_BUDGET} steps that do not lead toward a final "
                       f"state, on {len(changes)} transition(s) (a new counter `{variable}`)", changes, (declare,))
    return [found] if found is not None else []


def _permissions(source: Source, step: Step) -> list[Candidate]:
    """The tool's `by` without the acting agent, or with another agent in its place."""
    edge = step.edge
    if edge.action.kind != "tool" or edge.action.agent is None:
        return []
    decl = source.tools.get(edge.action.name)
    if decl is None:
        return []  # declared in an imported file
    agent = edge.action.agent
    current = list(source.model.tool(edge.action.name).agents)
    if agent not in current:
        return []
    out = []
    rest = [a for a in current if a != agent]
    if rest:
        out.append(Candidate("permission", f"`{edge.action.name}` no longer by `{agent}` (`by {', '.join(rest)}`)",
                             (tool_agents(decl, source.offsets, rest),)))
    for other in source.model.agents:
        if other not in current:
            moved = [other if a == agent else a for a in current]
            out.append(Candidate("permission", f"move `{edge.action.name}` from `{agent}` to `{other}`",
                                 (tool_agents(decl, source.offsets, moved),)))
    return out


ALL_KINDS = ("guard", "clause", "remove", "split", "narrow", "everywhere", "earlier", "after", "cap", "permission")
ONE_TRANSITION = ("guard", "clause", "remove", "split")  # the kinds of the first version of repair


def candidates(model: m.Model, system: System, prop: m.Property, run, workflow: ast.Workflow, offsets: Offsets,
               kinds=ALL_KINDS):
    """Candidates for the property violated by `run`, the offending step's first, then the
    edits that span transitions, then the earlier steps'."""
    source = Source(model, workflow, offsets)
    steps = steps_of(source, system, run)
    if not steps:
        return
    groups = [_local(source, steps[0]), _everywhere(source, steps[0]), _conditions(source, prop),
              _order(source, prop, steps),
              _caps(source, prop, steps), _budget(source, prop), _permissions(source, steps[0])]
    for step in steps[1:]:
        groups += [_local(source, step), _everywhere(source, step)]
    for group in groups:
        for candidate in group:
            if candidate.kind in kinds:
                yield candidate
