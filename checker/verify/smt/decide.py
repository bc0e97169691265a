"""One property's verdict (the verdicts are described in the package docstring), with the
vacuity of properties about steps decided on the side."""
from __future__ import annotations

import time
from typing import Callable

import networkx as nx
import z3

from wfcheck.spec.system import FALSE, Check, System

from ..result import PROVED, UNKNOWN, VACUOUS, VIOLATED, PropertyResult
from .budget import Budget
from .encode import Encoding, SystemTerms
from .search import Outcome, search

ENGINE = "smt"


def _vacuity_check(check: Check, system: System) -> Check:
    """The safety property "no step `check` is about is ever enabled"."""
    steps = {st.index: st for st in system.steps}
    guards = {i: steps[i].guard for i in sorted(check.triggers)}
    return Check(property=check.property, monitors=(), monitor_assigns={}, step_bad=guards,
                 step_condition=guards, state_bad=FALSE, liveness=False, triggers=None)


def _excludes(invariant: z3.BoolRef, condition: z3.BoolRef, enc: Encoding, budget: Budget) -> bool:
    """The inductive invariant (an over-approximation of the reachable configurations)
    rules `condition` out."""
    solver = z3.Solver()
    solver.set("timeout", budget.left_ms())
    solver.add(invariant, condition, enc.domain)
    return solver.check() == z3.unsat


def _control_reachable(system: System) -> set[str]:
    """Control states some path of steps reaches from the initial one (guards ignored)."""
    graph = nx.DiGraph()
    graph.add_node(system.model.initial)
    graph.add_edges_from((st.source, st.target) for st in system.steps)
    return {system.model.initial} | nx.descendants(graph, system.model.initial)


def _check(terms: SystemTerms, check: Check, bound: int, timeout: float) -> PropertyResult:
    started = time.perf_counter()
    budget = Budget(timeout)
    system = terms.system
    enc = Encoding(terms, check)
    details: dict = {"cone": len(enc.vars), "choices": len(enc.choices)}

    def done(status: str, **kw) -> PropertyResult:
        return PropertyResult(check.name, status, ENGINE, seconds=time.perf_counter() - started,
                              details=details, **kw)

    def vacuity(share: float) -> Outcome:
        """Whether a step the property is about can ever be taken: violated = yes."""
        return search(Encoding(terms, _vacuity_check(check, system)), False, bound,
                       budget.share(share), need_run=False)

    triggers = check.triggers
    if triggers is not None:
        # A property about steps holds vacuously when none of them can ever be taken (only
        # step properties have triggers, so that alone proves it). First the control flow.
        reachable = _control_reachable(system)
        if not any(st.source in reachable for st in system.steps if st.index in triggers):
            details["method"] = "control flow"
            return done(VACUOUS)
    outcome = search(enc, check.liveness, bound, budget, triggers)
    if outcome.status == VIOLATED:
        if not outcome.shortest:
            details["shortest"] = False
            return done(VIOLATED, counterexample=outcome.run, bound=outcome.depth,
                        reason=f"no violation within {outcome.depth} steps; this run of "
                               f"{len(outcome.run)} steps was found by random simulation, its loops "
                               f"cut out: a shorter one may exist")
        return done(VIOLATED, counterexample=outcome.run)
    open_ = triggers is not None and not outcome.watched and not outcome.reachable
    if outcome.status == PROVED:
        if open_:
            # Whether one of its steps can be taken is still open: the proof's invariant
            # may rule them all out; else it is decided on its own.
            if _excludes(outcome.certificate.term, enc.enabled(triggers)[0], enc, budget):
                details["method"] = outcome.certificate.method
                return done(VACUOUS)
            taken = vacuity(1.0)
            if taken.status == PROVED:
                details["method"] = taken.certificate.method
                return done(VACUOUS)
            if taken.status == UNKNOWN:
                return done(UNKNOWN, bound=taken.depth,
                            reason="the property holds, but whether a step it is about can ever "
                                   f"be taken was not decided ({taken.reason})")
        details["method"] = outcome.certificate.method
        return done(PROVED, invariant=outcome.certificate)
    if open_ and check.state_bad == FALSE and not budget.over:
        # Undecided, but if none of its steps can ever be taken it holds, vacuously.
        taken = vacuity(1.0)
        if taken.status == PROVED:
            details["method"] = taken.certificate.method
            return done(VACUOUS)
    return done(UNKNOWN, bound=outcome.depth, reason=outcome.reason)


def check_property(system: System, check: Check, bound: int = 50, timeout: float = 10.0) -> PropertyResult:
    """Decide one property of `system` (see the module docstring for the verdicts);
    `bound` limits the length of counterexamples, `timeout` is in seconds."""
    return _check(SystemTerms(system), check, bound, timeout)


def property_checker(system: System, bound: int = 50, timeout: float = 10.0) -> Callable[[Check], PropertyResult]:
    """`check_property` for many checks of one system, sharing the translation of its terms."""
    terms = SystemTerms(system)
    return lambda check: _check(terms, check, bound, timeout)


def check_system(system: System, names: list[str] | None = None, bound: int = 50,
                 timeout: float = 10.0) -> tuple[PropertyResult, ...]:
    """Decide the selected properties (all by default), in the order of `system.checks`;
    `timeout` applies to each property."""
    decide = property_checker(system, bound, timeout)
    return tuple(decide(c) for c in system.checks if names is None or c.name in names)
