"""Test helper: replay a counterexample through the concrete semantics and confirm it violates its
property. Every engine's counterexamples pass through here in the tests."""
from __future__ import annotations

from wfcheck.spec.semantics import Interpreter
from wfcheck.spec.system import Check, System

from wfcheck.checker.verify.result import Run


class ReplayError(AssertionError):
    """The run is not a run of the system, or does not violate the property."""


def replay(system: System, check: Check, run: Run) -> None:
    """Raise ReplayError unless `run` is a run of `system` that violates `check`."""
    interp = Interpreter(system, [check])
    config = interp.initial()
    if interp.describe(config) != dict(run.configs[0]):
        raise ReplayError(f"initial configuration differs: {interp.describe(config)} != {run.configs[0]}")
    visited = [config]
    steps = {s.index: s for s in system.steps}
    for i, edge in enumerate(run.edges):
        step = steps.get(edge)
        if step is None or not interp.enabled(config, step):
            raise ReplayError(f"step {i}: edge {edge} is not enabled")
        last = i == len(run.edges) - 1
        if last and run.bad_step:
            if not interp.step_bad(check, config, step):
                raise ReplayError(f"step {i}: edge {edge} does not violate `{check.name}`")
            return
        wanted = dict(run.configs[i + 1])
        matches = [c for c in interp.fire(config, step) if interp.describe(c) == wanted]
        if not matches:
            raise ReplayError(f"step {i}: edge {edge} cannot reach {wanted}")
        config = matches[0]
        visited.append(config)
    if run.loop_start is not None:
        if not check.liveness:
            raise ReplayError("a lasso counterexample for a safety property")
        if visited[run.loop_start] != config:
            raise ReplayError("the lasso does not close")
        finals = set(system.model.finals)
        if any(c[0] in finals for c in visited[run.loop_start:]):
            raise ReplayError("the lasso passes through a final state")
        return
    if not interp.state_bad(check, config):
        raise ReplayError(f"the last configuration does not violate `{check.name}`")
