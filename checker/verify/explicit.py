"""The explicit-state reference checker: breadth-first search of the finite product of the
workflow and one property monitor, on the concrete semantics (spec/semantics.py).

Deliberately simple — it is the second opinion the SMT checker is tested against. BFS
makes every safety counterexample a shortest one.
"""
from __future__ import annotations

import time
from collections import deque

import networkx as nx

from wfcheck.spec.semantics import Config, Interpreter
from wfcheck.spec.system import Check, System

from .result import PROVED, UNKNOWN, VACUOUS, VIOLATED, PropertyResult, Run

DEFAULT_MAX_STATES = 2_000_000


def path_to(interp: Interpreter, parents: dict, last: Config, extra_edges: tuple[int, ...] = (),
         bad_step: bool = False) -> Run:
    configs, edges = [last], []
    node = last
    while parents[node] is not None:
        previous, edge = parents[node]
        configs.append(previous)
        edges.append(edge)
        node = previous
    configs.reverse()
    edges.reverse()
    return Run(tuple(edges) + extra_edges, tuple(interp.describe(c) for c in configs), bad_step)


def check_property(system: System, check: Check, max_states: int = DEFAULT_MAX_STATES,
                   timeout: float | None = None) -> PropertyResult:
    """Decide one check; unknown past `max_states` configurations or `timeout` seconds."""
    started = time.perf_counter()
    interp = Interpreter(system, [check])
    init = interp.initial()
    parents: dict[Config, tuple[Config, int] | None] = {init: None}
    finals = set(system.model.finals)

    def done(status, **kw) -> PropertyResult:
        return PropertyResult(check.name, status, "explicit", seconds=time.perf_counter() - started, **kw)

    if interp.state_bad(check, init):
        return done(VIOLATED, counterexample=path_to(interp, parents, init))
    triggered = check.triggers is None
    queue = deque([init])
    depth = {init: 0}
    expanded = 0
    while queue:
        config = queue.popleft()
        expanded += 1
        if timeout is not None and expanded % 4096 == 0 and time.perf_counter() - started > timeout:
            return done(UNKNOWN, bound=depth[config], reason=f"timeout after {timeout:.1f} s")
        for step in interp.steps_from.get(config[0], ()):
            if not interp.enabled(config, step):
                continue
            if not triggered and step.index in check.triggers:
                triggered = True
            if step.index in check.step_bad:
                if interp.step_bad(check, config, step):
                    return done(VIOLATED, counterexample=path_to(interp, parents, config, (step.index,), True))
            for nxt in interp.fire(config, step):
                if nxt in parents:
                    continue
                parents[nxt] = (config, step.index)
                depth[nxt] = depth[config] + 1
                if interp.state_bad(check, nxt):
                    return done(VIOLATED, counterexample=path_to(interp, parents, nxt))
                if len(parents) > max_states:
                    return done(UNKNOWN, bound=depth[nxt],
                                reason=f"more than {max_states} reachable configurations")
                queue.append(nxt)
    if check.liveness:
        lasso = non_final_cycle(interp, parents, finals)
        if lasso is not None:
            return done(VIOLATED, counterexample=lasso)
    details = {"configurations": len(parents)}
    if not triggered:
        return done(VACUOUS, details=details)
    return done(PROVED, details=details)


def non_final_cycle(interp: Interpreter, parents: dict, finals: set[str]) -> Run | None:
    """A reachable cycle of configurations whose control states are all non-final, as a
    lasso: a shortest path to the cycle's entry, then once around the cycle."""
    graph = nx.DiGraph()
    for config in parents:
        if config[0] in finals:
            continue
        graph.add_node(config)
        for step, nxt in interp.successors(config):
            if nxt[0] not in finals:
                graph.add_edge(config, nxt, step=step.index)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return None
    entry = cycle[0][0]
    stem = path_to(interp, parents, entry)
    loop_edges = tuple(graph.edges[u, v]["step"] for u, v in cycle)
    loop_configs = tuple(interp.describe(v) for _, v in cycle)
    return Run(stem.edges + loop_edges, stem.configs + loop_configs, False, loop_start=len(stem.edges))


def check_system(system: System, names: list[str] | None = None,
                 max_states: int = DEFAULT_MAX_STATES) -> tuple[PropertyResult, ...]:
    return tuple(check_property(system, c, max_states) for c in system.checks
                 if names is None or c.name in names)
