"""The search for repairs: candidate edits drawn from a violated property's counterexample,
each one re-parsed, re-checked and verified with the explicit checker before it is offered.

A candidate is kept only when the property is proved on the edited spec, every property
that held still holds, and every control state that was reachable still is (unless
`allow_unreachable`). Kept candidates are ranked by how many reachable configurations they
remove, then by the size of the edit (fewest, smallest first): the repair that takes away
the least behaviour comes first.
"""
from __future__ import annotations

import difflib
import time
from collections import deque
from dataclasses import dataclass

from wfcheck.checker.verify.explicit import check_system
from wfcheck.checker.verify.result import PROVED, VACUOUS, VIOLATED, PropertyResult
from wfcheck.spec import model as m
from wfcheck.spec.frontend import check_text
from wfcheck.spec.parser import parse_text
from wfcheck.spec.semantics import Interpreter
from wfcheck.spec.system import System, lower

from .edits import Edit, Offsets, add_clause, add_guard, find_transition, remove_action, split_action

DEFAULT_MAX_CANDIDATES = 160
DEFAULT_MAX_STATES = 200_000
HELD = (PROVED, VACUOUS)


@dataclass(frozen=True)
class Repair:
    edits: tuple[Edit, ...]
    text: str              # the edited source
    diff: str              # unified diff of the source
    size: int
    configurations_removed: int

    @property
    def what(self) -> str:
        return "; ".join(e.what for e in self.edits)


@dataclass(frozen=True)
class PropertyRepairs:
    property: str
    result: PropertyResult       # its verdict before
    repairs: tuple[Repair, ...]  # verified, best first
    tried: int                   # candidates checked
    exhausted: bool              # all candidates were tried (else the budget ran out)


def reachable(system: System, max_states: int = DEFAULT_MAX_STATES) -> tuple[set, set]:
    """(control states, configurations) reachable in `system`, by breadth-first search."""
    interp = Interpreter(system, ())
    seen = {interp.initial()}
    queue = deque(seen)
    while queue and len(seen) <= max_states:
        for _, nxt in interp.successors(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return {c[0] for c in seen}, seen


def _literal(variable: m.Variable, value) -> list[str]:
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


def _candidates(model: m.Model, system: System, result: PropertyResult, workflow, offsets: Offsets):
    run = result.counterexample
    edges = {st.index: st.edge for st in system.steps}
    seen: set = set()
    for position in reversed(range(len(run.edges))):
        edge = edges[run.edges[position]]
        t = find_transition(workflow, edge.span) if edge.span.file == workflow.span.file else None
        if t is None:
            continue  # declared in an imported file: not edited here
        before = run.configs[position]
        out = []
        for variable in model.variables:
            out.extend(add_guard(t, offsets, c) for c in _literal(variable, before[variable.name]))
        if edge.action.agent is not None:
            out.append(add_clause(t, offsets, "endorse", model.integ.levels[model.integ.top]))
            out.append(add_clause(t, offsets, "declassify", model.conf.levels[model.conf.bottom]))
        index = next((i for i, a in enumerate(t.actions) if (a.span.line, a.span.column)
                      == (edge.action_span.line, edge.action_span.column)), None)
        singles = [e for e in out if e is not None]
        groups = [(e,) for e in singles]
        if index is not None:
            groups.append((remove_action(t, offsets, index),))
            groups += [pair for pair in (split_action(t, offsets, index, e) for e in singles) if pair is not None]
        for group in groups:
            key = tuple((e.start, e.end, e.text) for e in group)
            if key not in seen:
                seen.add(key)
                yield group


def repair_text(source: str, path: str, properties: list[str] | None = None, *, allow_unreachable: bool = False,
                max_candidates: int = DEFAULT_MAX_CANDIDATES, timeout: float = 30.0,
                max_states: int = DEFAULT_MAX_STATES, keep: int = 5) -> tuple[PropertyRepairs, ...]:
    """Verified repairs of each violated property (or of `properties`) of the workflow
    whose text is `source` (read from `path`, for imports and spans)."""
    checked = check_text(source, path)
    if not checked.ok:
        raise ValueError(f"{path} is not a valid workflow")
    model = checked.model
    system = lower(model)
    before = {r.name: r for r in check_system(system, None, max_states)}
    known = {p.name for p in model.properties}
    for name in properties or ():
        if name not in known:
            raise KeyError(name)
    states_before, configs_before = reachable(system, max_states)
    workflow, _ = parse_text(source, path)
    offsets = Offsets(source)
    deadline = time.perf_counter() + timeout
    out = []
    for name, result in before.items():
        if result.status != VIOLATED or (properties and name not in properties):
            continue
        found, tried, exhausted = [], 0, True
        for edits in _candidates(model, system, result, workflow, offsets):
            if tried >= max_candidates or time.perf_counter() > deadline:
                exhausted = False
                break
            tried += 1
            repair = _verify(source, path, edits, name, before, states_before, configs_before,
                             allow_unreachable, max_states)
            if repair is not None:
                found.append(repair)
        found.sort(key=lambda r: (r.configurations_removed, r.size, r.what))
        out.append(PropertyRepairs(name, result, tuple(found[:keep]), tried, exhausted))
    return tuple(out)


def _verify(source, path, edits, name, before, states_before, configs_before, allow_unreachable, max_states):
    text = source
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = edit.apply(text)
    checked = check_text(text, path)
    if not checked.ok:
        return None
    system = lower(checked.model)
    after = {r.name: r for r in check_system(system, None, max_states)}
    if after.get(name) is None or after[name].status != PROVED:
        return None
    if any(r.status in HELD and (after.get(n) is None or after[n].status not in HELD) for n, r in before.items()):
        return None
    states, configs = reachable(system, max_states)
    if not allow_unreachable and not states_before <= states:
        return None
    diff = "".join(difflib.unified_diff(source.splitlines(True), text.splitlines(True), path, path))
    return Repair(tuple(edits), text, diff, sum(e.size(source) for e in edits), len(configs_before - configs))
