"""The search for one property's verdict: BMC, k-induction, Spacer and random runs taking
turns within the property's time (docs/encoding.md, "Schedule")."""
from __future__ import annotations

import time
from dataclasses import dataclass

import networkx as nx
import z3

from wfcheck.spec.system import System

from ..result import PROVED, UNKNOWN, VIOLATED, Run
from .bmc import Bmc
from .budget import Budget
from .certificate import Certificate, symbols
from .encode import Encoding
from .induction import Induction
from .simulate import Simulation
from .spacer import spacer

INDUCTION_DEPTH = 1    # k-induction tries k = 0 .. INDUCTION_DEPTH first
FIRST_SLICE = 0.1      # seconds; then BMC and Spacer take turns, each slice twice the last
FIRST_BMC_SLICE = 0.02  # BMC's first slice: short, so that quick Spacer proofs come first
SIMULATION_SECONDS = 1.0   # at most, and at most a tenth of the time
SIMULATION_WALKS = 200     # random runs ...
SIMULATION_LENGTH = 40     # ... of at most this many times `bound` steps


@dataclass(frozen=True)
class Outcome:
    """What the search found for one property (decide.py makes the verdict of it)."""
    status: str                       # proved | violated | unknown
    run: Run | None = None
    certificate: Certificate | None = None
    depth: int = 0                    # BMC explored this many steps without a violation
    reason: str | None = None
    reachable: bool = False           # Spacer showed that a violation exists
    watched: bool = False             # BMC saw the watched condition hold (see `Bmc`)
    shortest: bool = True             # a violation's run is one of the fewest steps


def _loop_states(system: System) -> set[str]:
    """Control states on a cycle of steps between non-final states."""
    finals = set(system.model.finals)
    graph = nx.DiGraph()
    for step in system.steps:
        if step.source not in finals and step.target not in finals:
            graph.add_edge(step.source, step.target)
    out: set[str] = set()
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1 or any(graph.has_edge(n, n) for n in component):
            out |= component
    return out


def search(enc: Encoding, liveness: bool, bound: int, budget: Budget,
            triggers: frozenset | None = None, need_run: bool = True) -> Outcome:
    """BMC to depth 1 and k-induction for k <= 1; then BMC (incremental) and Spacer
    (restarted) take turns with doubling time slices, so that whichever decides first
    costs at most about three times what it needs alone; after the first turn, random
    simulation looks for a violation (then Spacer is not needed: only BMC's shortest
    counterexample is). Once BMC has reached `bound`, Spacer gets all the time left. With
    `need_run` False, knowing that a violation exists is enough. `triggers`: steps to
    watch for (see `Outcome.watched`)."""
    loops = _loop_states(enc.terms.system) if liveness else set()
    lasso = bool(loops)
    bmc = Bmc(enc, bound, loops, enc.enabled(triggers) if triggers is not None else None)
    simulation = Simulation(enc, triggers)
    total = max(0.0, budget.deadline - time.perf_counter())
    reachable = False

    def outcome(status: str, **kw) -> Outcome:
        return Outcome(status, depth=max(bmc.explored, 0), reachable=reachable,
                        watched=bmc.watched or simulation.watched, **kw)

    def random_run() -> Outcome:
        """The random run as the counterexample: none within `bmc.explored` steps."""
        return Outcome(VIOLATED, run=simulation.run_of(), depth=max(bmc.explored, 0), reachable=True,
                        watched=True, shortest=False)

    def timed_out() -> Outcome:
        if simulation.violation is not None and need_run:
            return random_run()
        return outcome(UNKNOWN, reason=f"timeout after {total:.1f} s")

    def explore(depth: int, slice_: Budget) -> Outcome | None:
        status, run = bmc.run(depth, slice_, lasso)
        if status == VIOLATED:
            return Outcome(VIOLATED, run=run, depth=len(run) - 1, reachable=True, watched=bmc.watched)
        if status == "paused" and budget.over:
            return timed_out()
        return None

    found = explore(min(bound, INDUCTION_DEPTH), budget)
    if found:
        return found
    if not lasso:
        induction = Induction(enc)
        for k in range(min(INDUCTION_DEPTH, bmc.explored) + 1):
            if induction.step(k, budget.within(max(FIRST_SLICE, 0.05 * total))):
                term = z3.simplify(z3.Not(induction.bad))
                certificate = Certificate("k-induction", term.sexpr(), k, symbols(enc, False),
                                          loop_free=liveness, term=term)
                return outcome(PROVED, certificate=certificate)
    slice_, detail, turn, covered = FIRST_SLICE, "not tried", 0, None
    core = None if liveness else enc.core()
    if core is not None and len(core) == len(enc.vars):
        core = None   # nothing to abstract away
    while True:
        if turn == (1 if need_run else 0):
            simulation.run(budget.within(min(SIMULATION_SECONDS, total * 0.1)),
                           SIMULATION_LENGTH * max(bound, 1), SIMULATION_WALKS)
            if simulation.violation is not None:
                reachable = True
                if not need_run:
                    return outcome(VIOLATED)
        turn += 1
        found = explore(bound, budget.within(slice_ if turn > 1 else FIRST_BMC_SLICE))
        if found:
            return found
        if turn > 1 and not lasso and bmc.explored < bound and covered is None:
            # Deepening is slow: ask once for any violation within the bound.
            covered = bmc.cover(bound, budget.within(slice_))
            if covered is False:
                bmc.explored = bound
            elif covered:
                reachable = True   # BMC will find it; no proof to look for
        done = bmc.explored >= bound
        if not reachable and core is not None:
            # First, and then for half of each turn: the localization abstraction.
            verdict, abstract = spacer(enc, None, budget.share(0.5) if done else budget.within(slice_),
                                        keep=core)
            if verdict == "proved":
                return outcome(PROVED, certificate=abstract)
            if verdict == "reachable":
                core = None
        if not reachable:
            verdict, detail = spacer(enc, loops if lasso else None, budget if done else budget.within(slice_))
            if verdict == "proved":
                if liveness and not lasso:
                    detail = Certificate(detail.method, detail.formula, None, detail.symbols,
                                         detail.by_state, True, detail.term)
                return outcome(PROVED, certificate=detail)
            reachable = verdict == "reachable"
            if reachable and not need_run:
                return outcome(VIOLATED)
        if done:
            break
        if budget.over:
            return timed_out()
        slice_ *= 2
    if reachable and need_run and simulation.violation is None and not simulation.tried:
        simulation.run(budget.within(SIMULATION_SECONDS), SIMULATION_LENGTH * max(bound, 1), SIMULATION_WALKS)
    if simulation.violation is not None and need_run:
        return random_run()   # none within the bound: the random run (not the shortest)
    if reachable:
        reason = f"a violation exists (the CHC engine shows it), but none within {bound} steps"
    else:
        reason = f"no violation within {bound} steps, and no proof ({detail})"
    return outcome(UNKNOWN, reason=reason)
