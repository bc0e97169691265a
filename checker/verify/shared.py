"""One explicit-state exploration for every property at once.

The reachable configurations of the workflow are explored a single time, breadth first, on
the product of the system and the (small, deterministic) monitors of all the selected checks
(spec/semantics.py). Every check's bad conditions are tested on each configuration as it is
reached, so the first hit of a check is at the least depth: parent pointers give a shortest
counterexample for every violated safety property, at any depth. `terminates` is then
decided on the same graph (a reachable cycle of non-final configurations).

The verdicts are those of `explicit.check_property` run per property (the differential
tests check this); only the work is shared.
"""
from __future__ import annotations

import time
from collections import deque
from typing import Callable

from wfcheck.spec.semantics import Config, Interpreter
from wfcheck.spec.system import FALSE, Check, System

from .explicit import DEFAULT_MAX_STATES, path_to
from .result import PROVED, UNKNOWN, VACUOUS, VIOLATED, PropertyResult, Run

ENGINE = "explicit"
PROGRESS_EVERY = 4096   # expanded configurations between calls of `progress`


def _projection(interp: Interpreter, check: Check):
    """Describe a configuration by the variables a single-check search would show."""
    keep = {v.name for v in interp.system.vars} | {v.name for v in check.monitors}

    def project(described: dict) -> dict:
        return {k: v for k, v in described.items() if k == "state" or k in keep}
    return project


def _projected(run: Run, project) -> Run:
    return Run(run.edges, tuple(project(c) for c in run.configs), run.bad_step, run.loop_start)


