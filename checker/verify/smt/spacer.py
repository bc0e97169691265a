"""Proofs by z3's CHC engine (Spacer) on the Horn clauses of a check, with the invariant
it reports checked against the clauses, and mended where z3 inlined a predicate."""
from __future__ import annotations

import z3

from .budget import Budget, watchdog
from .certificate import Certificate, symbols
from .encode import Encoding
from .horn import horn
from .subterms import has_quantifier
from .values import PC


def _interpretation(model: z3.ModelRef, predicate: z3.FuncDeclRef, args: list, budget: Budget) -> z3.BoolRef:
    """The predicate's interpretation in `model` applied to `args` (its de Bruijn
    variable i is argument i). Evaluating `predicate(*args)` instead would use the values
    the model happens to give to constants named like the arguments."""
    interp = model[predicate]
    if isinstance(interp, z3.FuncInterp) and not interp.f:
        interp = None  # z3 5.4 wraps "no interpretation" in a FuncInterp of a null pointer
    if interp is None:
        return z3.BoolVal(True)  # unconstrained (the clauses are checked, see `_repair`)
    if isinstance(interp, z3.FuncInterp):
        result = z3.substitute_vars(interp.else_value(), *args)
        for i in range(interp.num_entries() - 1, -1, -1):
            entry = interp.entry(i)
            key = z3.And([a == entry.arg_value(j) for j, a in enumerate(args)])
            result = z3.If(key, entry.value(), result)
    else:  # pragma: no cover - z3 reports a FuncInterp for predicates with arguments
        result = z3.substitute_vars(interp, *args)
    result = z3.simplify(result)
    if has_quantifier(result):
        # States z3 inlined come back as projections (`exists k!1. ...`): eliminate them,
        # so that the certificate is quantifier-free and cheap to check.
        goal = z3.Goal()
        goal.add(result)
        try:
            tactic = z3.TryFor(z3.Then(z3.Tactic("qe"), z3.Tactic("simplify")), budget.left_ms())
            result = z3.simplify(tactic(goal).as_expr())
        except z3.Z3Exception:
            pass  # kept as it is: the check of the clauses decides
    return result


def _repair(problem, invariants: dict, budget: Budget, rounds: int = 20) -> bool:
    """Check the invariant against every clause, and mend it where it fails: z3 inlines
    predicates of states with one way in or out, and the interpretations it reports for
    them can be too weak (often `true`). Such a state gets the weakest interpretation
    that makes its own clauses hold; its predecessors then hold by the proof z3 found for
    the inlined clauses. False when it does not check in the end."""
    for _ in range(rounds):
        failing = problem.failing(invariants, budget.left_ms())
        if failing is None:
            return False
        if not failing:
            return True
        states = {c.premise[0] for c in failing if c.premise is not None}
        if not states:  # the initial configuration is not in: nothing to mend
            return False
        for state in states:
            invariants[state] = problem.weakest(state, invariants)
    return False


def spacer(enc: Encoding, loop_states: set[str] | None, budget: Budget, keep: set[str] | None = None):
    """("proved", Certificate) | ("reachable", None) | ("unknown", reason). A proof's
    invariant is checked against the clauses before it is believed. With `keep`, of a
    localization abstraction (see `horn`): "reachable" then says nothing."""
    # A HORN solver that timed out must not be asked again (z3 4.x crashes): each attempt
    # gets a fresh one, over clauses built once.
    key = ("horn", frozenset(loop_states) if loop_states is not None else None,
           frozenset(keep) if keep is not None else None)
    if key not in enc.cache:
        problem = horn(enc, loop_states, keep)
        predicates = problem.predicates()
        enc.cache[key] = (problem, predicates, problem.quantified(predicates))
    problem, predicates, clauses = enc.cache[key]
    solver = z3.SolverFor("HORN")
    solver.set("timeout", budget.left_ms())
    solver.add(clauses)
    with watchdog(budget):
        result = solver.check()
    if result == z3.unsat:
        return "reachable", None
    if result != z3.sat:
        return "unknown", solver.reason_unknown() or "unknown"
    model = solver.model()
    invariants = {st: _interpretation(model, p, problem.args, budget) for st, p in predicates.items()}
    if not _repair(problem, invariants, budget):
        return "unknown", "the CHC engine's invariant did not check"
    values = enc.terms.values
    pc = enc.terms.cur[PC]
    parts, by_state = [], []
    for state in enc.terms.system.model.states:
        inv = invariants.get(state, z3.BoolVal(True))
        by_state.append((state, inv.sexpr()))
        if not z3.is_false(inv):
            parts.append(z3.And(pc == values.state_index[state], inv))
    term = z3.simplify(z3.Or(parts)) if parts else z3.BoolVal(False)
    return "proved", Certificate("spacer", term.sexpr(), None, symbols(enc, loop_states is not None, keep),
                                 tuple(by_state), False, term)
