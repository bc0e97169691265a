"""Runs one system allows and another forbids, by the explicit product of both.

A run is observed as its sequence of actions (tool calls with their outcomes, events,
messages and hand-offs, each with its agents); variables, labels and control states are
inside. `extra_run(new, old)` looks for a shortest run of `new` whose action sequence no run
of `old` has: a breadth-first search over pairs (configuration of `new`, set of
configurations `old` can be in after the same actions) — the subset construction, since
`old` may take one action by several edges or `any` values. The set becoming empty is the
witness; the search ending without one proves, for runs of every length, that `old`
allows all that `new` allows. A pair is skipped when the same configuration was already
paired with a subset of its set (the antichain of De Wulf et al., 2006): whatever the smaller
set cannot match, the larger cannot either, and breadth-first order keeps the witness shortest. Both systems run on the one interpreter (spec/semantics.py).
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from wfcheck.checker.verify.result import Run
from wfcheck.spec.model import Action
from wfcheck.spec.semantics import Interpreter
from wfcheck.spec.system import System

DEFAULT_MAX_PAIRS = 500_000
EQUIVALENT, EXTRA, UNKNOWN = "included", "extra", "unknown"


@dataclass(frozen=True)
class RunDifference:
    """`status` EXTRA: `run` (of the first system) is a shortest run the second forbids;
    its last step is the first the second cannot match. INCLUDED: proved for every run
    length. UNKNOWN: more than `max_pairs` pairs (`depth`: lengths fully explored, or
    checked by z3). `method` says what decided: "product" (this search), "simulation"
    (z3's one-step proof, smt.py), "bounded" (z3 up to `depth` steps)."""
    status: str
    run: Run | None = None
    pairs: int = 0
    depth: int = 0
    seconds: float = 0.0
    method: str = "product"


def action_key(action: Action, renames: dict[str, str] | None = None) -> tuple:
    """An action as both versions can compare it: names (tool, event, agents) are taken
    through `renames` (old name -> new name) first."""
    r = renames or {}
    name = lambda n: r.get(n, n) if n is not None else None  # noqa: E731
    return (action.kind, name(action.name) if action.kind not in ("message", "handoff") else "",
            name(action.agent), name(action.receiver), action.outcome)


def extra_run(first: System, second: System, renames_first: dict[str, str] | None = None,
              renames_second: dict[str, str] | None = None,
              max_pairs: int = DEFAULT_MAX_PAIRS) -> RunDifference:
    """A shortest run of `first` whose actions no run of `second` takes (see the module)."""
    started = time.perf_counter()
    one, two = Interpreter(first, ()), Interpreter(second, ())
    key_one = {st.index: action_key(st.edge.action, renames_first) for st in first.steps}
    by_key_two: dict[str, dict[tuple, tuple]] = {}
    for state, steps in two.steps_from.items():
        table: dict[tuple, list] = {}
        for st in steps:
            table.setdefault(action_key(st.edge.action, renames_second), []).append(st)
        by_key_two[state] = {k: tuple(v) for k, v in table.items()}

    def follow(configs: frozenset, key: tuple) -> frozenset:
        out = []
        for config in configs:
            for st in by_key_two.get(config[0], {}).get(key, ()):
                out.extend(two.fire(config, st))
        return frozenset(out)

    start = (one.initial(), frozenset([two.initial()]))
    parents: dict = {start: None}
    sets_at: dict = {start[0]: [start[1]]}  # the antichain: sets kept per configuration
    depth = {start: 0}
    queue = deque([start])
    while queue:
        pair = queue.popleft()
        config, olds = pair
        for st in one.steps_from.get(config[0], ()):
            successors = one.fire(config, st)
            if not successors:
                continue
            matched = follow(olds, key_one[st.index])
            for nxt in successors:
                if not matched:
                    return RunDifference(EXTRA, _run(one, parents, pair, st.index, nxt), len(parents),
                                         depth[pair], time.perf_counter() - started)
                child = (nxt, matched)
                kept = sets_at.setdefault(nxt, [])
                if any(seen <= matched for seen in kept):
                    continue
                kept.append(matched)
                parents[child] = (pair, st.index)
                depth[child] = depth[pair] + 1
                if len(parents) > max_pairs:
                    return RunDifference(UNKNOWN, None, len(parents), depth[pair],
                                         time.perf_counter() - started)
                queue.append(child)
    return RunDifference(EQUIVALENT, None, len(parents), max(depth.values()), time.perf_counter() - started)


def _run(interp: Interpreter, parents: dict, pair, last_edge: int, last_config) -> Run:
    configs, edges = [last_config], [last_edge]
    node = pair
    while node is not None:
        configs.append(node[0])
        if parents[node] is None:
            break
        node, edge = parents[node]
        edges.append(edge)
    configs.reverse()
    edges.reverse()
    return Run(tuple(edges), tuple(interp.describe(c) for c in configs))