def check_all(system: System, checks: list[Check] | None = None,
              max_states: int = DEFAULT_MAX_STATES,
              progress: Callable[[int], bool] | None = None,
              timeout: float | None = None) -> tuple[PropertyResult, ...]:
    """Decide `checks` (all by default) with one shared breadth-first exploration. Past
    `max_states` configurations, or `timeout` seconds per check (the exploration is the
    search of every check, so it has their budgets together), the checks not yet violated
    are unknown.
    `progress` is called with the number of configurations found every few thousand
    expanded; when it returns true the search stops there, the checks not yet violated
    unknown."""
    started = time.perf_counter()
    checks = list(system.checks if checks is None else checks)
    interp = Interpreter(system, checks)
    init = interp.initial()
    parents: dict[Config, tuple[Config, int] | None] = {init: None}
    found: dict[str, tuple[Config, tuple[int, ...], bool]] = {}   # name -> (last, extra edge, bad step)
    triggered = {c.name for c in checks if c.triggers is None}
    open_checks = list(checks)

    state_watch = [c for c in checks if c.state_bad != FALSE]
    step_watch = {step.index: [c for c in checks if step.index in c.step_bad
                               or (c.triggers is not None and step.index in c.triggers)]
                  for step in system.steps}

    def test_state(config: Config) -> None:
        for check in state_watch:
            if check.name not in found and interp.state_bad(check, config):
                found[check.name] = (config, (), False)

    def close() -> None:
        open_checks[:] = [c for c in open_checks if c.name not in found]
        state_watch[:] = [c for c in state_watch if c.name not in found]
        for watching in step_watch.values():
            watching[:] = [c for c in watching if c.name not in found]

    test_state(init)
    close()
    closed = len(found)
    budget = None if timeout is None else timeout * max(1, len(checks))
    queue = deque([init])
    depth = {init: 0}
    overflow, why = None, f"more than {max_states} reachable configurations"
    expanded = 0
    needs_liveness = any(c.liveness for c in checks)
    finals = set(system.model.finals)
    edges: dict[Config, list[tuple[int, Config]]] | None = {} if needs_liveness else None
    while queue and (open_checks or needs_liveness):
        config = queue.popleft()
        expanded += 1
        if expanded % PROGRESS_EVERY == 0:
            if progress is not None and progress(len(parents)):
                overflow, why = depth[config], "stopped: another engine decided first"
                break
            if budget is not None and time.perf_counter() - started > budget:
                overflow, why = depth[config], f"timeout after {budget:.1f} s"
                break
        for step in interp.steps_from.get(config[0], ()):
            if not interp.enabled(config, step):
                continue
            for check in step_watch[step.index]:
                if check.triggers is not None and step.index in check.triggers:
                    triggered.add(check.name)
                if check.name not in found and step.index in check.step_bad \
                        and interp.step_bad(check, config, step):
                    found[check.name] = (config, (step.index,), True)
            for nxt in interp.fire(config, step):
                if edges is not None and config[0] not in finals and nxt[0] not in finals:
                    edges.setdefault(config, []).append((step.index, nxt))
                if nxt in parents:
                    continue
                parents[nxt] = (config, step.index)
                depth[nxt] = depth[config] + 1
                test_state(nxt)
                queue.append(nxt)
        if len(found) > closed:
            close()
            closed = len(found)
        if len(parents) > max_states:
            overflow = depth[config] + 1
            break
    seconds = time.perf_counter() - started
    common = {"configurations": len(parents), "shared": len(checks)}
    results = []
    lasso_cache: list[Run | None] = []
    for check in checks:
        project = _projection(interp, check)
        if check.name in found:
            last, extra, bad_step = found[check.name]
            run = _projected(path_to(interp, parents, last, extra, bad_step), project)
            results.append(PropertyResult(check.name, VIOLATED, ENGINE, counterexample=run, seconds=seconds,
                                          details={**common, "shortest": True}))
            continue
        if overflow is not None:
            results.append(PropertyResult(check.name, UNKNOWN, ENGINE, bound=overflow, seconds=seconds,
                                          reason=why))
            continue
        if check.liveness:
            if not lasso_cache:
                lasso_cache.append(_non_final_lasso(interp, parents, depth, edges))
            lasso = lasso_cache[0]
            if lasso is not None:
                results.append(PropertyResult(check.name, VIOLATED, ENGINE, counterexample=_projected(lasso, project),
                                              seconds=time.perf_counter() - started, details=dict(common)))
                continue
        status = PROVED if check.name in triggered else VACUOUS
        results.append(PropertyResult(check.name, status, ENGINE, seconds=seconds, details=dict(common)))
    return tuple(results)


def _non_final_lasso(interp: Interpreter, parents: dict, depth: dict,
                     edges: dict[Config, list[tuple[int, Config]]]) -> Run | None:
    """A reachable cycle of non-final configurations, as a lasso, or None. The configurations
    from which no such cycle is reachable are peeled off (those with no step left to another
    non-final one, repeatedly); from the shallowest one left, steps that stay among those left
    must close a cycle. The stem is a shortest path to where the walk began."""
    left = {c: len(out) for c, out in edges.items()}
    into: dict[Config, list[Config]] = {}
    for config, out in edges.items():
        for _, nxt in out:
            into.setdefault(nxt, []).append(config)
    dead = [c for c in into if c not in left]
    while dead:
        node = dead.pop()
        for previous in into.get(node, ()):
            left[previous] -= 1
            if left[previous] == 0:
                dead.append(previous)
    alive = [c for c, n in left.items() if n > 0]
    if not alive:
        return None
    node = min(alive, key=depth.__getitem__)
    stem = path_to(interp, parents, node)
    walk: list[tuple[int, Config]] = []
    seen = {node: 0}
    while True:
        step, node = next((st, nxt) for st, nxt in edges[node] if left.get(nxt, 0) > 0)
        walk.append((step, node))
        if node in seen:
            break
        seen[node] = len(walk)
    loop_start = len(stem.edges) + seen[node]
    return Run(stem.edges + tuple(st for st, _ in walk),
               stem.configs + tuple(interp.describe(c) for _, c in walk), False, loop_start=loop_start)
